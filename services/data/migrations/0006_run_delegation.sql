-- The delegation run-executor acts with for a run (authn.v1.Delegations),
-- kept on the run so that any replica can renew and end it.
ALTER TABLE bastion_data.runs
  ADD COLUMN delegation_id text NOT NULL DEFAULT ''
  CHECK (delegation_id = '' OR delegation_id ~ '^dlg_[0-9a-f]{32}$');

-- UpdateRun's only_when_session_idle looks for the session's earlier runs
-- in progress.
CREATE INDEX runs_user_session
  ON bastion_data.runs (tenant_id, user_id, session_id, created_at);
