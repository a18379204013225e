-- Winners recomputed per commit, not per repository, when a sync changed only some commits: the
-- commits whose rows changed and the mainline commits their outcomes carry to (written in the same
-- transaction as the rows, removed by the winners step). A whole repository is recomputed only when
-- a machine's view of its mainline moved.
CREATE TABLE sync_pending_commits (
  repo_id  text NOT NULL,
  sha      text NOT NULL,
  PRIMARY KEY (repo_id, sha)
);
