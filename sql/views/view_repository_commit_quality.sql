-- view_repository_commit_quality
-- Grain: one row per repository.
-- Meaning: what git alone says about a repository's commits. AI-assisted commits are those a
--   trailer or author marker names (DESIGN §4); it is a lower bound, not attribution: commits made
--   with an assistant that leaves no marker are counted as unmarked. Line-level AI shares come
--   with attribution.
-- Columns:
--   repo_id, mainline_branch, is_shallow (1: history is cut off and counts are partial)
--   commits              all recorded commits reachable from any branch, remote branch or tag
--   merge_commits        commits with two or more parents
--   non_merge_commits    commits with at most one parent (the base of the AI columns)
--   ai_marked_commits    non-merge commits with an AI marker of any provider
--   ai_marked_share      ai_marked_commits / non_merge_commits (NULL when there are none)
--   ai_marked_providers  number of distinct providers named by markers
--   first_commit_at, last_commit_at   committer times, ISO-8601 UTC
CREATE VIEW view_repository_commit_quality AS
SELECT
  r.repo_id,
  r.mainline_branch,
  r.is_shallow,
  count(c.sha) AS commits,
  coalesce(sum(c.is_merge), 0) AS merge_commits,
  count(c.sha) - coalesce(sum(c.is_merge), 0) AS non_merge_commits,
  count(CASE WHEN c.is_merge = 0 AND c.ai_marker IS NOT NULL THEN 1 END) AS ai_marked_commits,
  round(
    1.0 * count(CASE WHEN c.is_merge = 0 AND c.ai_marker IS NOT NULL THEN 1 END)
      / nullif(count(c.sha) - coalesce(sum(c.is_merge), 0), 0),
    4
  ) AS ai_marked_share,
  count(DISTINCT CASE WHEN c.is_merge = 0 THEN c.ai_marker END) AS ai_marked_providers,
  min(c.committed_at) AS first_commit_at,
  max(c.committed_at) AS last_commit_at
FROM metadata_repositories r
LEFT JOIN metadata_commits c ON c.repo_id = r.repo_id
GROUP BY r.repo_id;
