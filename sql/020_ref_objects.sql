-- A run with nothing new asked `git for-each-ref` for every ref's object type and peeled tag, which
-- reads each of those objects from the pack: on git's own history (1,018 refs) 26 ms of git
-- against 6 ms for names and shas alone, waited for by every run and the hooks' worker after
-- every commit. An object's type and what a tag peels to never change, so the run keeps them here
-- and asks git (one `cat-file --batch-check`) only about objects it has not seen
-- (src/git/repository.ts listRefs, src/ingest/git.ts).
--
-- Grain: one row per repository and object a walked ref named when the refs were last listed —
-- a commit, an annotated tag, or a tag's tree or blob. peeled_sha is the object a tag peels to
-- (through tags of tags), the object itself for any other type. A cache: rows of objects no ref
-- names any more are deleted by the next run, and an empty table only costs that run a git process.
CREATE TABLE paceflow_ref_objects (
  repo_id TEXT NOT NULL,
  sha TEXT NOT NULL,
  object_type TEXT NOT NULL,
  peeled_sha TEXT NOT NULL,
  peeled_type TEXT NOT NULL,
  PRIMARY KEY (repo_id, sha)
) WITHOUT ROWID;
