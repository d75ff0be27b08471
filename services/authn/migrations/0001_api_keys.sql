-- Schema bastion_authn: API keys, stored as the SHA-256 of their secret.
--
-- Roles (created by `migrate --schema=authn bootstrap`, not here, because
-- roles are cluster-wide): bastion_owner runs these migrations and owns
-- everything; bastion_authn_svc is what authn logs in as: it owns nothing,
-- has no BYPASSRLS, and gets only the grants below.
--
-- Two ways in, both through row-level security (ENABLE + FORCE):
--  * Managing keys (create, list, revoke, rotate) runs as the verified
--    principal: common/pg/principal_transaction.h sets the transaction-local
--    bastion.tenant_id / bastion.user_id, and policy api_keys_own shows
--    bastion_authn_svc only that principal's rows (USING and WITH CHECK), so
--    a key can be neither read nor moved across users or tenants.
--  * Authenticating a key happens before any principal is known, so it
--    cannot run as one. bastion_authn.find_api_key(hash) is SECURITY DEFINER:
--    it runs as bastion_owner and turns on bastion.key_lookup for its one
--    query only (restored before it returns), which policy api_keys_lookup
--    requires; that policy applies to bastion_owner only, so
--    bastion_authn_svc setting the variable itself gains nothing. The
--    function returns only the row whose current or previous secret hash
--    equals its argument, i.e. only to a caller who already holds the secret.
--    (Not a function-level SET clause: PostgreSQL 15 lets only superusers
--    attach a custom setting to a function.)
--
-- Index rule exception: the two hash indexes are not led by
-- (tenant_id, user_id), because the lookup by hash is exactly the query that
-- does not know them yet. Hashes are of 256-bit random secrets, unique.

CREATE SCHEMA bastion_authn;
REVOKE ALL ON SCHEMA bastion_authn FROM PUBLIC;
GRANT USAGE ON SCHEMA bastion_authn TO bastion_authn_svc;

-- True when the row belongs to the principal of the current transaction.
-- authn manages only the caller's own keys, so no admin reach exists here.
-- Unset settings -> nothing is visible.
CREATE FUNCTION bastion_authn.row_visible(row_tenant text, row_user text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT coalesce(
    row_tenant = nullif(current_setting('bastion.tenant_id', true), '')
    AND row_user = nullif(current_setting('bastion.user_id', true), ''),
    false)
$$;
REVOKE ALL ON FUNCTION bastion_authn.row_visible(text, text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bastion_authn.row_visible(text, text)
  TO bastion_authn_svc;

CREATE TABLE bastion_authn.api_keys (
  tenant_id             text        NOT NULL CHECK (tenant_id <> ''),
  user_id               text        NOT NULL CHECK (user_id <> ''),
  key_id                text        NOT NULL
                        CHECK (key_id ~ '^key_[0-9a-f]{32}$'),
  name                  text        NOT NULL
                        CHECK (char_length(name) BETWEEN 1 AND 100),
  -- Printable ASCII without whitespace each (authn checks it), so they are
  -- passed and returned space-separated.
  scopes                text[]      NOT NULL
                        CHECK (cardinality(scopes) BETWEEN 1 AND 100),
  secret_hash           bytea       NOT NULL
                        CHECK (octet_length(secret_hash) = 32),
  display_prefix        text        NOT NULL
                        CHECK (char_length(display_prefix) <= 32),
  -- The secret replaced by the last rotation, valid until
  -- previous_expires_at (the grace period).
  previous_secret_hash  bytea
                        CHECK (octet_length(previous_secret_hash) = 32),
  previous_expires_at   timestamptz,
  rate_limit_per_second integer     NOT NULL DEFAULT 0
                        CHECK (rate_limit_per_second >= 0),
  created_at            timestamptz NOT NULL,
  expires_at            timestamptz NOT NULL,
  revoked_at            timestamptz,
  CHECK (expires_at > created_at),
  CHECK ((previous_secret_hash IS NULL) = (previous_expires_at IS NULL)),
  PRIMARY KEY (tenant_id, key_id)
);
CREATE UNIQUE INDEX api_keys_secret_hash
  ON bastion_authn.api_keys (secret_hash);
CREATE UNIQUE INDEX api_keys_previous_secret_hash
  ON bastion_authn.api_keys (previous_secret_hash)
  WHERE previous_secret_hash IS NOT NULL;
CREATE INDEX api_keys_user_created
  ON bastion_authn.api_keys (tenant_id, user_id, created_at, key_id);

ALTER TABLE bastion_authn.api_keys ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_authn.api_keys FORCE ROW LEVEL SECURITY;
CREATE POLICY api_keys_own ON bastion_authn.api_keys
  FOR ALL TO bastion_authn_svc
  USING (bastion_authn.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_authn.row_visible(tenant_id, user_id));
CREATE POLICY api_keys_lookup ON bastion_authn.api_keys
  FOR SELECT TO bastion_owner
  USING (current_setting('bastion.key_lookup', true) = 'on');

-- No DELETE: revoked keys stay for the record. Only the columns that
-- revocation and rotation change may be updated.
GRANT SELECT, INSERT ON bastion_authn.api_keys TO bastion_authn_svc;
GRANT UPDATE (secret_hash, display_prefix, previous_secret_hash,
              previous_expires_at, revoked_at)
  ON bastion_authn.api_keys TO bastion_authn_svc;

-- The key whose current or previous secret hashes to `secret_hash_in`, or no
-- row. Times are epoch microseconds; previous_expires_us is NULL when the
-- current secret matched. authn compares `matched_hash` with its own digest
-- in constant time and decides validity with its clock.
CREATE FUNCTION bastion_authn.find_api_key(secret_hash_in bytea)
RETURNS TABLE (tenant_id text, user_id text, key_id text, scopes text,
               matched_hash bytea, previous boolean, expires_us bigint,
               previous_expires_us bigint, revoked boolean,
               rate_limit_per_second integer)
LANGUAGE plpgsql VOLATILE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
  before text := current_setting('bastion.key_lookup', true);
BEGIN
  PERFORM set_config('bastion.key_lookup', 'on', true);
  RETURN QUERY
    SELECT k.tenant_id, k.user_id, k.key_id, array_to_string(k.scopes, ' '),
           k.secret_hash, false,
           (extract(epoch FROM k.expires_at) * 1000000)::bigint,
           NULL::bigint, k.revoked_at IS NOT NULL, k.rate_limit_per_second
      FROM bastion_authn.api_keys k
     WHERE k.secret_hash = secret_hash_in
    UNION ALL
    SELECT k.tenant_id, k.user_id, k.key_id, array_to_string(k.scopes, ' '),
           k.previous_secret_hash, true,
           (extract(epoch FROM k.expires_at) * 1000000)::bigint,
           (extract(epoch FROM k.previous_expires_at) * 1000000)::bigint,
           k.revoked_at IS NOT NULL, k.rate_limit_per_second
      FROM bastion_authn.api_keys k
     WHERE k.previous_secret_hash = secret_hash_in
    LIMIT 1;
  PERFORM set_config('bastion.key_lookup', coalesce(before, ''), true);
END
$$;
REVOKE ALL ON FUNCTION bastion_authn.find_api_key(bytea) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bastion_authn.find_api_key(bytea)
  TO bastion_authn_svc;
