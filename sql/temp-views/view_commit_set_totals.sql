-- view_commit_set_totals
-- Grain: one row for the connection's commit set (temp.paceflow_commit_set).
-- Meaning: the pull request's headline: the AI share of the non-trivial lines its commits add, the
--   coverage beside it, split three ways like view_repository_summary (AI / non-AI / untracked).
-- Columns:
--   commits                 non-merge commits of the set with an outcome
--   tracked_commits, coverage   commits with attribution evidence, and their share
--   nontrivial_added_lines, ai_lines, nonai_lines, untracked_lines
--   ai_share                ai_lines / nontrivial_added_lines
--   heavy_ai_commits
CREATE TEMP VIEW view_commit_set_totals AS
SELECT
  count(*) AS commits,
  count(CASE WHEN o.attribution_coverage = 'tracked' THEN 1 END) AS tracked_commits,
  round(1.0 * count(CASE WHEN o.attribution_coverage = 'tracked' THEN 1 END) / nullif(count(*), 0), 4) AS coverage,
  coalesce(sum(o.nontrivial_added_lines), 0) AS nontrivial_added_lines,
  coalesce(sum(o.ai_lines), 0) AS ai_lines,
  coalesce(sum(CASE WHEN o.attribution_coverage = 'tracked' THEN o.nontrivial_added_lines - o.ai_lines ELSE 0 END), 0) AS nonai_lines,
  coalesce(sum(CASE WHEN o.attribution_coverage = 'untracked' THEN o.nontrivial_added_lines ELSE 0 END), 0) AS untracked_lines,
  round(1.0 * sum(o.ai_lines) / nullif(sum(o.nontrivial_added_lines), 0), 4) AS ai_share,
  coalesce(sum(o.heavy_ai), 0) AS heavy_ai_commits
FROM temp.paceflow_commit_set p
JOIN event_commit_outcomes o ON o.repo_id = p.repo_id AND o.sha = p.sha;
