import type { Database } from './driver.js';

/** Tables whose primary key starts with repo_id (NOT NULL): the ones repositoryRows can count. */
export type RepositoryKeyedTable = 'event_commit_outcomes' | 'event_commit_churn' | 'metadata_commits';

/**
 * How many rows of `table` belong to one repository, exactly, without stepping through them.
 * SQLite counts a whole table from its b-tree pages (a count(*) without WHERE never decodes a
 * row), while `WHERE repo_id = ?` visits every one of the repository's rows: for the 44k outcome
 * rows of the 80k bench history, 0.3 ms against 5.6 ms with the pages cached, 7–8 ms against 11 ms
 * in a process that just opened the database (the pages are read either way) — what the worker
 * pays after every commit. So the other repositories' rows — none in the usual one-repository
 * database — are counted by key range and taken off the total; one statement, so one snapshot.
 */
export function repositoryRows(db: Database, table: RepositoryKeyedTable, repoId: string): number {
  return db
    .prepare(
      `SELECT (SELECT count(*) FROM ${table}) - (SELECT count(*) FROM ${table} WHERE repo_id < @repo)
              - (SELECT count(*) FROM ${table} WHERE repo_id > @repo) AS n`,
    )
    .get<{ n: number }>({ repo: repoId })!.n;
}

/**
 * The repository's attributable commits (not a merge, not a shallow clone's cut-off, still
 * reachable): its commits less the few that are not, each kind counted by index (merges are the
 * most: one commit in ten on the bench history, one in four on git's). The same number as counting
 * `is_merge = 0 AND is_shallow_boundary = 0 AND is_unreachable = 0` — the flags are 0 or 1, NOT
 * NULL — without reading every commit's index entry.
 */
export function attributableCommits(db: Database, repoId: string): number {
  const { others } = db
    .prepare(
      `SELECT (SELECT count(*) FROM metadata_commits INDEXED BY metadata_commits_by_state WHERE repo_id = @repo AND is_unreachable = 1)
            + (SELECT count(*) FROM metadata_commits INDEXED BY metadata_commits_by_state
               WHERE repo_id = @repo AND is_unreachable = 0 AND is_merge = 1)
            + (SELECT count(*) FROM metadata_commits INDEXED BY metadata_commits_shallow_boundary
               WHERE repo_id = @repo AND is_shallow_boundary = 1 AND is_unreachable = 0 AND is_merge = 0) AS others`,
    )
    .get<{ others: number }>({ repo: repoId })!;
  return repositoryRows(db, 'metadata_commits', repoId) - others;
}
