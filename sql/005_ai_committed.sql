-- aider appends " (aider)" to the committer alone when it commits changes it found in the work tree
-- (the person's own work), and to author and committer when it wrote them. A committer-only mark
-- makes a commit AI-committed, which is recorded, but it is no evidence of who wrote the lines.

ALTER TABLE metadata_commits ADD COLUMN ai_committed_by TEXT; -- provider that made the commit for a person (aider's committer-only mark)

UPDATE metadata_commits SET ai_committed_by = ai_marker, ai_marker = NULL, ai_marker_source = NULL
WHERE ai_marker_source = 'committer';

-- Their marker attributions go, and their outcome rows with them: the next ingest builds both again.
DELETE FROM event_commit_attributions
WHERE source = 'trailer' AND EXISTS (
  SELECT 1 FROM metadata_commits c
  WHERE c.repo_id = event_commit_attributions.repo_id AND c.sha = event_commit_attributions.sha AND c.ai_committed_by IS NOT NULL);
DELETE FROM event_commit_outcomes
WHERE EXISTS (
  SELECT 1 FROM metadata_commits c
  WHERE c.repo_id = event_commit_outcomes.repo_id AND c.sha = event_commit_outcomes.sha AND c.ai_committed_by IS NOT NULL);
