-- Retention (issue 16): `dcp purge --older-than AGE` and the leader's
-- DCP_RETENTION_DAYS remove the runs whose last activity is older than
-- AGE. last_activity_at is when a task of the run last changed its
-- counters (set by the same UPDATE, no extra write): a run of another
-- producer ('external') never ends, and is purged once it has been quiet
-- for AGE. NULL for the runs of earlier versions: their created_at,
-- published_at and finished_at stand in. A NULL column is added in place
-- (no table copy) by MySQL 8 and MariaDB 10.3 and later.

ALTER TABLE run ADD COLUMN last_activity_at DATETIME(6) NULL;

INSERT IGNORE INTO schema_migrations (version, name, applied_at) VALUES (10, 'retention', NOW(6));
