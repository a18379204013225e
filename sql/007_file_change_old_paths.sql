-- The attribution builder finds the commits that touched a path some session wrote by the path a
-- change had before a rename too: by index, not by scanning every file change of the repository.
CREATE INDEX metadata_commit_file_changes_by_old_path ON metadata_commit_file_changes (repo_id, old_path) WHERE old_path IS NOT NULL;
