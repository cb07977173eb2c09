-- The export step and failed steps (issue 12).
--
-- run.error: why a run FAILED before any task was published (its topology
-- or workload step failed; the step's stderr tail). run.selection_count: the
-- number of selections a run was planned with, so that its results can be
-- read in the workload's order (task seq is window-major: the position of a
-- task's selection is (seq - 1) mod selection_count); NULL for earlier runs
-- and runs of other producers, read in selection order as before.
--
-- export_*: the job's export command, run once per ended run (FINISHED or
-- FAILED) by one process given the job. export_status is NULL for a run
-- without an export command, else PENDING -> RUNNING -> FINISHED | FAILED;
-- export_claimed_at is the claim (a claim older than the lease is taken
-- over: its claimer died), export_attempt counts claims (DCP_EXPORT_ATTEMPT),
-- export_error keeps the exit status and stderr tail of a failed export.
--
-- run_process.params: the task's params (a JSON object from the workload
-- step, as carried in its message), NULL when it has none; added as the
-- last column (instant on MariaDB 10.3+ and MySQL 8.0.12+).

ALTER TABLE run
  ADD COLUMN error TEXT NULL,
  ADD COLUMN selection_count INT NULL,
  ADD COLUMN export_status VARCHAR(16) CHARACTER SET ascii COLLATE ascii_bin NULL,
  ADD COLUMN export_attempt INT NOT NULL DEFAULT 0,
  ADD COLUMN export_claimed_at DATETIME(6) NULL,
  ADD COLUMN export_finished_at DATETIME(6) NULL,
  ADD COLUMN export_error TEXT NULL,
  ADD KEY ix_run_export (export_status, job_name);

ALTER TABLE run_process ADD COLUMN params TEXT NULL;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (8, 'export', NOW(6));
