-- Append-only tables: trace spans (hash-chained per trace) and the audit
-- log. The service role may only SELECT and INSERT them, and a trigger
-- refuses UPDATE, DELETE and TRUNCATE for every role, the owner included.

-- Spans of traces. seq numbers the spans of a trace from 1 in append order;
-- hash = sha256(prev_hash || span_canonical(span)), prev_hash is the
-- previous span's hash (32 zero bytes for the first), so editing, removing
-- or reordering a stored span breaks the chain. All three are set by the
-- chain_span trigger, never by the writer.
CREATE TABLE bastion_data.spans (
  tenant_id      text        NOT NULL CHECK (tenant_id <> ''),
  user_id        text        NOT NULL CHECK (user_id <> ''),
  trace_id       text        NOT NULL
                 CHECK (trace_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  span_id        text        NOT NULL
                 CHECK (span_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  parent_span_id text        NOT NULL DEFAULT ''
                 CHECK (length(parent_span_id) <= 128),
  name           text        NOT NULL CHECK (length(name) BETWEEN 1 AND 512),
  start_time     timestamptz NOT NULL,
  end_time       timestamptz,
  attributes     jsonb       NOT NULL DEFAULT '{}'
                 CHECK (jsonb_typeof(attributes) = 'object'
                        AND octet_length(attributes::text) <= 65536),
  status_code    text        NOT NULL DEFAULT 'unset'
                 CHECK (status_code IN ('unset', 'ok', 'error')),
  status_message text        NOT NULL DEFAULT ''
                 CHECK (length(status_message) <= 2048),
  seq            bigint      NOT NULL,
  prev_hash      bytea       NOT NULL,
  hash           bytea       NOT NULL,
  created_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, trace_id, span_id),
  UNIQUE (tenant_id, trace_id, seq)
);
CREATE INDEX spans_user_trace
  ON bastion_data.spans (tenant_id, user_id, trace_id, seq);
CREATE INDEX spans_user_created
  ON bastion_data.spans (tenant_id, user_id, created_at, trace_id);

-- Length-prefixed field, so concatenations are unambiguous.
CREATE FUNCTION bastion_data.lp(value text)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT length(value)::text || ':' || value || ';' $$;

-- Microseconds since the epoch, exact, as text ('' for NULL).
CREATE FUNCTION bastion_data.micros(t timestamptz)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$ SELECT coalesce((extract(epoch FROM t) * 1000000)::bigint::text, '') $$;

-- The canonical bytes of a span (every stored field except the chain's own
-- prev_hash/hash and created_at). jsonb's text form is canonical.
CREATE FUNCTION bastion_data.span_canonical(s bastion_data.spans)
RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT convert_to(
    'bastion.span.v1;'
    || bastion_data.lp(s.tenant_id)
    || bastion_data.lp(s.user_id)
    || bastion_data.lp(s.trace_id)
    || bastion_data.lp(s.seq::text)
    || bastion_data.lp(s.span_id)
    || bastion_data.lp(s.parent_span_id)
    || bastion_data.lp(s.name)
    || bastion_data.lp(bastion_data.micros(s.start_time))
    || bastion_data.lp(bastion_data.micros(s.end_time))
    || bastion_data.lp(s.attributes::text)
    || bastion_data.lp(s.status_code)
    || bastion_data.lp(s.status_message),
    'UTF8')
$$;

-- Links a new span to the end of its trace's chain. Appends to one trace
-- are serialized by a transaction advisory lock. A trace belongs to the
-- user who started it: another user's append either sees the trace (an
-- admin) and is refused here, or does not see it and collides on
-- (tenant_id, trace_id, seq); both are unique violations.
CREATE FUNCTION bastion_data.chain_span()
RETURNS trigger
LANGUAGE plpgsql
AS $$
DECLARE
  last_seq  bigint;
  last_hash bytea;
  last_user text;
BEGIN
  PERFORM pg_advisory_xact_lock(
    hashtextextended('bastion_data.spans/' || NEW.tenant_id || '/' || NEW.trace_id, 0));
  SELECT s.seq, s.hash, s.user_id INTO last_seq, last_hash, last_user
    FROM bastion_data.spans s
   WHERE s.tenant_id = NEW.tenant_id AND s.trace_id = NEW.trace_id
   ORDER BY s.seq DESC
   LIMIT 1;
  IF last_seq IS NULL THEN
    NEW.seq := 1;
    NEW.prev_hash := decode(repeat('00', 32), 'hex');
  ELSIF last_user <> NEW.user_id THEN
    RAISE EXCEPTION 'trace belongs to another user' USING ERRCODE = 'unique_violation';
  ELSE
    NEW.seq := last_seq + 1;
    NEW.prev_hash := last_hash;
  END IF;
  NEW.hash := sha256(NEW.prev_hash || bastion_data.span_canonical(NEW));
  RETURN NEW;
END
$$;
REVOKE ALL ON FUNCTION bastion_data.chain_span() FROM PUBLIC;

CREATE TRIGGER chain_span BEFORE INSERT ON bastion_data.spans
  FOR EACH ROW EXECUTE FUNCTION bastion_data.chain_span();
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON bastion_data.spans
  FOR EACH ROW EXECUTE FUNCTION bastion_data.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON bastion_data.spans
  FOR EACH STATEMENT EXECUTE FUNCTION bastion_data.refuse_change();

-- The audit log: who (tenant_id, user_id = the actor) did what to whose
-- data. Admin reads and writes across users are recorded here.
CREATE TABLE bastion_data.audit_events (
  tenant_id        text        NOT NULL CHECK (tenant_id <> ''),
  user_id          text        NOT NULL CHECK (user_id <> ''),
  event_id         uuid        NOT NULL DEFAULT gen_random_uuid(),
  occurred_at      timestamptz NOT NULL DEFAULT now(),
  admin_level      text        NOT NULL
                   CHECK (admin_level IN ('none', 'tenant', 'platform')),
  action           text        NOT NULL CHECK (length(action) BETWEEN 1 AND 128),
  resource         text        NOT NULL CHECK (length(resource) <= 64),
  resource_id      text        NOT NULL DEFAULT ''
                   CHECK (length(resource_id) <= 256),
  target_user_id   text        NOT NULL DEFAULT '',
  detail           jsonb       NOT NULL DEFAULT '{}'
                   CHECK (octet_length(detail::text) <= 65536),
  PRIMARY KEY (tenant_id, user_id, occurred_at, event_id)
);
CREATE UNIQUE INDEX audit_events_id
  ON bastion_data.audit_events (tenant_id, user_id, event_id);

CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON bastion_data.audit_events
  FOR EACH ROW EXECUTE FUNCTION bastion_data.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON bastion_data.audit_events
  FOR EACH STATEMENT EXECUTE FUNCTION bastion_data.refuse_change();

ALTER TABLE bastion_data.spans ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.spans FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.spans
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

ALTER TABLE bastion_data.audit_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.audit_events FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.audit_events
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

GRANT SELECT, INSERT ON bastion_data.spans TO bastion_data_svc;
GRANT SELECT, INSERT ON bastion_data.audit_events TO bastion_data_svc;
GRANT EXECUTE ON FUNCTION bastion_data.span_canonical(bastion_data.spans),
  bastion_data.lp(text), bastion_data.micros(timestamptz)
  TO bastion_data_svc;
