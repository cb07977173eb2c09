-- Jobs (issue 12): each run is pinned to the job it was planned with (its
-- name, its file, the file's sha256), and its topology is opaque bytes
-- (binary-safe, any size up to DCP_MAX_TOPOLOGY_MIB) stored in chunks that
-- each fit the server's max_allowed_packet, with their sha256.
--
-- Runs recorded before this migration belong to the reference job, and
-- their topology text (run_context.topology) is copied to a chunk of its
-- own: every run is read the same way. New runs leave run_context.topology
-- empty, so a worker of an earlier version cannot compute them: upgrade
-- the workers before the leader (docs/deployment.md).

ALTER TABLE run
  ADD COLUMN job_name VARCHAR(64) CHARACTER SET ascii COLLATE ascii_bin NOT NULL
    DEFAULT 'reference' AFTER trigger_kind,
  ADD COLUMN job_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL AFTER job_name,
  ADD KEY ix_run_job_created_at (job_name, created_at);

-- The job file a run was planned with, as given.
CREATE TABLE run_job (
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL PRIMARY KEY,
  job_text MEDIUMTEXT NOT NULL
) ENGINE=InnoDB DEFAULT CHARSET=utf8mb4;

ALTER TABLE run_context
  ADD COLUMN topology_bytes BIGINT NOT NULL DEFAULT 0,
  ADD COLUMN topology_sha256 CHAR(64) CHARACTER SET ascii COLLATE ascii_bin NULL;

CREATE TABLE run_topology_chunk (
  run_id CHAR(36) CHARACTER SET ascii COLLATE ascii_bin NOT NULL,
  seq INT NOT NULL,
  chunk LONGBLOB NOT NULL,
  PRIMARY KEY (run_id, seq)
) ENGINE=InnoDB;

INSERT IGNORE INTO run_topology_chunk (run_id, seq, chunk)
  SELECT run_id, 0, CAST(topology AS BINARY) FROM run_context
  WHERE topology_sha256 IS NULL AND LENGTH(topology) > 0;
UPDATE run_context
  SET topology_bytes = LENGTH(topology), topology_sha256 = SHA2(CAST(topology AS BINARY), 256)
  WHERE topology_sha256 IS NULL;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (7, 'jobs', NOW(6));
