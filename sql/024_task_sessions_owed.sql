-- Task links are made again for the sessions whose inputs changed, not for every session of the
-- repository (src/builders/tasks.ts linkSessions). Until now a generation of each input (the
-- sessions, the commit links, the AI lines) said "something changed" and every session was linked
-- again: 0.10 s of the hooks' worker's 0.40 s after an AI commit on the 80k bench history (3,049
-- sessions), and growing with every session a machine keeps.
--
-- Grain: one row per session whose task links are owed. Filled by the triggers below (a session's
-- row, its rebuilt message events, its transcript attributions: of sessions in a repository, the
-- only ones linked) and by the task builder (the sessions a changed commit link can move); emptied
-- as the links are made, in that transaction.
-- (The triggers write with ON CONFLICT DO NOTHING: see sql/023.)
CREATE TABLE paceflow_owed_task_sessions (
  session_id  TEXT PRIMARY KEY
) WITHOUT ROWID;

-- A session's transcript attributions, asked for one session at a time.
CREATE INDEX event_commit_attributions_by_session ON event_commit_attributions (session_id) WHERE source = 'transcript';

CREATE TRIGGER paceflow_task_sessions_session_insert AFTER INSERT ON metadata_sessions
WHEN NEW.repo_id IS NOT NULL
BEGIN
  INSERT INTO paceflow_owed_task_sessions (session_id) VALUES (NEW.session_id) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER paceflow_task_sessions_session_update AFTER UPDATE ON metadata_sessions
WHEN OLD.git_branch IS NOT NEW.git_branch OR OLD.started_at IS NOT NEW.started_at OR OLD.ended_at IS NOT NEW.ended_at
  OR OLD.session_kind IS NOT NEW.session_kind OR OLD.repo_id IS NOT NEW.repo_id OR OLD.session_id IS NOT NEW.session_id
BEGIN
  INSERT INTO paceflow_owed_task_sessions (session_id) SELECT OLD.session_id WHERE OLD.repo_id IS NOT NULL ON CONFLICT DO NOTHING;
  INSERT INTO paceflow_owed_task_sessions (session_id) SELECT NEW.session_id WHERE NEW.repo_id IS NOT NULL ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER paceflow_task_sessions_session_delete AFTER DELETE ON metadata_sessions
WHEN OLD.repo_id IS NOT NULL
BEGIN
  INSERT INTO paceflow_owed_task_sessions (session_id) VALUES (OLD.session_id) ON CONFLICT DO NOTHING;
END;

-- The session events builder writes one quality row for each session it builds: its prompts (and
-- which of them are typed by a person) may have changed.
CREATE TRIGGER paceflow_task_sessions_events AFTER INSERT ON event_session_quality
WHEN NEW.repo_id IS NOT NULL
BEGIN
  INSERT INTO paceflow_owed_task_sessions (session_id) VALUES (NEW.session_id) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER paceflow_task_sessions_attribution_insert AFTER INSERT ON event_commit_attributions
WHEN NEW.source = 'transcript'
BEGIN
  INSERT INTO paceflow_owed_task_sessions (session_id) VALUES (NEW.session_id) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER paceflow_task_sessions_attribution_delete AFTER DELETE ON event_commit_attributions
WHEN OLD.source = 'transcript'
BEGIN
  INSERT INTO paceflow_owed_task_sessions (session_id) VALUES (OLD.session_id) ON CONFLICT DO NOTHING;
END;

CREATE TRIGGER paceflow_task_sessions_attribution_update AFTER UPDATE ON event_commit_attributions
WHEN OLD.source = 'transcript' OR NEW.source = 'transcript'
BEGIN
  INSERT INTO paceflow_owed_task_sessions (session_id) VALUES (OLD.session_id) ON CONFLICT DO NOTHING;
  INSERT INTO paceflow_owed_task_sessions (session_id) VALUES (NEW.session_id) ON CONFLICT DO NOTHING;
END;

-- Every session is linked again once: the queue starts empty, and the window now counts from the
-- second a session started (a commit in that second may be after its first record).
DELETE FROM paceflow_meta WHERE key LIKE 'tasks_sessions:%';

-- The generations only the task builder read.
DROP TRIGGER IF EXISTS paceflow_sessions_gen_insert;
DROP TRIGGER IF EXISTS paceflow_sessions_gen_update;
DROP TRIGGER IF EXISTS paceflow_sessions_gen_delete;
DELETE FROM paceflow_meta WHERE key LIKE 'sessions_gen:%' OR key LIKE 'task_links_gen:%';
