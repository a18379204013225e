-- Sessions stored with no repository although their working directory is in one paceflow knows.
--
-- Why: until this version the path resolver keyed a path's work tree by its parent directory, so
-- in one run a session whose cwd was ~/code/two, read after one in ~/code/one, resolved outside
-- one's work tree and was stored with no repository (its edits, resolved by their files, were
-- right). A later read of its transcript would mend it, but a finished session is never read
-- again. Here: the repository whose main work tree holds the cwd (the innermost when nested); the
-- session's events are owed again (their rows carry the repository), and the replay point and
-- task-link triggers of a session update take it from there. A linked worktree's cwd is not under
-- its main work tree, and stays as it was until its transcript is read again.
INSERT OR IGNORE INTO paceflow_owed_session_events (session_id)
SELECT s.session_id FROM metadata_sessions s
WHERE s.repo_id IS NULL AND s.cwd IS NOT NULL
  AND EXISTS (SELECT 1 FROM metadata_repositories r
              WHERE s.cwd = r.root_path OR substr(s.cwd, 1, length(r.root_path) + 1) = r.root_path || '/');

UPDATE metadata_sessions SET repo_id = (
  SELECT r.repo_id FROM metadata_repositories r
  WHERE metadata_sessions.cwd = r.root_path OR substr(metadata_sessions.cwd, 1, length(r.root_path) + 1) = r.root_path || '/'
  ORDER BY length(r.root_path) DESC LIMIT 1)
WHERE repo_id IS NULL AND cwd IS NOT NULL
  AND EXISTS (SELECT 1 FROM metadata_repositories r
              WHERE metadata_sessions.cwd = r.root_path OR substr(metadata_sessions.cwd, 1, length(r.root_path) + 1) = r.root_path || '/');
