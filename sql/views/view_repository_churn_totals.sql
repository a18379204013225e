-- view_repository_churn_totals
-- Grain: one row per (repository, churn window).
-- Meaning: the churn of all of a repository's mainline lines in one figure per kind: AI lines (any
--   provider) and lines without AI evidence, side by side (DESIGN §4). What the Action reports;
--   view_repository_churn_summary splits the AI side by provider.
-- Columns:
--   repo_id, window_days
--   mainline_commits               mainline commits with non-trivial added lines
--   ai_lines_reaching_mainline     their AI lines
--   ai_lines_churned               of those, deleted or modified within the window
--   ai_churn_rate                  churned / reaching, over closed windows only
--   nonai_lines_reaching_mainline  their lines without AI evidence
--   nonai_lines_churned            of those, deleted or modified within the window
--   nonai_churn_rate               churned / reaching, over closed windows only
--   open_window_commits            commits whose window is still open (not in the rates)
CREATE VIEW view_repository_churn_totals AS
SELECT
  repo_id, window_days,
  count(CASE WHEN ai_lines_reaching_mainline + nonai_lines_reaching_mainline > 0 THEN 1 END) AS mainline_commits,
  sum(ai_lines_reaching_mainline) AS ai_lines_reaching_mainline,
  sum(ai_lines_churned) AS ai_lines_churned,
  round(1.0 * sum(CASE WHEN window_closed = 1 THEN ai_lines_churned END)
        / nullif(sum(CASE WHEN window_closed = 1 THEN ai_lines_reaching_mainline END), 0), 4) AS ai_churn_rate,
  sum(nonai_lines_reaching_mainline) AS nonai_lines_reaching_mainline,
  sum(nonai_lines_churned) AS nonai_lines_churned,
  round(1.0 * sum(CASE WHEN window_closed = 1 THEN nonai_lines_churned END)
        / nullif(sum(CASE WHEN window_closed = 1 THEN nonai_lines_reaching_mainline END), 0), 4) AS nonai_churn_rate,
  count(CASE WHEN window_closed = 0 AND ai_lines_reaching_mainline + nonai_lines_reaching_mainline > 0 THEN 1 END) AS open_window_commits
FROM event_commit_churn
GROUP BY repo_id, window_days;
