-- Churn now reads the diff every builder reads (src/git/patches.ts PATCH_ID_DIFF: three lines of
-- context), no longer one without context: git aligns the two a little differently (on git's own
-- history 28 of 60,751 mainline commits counted 1–4 lines more or fewer reaching mainline), and a
-- first run now hands churn attribution's diffs. Rows counted from the old diff would stay beside
-- rows a rebuild counts from the new one: they are dropped with what says they are built, and the
-- next build counts every mainline commit again. Data only: no table changes.
DELETE FROM event_commit_churn;
DELETE FROM paceflow_churn_evidence;
DELETE FROM paceflow_churn_dirty;
DELETE FROM paceflow_meta WHERE key LIKE 'churn\_inputs:%' ESCAPE '\' OR key LIKE 'churn\_stage:%' ESCAPE '\';
