-- The partial-revert rule's verdicts, kept (DESIGN §4): for a heavy-AI mainline commit, the first
-- later mainline commit in its window that deleted at least half of its surviving lines, or none.
-- A verdict is a function of the commit's diff and of the later commits it was followed through
-- (the first 20 mainline commits in its window that touch its files, in landing order): it holds
-- while that list is the same, which a digest of it says. Local only.
-- Grain: one row per repository and heavy-AI commit checked.
CREATE TABLE paceflow_partial_checks (
  repo_id       TEXT NOT NULL,
  sha           TEXT NOT NULL,
  revert_sha    TEXT,                        -- NULL: no partial revert in the window
  later_digest  TEXT NOT NULL,               -- sha-1 of the later commits it was followed through, in order
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;
