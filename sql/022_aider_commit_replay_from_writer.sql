-- The aider commit record's replay point is written by the session writer, not by a trigger.
--
-- Why: paceflow_attribution_aider_commit (sql/011) ran as a sub-program for every row inserted
-- into fact_session_records, aider's or not, to test its WHEN clause: about 1 µs a row, 0.4 s of a
-- 1 GB first transcript ingest (394k records, a script inserting the same rows with and without
-- it: 2.6 → 2.2 s). The writer (src/ingest/session-writer.ts, aiderCommitFrom) now runs the same
-- INSERT … SELECT for the aider commit records it has just written. The other replay triggers stay:
-- edits and sessions are few.
DROP TRIGGER IF EXISTS paceflow_attribution_aider_commit;
