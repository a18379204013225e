-- view_repository_commits_by_provider
-- Grain: one row per (repository, provider) that a commit marker names.
-- Meaning: AI-assisted (marker-named) non-merge commits per provider, with the marker kinds seen.
-- Columns:
--   repo_id, provider
--   ai_marked_commits      non-merge commits whose marker names this provider
--   share_of_commits       ai_marked_commits / the repository's non-merge commits
--   by_trailer, by_message, by_author, by_committer, by_subject   commits per marker source
--   first_commit_at, last_commit_at   committer times of the marked commits
CREATE VIEW view_repository_commits_by_provider AS
WITH totals AS (
  SELECT repo_id, count(*) AS non_merge_commits
  FROM metadata_commits
  WHERE is_merge = 0 AND is_unreachable = 0
  GROUP BY repo_id
)
SELECT
  c.repo_id,
  c.ai_marker AS provider,
  count(*) AS ai_marked_commits,
  round(1.0 * count(*) / t.non_merge_commits, 4) AS share_of_commits,
  count(CASE WHEN c.ai_marker_source = 'trailer' THEN 1 END) AS by_trailer,
  count(CASE WHEN c.ai_marker_source = 'message' THEN 1 END) AS by_message,
  count(CASE WHEN c.ai_marker_source = 'author' THEN 1 END) AS by_author,
  count(CASE WHEN c.ai_marker_source = 'committer' THEN 1 END) AS by_committer,
  count(CASE WHEN c.ai_marker_source = 'subject' THEN 1 END) AS by_subject,
  min(c.committed_at) AS first_commit_at,
  max(c.committed_at) AS last_commit_at
FROM metadata_commits c
JOIN totals t ON t.repo_id = c.repo_id
WHERE c.is_merge = 0 AND c.is_unreachable = 0 AND c.ai_marker IS NOT NULL
GROUP BY c.repo_id, c.ai_marker;
