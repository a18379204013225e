-- view_commit_set_work
-- Grain: one row for the connection's commit set (temp.paceflow_commit_set).
-- Meaning: how the AI work behind a pull request went, from the paceflow notes (version 2) of its
--   commits — the only session evidence CI has: the distinct sessions that wrote its lines, their
--   prompts, rejected edits, repeated debug loops and pasted errors. Counts only. A session that
--   wrote several commits counts once (its largest counts: a later note saw more of it).
-- Columns:
--   sessions                    distinct (hashed) sessions named with work counts
--   user_prompts                their typed prompts
--   rejected_edits              edits the person rejected
--   sessions_with_debug_loop    sessions with a repeated debug loop
--   sessions_with_error_paste   sessions with a pasted error after the first prompt
CREATE TEMP VIEW view_commit_set_work AS
WITH entries AS (
  SELECT
    json_extract(a.value, '$.session') AS session,
    json_extract(a.value, '$.work.prompts') AS prompts,
    json_extract(a.value, '$.work.rejected_edits') AS rejected_edits,
    json_extract(a.value, '$.work.debug_loop') AS debug_loop,
    json_extract(a.value, '$.work.error_paste') AS error_paste
  FROM temp.paceflow_commit_set p
  JOIN fact_commit_notes n ON n.repo_id = p.repo_id AND n.sha = p.sha AND n.notes_ref = 'refs/notes/paceflow',
    json_each(CASE WHEN json_valid(n.note_text) THEN n.note_text ELSE '{}' END, '$.attributions') a
  WHERE json_type(a.value, '$.work') = 'object'
),
sessions AS (
  SELECT session, max(prompts) AS prompts, max(rejected_edits) AS rejected_edits,
    max(debug_loop) AS debug_loop, max(error_paste) AS error_paste
  FROM entries GROUP BY session
)
SELECT
  count(*) AS sessions,
  coalesce(sum(prompts), 0) AS user_prompts,
  coalesce(sum(rejected_edits), 0) AS rejected_edits,
  coalesce(sum(debug_loop), 0) AS sessions_with_debug_loop,
  coalesce(sum(error_paste), 0) AS sessions_with_error_paste
FROM sessions;
