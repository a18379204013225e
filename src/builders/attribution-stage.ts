import type { Database, SqlValue } from '../db/driver.js';
import { withSortsSpilledEarly } from '../db/indexes-after.js';

/**
 * The rows a first replay writes, held in temporary tables until it ends and then written to
 * their tables at once, in key order. Those tables are keyed by commit (sha first), and a replay
 * goes in commit time order: each of its batches — a transaction each — put its ~500 commits'
 * rows on random pages of each table, so every batch wrote most of their pages again. On the 80k
 * bench history's first run, attribution's WAL took 139,900 frames (546 MB) for ~17k pages: the
 * outcome rows' 2,273 pages 59,717 frames, the owed notes' 1,315 pages 21,096, the takings' key
 * 18,072, the attributions' 14,289 and the changed evidence's 8,783 (bench/README, session 56).
 * Staged, 21,986 frames (86 MB): a page is written about once.
 *
 * Only a first replay stages (the repository has no outcome row, no attribution and no taking
 * yet): nothing it reads during the replay can then be among the rows it holds back — the outcome
 * rows it would compare with (a commit's counts before, the heavy mainline rows) do not exist until
 * the outcome build, the takings it would read back are none (saveTakings' `none`: with a taking
 * stored, each commit's save would compare and delete, and a delete from the stage scans it), and
 * churn reads the changed evidence after. Its commits leave the queue when it ends, in the transaction that writes
 * these rows (AttributionRun's attributedShas): a run killed before the end leaves the queue whole
 * and the temporary tables gone with its connection, and the next run replays from the start, as
 * a run never killed does.
 *
 * The outcome rows are staged as their counts; their share, flag, coverage and source are computed
 * when they are written, from the attributions written just before them (a first replay attributes
 * each commit once, so they are the attributions the row would have read when it was staged).
 */
export const STAGED_TABLES = ['event_commit_attributions', 'paceflow_owed_notes', 'paceflow_ai_lines', 'paceflow_churn_dirty'] as const;
export type StagedTable = (typeof STAGED_TABLES)[number];
/** The staged tables written in key order (the takings are written as staged: write). */
const KEY_ORDERED = STAGED_TABLES.filter((t) => t !== 'paceflow_ai_lines');

/** A staged table's name: the table's own, in the temp schema. */
const staged = (table: string) => `paceflow_staged_${table}`;
const STAGED_OUTCOMES = 'paceflow_staged_outcomes';

export class AttributionStage {
  private constructor(private readonly db: Database) {
    this.drop();
    // The tables' own columns, without their constraints: rows are appended in rowid order.
    for (const table of STAGED_TABLES) db.exec(`CREATE TEMP TABLE ${staged(table)} AS SELECT * FROM main.${table} LIMIT 0`);
    db.exec(
      `CREATE TEMP TABLE ${STAGED_OUTCOMES} (repo_id TEXT NOT NULL, sha TEXT NOT NULL, committed_at TEXT NOT NULL,
         nontrivial_added_lines INTEGER NOT NULL, ai_lines INTEGER NOT NULL)`,
    );
  }

  /**
   * A stage for a replay of more than one batch (`large`) when the repository has no outcome row,
   * no attribution and no taking yet; otherwise undefined (the rows are written where they go).
   */
  static forFirstReplay(db: Database, repoId: string, large: boolean): AttributionStage | undefined {
    if (!large) return undefined;
    const built = db
      .prepare(
        `SELECT EXISTS (SELECT 1 FROM event_commit_outcomes WHERE repo_id = @repo)
             OR EXISTS (SELECT 1 FROM event_commit_attributions WHERE repo_id = @repo)
             OR EXISTS (SELECT 1 FROM paceflow_ai_lines WHERE repo_id = @repo) AS built`,
      )
      .get<{ built: number }>({ repo: repoId })!.built;
    return built ? undefined : new AttributionStage(db);
  }

  /** Where a staged table's rows are written meanwhile (the same columns). */
  table(table: StagedTable): string {
    return `temp.${staged(table)}`;
  }

  /** Where the outcome rows' counts are written meanwhile (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines). */
  get outcomes(): string {
    return `temp.${STAGED_OUTCOMES}`;
  }

