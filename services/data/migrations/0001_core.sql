-- Schema bastion_data, the row visibility rule, and the per-user tables
-- (sessions, memories, runs, run_events, approvals).
--
-- Roles (created by `migrate bootstrap`, not here, because roles are
-- cluster-wide): bastion_owner runs these migrations and owns everything;
-- bastion_data_svc is what the data service logs in as: it owns nothing, has
-- no BYPASSRLS, and gets only the grants below.
--
-- Isolation: every table has NOT NULL tenant_id and user_id, ENABLE + FORCE
-- ROW LEVEL SECURITY, and a policy with USING and WITH CHECK built on
-- bastion_data.row_visible(), which reads the transaction-local settings
-- bastion.tenant_id / bastion.user_id / bastion.admin_level
-- (common/pg/principal_transaction.h sets them).
--
-- Keys: ids are unique per tenant, so the primary keys are
-- (tenant_id, <id>): a user creating an id another user of the tenant holds
-- gets a unique violation (ALREADY_EXISTS) without seeing the row. Every
-- other index is led by (tenant_id, user_id).

CREATE SCHEMA bastion_data;
REVOKE ALL ON SCHEMA bastion_data FROM PUBLIC;
GRANT USAGE ON SCHEMA bastion_data TO bastion_data_svc;

