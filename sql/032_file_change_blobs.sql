-- The blob each changed path holds after its commit, from the raw entry the history's pass reads
-- anyway (git log --raw --no-abbrev).
--
-- Why: the content rule compares a branch commit's lines with its mainline candidates' files, and
-- asked git for each `<candidate>:<path>` by name — a walk of the candidate's trees in `git cat-file
-- --batch-check`. A candidate is a mainline commit that changed one of the paths, so the blob of
-- that path at it is its own change's: on git's own history with its pull requests the names cost
-- git more CPU than reading the blobs themselves. NULL when the path holds no blob after the change
-- (deleted, a submodule) and for the changes recorded before: those are asked of git, as before.
ALTER TABLE metadata_commit_file_changes ADD COLUMN blob TEXT; -- 40 (or 64) hex digits; NULL: none, or not recorded
