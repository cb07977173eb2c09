-- The output of a task: one result per task, by construction.

CREATE TABLE task_result (
  task_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  computation VARCHAR(32) NOT NULL,
  body MEDIUMTEXT NOT NULL,
  created_at DATETIME(6) NULL,
  KEY ix_task_result_run_id (run_id)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (3, 'task_result', NOW(6));