-- True when the current principal may see/write a row of (tenant, user):
--   admin_level 'none'     -> its own (tenant, user) rows only
--   admin_level 'tenant'   -> every row of its tenant
--   admin_level 'platform' -> every row
--   unset or anything else -> nothing
-- A plain SQL function so the planner inlines it into the policies.
CREATE FUNCTION bastion_data.row_visible(row_tenant text, row_user text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT coalesce(
    CASE current_setting('bastion.admin_level', true)
      WHEN 'platform' THEN true
      WHEN 'tenant' THEN
        row_tenant = nullif(current_setting('bastion.tenant_id', true), '')
      WHEN 'none' THEN
        row_tenant = nullif(current_setting('bastion.tenant_id', true), '')
        AND row_user = nullif(current_setting('bastion.user_id', true), '')
      ELSE false
    END,
    false)
$$;
REVOKE ALL ON FUNCTION bastion_data.row_visible(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bastion_data.row_visible(text, text)
  TO bastion_data_svc;

-- Refuses UPDATE/DELETE/TRUNCATE on append-only tables, whoever asks.
CREATE FUNCTION bastion_data.refuse_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION 'bastion_data.% is append-only', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE ALL ON FUNCTION bastion_data.refuse_change() FROM PUBLIC;

-- Sessions of agents, teams and workflows.
CREATE TABLE bastion_data.sessions (
  tenant_id      text        NOT NULL CHECK (tenant_id <> ''),
  user_id        text        NOT NULL CHECK (user_id <> ''),
  session_id     text        NOT NULL
                 CHECK (session_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  component_type text        NOT NULL
                 CHECK (component_type IN ('agent', 'team', 'workflow')),
  component_id   text        NOT NULL CHECK (length(component_id) <= 256),
  name           text        NOT NULL DEFAULT '' CHECK (length(name) <= 512),
  state          jsonb       NOT NULL DEFAULT '{}'
                 CHECK (octet_length(state::text) <= 1048576),
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, session_id)
);
CREATE INDEX sessions_user_created
  ON bastion_data.sessions (tenant_id, user_id, created_at, session_id);
CREATE INDEX sessions_user_updated
  ON bastion_data.sessions (tenant_id, user_id, updated_at, session_id);
CREATE INDEX sessions_user_component
  ON bastion_data.sessions (tenant_id, user_id, component_type, component_id);

-- Memories: short texts with topics.
CREATE TABLE bastion_data.memories (
  tenant_id   text        NOT NULL CHECK (tenant_id <> ''),
  user_id     text        NOT NULL CHECK (user_id <> ''),
  memory_id   text        NOT NULL
              CHECK (memory_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  text        text        NOT NULL CHECK (length(text) BETWEEN 1 AND 16384),
  topics      text[]      NOT NULL DEFAULT '{}'
              CHECK (cardinality(topics) <= 32),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, memory_id)
);
CREATE INDEX memories_user_created
  ON bastion_data.memories (tenant_id, user_id, created_at, memory_id);

-- Runs of agents/teams/workflows; user_id is the run's owner.
CREATE TABLE bastion_data.runs (
  tenant_id         text        NOT NULL CHECK (tenant_id <> ''),
  user_id           text        NOT NULL CHECK (user_id <> ''),
  run_id            text        NOT NULL
                    CHECK (run_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  component_type    text        NOT NULL
                    CHECK (component_type IN ('agent', 'team', 'workflow')),
  component_id      text        NOT NULL CHECK (length(component_id) <= 256),
  session_id        text        NOT NULL DEFAULT '',
  status            text        NOT NULL
                    CHECK (status IN ('pending', 'running', 'paused',
                                      'completed', 'failed', 'cancelled')),
  input             jsonb       NOT NULL DEFAULT 'null'
                    CHECK (octet_length(input::text) <= 1048576),
  output            text        NOT NULL DEFAULT ''
                    CHECK (octet_length(output) <= 1048576),
  error             text        NOT NULL DEFAULT '',
  paused_tool_calls jsonb       NOT NULL DEFAULT '[]'
                    CHECK (jsonb_typeof(paused_tool_calls) = 'array'),
  cancel_requested  boolean     NOT NULL DEFAULT false,
  created_at        timestamptz NOT NULL DEFAULT now(),
  updated_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, run_id),
  UNIQUE (tenant_id, user_id, run_id)
);
CREATE INDEX runs_user_created
  ON bastion_data.runs (tenant_id, user_id, created_at, run_id);

-- Events of a run, numbered from 1 per run.
CREATE TABLE bastion_data.run_events (
  tenant_id   text        NOT NULL CHECK (tenant_id <> ''),
  user_id     text        NOT NULL CHECK (user_id <> ''),
  run_id      text        NOT NULL,
  seq         bigint      NOT NULL CHECK (seq > 0),
  type        text        NOT NULL CHECK (length(type) BETWEEN 1 AND 64),
  payload     jsonb       NOT NULL DEFAULT '{}'
              CHECK (octet_length(payload::text) <= 1048576),
  created_at  timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, user_id, run_id, seq),
  FOREIGN KEY (tenant_id, user_id, run_id)
    REFERENCES bastion_data.runs (tenant_id, user_id, run_id)
    ON DELETE CASCADE
);

-- Approvals of protected tool calls; user_id is the requester (the run's
-- owner), resolver_user_id the approver, who must be someone else.
CREATE TABLE bastion_data.approvals (
  tenant_id        text        NOT NULL CHECK (tenant_id <> ''),
  user_id          text        NOT NULL CHECK (user_id <> ''),
  approval_id      text        NOT NULL
                   CHECK (approval_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  run_id           text        NOT NULL,
  tool_call_id     text        NOT NULL CHECK (length(tool_call_id) <= 256),
  tool_name        text        NOT NULL CHECK (length(tool_name) <= 256),
  args_sha256      text        NOT NULL CHECK (args_sha256 ~ '^[0-9a-f]{64}$'),
  status           text        NOT NULL DEFAULT 'pending'
                   CHECK (status IN ('pending', 'approved', 'rejected',
                                     'expired')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  expires_at       timestamptz NOT NULL,
  resolver_user_id text,
  resolved_at      timestamptz,
  reason           text        NOT NULL DEFAULT ''
                   CHECK (length(reason) <= 2048),
  PRIMARY KEY (tenant_id, approval_id),
  UNIQUE (tenant_id, user_id, run_id, tool_call_id),
  FOREIGN KEY (tenant_id, user_id, run_id)
    REFERENCES bastion_data.runs (tenant_id, user_id, run_id)
    ON DELETE CASCADE,
  CHECK (resolver_user_id IS NULL OR resolver_user_id <> user_id),
  CHECK ((status IN ('approved', 'rejected')) = (resolver_user_id IS NOT NULL))
);
CREATE INDEX approvals_user_created
  ON bastion_data.approvals (tenant_id, user_id, created_at, approval_id);

-- Row-level security on every table: ENABLE + FORCE (the owner too), one
-- policy with USING and WITH CHECK.
ALTER TABLE bastion_data.sessions ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.sessions FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.sessions
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

ALTER TABLE bastion_data.memories ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.memories FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.memories
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

ALTER TABLE bastion_data.runs ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.runs FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.runs
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

ALTER TABLE bastion_data.run_events ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.run_events FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.run_events
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

ALTER TABLE bastion_data.approvals ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.approvals FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.approvals
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

-- The service role's grants: only what the data service does.
GRANT SELECT, INSERT, UPDATE, DELETE ON bastion_data.sessions TO bastion_data_svc;
GRANT SELECT, INSERT, UPDATE, DELETE ON bastion_data.memories TO bastion_data_svc;
GRANT SELECT, INSERT, UPDATE, DELETE ON bastion_data.runs TO bastion_data_svc;
-- Run events are only appended (removed with their run by cascade).
GRANT SELECT, INSERT ON bastion_data.run_events TO bastion_data_svc;
-- Approvals are resolved, never deleted through the service.
GRANT SELECT, INSERT, UPDATE ON bastion_data.approvals TO bastion_data_svc;
