-- view_task_execution_quality
-- Grain: one row per task key, plus one row '(no task key)' for the sessions and commits that no
--   key links (DESIGN §4: keys from branches, else PR titles and subjects; sessions by their
--   branch, prompts and attributed commits).
-- Meaning: how the work on a task went, from its sessions and its commits.
-- Columns:
--   task_key                  the key, or '(no task key)'
--   sessions                  sessions linked to the task (a session spanning several tasks counts in each)
--   weighted_sessions         the same, weighted: a session's weights over its tasks sum to 1
--   avg_user_prompts          real typed prompts per linked session
--   repeated_debug_loop_rate  share of linked sessions with a repeated debug loop
--   error_paste_rate          share of linked sessions with a pasted error after the first prompt
--   commit_within_window_rate share of linked sessions followed by a commit for the task within the
--                             window (taskCommitWindowHours, default 24 h) of their last activity
--   commits                   commits linked to the task (fallback links included)
--   fallback_commits          of those, linked by PR title or subject rather than branch
--   ai_share                  AI lines / non-trivial added lines of the task's commits
--   heavy_ai_commits          heavy-AI commits of the task
--   heavy_ai_reverted         of those, reverted later (from the outcome builders; NULL until they run)
--   heavy_ai_churned          of those, with churned AI lines (from the churn builder; NULL until it runs)
CREATE VIEW view_task_execution_quality AS
WITH session_tasks AS (
  SELECT ts.task_key, ts.session_weight, ts.commit_within_window, q.*
  FROM event_task_sessions ts
  JOIN event_session_quality q ON q.session_id = ts.session_id
  UNION ALL
  SELECT '(no task key)', 1.0, 0, q.*
  FROM event_session_quality q
  WHERE q.is_subagent = 0 AND NOT EXISTS (SELECT 1 FROM event_task_sessions ts WHERE ts.session_id = q.session_id)
),
commit_tasks AS (
  SELECT t.task_key, t.fallback, o.*
  FROM event_task_commits t
  LEFT JOIN event_commit_outcomes o ON o.repo_id = t.repo_id AND o.sha = t.sha
  UNION ALL
  SELECT '(no task key)', 0, o.*
  FROM event_commit_outcomes o
  WHERE NOT EXISTS (SELECT 1 FROM event_task_commits t WHERE t.repo_id = o.repo_id AND t.sha = o.sha)
),
by_session AS (
  SELECT task_key,
    count(*) AS sessions,
    round(sum(session_weight), 2) AS weighted_sessions,
    round(avg(user_prompt_count), 2) AS avg_user_prompts,
    round(avg(repeated_debug_loop), 4) AS repeated_debug_loop_rate,
    round(avg(mid_session_error_paste), 4) AS error_paste_rate,
    round(avg(commit_within_window), 4) AS commit_within_window_rate
  FROM session_tasks GROUP BY task_key
),
by_commit AS (
  SELECT c.task_key,
    count(*) AS commits,
    sum(c.fallback) AS fallback_commits,
    round(1.0 * sum(c.ai_lines) / nullif(sum(c.nontrivial_added_lines), 0), 4) AS ai_share,
    coalesce(sum(c.heavy_ai), 0) AS heavy_ai_commits,
    sum(CASE WHEN c.heavy_ai = 1 THEN c.reverted_later END) AS heavy_ai_reverted,
    sum(CASE WHEN c.heavy_ai = 1 THEN (SELECT CASE WHEN ch.ai_lines_churned > 0 THEN 1 ELSE 0 END FROM event_commit_churn ch WHERE ch.repo_id = c.repo_id AND ch.sha = c.sha) END) AS heavy_ai_churned
  FROM commit_tasks c GROUP BY c.task_key
),
keys AS (SELECT task_key FROM by_session UNION SELECT task_key FROM by_commit)
SELECT
  k.task_key,
  coalesce(s.sessions, 0) AS sessions,
  coalesce(s.weighted_sessions, 0) AS weighted_sessions,
  s.avg_user_prompts, s.repeated_debug_loop_rate, s.error_paste_rate, s.commit_within_window_rate,
  coalesce(c.commits, 0) AS commits,
  coalesce(c.fallback_commits, 0) AS fallback_commits,
  c.ai_share, coalesce(c.heavy_ai_commits, 0) AS heavy_ai_commits, c.heavy_ai_reverted, c.heavy_ai_churned
FROM keys k
LEFT JOIN by_session s ON s.task_key = k.task_key
LEFT JOIN by_commit c ON c.task_key = k.task_key
ORDER BY k.task_key = '(no task key)', k.task_key;
