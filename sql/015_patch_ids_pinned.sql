-- Patch-ids are now `git patch-id --stable` of one pinned diff (src/git/patches.ts PATCH_ID_DIFF:
-- three lines of context, renames found, no prefixes, paths unquoted), whatever the user's git
-- configuration says, so that attribution can take each commit's from the diff stream it reads
-- anyway. Ids kept under the old text (the configuration's context, rename and quoting settings)
-- would not compare with the new ones: they are dropped, with the net diffs' ids, and the outcome
-- state that says every mainline commit's id is kept — the next build is a whole one and computes
-- them again. Data only: no table changes.
DELETE FROM fact_commit_patch_ids;
DELETE FROM paceflow_net_diffs;
DELETE FROM paceflow_meta WHERE key LIKE 'outcomes_state:%';
