-- view_commit_set_commits
-- Grain: one row per non-merge commit of the connection's commit set (temp.paceflow_commit_set:
--   a pull request's commits, oldest first), in the set's order.
-- Meaning: each commit's AI share and the evidence behind it, for the PR comment's commit table.
--   A TEMP view: it reads a temp table, which only a temp view may.
-- Columns:
--   position, sha, subject, committed_at
--   nontrivial_added_lines, ai_lines, ai_share, heavy_ai   (NULL: no outcome built yet)
--   attribution_coverage (tracked / untracked), attribution_source (transcript, note, trailer)
--   providers               the providers that wrote its lines, comma-separated
CREATE TEMP VIEW view_commit_set_commits AS
SELECT p.position, c.sha, c.subject, c.committed_at,
  o.nontrivial_added_lines, o.ai_lines, o.ai_share, o.heavy_ai,
  o.attribution_coverage, o.attribution_source,
  (SELECT group_concat(provider, ', ') FROM (
     SELECT DISTINCT a.provider FROM event_commit_attributions a
     WHERE a.repo_id = c.repo_id AND a.sha = c.sha ORDER BY a.provider)) AS providers
FROM temp.paceflow_commit_set p
JOIN metadata_commits c ON c.repo_id = p.repo_id AND c.sha = p.sha
LEFT JOIN event_commit_outcomes o ON o.repo_id = c.repo_id AND o.sha = c.sha
WHERE c.is_merge = 0;
