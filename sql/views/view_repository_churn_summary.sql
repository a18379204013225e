-- view_repository_churn_summary
-- Grain: one row per (repository, churn window, provider): the provider that wrote most of each
--   commit's AI lines.
-- Meaning: what became of AI lines after they reached mainline (DESIGN §4, GitClear-style churn).
--   Rates count only commits whose window has closed; open windows are shown apart.
-- Columns:
--   repo_id, window_days, provider
--   commits                      commits whose AI lines reached mainline
--   ai_lines_reaching_mainline   their AI lines
--   ai_lines_churned             of those, deleted or modified within the window (moves and
--                                whitespace-only edits excluded; reverts included)
--   churn_rate                   churned / reaching, over closed windows only
--   open_window_commits          commits whose window is still open (not in the rate)
CREATE VIEW view_repository_churn_summary AS
WITH main_provider AS (
  SELECT repo_id, sha, provider FROM (
    SELECT repo_id, sha, provider,
      row_number() OVER (PARTITION BY repo_id, sha ORDER BY sum(matched_lines) DESC, provider) AS rank
    FROM event_commit_attributions
    GROUP BY repo_id, sha, provider
  ) WHERE rank = 1
)
SELECT
  c.repo_id, c.window_days, coalesce(p.provider, 'unknown') AS provider,
  count(*) AS commits,
  sum(c.ai_lines_reaching_mainline) AS ai_lines_reaching_mainline,
  sum(c.ai_lines_churned) AS ai_lines_churned,
  round(1.0 * sum(CASE WHEN c.window_closed = 1 THEN c.ai_lines_churned END)
        / nullif(sum(CASE WHEN c.window_closed = 1 THEN c.ai_lines_reaching_mainline END), 0), 4) AS churn_rate,
  count(CASE WHEN c.window_closed = 0 THEN 1 END) AS open_window_commits
FROM event_commit_churn c
LEFT JOIN main_provider p ON p.repo_id = c.repo_id AND p.sha = c.sha
GROUP BY c.repo_id, c.window_days, coalesce(p.provider, 'unknown');
