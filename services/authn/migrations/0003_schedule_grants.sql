-- Schedule grants: a user's authority handed to one holder service for one
-- schedule (authn.v1.Delegations.ExchangeForSchedule), from which the holder
-- later obtains ordinary run delegations (ExchangeScheduleForRun) when the
-- schedule fires and no user is present. A grant is not itself an
-- assertion: authn never signs it, so no service accepts it as a
-- credential.
--
-- Two ways in, as for delegations, both through row-level security:
--  * Everything done for a known owner (exchange, issuing a run delegation,
--    end) runs as that owner's principal transaction; policy
--    schedule_grants_own shows only the owner's rows (USING and WITH
--    CHECK).
--  * Issuing and ending name a grant by id alone: the holder service calls.
--    bastion_authn.find_schedule_grant(id) is SECURITY DEFINER (runs as
--    bastion_owner with bastion.schedule_grant_lookup on for its one query)
--    and returns only the row with that id; authn then checks that the
--    caller is the row's holder before it reveals or changes anything.
--
-- Index rule exception: the unique index on grant_id alone is the lookup
-- that does not know the owner yet.

CREATE TABLE bastion_authn.schedule_grants (
  tenant_id          text        NOT NULL CHECK (tenant_id <> ''),
  user_id            text        NOT NULL CHECK (user_id <> ''),
  grant_id           text        NOT NULL
                     CHECK (grant_id ~ '^sgr_[0-9a-f]{32}$'),
  schedule_id        text        NOT NULL
                     CHECK (schedule_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  -- Printable ASCII without whitespace each, so passed space-separated:
  -- what every run delegation issued from the grant carries.
  scopes             text[]      NOT NULL
                     CHECK (cardinality(scopes) <= 1000),
  roles              text[]      NOT NULL
                     CHECK (cardinality(roles) <= 1000),
  -- The credential the schedule was created with, as in delegations.
  credential_kind    smallint    NOT NULL CHECK (credential_kind IN (1, 2)),
  credential_issuer  text        NOT NULL,
  credential_id      text        NOT NULL,
  credential_expires_at timestamptz,
  CHECK (credential_kind <> 2 OR credential_id <> ''),
  rate_limit_per_second integer  NOT NULL DEFAULT 0
                     CHECK (rate_limit_per_second >= 0),
  -- Subject of the service that exchanged it and alone may use it.
  holder_service     text        NOT NULL CHECK (holder_service <> ''),
  created_at         timestamptz NOT NULL,
  ended_at           timestamptz,
  end_reason         text        CHECK (end_reason IN ('ended', 'revoked')),
  CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  PRIMARY KEY (tenant_id, grant_id)
);
CREATE UNIQUE INDEX schedule_grants_id
  ON bastion_authn.schedule_grants (grant_id);
CREATE INDEX schedule_grants_user_schedule
  ON bastion_authn.schedule_grants (tenant_id, user_id, schedule_id);

ALTER TABLE bastion_authn.schedule_grants ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_authn.schedule_grants FORCE ROW LEVEL SECURITY;
CREATE POLICY schedule_grants_own ON bastion_authn.schedule_grants
  FOR ALL TO bastion_authn_svc
  USING (bastion_authn.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_authn.row_visible(tenant_id, user_id));
CREATE POLICY schedule_grants_lookup ON bastion_authn.schedule_grants
  FOR SELECT TO bastion_owner
  USING (current_setting('bastion.schedule_grant_lookup', true) = 'on');

-- No DELETE: ended grants stay for the record. Only the end changes a row.
GRANT SELECT, INSERT ON bastion_authn.schedule_grants TO bastion_authn_svc;
GRANT UPDATE (ended_at, end_reason)
  ON bastion_authn.schedule_grants TO bastion_authn_svc;

-- The owner and holder of schedule grant `id`, or no row.
CREATE FUNCTION bastion_authn.find_schedule_grant(id text)
RETURNS TABLE (tenant_id text, user_id text, holder_service text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  before text := current_setting('bastion.schedule_grant_lookup', true);
BEGIN
  PERFORM set_config('bastion.schedule_grant_lookup', 'on', true);
  RETURN QUERY
    SELECT g.tenant_id, g.user_id, g.holder_service
      FROM bastion_authn.schedule_grants g
     WHERE g.grant_id = id;
  PERFORM set_config('bastion.schedule_grant_lookup', coalesce(before, ''),
                     true);
END
$$;
REVOKE ALL ON FUNCTION bastion_authn.find_schedule_grant(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bastion_authn.find_schedule_grant(text)
  TO bastion_authn_svc;

-- Whether API key `live_key_id` of (`key_tenant`, `key_user`) is neither
-- revoked nor expired at `live_at`: the one test that a delegation's
-- renewal and a schedule grant's run delegation both require. SECURITY
-- INVOKER, so the caller's row-level security applies (it sees only its
-- principal's keys).
CREATE FUNCTION bastion_authn.api_key_live(key_tenant text, key_user text,
                                           live_key_id text,
                                           live_at timestamptz)
RETURNS boolean
LANGUAGE sql STABLE
AS $$
  SELECT EXISTS (SELECT 1 FROM bastion_authn.api_keys k
                  WHERE k.tenant_id = key_tenant AND k.user_id = key_user
                    AND k.key_id = live_key_id AND k.revoked_at IS NULL
                    AND k.expires_at > live_at)
$$;
REVOKE ALL ON FUNCTION
  bastion_authn.api_key_live(text, text, text, timestamptz) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION
  bastion_authn.api_key_live(text, text, text, timestamptz)
  TO bastion_authn_svc;

-- A run delegation issued from a schedule grant names it, so that an audit
-- tells a scheduled run from one a user started; NULL for ExchangeForRun.
ALTER TABLE bastion_authn.delegations
  ADD COLUMN schedule_grant_id text
  CHECK (schedule_grant_id ~ '^sgr_[0-9a-f]{32}$');
