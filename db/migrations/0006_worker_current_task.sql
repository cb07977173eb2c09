-- The task a worker is computing now, written by its heartbeat: the one it
-- started first among those it runs (a worker runs up to DCP_CONCURRENCY at
-- once). NULL when it computes nothing, and once it stopped.

ALTER TABLE worker
  ADD COLUMN current_task CHAR(36) NULL AFTER in_flight;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (6, 'worker_current_task', NOW(6));
