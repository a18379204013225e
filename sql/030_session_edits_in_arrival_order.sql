-- fact_session_file_edits becomes a rowid table: its rows are stored in the order they were
-- written (a transcript's edits together), and its key, (session_id, edit_id), is a unique index
-- beside them. The grain and every column stay.
--
-- Why: clustered on the key, each edit a transcript read wrote went to the place of its session's
-- random id in a b-tree of fat rows (the text the edit added and removed: ~3 KB on the 80k bench
-- history's 27,141 edits, mostly in overflow pages), so nearly every insert split or rebalanced a
-- page of large cells. The same rows inserted in random key order by a script, 500 to a
-- transaction, with this file's indexes: 1.97–2.09 s of CPU and a 104 MB file clustered against
-- 0.74–0.98 s and 58 MB this way (bench/README, session 57). The key's index holds two short ids
-- a row; the secondary indexes end in a rowid instead of the key.

ALTER TABLE fact_session_file_edits RENAME TO fact_session_file_edits_before_030;

-- Grain: one row per file edit a session attempted (applied, rejected or failed).
CREATE TABLE fact_session_file_edits (
  session_id    TEXT NOT NULL,
  edit_id       TEXT NOT NULL,
  record_id     TEXT,                        -- the record that carried the edit
  tool_name     TEXT NOT NULL,
  abs_path      TEXT NOT NULL,               -- local only
  repo_id       TEXT,
  path          TEXT,                        -- repo-relative; NULL outside any repository
  status        TEXT NOT NULL CHECK (status IN ('applied', 'rejected', 'failed', 'pending')), -- pending: no result seen
  timestamp     TEXT,
  added_text    TEXT,                        -- the lines the edit really added (local only)
  removed_text  TEXT,
  text_source   TEXT,                        -- where added_text came from: 'result' (applied diff) or 'input'
  user_modified INTEGER NOT NULL DEFAULT 0,  -- the person changed the proposal before accepting
  source_path   TEXT NOT NULL,               -- local only
  PRIMARY KEY (session_id, edit_id)
);

-- A transcript's edits together, in the order its file holds them as far as the ids tell.
INSERT INTO fact_session_file_edits
  SELECT session_id, edit_id, record_id, tool_name, abs_path, repo_id, path, status, timestamp, added_text,
    removed_text, text_source, user_modified, source_path
  FROM fact_session_file_edits_before_030 ORDER BY source_path, session_id, edit_id;

-- Its indexes and the replay triggers go with the old table.
DROP TABLE fact_session_file_edits_before_030;

CREATE INDEX fact_session_file_edits_by_edit ON fact_session_file_edits (edit_id);
CREATE INDEX fact_session_file_edits_by_source ON fact_session_file_edits (source_path, status);
CREATE INDEX fact_session_file_edits_by_path ON fact_session_file_edits (repo_id, path) WHERE status = 'applied';

-- The replay triggers, as sql/023 made them.
CREATE TRIGGER paceflow_attribution_edit_delete AFTER DELETE ON fact_session_file_edits
WHEN OLD.repo_id IS NOT NULL AND OLD.timestamp IS NOT NULL
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at) VALUES (OLD.repo_id, coalesce(unixepoch(OLD.timestamp), 1) - 1) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER paceflow_attribution_edit_insert AFTER INSERT ON fact_session_file_edits
WHEN NEW.repo_id IS NOT NULL AND NEW.timestamp IS NOT NULL
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at) VALUES (NEW.repo_id, coalesce(unixepoch(NEW.timestamp), 1) - 1) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER paceflow_attribution_edit_update AFTER UPDATE ON fact_session_file_edits
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at)
  SELECT OLD.repo_id, coalesce(unixepoch(OLD.timestamp), 1) - 1 WHERE OLD.repo_id IS NOT NULL AND OLD.timestamp IS NOT NULL ON CONFLICT DO NOTHING;
  INSERT INTO paceflow_attribution_from (repo_id, at)
  SELECT NEW.repo_id, coalesce(unixepoch(NEW.timestamp), 1) - 1 WHERE NEW.repo_id IS NOT NULL AND NEW.timestamp IS NOT NULL ON CONFLICT DO NOTHING;
END;
