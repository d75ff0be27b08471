-- The scheduler's claim (ClaimDueSchedules) is a platform admin's scan
-- across every tenant for the earliest due schedules. schedules_due led
-- with (tenant_id, user_id), so it could not serve that scan ordered by
-- next_run_at; nothing else reads it (lists use schedules_user_created,
-- by-id access the primary key). This index serves the claim directly.
-- It is the one index not led by the owner columns: the claim is the one
-- query that is never about one owner (schema_pgtest allows exactly it).
CREATE INDEX schedules_due_at
  ON bastion_data.schedules (next_run_at)
  WHERE enabled;
DROP INDEX bastion_data.schedules_due;
