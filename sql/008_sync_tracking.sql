-- What a sync to a team warehouse needs to send only what changed (DESIGN §9, src/sync/).
--
-- Change log: which groups of the contract tables (a session, a commit, a repository) were written
-- since a warehouse last took them. Triggers fill it — created by the first `paceflow sync`, so a
-- database that never syncs pays nothing — stamped with the sync clock (paceflow_meta
-- 'sync_clock'), which each sync advances before it reads. A builder that rewrites rows it already
-- had (a rebuild) only logs their groups: the sync compares each group's content with what the
-- warehouse last took (paceflow_sync_groups) and sends only the groups that differ.
CREATE TABLE paceflow_sync_changes (
  table_name  TEXT NOT NULL,
  k1          TEXT NOT NULL,             -- the group's first column (session_id, repo_id)
  k2          TEXT NOT NULL DEFAULT '',  -- its second (sha), '' for one-column groups
  seq         INTEGER NOT NULL,          -- the sync clock when it was written
  PRIMARY KEY (table_name, k1, k2)
) WITHOUT ROWID;
CREATE INDEX paceflow_sync_changes_by_seq ON paceflow_sync_changes (seq);

-- Grain: one row per warehouse this database syncs to (id: a hash of host, port, database and
-- schema — never the credentials).
CREATE TABLE paceflow_sync_targets (
  target_id       TEXT PRIMARY KEY,
  label           TEXT NOT NULL,           -- host:port/database, for messages
  synced_through  INTEGER,                 -- changes with seq below this are in the warehouse; NULL: never fully synced
  last_sync_at    TEXT
) WITHOUT ROWID;

-- Grain: one row per (warehouse, contract table, group) the warehouse holds from this machine: the
-- hash of the group's rows as sent.
CREATE TABLE paceflow_sync_groups (
  target_id   TEXT NOT NULL,
  table_name  TEXT NOT NULL,
  k1          TEXT NOT NULL,
  k2          TEXT NOT NULL DEFAULT '',
  hash        TEXT NOT NULL,
  PRIMARY KEY (target_id, table_name, k1, k2)
) WITHOUT ROWID;

-- The sync reads task links by commit and by session (its groups), not by task key.
CREATE INDEX event_task_commits_by_commit ON event_task_commits (repo_id, sha);
CREATE INDEX event_task_sessions_by_session ON event_task_sessions (session_id);
