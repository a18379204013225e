-- Work a run owes is recorded in the same transaction as the rows that create it, and removed in
-- the one that does it: a run killed in between leaves it here, and the next run finishes it.

-- Sessions whose transcript rows changed and whose session events are not rebuilt yet.
CREATE TABLE paceflow_owed_session_events (
  session_id TEXT PRIMARY KEY
) WITHOUT ROWID;

-- Session titles read from summary lines; the record they name may sit in a file read later in the
-- same run, so they are applied (in the order read) once every file is read.
CREATE TABLE paceflow_owed_titles (
  leaf_record_id TEXT NOT NULL,
  title          TEXT NOT NULL
);

-- Grain: one row per transcript paceflow found but could not read (no permission, cannot
--   decompress); it is tried again every run and its row goes when it is read.
CREATE TABLE fact_unreadable_sources (
  source_path TEXT PRIMARY KEY,
  provider    TEXT NOT NULL,
  reason      TEXT NOT NULL,   -- one line: why (e.g. "permission denied (EACCES)")
  seen_at     TEXT NOT NULL    -- the last run that could not read it
) WITHOUT ROWID;

-- Grain: one row per ref of a repository with a problem: its history could not be read (objects
--   missing from a partial or damaged clone: skipped, retried every run), or it shares no history
--   with mainline (an orphan branch, e.g. a tool's data branch: read, and reported).
CREATE TABLE fact_ref_problems (
  repo_id  TEXT NOT NULL,
  ref_name TEXT NOT NULL,
  kind     TEXT NOT NULL CHECK (kind IN ('unreadable', 'orphan')),
  object   TEXT,                -- the object git named as missing, when it said
  reason   TEXT NOT NULL,       -- git's one-line complaint, or why it is an orphan
  seen_at  TEXT NOT NULL,
  PRIMARY KEY (repo_id, ref_name)
) WITHOUT ROWID;
