-- An approval is of kind 'approval' (pending until someone other than the
-- requester resolves it) or 'audit' (the requester's own confirmation or
-- refusal of a call, recorded resolved when made: requester and resolver
-- are the same user; it records, it does not authorise). Rows made before
-- this migration are approvals.
ALTER TABLE bastion_data.approvals
  ADD COLUMN kind text NOT NULL DEFAULT 'approval'
  CHECK (kind IN ('approval', 'audit'));

-- The four-eyes rule (0001's unnamed table check, named approvals_check by
-- PostgreSQL) holds for approvals only; an audit row is resolved by its
-- requester.
ALTER TABLE bastion_data.approvals DROP CONSTRAINT approvals_check;
ALTER TABLE bastion_data.approvals
  ADD CONSTRAINT approvals_resolver_by_kind CHECK (
    CASE kind
      WHEN 'approval' THEN resolver_user_id IS NULL
                           OR resolver_user_id <> user_id
      ELSE resolver_user_id = user_id AND status IN ('approved', 'rejected')
    END);
