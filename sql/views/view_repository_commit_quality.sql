-- view_repository_commit_quality
-- Grain: one row per repository.
-- Meaning: what a repository's commits say about AI involvement. Marker columns come from git
--   alone (trailers and author markers: a lower bound); the attribution columns come from matching
--   commits' added lines against the lines AI sessions wrote (or notes, or trailers as a fallback).
--   A commit with no evidence is untracked, never counted as human: read every share beside its
--   coverage.
-- Columns:
--   repo_id, mainline_branch, is_shallow (1: history is cut off and counts are partial)
--   commits              commits reachable from any branch, remote branch or tag (history rewritten
--                        away by an amend, rebase or deleted branch no longer counts)
--   merge_commits        commits with two or more parents
--   non_merge_commits    commits with at most one parent (the base of the AI columns)
--   ai_marked_commits    non-merge commits with an AI marker of any provider
--   ai_marked_share      ai_marked_commits / non_merge_commits (NULL when there are none)
--   ai_marked_providers  number of distinct providers named by markers
--   attributed_commits   non-merge commits with an attribution (transcript, note or trailer)
--   coverage             attributed_commits / commits with an outcome (tracked share)
--   nontrivial_added_lines  non-trivial lines added by non-merge commits (DESIGN §4)
--   ai_lines             of those, lines attributed to an AI session (trailer commits count whole)
--   ai_share             ai_lines / nontrivial_added_lines
--   heavy_ai_commits     commits with ai_share ≥ the heavy-AI threshold and enough lines
--   heavy_ai_merged_rate     heavy-AI commits that reached mainline / heavy-AI commits old enough
--                            to judge (mergedMinAgeDays, default 14)
--   heavy_ai_reverted_rate   heavy-AI mainline commits reverted within the window / those whose
--                            window (revertWindowDays, default 30) has closed
--   merged_commits       commits that reached mainline (ancestor, patch-id, squash or content)
--   first_commit_at, last_commit_at   committer times, ISO-8601 UTC
CREATE VIEW view_repository_commit_quality AS
WITH marks AS (
  SELECT
    r.repo_id,
    r.mainline_branch,
    r.is_shallow,
    count(c.sha) AS commits,
    coalesce(sum(c.is_merge), 0) AS merge_commits,
    count(c.sha) - coalesce(sum(c.is_merge), 0) AS non_merge_commits,
    count(CASE WHEN c.is_merge = 0 AND c.ai_marker IS NOT NULL THEN 1 END) AS ai_marked_commits,
    count(DISTINCT CASE WHEN c.is_merge = 0 THEN c.ai_marker END) AS ai_marked_providers,
    min(c.committed_at) AS first_commit_at,
    max(c.committed_at) AS last_commit_at
  FROM metadata_repositories r
  LEFT JOIN metadata_commits c ON c.repo_id = r.repo_id AND c.is_unreachable = 0
  GROUP BY r.repo_id, r.mainline_branch, r.is_shallow
),
outcomes AS (
  SELECT repo_id,
    count(*) AS with_outcome,
    count(CASE WHEN attribution_coverage = 'tracked' THEN 1 END) AS attributed_commits,
    sum(nontrivial_added_lines) AS nontrivial_added_lines,
    sum(ai_lines) AS ai_lines,
    sum(heavy_ai) AS heavy_ai_commits,
    sum(CASE WHEN heavy_ai = 1 AND merge_window_closed = 1 THEN merged_to_mainline END) AS heavy_merged,
    count(CASE WHEN heavy_ai = 1 AND merge_window_closed = 1 AND merged_to_mainline IS NOT NULL THEN 1 END) AS heavy_judged,
    sum(CASE WHEN heavy_ai = 1 AND merged_to_mainline = 1 AND revert_window_closed = 1 THEN reverted_later END) AS heavy_reverted,
    count(CASE WHEN heavy_ai = 1 AND merged_to_mainline = 1 AND revert_window_closed = 1 THEN 1 END) AS heavy_revert_judged,
    sum(merged_to_mainline) AS merged_commits
  FROM event_commit_outcomes
  GROUP BY repo_id
)
SELECT
  m.repo_id, m.mainline_branch, m.is_shallow, m.commits, m.merge_commits, m.non_merge_commits,
  m.ai_marked_commits,
  round(1.0 * m.ai_marked_commits / nullif(m.non_merge_commits, 0), 4) AS ai_marked_share,
  m.ai_marked_providers,
  coalesce(o.attributed_commits, 0) AS attributed_commits,
  round(1.0 * o.attributed_commits / nullif(o.with_outcome, 0), 4) AS coverage,
  coalesce(o.nontrivial_added_lines, 0) AS nontrivial_added_lines,
  coalesce(o.ai_lines, 0) AS ai_lines,
  round(1.0 * o.ai_lines / nullif(o.nontrivial_added_lines, 0), 4) AS ai_share,
  coalesce(o.heavy_ai_commits, 0) AS heavy_ai_commits,
  round(1.0 * o.heavy_merged / nullif(o.heavy_judged, 0), 4) AS heavy_ai_merged_rate,
  round(1.0 * o.heavy_reverted / nullif(o.heavy_revert_judged, 0), 4) AS heavy_ai_reverted_rate,
  o.merged_commits,
  m.first_commit_at, m.last_commit_at
FROM marks m
LEFT JOIN outcomes o ON o.repo_id = m.repo_id;
