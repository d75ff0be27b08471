-- Schedules: a component run on a cron expression, as its creator, with at
-- most the scopes the creator held (scopes snapshot; the executor
-- intersects it with the creator's current grants). Claimed by one
-- scheduler replica at a time (claimed_by/claim_expires_at).

CREATE TABLE bastion_data.schedules (
  tenant_id        text        NOT NULL CHECK (tenant_id <> ''),
  user_id          text        NOT NULL CHECK (user_id <> ''),
  schedule_id      text        NOT NULL
                   CHECK (schedule_id ~ '^[A-Za-z0-9._:-]{1,128}$'),
  component_type   text        NOT NULL
                   CHECK (component_type IN ('agent', 'team', 'workflow')),
  component_id     text        NOT NULL CHECK (length(component_id) <= 256),
  cron             text        NOT NULL CHECK (length(cron) BETWEEN 1 AND 128),
  timezone         text        NOT NULL DEFAULT 'UTC'
                   CHECK (length(timezone) <= 64),
  input            jsonb       NOT NULL DEFAULT 'null'
                   CHECK (octet_length(input::text) <= 65536),
  scopes           text[]      NOT NULL DEFAULT '{}',
  enabled          boolean     NOT NULL DEFAULT true,
  next_run_at      timestamptz,
  last_run_at      timestamptz,
  claimed_by       text,
  claim_expires_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (tenant_id, schedule_id)
);
CREATE INDEX schedules_user_created
  ON bastion_data.schedules (tenant_id, user_id, created_at, schedule_id);
-- The scheduler's claim scan (platform level, all tenants).
CREATE INDEX schedules_due
  ON bastion_data.schedules (tenant_id, user_id, next_run_at)
  WHERE enabled;

ALTER TABLE bastion_data.schedules ENABLE ROW LEVEL SECURITY;
ALTER TABLE bastion_data.schedules FORCE ROW LEVEL SECURITY;
CREATE POLICY principal_rows ON bastion_data.schedules
  USING (bastion_data.row_visible(tenant_id, user_id))
  WITH CHECK (bastion_data.row_visible(tenant_id, user_id));

GRANT SELECT, INSERT, UPDATE, DELETE ON bastion_data.schedules
  TO bastion_data_svc;
