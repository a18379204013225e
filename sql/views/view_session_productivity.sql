-- view_session_productivity
-- Grain: one row per session a person had (main or fork); its sub-agents' work is rolled into it.
-- Meaning: what a session did: edits proposed and what became of them, lines written.
-- Columns:
--   session_id, provider, repo_id, model, git_branch, started_at, duration_s, user_prompts
--   subagents                 sub-agent sessions it started
--   edits_applied, edits_rejected, edits_failed, edits_unconfirmed (no result seen)
--   lines_written             lines added by applied edits (sub-agents included)
--   nontrivial_lines_written  of those, non-trivial lines (DESIGN §4)
--   tool_errors               failed tool calls (sub-agents included)
--   tokens_in, tokens_out     deduplicated per model response (sub-agents included)
--   lines_committed           non-trivial lines of commits attributed to this session (transcripts)
--   landing_rate              lines_committed / nontrivial_lines_written
CREATE VIEW view_session_productivity AS
WITH changes AS (
  SELECT root_session_id,
    count(CASE WHEN status = 'applied' THEN 1 END) AS edits_applied,
    count(CASE WHEN status = 'rejected' THEN 1 END) AS edits_rejected,
    count(CASE WHEN status = 'failed' THEN 1 END) AS edits_failed,
    count(CASE WHEN status = 'pending' THEN 1 END) AS edits_unconfirmed,
    coalesce(sum(CASE WHEN status = 'applied' THEN lines_added END), 0) AS lines_written,
    coalesce(sum(CASE WHEN status = 'applied' THEN nontrivial_lines_added END), 0) AS nontrivial_lines_written
  FROM event_session_code_changes
  GROUP BY root_session_id
),
committed AS (
  SELECT session_id, sum(matched_lines) AS lines_committed
  FROM event_commit_attributions
  WHERE source = 'transcript'
  GROUP BY session_id
),
family AS (
  SELECT root_session_id,
    count(CASE WHEN is_subagent = 1 THEN 1 END) AS subagents,
    sum(tool_errors) AS tool_errors,
    sum(tokens_in) AS tokens_in,
    sum(tokens_out) AS tokens_out
  FROM event_session_quality
  GROUP BY root_session_id
)
SELECT
  q.session_id, q.provider, q.repo_id, q.model, q.git_branch, q.started_at, q.duration_s,
  q.user_prompt_count AS user_prompts,
  coalesce(f.subagents, 0) AS subagents,
  coalesce(c.edits_applied, 0) AS edits_applied,
  coalesce(c.edits_rejected, 0) AS edits_rejected,
  coalesce(c.edits_failed, 0) AS edits_failed,
  coalesce(c.edits_unconfirmed, 0) AS edits_unconfirmed,
  coalesce(c.lines_written, 0) AS lines_written,
  coalesce(c.nontrivial_lines_written, 0) AS nontrivial_lines_written,
  coalesce(f.tool_errors, 0) AS tool_errors,
  coalesce(f.tokens_in, 0) AS tokens_in,
  coalesce(f.tokens_out, 0) AS tokens_out,
  coalesce(k.lines_committed, 0) AS lines_committed,
  round(1.0 * k.lines_committed / nullif(c.nontrivial_lines_written, 0), 4) AS landing_rate
FROM event_session_quality q
LEFT JOIN changes c ON c.root_session_id = q.session_id
LEFT JOIN family f ON f.root_session_id = q.session_id
LEFT JOIN committed k ON k.session_id = q.session_id
WHERE q.is_subagent = 0;
