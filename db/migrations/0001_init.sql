-- dcp schema, part 1: the migration ledger and the task table.
-- Migrations are immutable once released: change the schema with a new file.
-- Rules for every file: plain SQL that the mysql client runs as-is on MySQL 8
-- and MariaDB 10.11; a statement ends with ';' at the end of a line and no
-- other line does (so no procedures or triggers); the last statement records
-- the file in schema_migrations.

CREATE TABLE IF NOT EXISTS schema_migrations (
  version INT NOT NULL PRIMARY KEY,
  name VARCHAR(255) NOT NULL,
  applied_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- One row per task. id, run_id, task_id and task_status are the columns of
-- the original demo and keep their names. Ids are ASCII UUIDs. run_id is NULL
-- only for a malformed message whose run could not be read. start_date and
-- end_date are local wall-clock minutes of the run's time zone (end
-- inclusive); the *_at columns are UTC.
CREATE TABLE run_process (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NULL,
  task_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  task_status VARCHAR(16) NOT NULL COMMENT 'QUEUED|STARTED|FINISHED|FAILED',
  seq INT NULL COMMENT '1..N publication order within a leader run',
  selection VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NULL,
  start_date DATETIME NULL,
  end_date DATETIME NULL,
  attempt INT NOT NULL DEFAULT 0,
  worker VARCHAR(255) NULL,
  queued_at DATETIME(6) NULL,
  started_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  error TEXT NULL,
  UNIQUE KEY uq_run_process_task_id (task_id),
  KEY ix_run_process_run_status (run_id, task_status),
  KEY ix_run_process_run_seq (run_id, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (1, 'init', NOW(6));
