-- view_repository_ai_share_by_month
-- Grain: one row per (repository, calendar month of the commit, UTC).
-- Meaning: how the AI share of a repository's non-trivial added lines moves over time (the Action
--   charts it). Non-merge commits with an outcome; untracked commits count in the denominator, so
--   read the share beside the coverage.
-- Columns:
--   repo_id, month (YYYY-MM)
--   commits                 non-merge commits made that month
--   nontrivial_added_lines  their non-trivial added lines
--   ai_lines                of those, attributed to AI
--   ai_share                ai_lines / nontrivial_added_lines
--   coverage                commits with attribution evidence / commits
CREATE VIEW view_repository_ai_share_by_month AS
SELECT
  repo_id,
  substr(committed_at, 1, 7) AS month,
  count(*) AS commits,
  sum(nontrivial_added_lines) AS nontrivial_added_lines,
  sum(ai_lines) AS ai_lines,
  round(1.0 * sum(ai_lines) / nullif(sum(nontrivial_added_lines), 0), 4) AS ai_share,
  round(1.0 * count(CASE WHEN attribution_coverage = 'tracked' THEN 1 END) / count(*), 4) AS coverage
FROM event_commit_outcomes
GROUP BY repo_id, substr(committed_at, 1, 7);
