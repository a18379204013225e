-- view_repository_summary
-- Grain: one row per repository.
-- Meaning: the headline a person came for — how much of this repository's committed work AI wrote,
--   how sure we are (coverage), and what became of it — in one row that every renderer reads first
--   (the terminal summary, the PR comment, the HTML page, `report -f json`'s "summary").
--   Lines are the non-trivial added lines of non-merge commits (DESIGN §4). They split three ways
--   that add up to the whole: AI lines; lines of tracked commits that no AI wrote (non-AI); lines
--   of untracked commits (no transcript, note or trailer: unknown, never counted as human).
-- Columns:
--   repo_id, name (the folder name of the work tree), root_path, mainline_branch, is_shallow
--   commits                 non-merge commits with an outcome (the coverage base)
--   tracked_commits         of those, commits with attribution evidence
--   coverage                tracked_commits / commits
--   nontrivial_added_lines  their non-trivial added lines
--   ai_lines, nonai_lines, untracked_lines   the three-way split of those lines
--   ai_share, nonai_share, untracked_share   each / nontrivial_added_lines
--   heavy_ai_commits        commits with ai_share ≥ the heavy-AI threshold and enough lines
--   heavy_ai_judged         heavy-AI commits old enough to judge merging (mergedMinAgeDays)
--   heavy_ai_merged         of those, reached mainline;  heavy_ai_merged_rate = merged / judged
--   heavy_ai_revert_judged  heavy-AI mainline commits whose revert window has closed
--   heavy_ai_reverted       of those, reverted later;    heavy_ai_reverted_rate = reverted / judged
--   heavy_ai_churn_judged   heavy-AI commits whose AI lines reached mainline, churn window closed
--   heavy_ai_churned        of those, with AI lines churned within the window
--   churn_window_days       the churn window the churn columns use (NULL before any mainline)
--   ai_lines_churned, ai_lines_reaching_mainline, ai_churn_rate           AI lines, closed windows
--   nonai_lines_churned, nonai_lines_reaching_mainline, nonai_churn_rate  the other lines, same
--   churn_open_window_commits   mainline commits still inside their window (not in the rates yet)
--   sessions                main and forked sessions in this repository (sub-agents roll into them)
--   user_prompts            real typed prompts in them
--   sessions_with_debug_loop, sessions_with_error_paste   sessions with a repeated debug loop / a
--                           pasted error after the first prompt
--   edits_applied, edits_rejected   edits of those sessions (sub-agents included) by status
CREATE VIEW view_repository_summary AS
WITH o AS (
  SELECT repo_id,
    count(*) AS commits,
    count(CASE WHEN attribution_coverage = 'tracked' THEN 1 END) AS tracked_commits,
    sum(nontrivial_added_lines) AS lines,
    sum(ai_lines) AS ai_lines,
    sum(CASE WHEN attribution_coverage = 'tracked' THEN nontrivial_added_lines - ai_lines ELSE 0 END) AS nonai_lines,
    sum(CASE WHEN attribution_coverage = 'untracked' THEN nontrivial_added_lines ELSE 0 END) AS untracked_lines,
    sum(heavy_ai) AS heavy_ai_commits,
    count(CASE WHEN heavy_ai = 1 AND merge_window_closed = 1 AND merged_to_mainline IS NOT NULL THEN 1 END) AS heavy_judged,
    count(CASE WHEN heavy_ai = 1 AND merge_window_closed = 1 AND merged_to_mainline = 1 THEN 1 END) AS heavy_merged,
    count(CASE WHEN heavy_ai = 1 AND merged_to_mainline = 1 AND revert_window_closed = 1 THEN 1 END) AS heavy_revert_judged,
    count(CASE WHEN heavy_ai = 1 AND merged_to_mainline = 1 AND revert_window_closed = 1 AND reverted_later = 1 THEN 1 END) AS heavy_reverted,
    count(CASE WHEN heavy_ai = 1 AND c.window_closed = 1 AND c.ai_lines_reaching_mainline > 0 THEN 1 END) AS heavy_churn_judged,
    count(CASE WHEN heavy_ai = 1 AND c.window_closed = 1 AND c.ai_lines_reaching_mainline > 0 AND c.ai_lines_churned > 0 THEN 1 END) AS heavy_churned
  FROM event_commit_outcomes
  LEFT JOIN event_commit_churn c USING (repo_id, sha)
  GROUP BY repo_id
),
ch AS (
  SELECT repo_id, max(window_days) AS window_days,
    sum(CASE WHEN window_closed = 1 THEN ai_lines_churned END) AS ai_churned,
    sum(CASE WHEN window_closed = 1 THEN ai_lines_reaching_mainline END) AS ai_reaching,
    sum(CASE WHEN window_closed = 1 THEN nonai_lines_churned END) AS nonai_churned,
    sum(CASE WHEN window_closed = 1 THEN nonai_lines_reaching_mainline END) AS nonai_reaching,
    count(CASE WHEN window_closed = 0 AND ai_lines_reaching_mainline + nonai_lines_reaching_mainline > 0 THEN 1 END) AS open_window
  FROM event_commit_churn
  GROUP BY repo_id
),
s AS (
  SELECT repo_id, count(*) AS sessions, sum(user_prompt_count) AS prompts,
    sum(repeated_debug_loop) AS debug_loops, sum(mid_session_error_paste) AS error_pastes
  FROM event_session_quality WHERE is_subagent = 0 AND repo_id IS NOT NULL
  GROUP BY repo_id
),
e AS (
  SELECT repo_id,
    count(CASE WHEN status = 'applied' THEN 1 END) AS applied,
    count(CASE WHEN status = 'rejected' THEN 1 END) AS rejected
  FROM event_session_code_changes WHERE repo_id IS NOT NULL
  GROUP BY repo_id
)
SELECT
  r.repo_id,
  replace(r.root_path, rtrim(r.root_path, replace(r.root_path, '/', '')), '') AS name,
  r.root_path, r.mainline_branch, r.is_shallow,
  coalesce(o.commits, 0) AS commits,
  coalesce(o.tracked_commits, 0) AS tracked_commits,
  round(1.0 * o.tracked_commits / nullif(o.commits, 0), 4) AS coverage,
  coalesce(o.lines, 0) AS nontrivial_added_lines,
  coalesce(o.ai_lines, 0) AS ai_lines,
  coalesce(o.nonai_lines, 0) AS nonai_lines,
  coalesce(o.untracked_lines, 0) AS untracked_lines,
  round(1.0 * o.ai_lines / nullif(o.lines, 0), 4) AS ai_share,
  round(1.0 * o.nonai_lines / nullif(o.lines, 0), 4) AS nonai_share,
  round(1.0 * o.untracked_lines / nullif(o.lines, 0), 4) AS untracked_share,
  coalesce(o.heavy_ai_commits, 0) AS heavy_ai_commits,
  coalesce(o.heavy_judged, 0) AS heavy_ai_judged,
  coalesce(o.heavy_merged, 0) AS heavy_ai_merged,
  round(1.0 * o.heavy_merged / nullif(o.heavy_judged, 0), 4) AS heavy_ai_merged_rate,
  coalesce(o.heavy_revert_judged, 0) AS heavy_ai_revert_judged,
  coalesce(o.heavy_reverted, 0) AS heavy_ai_reverted,
  round(1.0 * o.heavy_reverted / nullif(o.heavy_revert_judged, 0), 4) AS heavy_ai_reverted_rate,
  coalesce(o.heavy_churn_judged, 0) AS heavy_ai_churn_judged,
  coalesce(o.heavy_churned, 0) AS heavy_ai_churned,
  ch.window_days AS churn_window_days,
  coalesce(ch.ai_churned, 0) AS ai_lines_churned,
  coalesce(ch.ai_reaching, 0) AS ai_lines_reaching_mainline,
  round(1.0 * ch.ai_churned / nullif(ch.ai_reaching, 0), 4) AS ai_churn_rate,
  coalesce(ch.nonai_churned, 0) AS nonai_lines_churned,
  coalesce(ch.nonai_reaching, 0) AS nonai_lines_reaching_mainline,
  round(1.0 * ch.nonai_churned / nullif(ch.nonai_reaching, 0), 4) AS nonai_churn_rate,
  coalesce(ch.open_window, 0) AS churn_open_window_commits,
  coalesce(s.sessions, 0) AS sessions,
  coalesce(s.prompts, 0) AS user_prompts,
  coalesce(s.debug_loops, 0) AS sessions_with_debug_loop,
  coalesce(s.error_pastes, 0) AS sessions_with_error_paste,
  coalesce(e.applied, 0) AS edits_applied,
  coalesce(e.rejected, 0) AS edits_rejected
FROM metadata_repositories r
LEFT JOIN o ON o.repo_id = r.repo_id
LEFT JOIN ch ON ch.repo_id = r.repo_id
LEFT JOIN s ON s.repo_id = r.repo_id
LEFT JOIN e ON e.repo_id = r.repo_id;
