-- view_global_session_quality
-- Grain: one row per scope: everything ('all'), each provider ('provider'), each repository
--   ('repository'; sessions outside any repository are the row whose repository is NULL).
-- Meaning: how sessions went (DESIGN §4). Sessions are the main and forked conversations a person
--   had; sub-agent sessions are not counted as sessions (their work counts in productivity).
-- Columns:
--   scope, provider, repository
--   sessions                    sessions in the scope
--   avg_user_prompts            real typed prompts per session (not tool results, wrappers, summaries)
--   repeated_debug_loop_rate    share of sessions that ran one shell command ≥ 3 times with ≥ 2 failures
--   error_paste_rate            share of sessions with a pasted stack trace / compiler error / test failure
--                               in a prompt after the first
--   tool_errors_per_session     tool calls with a failed result, per session
--   avg_duration_s              first to last record, seconds
CREATE VIEW view_global_session_quality AS
WITH s AS (SELECT * FROM event_session_quality WHERE is_subagent = 0)
SELECT 'all' AS scope, NULL AS provider, NULL AS repository,
  count(*) AS sessions,
  round(avg(user_prompt_count), 2) AS avg_user_prompts,
  round(avg(repeated_debug_loop), 4) AS repeated_debug_loop_rate,
  round(avg(mid_session_error_paste), 4) AS error_paste_rate,
  round(avg(tool_errors), 2) AS tool_errors_per_session,
  round(avg(duration_s), 0) AS avg_duration_s
FROM s
UNION ALL
SELECT 'provider', provider, NULL,
  count(*), round(avg(user_prompt_count), 2), round(avg(repeated_debug_loop), 4),
  round(avg(mid_session_error_paste), 4), round(avg(tool_errors), 2), round(avg(duration_s), 0)
FROM s GROUP BY provider
UNION ALL
SELECT 'repository', NULL, repo_id,
  count(*), round(avg(user_prompt_count), 2), round(avg(repeated_debug_loop), 4),
  round(avg(mid_session_error_paste), 4), round(avg(tool_errors), 2), round(avg(duration_s), 0)
FROM s GROUP BY repo_id;
