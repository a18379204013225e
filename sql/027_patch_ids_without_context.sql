-- The pinned diff every patch-id hashes and every builder reads (src/git/patches.ts PATCH_ID_DIFF)
-- now has no context lines. Nothing paceflow reads from a diff is a context line, and without
-- context git trims the files' common tail before diffing instead of hashing every line of both
-- sides: on git's own history the history's pass went from 52.5 to 44.5 s of git's CPU, and its
-- text from 470 to 376 MB (a first run is budgeted against `git log -p`, DESIGN §7).
--
-- A patch-id of the old text would not compare with one of the new (it hashed the context), and
-- churn, the content and partial-revert verdicts were counted from diffs git may align a little
-- differently without context: all are dropped with what says they are built, as 015 and 019
-- did — the next build is a whole outcome build, which computes the ids and counts churn for every
-- mainline commit again. Attribution and the commits' line counts and balances stay (each is one
-- commit's own figure; the balance does not depend on the alignment). Data only: no table changes.
DELETE FROM fact_commit_patch_ids;
DELETE FROM paceflow_net_diffs;
DELETE FROM event_commit_churn;
DELETE FROM paceflow_churn_evidence;
DELETE FROM paceflow_churn_dirty;
DELETE FROM paceflow_content_checks;
DELETE FROM paceflow_partial_checks;
DELETE FROM paceflow_meta
WHERE key LIKE 'churn\_inputs:%' ESCAPE '\' OR key LIKE 'churn\_stage:%' ESCAPE '\' OR key LIKE 'outcomes\_state:%' ESCAPE '\';
