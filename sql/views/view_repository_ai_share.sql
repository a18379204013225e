-- view_repository_ai_share
-- Grain: one row per (repository, provider, model, source) that attributed lines.
-- Meaning: who wrote the AI lines of a repository's commits, and how we know.
-- Columns:
--   repo_id, provider, model (NULL for trailers and unknown models), source (transcript, note, trailer)
--   commits        commits with lines from this provider/model/source
--   sessions       distinct sessions (0 for trailers, which name none)
--   ai_lines       non-trivial added lines attributed
--   share_of_repo  ai_lines / the repository's non-trivial added lines (non-merge commits)
CREATE VIEW view_repository_ai_share AS
WITH totals AS (
  SELECT repo_id, sum(nontrivial_added_lines) AS lines FROM event_commit_outcomes GROUP BY repo_id
)
SELECT
  a.repo_id, a.provider, a.model, a.source,
  count(DISTINCT a.sha) AS commits,
  count(DISTINCT nullif(a.session_id, '')) AS sessions,
  sum(a.matched_lines) AS ai_lines,
  round(1.0 * sum(a.matched_lines) / nullif(t.lines, 0), 4) AS share_of_repo
FROM event_commit_attributions a
JOIN totals t ON t.repo_id = a.repo_id
GROUP BY a.repo_id, a.provider, a.model, a.source, t.lines;
