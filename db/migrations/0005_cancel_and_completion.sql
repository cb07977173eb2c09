-- Operator cancel and exactly-once completion notification.
-- A cancelled run's QUEUED tasks become CANCELLED (task_status is free text:
-- no change to run_process); the run counts them, so that tasks_finished,
-- tasks_failed and tasks_cancelled always equal the run's run_process rows
-- in those states. completion_claimed_at is set by the one process that
-- reports a completed run (event, webhook, export), completion_reported_at
-- once it has; runs that ended before this migration count as reported.

ALTER TABLE run
  ADD COLUMN tasks_cancelled INT NOT NULL DEFAULT 0 AFTER tasks_failed,
  ADD COLUMN completion_claimed_at DATETIME(6) NULL,
  ADD COLUMN completion_reported_at DATETIME(6) NULL,
  ADD KEY ix_run_completion (completion_reported_at, status);

UPDATE run SET completion_claimed_at = finished_at, completion_reported_at = finished_at
  WHERE status IN ('FINISHED', 'FAILED');

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (5, 'cancel_and_completion', NOW(6));
