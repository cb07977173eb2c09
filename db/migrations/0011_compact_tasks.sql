-- Compact task rows (issue 16): the ids in 16 bytes, the status in one, the
-- result in the task's own row. run_process keeps every column it had,
-- under its name and in its place: run_id and task_id are text again as
-- virtual columns (computed when read, stored nowhere) of the INVISIBLE
-- BINARY(16) run_key and task_key, which hold the ids and their indexes
-- (task_key unique), so SELECT * reads as before. task_status is an ENUM,
-- its values in alphabetical order (sorting and grouping by it order as the
-- text did). The result of a FINISHED task is written by the same UPDATE
-- that finishes it, into the INVISIBLE computation and result columns
-- (was a second row, in task_result, with two indexes of its own);
-- task_result is now a view of them, to read.
--
-- The move of the rows is not online: run it with no worker or leader
-- running (docs/deployment.md, "Upgrading to migration 11"). It copies
-- 50,000 rows a statement, each statement repeated while it copies rows
-- (dcp-leader migrate; the MySQL image's first start runs it once, on no
-- rows); an interrupted migrate goes on from the last copied row.

CREATE TABLE IF NOT EXISTS run_process_compact (
  id BIGINT NOT NULL AUTO_INCREMENT PRIMARY KEY,
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin
    AS (LOWER(INSERT(INSERT(INSERT(INSERT(HEX(run_key), 9, 0, '-'), 14, 0, '-'), 19, 0, '-'), 24, 0, '-'))) VIRTUAL,
  task_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin
    AS (LOWER(INSERT(INSERT(INSERT(INSERT(HEX(task_key), 9, 0, '-'), 14, 0, '-'), 19, 0, '-'), 24, 0, '-'))) VIRTUAL,
  task_status ENUM('CANCELLED', 'FAILED', 'FINISHED', 'QUEUED', 'STARTED') CHARACTER SET ascii NOT NULL,
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
  params TEXT NULL,
  run_key BINARY(16) NULL INVISIBLE COMMENT 'run_id in 16 bytes; NULL: a malformed message of no run',
  task_key BINARY(16) NOT NULL DEFAULT '' INVISIBLE COMMENT 'task_id in 16 bytes (a default: MariaDB wants one)',
  computation VARCHAR(32) NULL INVISIBLE COMMENT 'of the result',
  result MEDIUMTEXT NULL INVISIBLE COMMENT 'the output of a FINISHED task',
  UNIQUE KEY uq_run_process_task_key (task_key),
  KEY ix_run_process_run_status (run_key, task_status),
  KEY ix_run_process_run_seq (run_key, seq)
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

-- dcp-migrate: repeat while it changes rows
INSERT INTO run_process_compact (id, run_key, task_key, task_status, seq, selection, start_date,
    end_date, attempt, worker, queued_at, started_at, finished_at, error, params, computation, result)
  SELECT p.id, UNHEX(REPLACE(p.run_id, '-', '')), UNHEX(REPLACE(p.task_id, '-', '')), p.task_status,
    p.seq, p.selection, p.start_date, p.end_date, p.attempt, p.worker, p.queued_at, p.started_at,
    p.finished_at, p.error, p.params, r.computation, r.body
  FROM run_process p LEFT JOIN task_result r ON r.task_id = p.task_id
  WHERE p.id > (SELECT COALESCE(MAX(c.id), 0) FROM run_process_compact c)
  ORDER BY p.id LIMIT 50000;

RENAME TABLE run_process TO run_process_0010, run_process_compact TO run_process;

DROP TABLE run_process_0010, task_result;

CREATE VIEW task_result AS
  SELECT task_id, run_id, computation, result AS body, finished_at AS created_at
  FROM run_process WHERE result IS NOT NULL;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (11, 'compact_tasks', NOW(6));
