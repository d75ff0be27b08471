-- The schedule grant each schedule's runs act through (authn.v1.Delegations
-- .ExchangeForSchedule, made by run-executor when the schedule is created):
-- a handle its holder exchanges for one run delegation per firing, never a
-- credential. A schedule without one never fires (the claim skips it).
ALTER TABLE bastion_data.schedules
  ADD COLUMN grant_id text NOT NULL DEFAULT ''
  CHECK (grant_id = '' OR grant_id ~ '^sgr_[0-9a-f]{32}$');
