-- The locks, as lease rows (issue 15): GET_LOCK is local to one node of a
-- Galera cluster, a row is the cluster's. One row per held lock: a job's run
-- lock ('run' for the reference job, 'run.<job>' for the others) and the
-- migrate lock ('migrate'). owner is the holder's random id; expires_at is
-- the end of its lease, on the database's clock (UTC): the holder renews it
-- while it holds the lock and deletes the row when done, and a row whose
-- lease has expired is taken over by the next holder (a holder that died).
-- `dcp-leader migrate` runs this same CREATE before it takes its own lock,
-- so that the first migrate of an empty database has a table to lock in.

CREATE TABLE IF NOT EXISTS dcp_lock (
  name VARCHAR(128) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  owner VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  acquired_at DATETIME(6) NOT NULL,
  expires_at DATETIME(6) NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (9, 'lock', NOW(6));
