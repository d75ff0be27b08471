-- An approval carries the arguments of the call it covers (args_sha256 is
-- their SHA-256, checked by the data service when the approval is made), so
-- an approver sees exactly what it approves without reaching the run.
-- Rows made before this migration keep an empty text.
ALTER TABLE bastion_data.approvals
  ADD COLUMN arguments_json text NOT NULL DEFAULT ''
  CHECK (octet_length(arguments_json) <= 1048576);
