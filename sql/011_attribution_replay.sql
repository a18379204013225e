-- Attribution that replays only what changed (DESIGN §4's rule is sequential: each commit, in
-- commit order, takes the latest unused write of a line; so a commit's lines depend on what every
-- earlier commit took). Two pieces make a replay from a point in time possible:
--
-- paceflow_ai_lines: what each commit took — the edit and the path it was written to, the commit's
-- own path and the normalized line, the provider, how many. It is the state of "used" writes before
-- any commit (the rows of earlier commits), and the AI lines churn and release figures follow.
-- Local only: line text never leaves the machine (not in the sync contract).
-- Grain: one row per repository, commit, edit, written path, committed path and line.
CREATE TABLE paceflow_ai_lines (
  repo_id     TEXT NOT NULL,
  sha         TEXT NOT NULL,
  edit_id     TEXT NOT NULL,
  write_path  TEXT NOT NULL,
  path        TEXT NOT NULL,
  line        TEXT NOT NULL,
  provider    TEXT NOT NULL,
  n           INTEGER NOT NULL,
  PRIMARY KEY (repo_id, sha, edit_id, write_path, path, line)
) WITHOUT ROWID;
CREATE INDEX paceflow_ai_lines_by_write_path ON paceflow_ai_lines (repo_id, write_path);

-- paceflow_attribution_from: the earliest time (seconds) from which commits must be attributed
-- again: a write added, changed or gone (it can be taken by commits from a second before it), a
-- session whose parent, kind, model or span changed (its credit and its note), an aider commit
-- record. Filled by triggers as transcripts are read; emptied when a run has replayed from there.
-- New commits come from paceflow_unattributed, notes that changed put their commit there too.
-- Grain: one row per repository and second.
CREATE TABLE paceflow_attribution_from (
  repo_id  TEXT NOT NULL,
  at       INTEGER NOT NULL,
  PRIMARY KEY (repo_id, at)
) WITHOUT ROWID;

-- A database attributed before this version replays everything once.
INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) SELECT repo_id, 0 FROM metadata_repositories;

CREATE TRIGGER paceflow_attribution_edit_insert AFTER INSERT ON fact_session_file_edits
WHEN NEW.repo_id IS NOT NULL AND NEW.timestamp IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) VALUES (NEW.repo_id, coalesce(unixepoch(NEW.timestamp), 1) - 1);
END;

CREATE TRIGGER paceflow_attribution_edit_delete AFTER DELETE ON fact_session_file_edits
WHEN OLD.repo_id IS NOT NULL AND OLD.timestamp IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) VALUES (OLD.repo_id, coalesce(unixepoch(OLD.timestamp), 1) - 1);
END;

CREATE TRIGGER paceflow_attribution_edit_update AFTER UPDATE ON fact_session_file_edits
BEGIN
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at)
  SELECT OLD.repo_id, coalesce(unixepoch(OLD.timestamp), 1) - 1 WHERE OLD.repo_id IS NOT NULL AND OLD.timestamp IS NOT NULL;
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at)
  SELECT NEW.repo_id, coalesce(unixepoch(NEW.timestamp), 1) - 1 WHERE NEW.repo_id IS NOT NULL AND NEW.timestamp IS NOT NULL;
END;

CREATE TRIGGER paceflow_attribution_session_insert AFTER INSERT ON metadata_sessions
WHEN NEW.repo_id IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) VALUES (NEW.repo_id, coalesce(unixepoch(NEW.started_at), 1) - 1);
END;

CREATE TRIGGER paceflow_attribution_session_update AFTER UPDATE ON metadata_sessions
WHEN OLD.parent_session_id IS NOT NEW.parent_session_id OR OLD.session_kind IS NOT NEW.session_kind OR OLD.model IS NOT NEW.model
  OR OLD.provider IS NOT NEW.provider OR OLD.repo_id IS NOT NEW.repo_id OR OLD.started_at IS NOT NEW.started_at OR OLD.ended_at IS NOT NEW.ended_at
