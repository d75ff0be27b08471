-- authz's schema bastion_authz: per-tenant custom roles, the tenant's tool
-- policy and policy version, and the append-only audit trail of role
-- changes.
--
-- Roles (created by `migrate --schema=authz bootstrap`, not here, because
-- roles are cluster-wide): bastion_owner runs these migrations and owns everything;
-- bastion_authz_svc is what authz logs in as: it owns nothing, has no
-- BYPASSRLS, and gets only the grants below.
--
-- Isolation: every row belongs to one tenant. Roles and tool policies are a
-- tenant's configuration, not a user's data, so rows carry tenant_id (and
-- who changed them) but no owning user_id, and the policies match the
-- transaction-local bastion.tenant_id only (common/pg/principal_transaction.h
-- sets it from the verified caller). Without it nothing is visible. ENABLE +
-- FORCE ROW LEVEL SECURITY on every table, USING and WITH CHECK.

CREATE SCHEMA bastion_authz;
REVOKE ALL ON SCHEMA bastion_authz FROM PUBLIC;
GRANT USAGE ON SCHEMA bastion_authz TO bastion_authz_svc;

-- True when the row belongs to the current principal's tenant.
CREATE FUNCTION bastion_authz.tenant_visible(row_tenant text)
RETURNS boolean
LANGUAGE sql STABLE PARALLEL SAFE
AS $$
  SELECT coalesce(
    row_tenant = nullif(current_setting('bastion.tenant_id', true), ''),
    false)
$$;
REVOKE ALL ON FUNCTION bastion_authz.tenant_visible(text) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bastion_authz.tenant_visible(text)
  TO bastion_authz_svc;

-- True when every element is 1..max_bytes of printable ASCII without
-- whitespace (scopes and tool names; authz reads arrays back joined with
-- spaces, so this keeps that exact).
CREATE FUNCTION bastion_authz.valid_tokens(tokens text[], max_bytes integer)
RETURNS boolean
LANGUAGE sql IMMUTABLE PARALLEL SAFE
AS $$
  SELECT coalesce(bool_and(t ~ '^[!-~]+$' AND octet_length(t) <= max_bytes),
                  true)
    FROM unnest(tokens) AS t
$$;
REVOKE ALL ON FUNCTION bastion_authz.valid_tokens(text[], integer) FROM PUBLIC;
GRANT EXECUTE ON FUNCTION bastion_authz.valid_tokens(text[], integer)
  TO bastion_authz_svc;

-- Refuses UPDATE/DELETE/TRUNCATE on append-only tables, whoever asks.
CREATE FUNCTION bastion_authz.refuse_change()
RETURNS trigger
LANGUAGE plpgsql
AS $$
BEGIN
  RAISE EXCEPTION 'bastion_authz.% is append-only', TG_TABLE_NAME
    USING ERRCODE = 'insufficient_privilege';
END
$$;
REVOKE ALL ON FUNCTION bastion_authz.refuse_change() FROM PUBLIC;

-- One row per tenant that ever changed its policy. `version` is the
-- tenant's policy version: bumped (under this row's lock) in the same
-- transaction as every role or tool-policy change; authz reloads a tenant's
-- snapshot when it differs from the cached one. No row = version 0,
-- built-in roles only, empty tool policy.
CREATE TABLE bastion_authz.tenant_policy (
  tenant_id             text        PRIMARY KEY CHECK (tenant_id <> ''),
  version               bigint      NOT NULL CHECK (version > 0),
  requires_confirmation text[]      NOT NULL DEFAULT '{}'
                        CHECK (bastion_authz.valid_tokens(requires_confirmation, 128)),
  requires_approval     text[]      NOT NULL DEFAULT '{}'
                        CHECK (bastion_authz.valid_tokens(requires_approval, 128)),
  updated_at            timestamptz NOT NULL DEFAULT now(),
  updated_by            text        NOT NULL CHECK (updated_by <> '')
);
GRANT SELECT, INSERT, UPDATE ON bastion_authz.tenant_policy
  TO bastion_authz_svc;

-- A tenant's custom roles (built-in roles are code, never rows).
CREATE TABLE bastion_authz.roles (
  tenant_id     text        NOT NULL
                REFERENCES bastion_authz.tenant_policy (tenant_id),
  name          text        NOT NULL CHECK (name ~ '^[a-z0-9_-]{1,64}$'),
  description   text        NOT NULL DEFAULT ''
                CHECK (octet_length(description) <= 1024),
  scopes        text[]      NOT NULL
                CHECK (bastion_authz.valid_tokens(scopes, 256)),
  allowed_tools text[]      NOT NULL
                CHECK (bastion_authz.valid_tokens(allowed_tools, 128)),
  -- The tenant's policy version at which this role last changed.
  version       bigint      NOT NULL CHECK (version > 0),
  updated_at    timestamptz NOT NULL DEFAULT now(),
  updated_by    text        NOT NULL CHECK (updated_by <> ''),
  PRIMARY KEY (tenant_id, name)
);
GRANT SELECT, INSERT, UPDATE, DELETE ON bastion_authz.roles
  TO bastion_authz_svc;

-- Every role and tool-policy change: who (the verified caller), when, what
-- (the action, the role, the content stored, the resulting version).
-- Append-only: authz gets SELECT and INSERT only, and triggers refuse
-- UPDATE, DELETE and TRUNCATE from anyone.
CREATE TABLE bastion_authz.role_audit (
  tenant_id        text        NOT NULL CHECK (tenant_id <> ''),
  seq              bigint      GENERATED ALWAYS AS IDENTITY,
  occurred_at      timestamptz NOT NULL DEFAULT now(),
  actor_subject    text        NOT NULL CHECK (actor_subject <> ''),
  actor_credential text        NOT NULL CHECK (length(actor_credential) <= 32),
  actor_token_id   text        NOT NULL DEFAULT ''
                   CHECK (length(actor_token_id) <= 256),
  action           text        NOT NULL
                   CHECK (action IN ('put_role', 'delete_role', 'put_tool_policy')),
  role_name        text        NOT NULL DEFAULT '',
  policy_version   bigint      NOT NULL CHECK (policy_version > 0),
  details          jsonb       NOT NULL,
  PRIMARY KEY (tenant_id, seq)
);
GRANT SELECT, INSERT ON bastion_authz.role_audit TO bastion_authz_svc;
CREATE TRIGGER append_only BEFORE UPDATE OR DELETE ON bastion_authz.role_audit
  FOR EACH ROW EXECUTE FUNCTION bastion_authz.refuse_change();
CREATE TRIGGER append_only_truncate BEFORE TRUNCATE ON bastion_authz.role_audit
  FOR EACH STATEMENT EXECUTE FUNCTION bastion_authz.refuse_change();

ALTER TABLE bastion_authz.tenant_policy ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_authz.tenant_policy FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON bastion_authz.tenant_policy
  USING (bastion_authz.tenant_visible(tenant_id))
  WITH CHECK (bastion_authz.tenant_visible(tenant_id));

ALTER TABLE bastion_authz.roles ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_authz.roles FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON bastion_authz.roles
  USING (bastion_authz.tenant_visible(tenant_id))
  WITH CHECK (bastion_authz.tenant_visible(tenant_id));

ALTER TABLE bastion_authz.role_audit ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_authz.role_audit FORCE ROW LEVEL SECURITY;
CREATE POLICY tenant_rows ON bastion_authz.role_audit
  USING (bastion_authz.tenant_visible(tenant_id))
  WITH CHECK (bastion_authz.tenant_visible(tenant_id));
