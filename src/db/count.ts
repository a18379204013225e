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

/** The row events whose counting triggers a bulk write can put off. */
export type CountedEvent = 'INSERT' | 'UPDATE';

/**
 * Runs `fn` — UPDATEs by key of many of one repository's rows of `table`, in the caller's
 * transaction — with the triggers that keep `table`'s counts on UPDATE put off: dropped before,
 * made again from their stored SQL after, and the repository's sets of `table` counted once
 * instead of kept row by row. The trigger runs four statements for each row that moves between
 * sets: the outcome build's update of every outcome row of the 80k bench history took 2.45 s with
 * it and 0.68 s without, its recount ~0.2 s (bench/README, session 41). SQLite's DDL is
 * transactional: a kill before the commit leaves the triggers and the counts as they were; a
 * throw from `fn` still gets its triggers back and counts what is there. The INSERT and DELETE
 * triggers stay, and `fn` must update no other repository's rows. Only tables whose sets have
 * fixed names (not fact_commit_notes, a set per notes ref).
 */
export function withCountsRecountedAfter<T>(db: Database, table: string, repoId: string, fn: () => T): T {
  const recount = countsRecountedLater(db, table, repoId, ['UPDATE']);
  try {
    return fn();
  } finally {
    recount();
  }
}

/**
 * Puts off the triggers that keep `table`'s counts on the given events (withCountsRecountedAfter's
 * rules): dropped now; the returned function — called in the same transaction — makes them again
 * from their stored SQL and counts the repository's sets of `table` once. Until then the kept
 * counts of those sets are not to be read. A bulk INSERT is what it is for beside UPDATEs: the two
 * counting triggers of metadata_commits run two statements each for every commit inserted, and
 * SQLite journals what a statement with triggers changes (a commit's row, its message, is large) —
 * 62,273 commits as a first history writes them (into a new database, its indexes put off): 1.22–1.50 s
 * of inserts with them, 0.71–0.99 s without, ~0.05–0.1 s more at the end for the count (session 53,
 * the 80k bench history's rows, three runs each way). Churn's one trigger on its small rows cost
 * little (42,345 rows: 117–134 ms with it, 81–111 ms without): it stays.
 */
export function countsRecountedLater(db: Database, table: string, repoId: string, events: readonly CountedEvent[]): () => void {
  const sets = COUNTED_ROWS.filter((r) => r.table === table);
  if (sets.length === 0 || sets.some((s) => !/^'[^']*'$/.test(s.counted)))
    throw new Error(`counts put off: ${table}'s counted sets are not fixed names`);
  const triggers = db
    .prepare(
      `SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = ? AND name LIKE 'paceflow!_row!_counts!_%' ESCAPE '!'
         AND (${events.map((e) => `sql LIKE '%AFTER ${e}%'`).join(' OR ')}) ORDER BY name`,
    )
    .all<{ name: string; sql: string }>([table]);
  // None to put off (a schema from before sql/029, which kept no counts): nothing to count after.
  if (triggers.length === 0) return () => {};
  for (const { name } of triggers) db.exec(`DROP TRIGGER "${name.replaceAll('"', '""')}"`);
  return () => {
    for (const { sql } of triggers) db.exec(sql);
    for (const { counted, where } of sets) {
      db.prepare(`DELETE FROM paceflow_row_counts WHERE counted = ${counted} AND repo_id = ?`).run([repoId]);
      // A set keeps a row only while it has rows (sql/029).
      db.prepare(
        `INSERT INTO paceflow_row_counts (counted, repo_id, row_count)
         SELECT ${counted}, repo_id, count(*) FROM ${table} WHERE repo_id = ? AND (${where}) GROUP BY repo_id`,
      ).run([repoId]);
    }
  };
}
