-- Workers report a heartbeat, so that an operator sees who is alive and a
-- STARTED task whose worker has gone silent shows as stale.

CREATE TABLE worker (
  worker_id VARCHAR(255) CHARACTER SET utf8mb4 COLLATE utf8mb4_bin NOT NULL PRIMARY KEY,
  host VARCHAR(255) NOT NULL,
  pid BIGINT NOT NULL,
  started_at DATETIME(6) NOT NULL,
  last_seen DATETIME(6) NOT NULL,
  stopped_at DATETIME(6) NULL,
  tasks_done BIGINT NOT NULL DEFAULT 0,
  in_flight INT NOT NULL DEFAULT 0,
  KEY ix_worker_last_seen (last_seen)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (4, 'worker', NOW(6));
