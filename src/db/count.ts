import type { Database } from './driver.js';

/**
 * The sets whose rows paceflow_row_counts keeps counted per repository (sql/029): what the builders
 * compare after every run to notice rows dropped to be rebuilt.
 */
export type CountedRows =
  | 'metadata_commits:attributable'
  | 'event_commit_outcomes'
  | 'event_commit_outcomes:ancestor'
  | 'event_commit_churn';

/** What each counted set is, as a WHERE would count it: the oracle the tests hold the kept counts to. */
export const COUNTED_ROWS = {
  // Not a merge, not a shallow clone's cut-off, still reachable (the flags are 0 or 1, NOT NULL).
  'metadata_commits:attributable': { table: 'metadata_commits', where: 'is_merge = 0 AND is_shallow_boundary = 0 AND is_unreachable = 0' },
  event_commit_outcomes: { table: 'event_commit_outcomes', where: '1' },
  'event_commit_outcomes:ancestor': { table: 'event_commit_outcomes', where: "merged_to_mainline = 1 AND mainline_via = 'ancestor'" },
  event_commit_churn: { table: 'event_commit_churn', where: '1' },
} as const satisfies Record<CountedRows, { table: string; where: string }>;

/**
 * How many rows of a counted set belong to one repository: one key of paceflow_row_counts, which
 * triggers keep as rows come and go (sql/029). Counted instead — by key ranges of the smallest
 * index, merges and the like taken off — the four sets the builders compare after every run read
 * ~4,000 pages on the 80k bench history: 90–120 ms of the hooks' worker after each commit, in
 * proportion to the history, not the change.
 */
export function repositoryRows(db: Database, counted: CountedRows, repoId: string): number {
  return (
    db.prepare(`SELECT row_count FROM paceflow_row_counts WHERE counted = ? AND repo_id = ?`).get<{ row_count: number }>([counted, repoId])
      ?.row_count ?? 0
  );
}

/** The repository's attributable commits: not a merge, not a shallow clone's cut-off, still reachable. */
export const attributableCommits = (db: Database, repoId: string): number => repositoryRows(db, 'metadata_commits:attributable', repoId);
