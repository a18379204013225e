import type { Database } from './driver.js';

/**
 * The sets whose rows paceflow_row_counts keeps counted per repository (sql/029): what the builders
 * and the notes ingest compare after every run to notice rows dropped to be rebuilt.
 */
export type CountedRows =
  | 'metadata_commits:attributable'
  | 'metadata_commits:merge'
  | 'event_commit_outcomes'
  | 'event_commit_outcomes:ancestor'
  | 'event_commit_churn'
  | `fact_commit_notes:${string}`;

/**
 * What each counted set is, as a query would count it (`counted`: the set's name as an SQL
 * expression over the table's row): the oracle the tests hold the kept counts to.
 */
export const COUNTED_ROWS: readonly { counted: string; table: string; where: string }[] = [
  // Not a merge, not a shallow clone's cut-off, still reachable (the flags are 0 or 1, NOT NULL).
  {
    counted: `'metadata_commits:attributable'`,
    table: 'metadata_commits',
    where: 'is_merge = 0 AND is_shallow_boundary = 0 AND is_unreachable = 0',
  },
  // Reachable merges.
  { counted: `'metadata_commits:merge'`, table: 'metadata_commits', where: 'is_merge = 1 AND is_unreachable = 0' },
  { counted: `'event_commit_outcomes'`, table: 'event_commit_outcomes', where: '1' },
  {
    counted: `'event_commit_outcomes:ancestor'`,
    table: 'event_commit_outcomes',
    where: "merged_to_mainline = 1 AND mainline_via = 'ancestor'",
  },
  { counted: `'event_commit_churn'`, table: 'event_commit_churn', where: '1' },
  // One set per notes ref.
  { counted: `'fact_commit_notes:' || notes_ref`, table: 'fact_commit_notes', where: '1' },
];

/**
 * How many rows of a counted set belong to one repository: one key of paceflow_row_counts, which
 * triggers keep as rows come and go (sql/029). Counted instead — by key ranges of the smallest
 * index, merges and the like taken off — the sets compared after every run read ~4,200 pages on
 * the 80k bench history: 100–130 ms of the hooks' worker after each commit, in proportion to the
 * history, not the change.
 */
export function repositoryRows(db: Database, counted: CountedRows, repoId: string): number {
  return (
    db.prepare(`SELECT row_count FROM paceflow_row_counts WHERE counted = ? AND repo_id = ?`).get<{ row_count: number }>([counted, repoId])
      ?.row_count ?? 0
  );
}

/** The repository's attributable commits: not a merge, not a shallow clone's cut-off, still reachable. */
export const attributableCommits = (db: Database, repoId: string): number => repositoryRows(db, 'metadata_commits:attributable', repoId);
