import type { Database } from './driver.js';

type JournalMode = 'delete' | 'wal';

/**
 * Runs a load into tables that start out empty with SQLite's rollback journal, then puts the
 * database back into WAL. A rollback journal keeps only the old content of pages a transaction
 * changes, and pages added past the end of the file have none: the new rows are written once,
 * where the WAL writes them twice (into the log, then again at every checkpoint). A transaction
 * that fails is still rolled back whole. On a 1 GB first transcript ingest this saved 0.5–0.8 s
 * of 11.5 s in same-run pairs (bench/README.md).
 *
 * Leaving WAL needs the only connection to the file: when another process has the database open,
 * SQLite refuses at once and the load keeps the WAL. A process that opens the database during the
 * load waits for the write lock as it would in WAL (its own open may put the file back into WAL,
 * which SQLite handles). Going back to WAL waits for other readers, for the whole busy timeout:
 * the switch is tried without one, and when a reader is in the way the next open sets WAL.
 */
export async function withRollbackJournal<T>(db: Database, fn: () => Promise<T>): Promise<T> {
  const switched = setJournalMode(db, 'delete');
  try {
    return await fn();
  } finally {
    if (switched) setJournalMode(db, 'wal');
  }
}

/** True when the database is in `mode` afterwards; false when another connection is in the way. */
function setJournalMode(db: Database, mode: JournalMode): boolean {
  const [timeout] = db.pragma('busy_timeout') as { timeout: number }[];
  db.pragma('busy_timeout = 0');
  try {
    const [row] = db.pragma(`journal_mode = ${mode}`) as { journal_mode: string }[];
    return row?.journal_mode === mode;
  } catch (error) {
    if (isBusy(error)) return false;
    throw error;
  } finally {
    db.pragma(`busy_timeout = ${timeout?.timeout ?? 5000}`);
  }
}

/** better-sqlite3 names the code; node:sqlite gives SQLite's number (5, or an extended 5 + n·256). */
function isBusy(error: unknown): boolean {
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  return (typeof code === 'string' && code.startsWith('SQLITE_BUSY')) || (typeof errcode === 'number' && (errcode & 0xff) === 5);
}

/**
 * Keeps SQLite's statement journals in memory until the returned function is called, which puts
 * `temp_store` back. A transcript batch holds a savepoint per file, and statements that write
 * through a trigger calling a function (the attribution queue's `unixepoch`) open a statement
 * journal of their own: with temp_store = FILE each spilled to a temporary file past 64 KiB, the old
 * content of every page they touched written out again (1 GB first ingest: 760k write calls →
 * 155k, 1.73 → 0.48 GB written, the same peak). In memory the journal holds no more than the pages
 * one statement or one file's savepoint touched, and is dropped with them.
 *
 * Changing temp_store drops every temporary table the connection holds: when it holds one, it is
 * left as it is. Sorts and temporary b-trees would also stay in memory meanwhile, so the caller
 * keeps this to writes that sort nothing large.
 */
export function statementJournalsInMemory(db: Database): () => void {
  const [current] = db.pragma('temp_store') as { temp_store: number }[];
  const previous = current?.temp_store ?? 0;
  const temporary = db.prepare(`SELECT count(*) AS n FROM sqlite_temp_master`).get<{ n: number }>()?.n ?? 0;
  if (previous === 2 || temporary > 0) return () => {};
  db.pragma('temp_store = MEMORY');
  return () => db.pragma(`temp_store = ${previous}`);
}
