-- Every trigger that queues work writes with `ON CONFLICT DO NOTHING`, not `INSERT OR IGNORE`.
--
-- Why: SQLite lets the statement that fires a trigger impose its conflict policy on the trigger's
-- statements. The session writer upserts metadata_sessions (INSERT … ON CONFLICT DO UPDATE), and
-- through that path `INSERT OR IGNORE` in a trigger aborts on a conflict instead of skipping the
-- row: a transcript that grew after it was read (its session's end moves, its start and repository
-- do not) made paceflow_attribution_session_update insert the same replay point twice, and the
-- ingest failed with "UNIQUE constraint failed: paceflow_attribution_from.repo_id,
-- paceflow_attribution_from.at" — the hooks' worker after every commit while a session went on. An
-- upsert clause in the trigger's own statement is not overridden. The bodies are otherwise those of
-- sql/010, sql/011 and sql/021.

DROP TRIGGER paceflow_attribution_edit_delete;
CREATE TRIGGER paceflow_attribution_edit_delete AFTER DELETE ON fact_session_file_edits
WHEN OLD.repo_id IS NOT NULL AND OLD.timestamp IS NOT NULL
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at) VALUES (OLD.repo_id, coalesce(unixepoch(OLD.timestamp), 1) - 1) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_edit_insert;
CREATE TRIGGER paceflow_attribution_edit_insert AFTER INSERT ON fact_session_file_edits
WHEN NEW.repo_id IS NOT NULL AND NEW.timestamp IS NOT NULL
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at) VALUES (NEW.repo_id, coalesce(unixepoch(NEW.timestamp), 1) - 1) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_edit_update;
CREATE TRIGGER paceflow_attribution_edit_update AFTER UPDATE ON fact_session_file_edits
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at)
  SELECT OLD.repo_id, coalesce(unixepoch(OLD.timestamp), 1) - 1 WHERE OLD.repo_id IS NOT NULL AND OLD.timestamp IS NOT NULL ON CONFLICT DO NOTHING;
  INSERT INTO paceflow_attribution_from (repo_id, at)
  SELECT NEW.repo_id, coalesce(unixepoch(NEW.timestamp), 1) - 1 WHERE NEW.repo_id IS NOT NULL AND NEW.timestamp IS NOT NULL ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_note_delete;
CREATE TRIGGER paceflow_attribution_note_delete AFTER DELETE ON fact_commit_notes
BEGIN
  INSERT INTO paceflow_unattributed (repo_id, sha) VALUES (OLD.repo_id, OLD.sha) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_note_insert;
CREATE TRIGGER paceflow_attribution_note_insert AFTER INSERT ON fact_commit_notes
BEGIN
  INSERT INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_note_update;
CREATE TRIGGER paceflow_attribution_note_update AFTER UPDATE ON fact_commit_notes
WHEN OLD.note_text IS NOT NEW.note_text
BEGIN
  INSERT INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_session_delete;
CREATE TRIGGER paceflow_attribution_session_delete AFTER DELETE ON metadata_sessions
WHEN OLD.repo_id IS NOT NULL
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at) VALUES (OLD.repo_id, coalesce(unixepoch(OLD.started_at), 1) - 1) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_session_insert;
CREATE TRIGGER paceflow_attribution_session_insert AFTER INSERT ON metadata_sessions
WHEN NEW.repo_id IS NOT NULL
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at) VALUES (NEW.repo_id, coalesce(unixepoch(NEW.started_at), 1) - 1) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_attribution_session_update;
CREATE TRIGGER paceflow_attribution_session_update AFTER UPDATE ON metadata_sessions
WHEN OLD.parent_session_id IS NOT NEW.parent_session_id OR OLD.session_kind IS NOT NEW.session_kind OR OLD.model IS NOT NEW.model
  OR OLD.provider IS NOT NEW.provider OR OLD.repo_id IS NOT NEW.repo_id OR OLD.started_at IS NOT NEW.started_at OR OLD.ended_at IS NOT NEW.ended_at
BEGIN
  INSERT INTO paceflow_attribution_from (repo_id, at)
  SELECT OLD.repo_id, coalesce(unixepoch(OLD.started_at), 1) - 1 WHERE OLD.repo_id IS NOT NULL ON CONFLICT DO NOTHING;
  INSERT INTO paceflow_attribution_from (repo_id, at)
  SELECT NEW.repo_id, coalesce(unixepoch(NEW.started_at), 1) - 1 WHERE NEW.repo_id IS NOT NULL ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_unattributed_insert;
CREATE TRIGGER paceflow_unattributed_insert AFTER INSERT ON metadata_commits
WHEN NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0
BEGIN
  INSERT INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_unattributed_update;
CREATE TRIGGER paceflow_unattributed_update AFTER UPDATE OF is_unreachable, is_shallow_boundary ON metadata_commits
WHEN NEW.is_merge = 0 AND NEW.is_shallow_boundary = 0 AND NEW.is_unreachable = 0
  AND (OLD.is_unreachable = 1 OR OLD.is_shallow_boundary = 1)
BEGIN
  INSERT INTO paceflow_unattributed (repo_id, sha) VALUES (NEW.repo_id, NEW.sha) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_untasked_insert;
CREATE TRIGGER paceflow_untasked_insert AFTER INSERT ON metadata_commits
WHEN NEW.is_unreachable = 0
BEGIN
  INSERT INTO paceflow_untasked (repo_id, sha) VALUES (NEW.repo_id, NEW.sha) ON CONFLICT DO NOTHING;
END;

DROP TRIGGER paceflow_untasked_update;
CREATE TRIGGER paceflow_untasked_update AFTER UPDATE OF is_unreachable ON metadata_commits
WHEN NEW.is_unreachable = 0 AND OLD.is_unreachable = 1
BEGIN
  INSERT INTO paceflow_untasked (repo_id, sha) VALUES (NEW.repo_id, NEW.sha) ON CONFLICT DO NOTHING;
END;
