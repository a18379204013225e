-- Indexes for what every run asks, even one with nothing new (#20: a re-run costs its few
-- lookups, not a scan of the history):
-- - the notes step counts the rows of each notes ref (fact_commit_notes is keyed by sha first, so
--   the count read every note of the repository: ~2 ms per ref on the 80k bench history);
-- - git ingest asks for the commits recorded at a shallow clone's cut-off (metadata_commits_by_state
--   has the flag last: the whole index was read, ~6 ms there). Partial: almost no commit is one.
CREATE INDEX fact_commit_notes_by_ref ON fact_commit_notes (repo_id, notes_ref);
CREATE INDEX metadata_commits_shallow_boundary ON metadata_commits (repo_id) WHERE is_shallow_boundary = 1;
