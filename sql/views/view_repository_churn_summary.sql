-- view_repository_churn_summary
-- Grain: one row per (repository, churn window, provider): the provider that wrote most of each
--   mainline commit's AI lines (its own, or those of the branch commits a squash carries).
-- Meaning: what became of AI lines after they reached mainline (DESIGN §4, GitClear-style churn),
--   beside the same figures for the repository's lines without AI evidence over the same window.
--   Rates count only commits whose window has closed; open windows are shown apart.
-- Columns:
--   repo_id, window_days, provider
--   commits                        mainline commits with AI lines from this provider
--   ai_lines_reaching_mainline     their AI lines
--   ai_lines_churned               of those, deleted or modified within the window (moves and
--                                  whitespace-only edits excluded; reverts included)
--   churn_rate                     churned / reaching, over closed windows only
--   open_window_commits            commits whose window is still open (not in the rate)
--   nonai_lines_reaching_mainline  the repository's mainline lines without AI evidence (every
--                                  provider row of a repository shows the same comparison figures)
--   nonai_lines_churned            of those, deleted or modified within the window
--   nonai_churn_rate               the same rate for them, over closed windows only
CREATE VIEW view_repository_churn_summary AS
WITH provider_lines AS (
  SELECT o.repo_id, o.mainline_sha AS sha, a.provider, sum(a.matched_lines) AS lines
  FROM event_commit_attributions a
  JOIN event_commit_outcomes o ON o.repo_id = a.repo_id AND o.sha = a.sha
  WHERE o.mainline_sha IS NOT NULL
  GROUP BY o.repo_id, o.mainline_sha, a.provider
),
main_provider AS (
  SELECT repo_id, sha, provider FROM (
    SELECT repo_id, sha, provider,
      row_number() OVER (PARTITION BY repo_id, sha ORDER BY lines DESC, provider) AS rank
    FROM provider_lines
  ) ranked WHERE rank = 1
),
baseline AS (
  SELECT repo_id, window_days,
    sum(nonai_lines_reaching_mainline) AS nonai_lines_reaching_mainline,
    sum(nonai_lines_churned) AS nonai_lines_churned,
    round(1.0 * sum(CASE WHEN window_closed = 1 THEN nonai_lines_churned END)
          / nullif(sum(CASE WHEN window_closed = 1 THEN nonai_lines_reaching_mainline END), 0), 4) AS nonai_churn_rate
  FROM event_commit_churn
  GROUP BY repo_id, window_days
)
SELECT
  c.repo_id, c.window_days, coalesce(p.provider, 'unknown') AS provider,
  count(*) AS commits,
  sum(c.ai_lines_reaching_mainline) AS ai_lines_reaching_mainline,
  sum(c.ai_lines_churned) AS ai_lines_churned,
  round(1.0 * sum(CASE WHEN c.window_closed = 1 THEN c.ai_lines_churned END)
        / nullif(sum(CASE WHEN c.window_closed = 1 THEN c.ai_lines_reaching_mainline END), 0), 4) AS churn_rate,
  count(CASE WHEN c.window_closed = 0 THEN 1 END) AS open_window_commits,
  b.nonai_lines_reaching_mainline, b.nonai_lines_churned, b.nonai_churn_rate
FROM event_commit_churn c
JOIN baseline b ON b.repo_id = c.repo_id AND b.window_days = c.window_days
LEFT JOIN main_provider p ON p.repo_id = c.repo_id AND p.sha = c.sha
WHERE c.ai_lines_reaching_mainline > 0
GROUP BY c.repo_id, c.window_days, coalesce(p.provider, 'unknown'),
  b.nonai_lines_reaching_mainline, b.nonai_lines_churned, b.nonai_churn_rate;
