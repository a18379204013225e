-- view_session_activity_by_month
-- Grain: one row per (repository, calendar month a session started, UTC); repository NULL =
--   sessions outside any repository.
-- Meaning: how much AI session work happened over time, and how much of it went in circles (the
--   HTML report charts it beside the AI share by month).
-- Columns:
--   repo_id, month (YYYY-MM)
--   sessions                   main and forked sessions that started that month (sub-agents roll in)
--   user_prompts               real typed prompts in them
--   sessions_with_debug_loop   of those sessions, ones with a repeated debug loop
--   sessions_with_error_paste  of those sessions, ones with a pasted error after the first prompt
CREATE VIEW view_session_activity_by_month AS
SELECT
  repo_id,
  substr(started_at, 1, 7) AS month,
  count(*) AS sessions,
  sum(user_prompt_count) AS user_prompts,
  sum(repeated_debug_loop) AS sessions_with_debug_loop,
  sum(mid_session_error_paste) AS sessions_with_error_paste
FROM event_session_quality
WHERE is_subagent = 0 AND started_at IS NOT NULL
GROUP BY repo_id, substr(started_at, 1, 7);
