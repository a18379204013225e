-- view_session_productivity_summary
-- Grain: one row per (provider, repository) with sessions; repository NULL = outside any repository.
-- Meaning: view_session_productivity rolled up.
-- Columns:
--   provider, repo_id, sessions
--   edits_applied, edits_rejected, edits_failed, edits_unconfirmed
--   edit_apply_rate           applied / (applied + rejected + failed)
--   lines_written, nontrivial_lines_written, lines_written_per_session
--   tool_errors, avg_duration_s, tokens_in, tokens_out
CREATE VIEW view_session_productivity_summary AS
SELECT
  provider, repo_id,
  count(*) AS sessions,
  sum(edits_applied) AS edits_applied,
  sum(edits_rejected) AS edits_rejected,
  sum(edits_failed) AS edits_failed,
  sum(edits_unconfirmed) AS edits_unconfirmed,
  round(1.0 * sum(edits_applied) / nullif(sum(edits_applied) + sum(edits_rejected) + sum(edits_failed), 0), 4) AS edit_apply_rate,
  sum(lines_written) AS lines_written,
  sum(nontrivial_lines_written) AS nontrivial_lines_written,
  round(1.0 * sum(lines_written) / count(*), 1) AS lines_written_per_session,
  sum(tool_errors) AS tool_errors,
  round(avg(duration_s), 0) AS avg_duration_s,
  sum(tokens_in) AS tokens_in,
  sum(tokens_out) AS tokens_out
FROM view_session_productivity
GROUP BY provider, repo_id;
