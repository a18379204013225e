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

-- The revert edges among mainline commits a build found (DESIGN §4): message and diff-inversion
-- reverts (one target per revert) and partial ones (a revert may partly undo several commits).
-- Kept so that a build after mainline moved on finds the edges of the new commits only and works
-- out whose effective revert changed, instead of every edge of the history again. A build of every
-- outcome replaces them all. Local only.
-- Grain: one row per repository, revert and target.
CREATE TABLE paceflow_revert_edges (
  repo_id      TEXT NOT NULL,
  revert_sha   TEXT NOT NULL,
  target_sha   TEXT NOT NULL,
  kind         TEXT NOT NULL CHECK (kind IN ('message', 'diff-inversion', 'partial')),
  PRIMARY KEY (repo_id, revert_sha, target_sha)
) WITHOUT ROWID;
CREATE INDEX paceflow_revert_edges_by_target ON paceflow_revert_edges (repo_id, target_sha);

-- What that build asks by index: copies by patch-id (and reverts by reversed patch-id), commits by
-- subject (a `Revert "…"` message), outcomes by the mainline commit that carries them, commits not
-- on mainline by when they were written, landings by time.
CREATE INDEX fact_commit_patch_ids_by_forward ON fact_commit_patch_ids (repo_id, forward_id) WHERE forward_id IS NOT NULL;
CREATE INDEX fact_commit_patch_ids_by_reverse ON fact_commit_patch_ids (repo_id, reverse_id) WHERE reverse_id IS NOT NULL;
CREATE INDEX metadata_commits_by_subject ON metadata_commits (repo_id, subject);
CREATE INDEX event_commit_outcomes_by_copy ON event_commit_outcomes (repo_id, mainline_sha) WHERE mainline_sha IS NOT NULL;
CREATE INDEX event_commit_outcomes_unmerged_by_time ON event_commit_outcomes (repo_id, committed_at) WHERE merged_to_mainline = 0;
CREATE INDEX paceflow_mainline_landing_by_landed ON paceflow_mainline_landing (repo_id, landed_at);

-- A replay after a commit reads the writes to the paths its commits touch: by path, not every edit.
CREATE INDEX fact_session_file_edits_by_path ON fact_session_file_edits (repo_id, path) WHERE status = 'applied';
-- The commits aider made, found by index among every transcript record.
CREATE INDEX fact_session_records_aider_commits ON fact_session_records (tool_name) WHERE tool_name = 'aider:commit';
