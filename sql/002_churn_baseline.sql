-- Churn gains the repository's lines without AI evidence beside the AI lines (the comparison the
-- churn summary shows), and outcomes record which mainline commit carries each commit, so a squash
-- or rebase copy's lines are counted once. Event tables are rebuilt by the next ingest.

ALTER TABLE event_commit_outcomes ADD COLUMN mainline_sha TEXT; -- the mainline commit that carries it (itself when an ancestor)

DROP TABLE event_commit_churn;

-- Grain: one row per mainline commit (a non-merge ancestor of the mainline tip); zeros for one
--   that adds no non-trivial line.
CREATE TABLE event_commit_churn (
  repo_id                        TEXT NOT NULL,
  sha                            TEXT NOT NULL,
  window_days                    INTEGER NOT NULL,
  ai_lines_reaching_mainline     INTEGER NOT NULL,   -- its non-trivial added lines written by AI (its own, or of the branch commits it carries)
  ai_lines_churned               INTEGER NOT NULL,   -- of those, deleted or modified by mainline within the window
  nonai_lines_reaching_mainline  INTEGER NOT NULL,   -- its other non-trivial added lines (no AI evidence)
  nonai_lines_churned            INTEGER NOT NULL,   -- of those, deleted or modified by mainline within the window
  window_closed                  INTEGER NOT NULL,   -- 1 when reached_mainline_at + window is past
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;

-- The outcome builder skips work when no ref moved; the new column needs one full build.
DELETE FROM paceflow_meta WHERE key LIKE 'outcomes_state:%';
