-- Delegations: a user's authority handed to one holder service for one run
-- (authn.v1.Delegations). One row per delegation; renewals re-sign from it.
--
-- Like api_keys, two ways in, both through row-level security:
--  * Everything done for a known owner (exchange, renewal, end) runs as
--    that owner's principal transaction; policy delegations_own shows only
--    the owner's rows (USING and WITH CHECK).
--  * Renewal and end name a delegation by id alone: the holder service, not
--    the user, calls. bastion_authn.find_delegation(id) is SECURITY DEFINER
--    (runs as bastion_owner with bastion.delegation_lookup on for its one
--    query) and returns only the row with that id, i.e. only to a caller who
--    already holds the 128-bit random id; authn then checks that the caller
--    is the row's holder before it reveals or changes anything.
--
-- Index rule exception: the unique index on delegation_id alone is the
-- lookup that does not know the owner yet.

CREATE TABLE bastion_authn.delegations (
  tenant_id          text        NOT NULL CHECK (tenant_id <> ''),
  user_id            text        NOT NULL CHECK (user_id <> ''),
  delegation_id      text        NOT NULL
                     CHECK (delegation_id ~ '^dlg_[0-9a-f]{32}$'),
  run_id             text        NOT NULL
                     CHECK (run_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  -- Printable ASCII without whitespace each, so passed space-separated.
  scopes             text[]      NOT NULL
                     CHECK (cardinality(scopes) <= 1000),
  roles              text[]      NOT NULL
                     CHECK (cardinality(roles) <= 1000),
  -- The credential the delegation came from: its kind
  -- (bastion.common.v1.CredentialKind: 1 JWT, 2 API key), issuer and id
  -- (the API key's id, or the JWT's jti; '' when the JWT has none), and
  -- when it stops being accepted (an API key's expiry; NULL for a JWT,
  -- whose end the delegation outlives by design).
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
  -- Renewal is refused from then on (the maximum total lifetime).
  renewable_until    timestamptz NOT NULL,
  renewed_at         timestamptz,
  ended_at           timestamptz,
  end_reason         text
                     CHECK (end_reason IN ('ended', 'expired', 'revoked')),
  CHECK (renewable_until > created_at),
  CHECK ((ended_at IS NULL) = (end_reason IS NULL)),
  PRIMARY KEY (tenant_id, delegation_id)
);
CREATE UNIQUE INDEX delegations_id
  ON bastion_authn.delegations (delegation_id);
CREATE INDEX delegations_user_run
  ON bastion_authn.delegations (tenant_id, user_id, run_id);

ALTER TABLE bastion_authn.delegations ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_authn.delegations FORCE ROW LEVEL SECURITY;
CREATE POLICY delegations_own ON bastion_authn.delegations
  FOR ALL TO bastion_authn_svc
  USING (bastion_authn.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_authn.row_visible(tenant_id, user_id));
CREATE POLICY delegations_lookup ON bastion_authn.delegations
  FOR SELECT TO bastion_owner
  USING (current_setting('bastion.delegation_lookup', true) = 'on');

-- No DELETE: ended delegations stay for the record. Only renewal and end
-- change a row.
GRANT SELECT, INSERT ON bastion_authn.delegations TO bastion_authn_svc;
GRANT UPDATE (renewed_at, ended_at, end_reason)
  ON bastion_authn.delegations TO bastion_authn_svc;

-- The owner and holder of delegation `id`, or no row.
CREATE FUNCTION bastion_authn.find_delegation(id text)
RETURNS TABLE (tenant_id text, user_id text, holder_service text)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  before text := current_setting('bastion.delegation_lookup', true);
BEGIN
  PERFORM set_config('bastion.delegation_lookup', 'on', true);
  RETURN QUERY
    SELECT d.tenant_id, d.user_id, d.holder_service
      FROM bastion_authn.delegations d
     WHERE d.delegation_id = id;
  PERFORM set_config('bastion.delegation_lookup', coalesce(before, ''), true);
END
$$;
REVOKE ALL ON FUNCTION bastion_authn.find_delegation(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bastion_authn.find_delegation(text)
  TO bastion_authn_svc;
