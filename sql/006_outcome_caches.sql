-- The content rule (DESIGN §4) looks up the mainline commits that touched a path: by path, not by
-- scanning every file change of the repository for each commit it checks.
CREATE INDEX metadata_commit_file_changes_by_path ON metadata_commit_file_changes (repo_id, path);

-- What the content rule found for a commit against one mainline tip (a function of the commit and
-- the tip), so a later build reads it instead of the commit's diff and the files of up to 50
-- mainline commits again. While the tip stays, it stands. When mainline moves forward, a verdict
-- carries over unless a new mainline commit touches one of the commit's paths (only those could
-- change it: new commits land after every candidate already checked). copy_sha: the mainline
-- commit that carries its lines, or NULL; candidates: how many mainline commits were checked (50:
-- the cap, so later ones are never looked at).
CREATE TABLE paceflow_content_checks (
  repo_id       TEXT NOT NULL,
  sha           TEXT NOT NULL,
  mainline_tip  TEXT NOT NULL,
  copy_sha      TEXT,
  candidates    INTEGER NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;
