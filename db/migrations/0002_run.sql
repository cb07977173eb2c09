-- Runs and what a worker needs to know about one beyond the message.

-- One row per run. task_count is NULL for a run of another producer
-- ('external'), which therefore never completes. tasks_finished and
-- tasks_failed always equal the run's FINISHED and FAILED run_process rows.
CREATE TABLE run (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  trigger_kind VARCHAR(16) NOT NULL COMMENT 'manual|cron|local|external',
  params TEXT NULL,
  status VARCHAR(16) NOT NULL COMMENT 'PUBLISHING|RUNNING|FINISHED|FAILED',
  task_count INT NULL,
  published_tasks INT NOT NULL DEFAULT 0,
  tasks_finished INT NOT NULL DEFAULT 0,
  tasks_failed INT NOT NULL DEFAULT 0,
  created_at DATETIME(6) NOT NULL,
  published_at DATETIME(6) NULL,
  finished_at DATETIME(6) NULL,
  UNIQUE KEY uq_run_run_id (run_id),
  KEY ix_run_created_at (created_at)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

CREATE TABLE run_context (
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  time_zone VARCHAR(64) NOT NULL,
  topology LONGTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (2, 'run', NOW(6));
