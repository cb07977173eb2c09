-- STARTED tasks counted, not indexed (issue 16, step 5). Each status write
-- moved the row's entry in run_process's (run_key, task_status) index: 6-8
-- us of the server's CPU per write, two writes per task, and an index
-- whose pages the moves left half empty (64-74 bytes per task). It was
-- there for the counts dcp status reads while a run goes: its STARTED
-- tasks, those of them whose worker is gone (stale), and the QUEUED tasks
-- of a run of another producer (task_count NULL). Those come from counters
-- now, changed in the transaction of every write that moves a task into or
-- out of STARTED, or records a task the leader did not plan:
-- - run_worker: per run and worker, its tasks of the run STARTED now (a
--   row per worker that ever started one; the stale count is the sum over
--   the workers gone);
-- - run.tasks_unplanned: the task rows a worker recorded for the run (a
--   message of another producer, or one more task than planned).
-- A run's FAILED tasks keep an index of their own, which the other status
-- writes leave alone: failed_run_key is run_key on a FAILED row and NULL
-- on any other (a virtual column: stored nowhere but in the index), so
-- only a write into or out of FAILED changes an entry. The monitor lists
-- them at each refresh, an operator's retry takes them. The other queries
-- by status (a run's unpublished tasks, a cancel, a listing by another
-- status) read the run's rows in seq order: bounded by what they look
-- for, or operator actions.
--
-- Run it with no worker running (docs/deployment.md, "Upgrading to
-- migration 12"): a worker of the old version would move tasks without
-- counting them. It reads the STARTED rows and the unplanned rows once,
-- then builds the FAILED index and drops the status index in one ALTER (in
-- place: no table copy).

CREATE TABLE IF NOT EXISTS run_worker (
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  worker VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL,
  tasks_started INT NOT NULL DEFAULT 0 COMMENT 'the run''s tasks the worker holds STARTED now',
  PRIMARY KEY (run_id, worker)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT INTO run_worker (run_id, worker, tasks_started)
  SELECT run_id, worker, COUNT(*) FROM run_process
  WHERE task_status = 'STARTED' AND run_key IS NOT NULL AND worker IS NOT NULL
  GROUP BY run_id, worker
  ON DUPLICATE KEY UPDATE tasks_started = VALUES(tasks_started);

ALTER TABLE run
  ADD COLUMN tasks_unplanned INT NOT NULL DEFAULT 0
    COMMENT 'task rows recorded by workers, not planned by the leader' AFTER tasks_cancelled;

UPDATE run r SET tasks_unplanned = (SELECT COUNT(*) FROM run_process p
  WHERE p.run_key = UNHEX(REPLACE(r.run_id, '-', '')) AND p.seq IS NULL);

ALTER TABLE run_process
  ADD COLUMN failed_run_key BINARY(16) AS (IF(task_status = 'FAILED', run_key, NULL)) VIRTUAL
    INVISIBLE COMMENT 'run_key of a FAILED task, else NULL: its index lists a run''s failures',
  ADD KEY ix_run_process_failed (failed_run_key),
  DROP INDEX ix_run_process_run_status;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (12, 'started_counts', NOW(6));