BEGIN
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at)
  SELECT OLD.repo_id, coalesce(unixepoch(OLD.started_at), 1) - 1 WHERE OLD.repo_id IS NOT NULL;
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at)
  SELECT NEW.repo_id, coalesce(unixepoch(NEW.started_at), 1) - 1 WHERE NEW.repo_id IS NOT NULL;
END;

CREATE TRIGGER paceflow_attribution_session_delete AFTER DELETE ON metadata_sessions
WHEN OLD.repo_id IS NOT NULL
BEGIN
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) VALUES (OLD.repo_id, coalesce(unixepoch(OLD.started_at), 1) - 1);
END;

CREATE TRIGGER paceflow_attribution_aider_commit AFTER INSERT ON fact_session_records
WHEN NEW.tool_name = 'aider:commit'
BEGIN
  INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at)
  SELECT s.repo_id, coalesce(unixepoch(NEW.timestamp), 1) - 1 FROM metadata_sessions s
  WHERE s.session_id = NEW.session_id AND s.repo_id IS NOT NULL;
END;

-- A note added, changed or removed: its commit's evidence, that commit alone.
CREATE TRIGGER paceflow_attribution_note_insert AFTER INSERT ON fact_commit_notes
BEGIN
  INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha);
END;

CREATE TRIGGER paceflow_attribution_note_update AFTER UPDATE ON fact_commit_notes
WHEN OLD.note_text IS NOT NEW.note_text
BEGIN
  INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha);
END;

CREATE TRIGGER paceflow_attribution_note_delete AFTER DELETE ON fact_commit_notes
BEGIN
  INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) VALUES (OLD.repo_id, OLD.sha);
END;

-- The notes attribution found a commit should carry and git does not have yet: written in the
-- transaction that attributes the commit, removed once `git notes` holds it. A run killed between
-- the two writes them on the next run (attribution does not redo the commit). Local only.
-- Grain: one row per repository and commit.
CREATE TABLE paceflow_owed_notes (
  repo_id    TEXT NOT NULL,
  sha        TEXT NOT NULL,
  note_text  TEXT NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- Generations the task builder's session links depend on, bumped as the sessions of a repository
-- change (a new one, its branch, its span — new prompts come with a later end), so that a run can
-- tell "nothing changed" without reading every session. paceflow_meta 'sessions_gen:<repo_id>'.
CREATE TRIGGER paceflow_sessions_gen_insert AFTER INSERT ON metadata_sessions
WHEN NEW.repo_id IS NOT NULL
BEGIN
  INSERT INTO paceflow_meta (key, value) VALUES ('sessions_gen:' || NEW.repo_id, '1')
  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;

CREATE TRIGGER paceflow_sessions_gen_update AFTER UPDATE ON metadata_sessions
WHEN OLD.git_branch IS NOT NEW.git_branch OR OLD.started_at IS NOT NEW.started_at OR OLD.ended_at IS NOT NEW.ended_at
  OR OLD.session_kind IS NOT NEW.session_kind OR OLD.repo_id IS NOT NEW.repo_id OR OLD.parent_session_id IS NOT NEW.parent_session_id
BEGIN
  INSERT INTO paceflow_meta (key, value) SELECT 'sessions_gen:' || OLD.repo_id, '1' WHERE OLD.repo_id IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
  INSERT INTO paceflow_meta (key, value) SELECT 'sessions_gen:' || NEW.repo_id, '1' WHERE NEW.repo_id IS NOT NULL
  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;

CREATE TRIGGER paceflow_sessions_gen_delete AFTER DELETE ON metadata_sessions
WHEN OLD.repo_id IS NOT NULL
BEGIN
  INSERT INTO paceflow_meta (key, value) VALUES ('sessions_gen:' || OLD.repo_id, '1')
  ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1;
END;