  /**
   * Writes the staged rows to their tables — the attributions, owed notes and changed evidence in
   * key order, then the outcome rows with the columns `outcome` computes from their counts (`s`)
   * and the attributions, the takings as staged — and lets the stage go. Of rows with one key the
   * last staged is written, over a stored one, as the writers' upsert and REPLACE do. In the
   * caller's transaction.
   */
  write(outcome: { columns: readonly string[]; values: (row: string) => string; params: Readonly<Record<string, SqlValue>> }): void {
    // The sorts with a small cache: with SQLite's 16 MB one, they and the pages they fill raised
    // the 80k bench history's first run's peak from 251 to 275 MB.
    withSortsSpilledEarly(this.db, () => {
      for (const table of KEY_ORDERED) {
        const { all, key } = this.columns(table);
        this.upsert(table, all, key, all.map((c) => `s.${c}`).join(', '), `temp.${staged(table)}`, {});
      }
      this.upsert(
        'event_commit_outcomes',
        outcome.columns,
        ['repo_id', 'sha'],
        outcome.values('s'),
        `temp.${STAGED_OUTCOMES}`,
        outcome.params,
      );
    });
    // The takings in the order staged — commit time order, as written without the stage: churn
    // reads a mainline commit's rows (storedAiLines, by key, then the row) in that order, and with
    // the rows in key order each commit's were on a page of their own (its pass +0.5 s on the 80k
    // bench history). No key comes twice: saveTakings deletes a commit's staged rows before it
    // stages them again. Their key's index, 4 MB there, takes its entries in the page cache.
    const { all, key } = this.columns('paceflow_ai_lines');
    const set = all.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`);
    this.db.exec(
      `INSERT INTO main.paceflow_ai_lines (${all.join(', ')})
       SELECT ${all.join(', ')} FROM temp.${staged('paceflow_ai_lines')} WHERE true ORDER BY rowid
       ON CONFLICT (${key.join(', ')}) DO UPDATE SET ${set.join(', ')}`,
    );
    this.drop();
  }

  /**
   * INSERT … ON CONFLICT DO UPDATE of the last staged row of each key, as `s` (a lone max() makes
   * SQLite take the other columns from the row with the highest rowid). The GROUP BY's sort hands
   * the rows on in key order; an ORDER BY on top sorted them all again for an order they already
   * had — which order they come in changes only which pages are written when, never what is written.
   */
  private upsert(
    table: string,
    columns: readonly string[],
    key: readonly string[],
    values: string,
    from: string,
    params: Readonly<Record<string, SqlValue>>,
  ): void {
    const set = columns.filter((c) => !key.includes(c)).map((c) => `${c} = excluded.${c}`);
    // WHERE true: an upsert's SELECT must have one, or SQLite reads ON CONFLICT as a join's ON.
    this.db
      .prepare(
        `INSERT INTO main.${table} (${columns.join(', ')})
         SELECT ${values} FROM (SELECT max(rowid) AS paceflow_last, * FROM ${from} GROUP BY ${key.join(', ')}) s WHERE true
         ON CONFLICT (${key.join(', ')}) DO ${set.length > 0 ? `UPDATE SET ${set.join(', ')}` : 'NOTHING'}`,
      )
      .run(params);
  }

  private columns(table: StagedTable): { all: string[]; key: string[] } {
    const info = this.db.prepare(`SELECT name, pk FROM pragma_table_info(?)`).all<{ name: string; pk: number }>([table]);
    return {
      all: info.map((c) => c.name),
      key: info
        .filter((c) => c.pk > 0)
        .sort((a, b) => a.pk - b.pk)
        .map((c) => c.name),
    };
  }

  /** drop(), after a failure: a failure of its own (the connection gone) leaves the first one to be reported. */
  dropQuietly(): void {
    try {
      this.drop();
    } catch {
      // the replay's own error is the one thrown
    }
  }

  /** Lets the temporary tables go (a replay that ended, or failed: its rows are not written). */
  drop(): void {
    for (const table of STAGED_TABLES) this.db.exec(`DROP TABLE IF EXISTS temp.${staged(table)}`);
    this.db.exec(`DROP TABLE IF EXISTS temp.${STAGED_OUTCOMES}`);
  }
}
