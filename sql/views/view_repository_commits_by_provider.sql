-- view_repository_commits_by_provider
-- Grain: one row per (repository, provider) that a commit marker names, or that made commits for a
--   person (aider's committer-only mark).
-- Meaning: AI-assisted (marker-named) non-merge commits per provider, with the marker kinds seen,
--   and beside them the commits the provider only committed (not evidence of who wrote them).
-- Columns:
--   repo_id, provider
--   ai_marked_commits      non-merge commits whose marker names this provider
--   share_of_commits       ai_marked_commits / the repository's non-merge commits
--   by_trailer, by_message, by_author, by_subject   marked commits per marker source
--   ai_committed_commits   non-merge commits with no marker that this provider committed for a person
--   first_commit_at, last_commit_at   committer times of the marked commits (NULL when none)
CREATE VIEW view_repository_commits_by_provider AS
WITH totals AS (
  SELECT repo_id, count(*) AS non_merge_commits
  FROM metadata_commits
  WHERE is_merge = 0 AND is_unreachable = 0
  GROUP BY repo_id
),
named AS (
  SELECT repo_id, ai_marker AS provider, ai_marker_source AS source, committed_at, 1 AS marked
  FROM metadata_commits
  WHERE is_merge = 0 AND is_unreachable = 0 AND ai_marker IS NOT NULL
  UNION ALL
  SELECT repo_id, ai_committed_by, NULL, committed_at, 0
  FROM metadata_commits
  WHERE is_merge = 0 AND is_unreachable = 0 AND ai_marker IS NULL AND ai_committed_by IS NOT NULL
)
SELECT
  n.repo_id,
  n.provider,
  sum(n.marked) AS ai_marked_commits,
  round(1.0 * sum(n.marked) / t.non_merge_commits, 4) AS share_of_commits,
  count(CASE WHEN n.source = 'trailer' THEN 1 END) AS by_trailer,
  count(CASE WHEN n.source = 'message' THEN 1 END) AS by_message,
  count(CASE WHEN n.source = 'author' THEN 1 END) AS by_author,
  count(CASE WHEN n.source = 'subject' THEN 1 END) AS by_subject,
  count(CASE WHEN n.marked = 0 THEN 1 END) AS ai_committed_commits,
  min(CASE WHEN n.marked = 1 THEN n.committed_at END) AS first_commit_at,
  max(CASE WHEN n.marked = 1 THEN n.committed_at END) AS last_commit_at
FROM named n
JOIN totals t ON t.repo_id = n.repo_id
GROUP BY n.repo_id, n.provider, t.non_merge_commits;
