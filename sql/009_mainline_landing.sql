-- The ancestor rule's walk of mainline (DESIGN §4), kept between builds: every commit reachable
-- from the repository's mainline tip, the first-parent commit that brought it in (itself, or the
-- merge that introduced it) and that commit's committer time. A function of the tip alone (git
-- objects never change), so it stands while the tip stays; when mainline moves forward along its
-- first parents only the new commits are walked and appended. The tip it describes is
-- paceflow_meta 'mainline_landing:<repo_id>'. Without it every build walked the whole history
-- (`git rev-list --parents`, over a second on git's own 85k commits) after every commit.
-- committed_at: the commit's own committer time; is_merge: it has more than one parent. A build
-- that checks a few commits asks it by key and by index (seq: landing order) instead of loading it.
-- Grain: one row per repository and commit.
CREATE TABLE paceflow_mainline_landing (
  repo_id       TEXT NOT NULL,
  sha           TEXT NOT NULL,
  via_sha       TEXT NOT NULL,
  landed_at     INTEGER NOT NULL, -- seconds
  committed_at  INTEGER NOT NULL, -- seconds
  is_merge      INTEGER NOT NULL,
  seq           INTEGER NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;
CREATE INDEX paceflow_mainline_landing_by_seq ON paceflow_mainline_landing (repo_id, seq);
CREATE INDEX paceflow_mainline_landing_by_time ON paceflow_mainline_landing (repo_id, committed_at);

-- Squash by pull request number finds the mainline commit that landed PR N by index.
CREATE INDEX metadata_commits_by_pr ON metadata_commits (repo_id, pr_number) WHERE pr_number IS NOT NULL;
