-- Churn and the outcome rules now read the diff every builder reads (src/git/patches.ts
-- PATCH_ID_DIFF: three lines of context), no longer one without context: git aligns the two a
-- little differently (on git's own history 28 of 60,751 mainline commits counted 1–4 lines more or
-- fewer reaching mainline), and a first run now hands them attribution's diffs. What was counted
-- from the old diff would stay beside what a rebuild counts from the new one, so it is dropped:
-- the churn rows with what says they are built (evidence, dirty queue, digests), and the content
-- and partial-revert verdicts with the outcome state, as 015 did — the next build is a whole
-- outcome build and counts churn for every mainline commit again. Data only: no table changes.
DELETE FROM event_commit_churn;
DELETE FROM paceflow_churn_evidence;
DELETE FROM paceflow_churn_dirty;
DELETE FROM paceflow_content_checks;
DELETE FROM paceflow_partial_checks;
DELETE FROM paceflow_meta
WHERE key LIKE 'churn\_inputs:%' ESCAPE '\' OR key LIKE 'churn\_stage:%' ESCAPE '\' OR key LIKE 'outcomes\_state:%' ESCAPE '\';
