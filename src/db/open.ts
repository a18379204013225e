import { accessSync, constants, mkdirSync, existsSync, statSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError } from '../errors.js';
import { BetterSqliteDatabase } from './better-sqlite3.js';
import type { Database, OpenOptions } from './driver.js';
import { migrate } from './migrate.js';

export type DatabaseFactory = (path: string, options: OpenOptions) => Database;

let defaultFactory: DatabaseFactory = (path, options) => new BetterSqliteDatabase(path, options);

/** Makes every later openDatabase() use this driver (the Action: node:sqlite instead of better-sqlite3). */
export function useDatabaseFactory(factory: DatabaseFactory): void {
  defaultFactory = factory;
}

/** Turns SQLite's terse codes into one line that names the file and the cause. */
export function describeDatabaseError(path: string, error: unknown): DatabaseError {
  const err = error as { code?: string; message?: string };
  const code = err.code ?? '';
  let cause = err.message ?? String(error);
  if (code === 'SQLITE_NOTADB' || code === 'SQLITE_CORRUPT') cause = 'not a SQLite database, or corrupt';
  else if (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED')) {
    cause = 'locked by another process (waited for the busy timeout)';
  } else if (code === 'SQLITE_CANTOPEN') cause = 'cannot open the file (missing directory or no permission)';
  else if (code === 'SQLITE_READONLY') cause = 'the file is read-only';
  else if (code === 'SQLITE_PERM' || code === 'EACCES') cause = 'permission denied';
  return new DatabaseError(`database ${path}: ${cause}`, { cause: error });
}

/**
 * Opens (creating if needed) the paceflow database: WAL, busy_timeout ≥ 5 s, schema migrated,
 * views current. A read-only open requires an existing file and migrates nothing.
 */
export function openDatabase(path: string, options: OpenOptions = {}, factory: DatabaseFactory = defaultFactory): Database {
  const readonly = options.readonly ?? false;
  if (readonly && !existsSync(path)) {
    throw new DatabaseError(`database ${path}: does not exist yet; run \`paceflow ingest\` first`);
  }
  let db: Database | undefined;
  try {
    if (!readonly) mkdirSync(dirname(path), { recursive: true });
    db = factory(path, { readonly, busyTimeoutMs: Math.max(options.busyTimeoutMs ?? 5000, 5000) });
    db.pragma(`busy_timeout = ${Math.max(options.busyTimeoutMs ?? 5000, 5000)}`);
    if (!readonly) {
      db.pragma('journal_mode = WAL');
      db.pragma('synchronous = NORMAL');
      // Commit keys are random shas: a page cache keeps bulk inserts off the disk; past 16 MB it
      // bought no time and cost its size in a first run's peak (#20: ≤ 300 MB). 64 → 32 MB (session
      // 14) and 32 → 16 MB (session 15): the same CPU time within the noise on the 20k and 80k bench
      // histories' first runs (80k: 286.5 s against 295–300 s; 20k: 62.1 s against 62.5 s), peaks
      // 285 → 269 MB and 246 → 220 MB. The OS's file cache still holds the pages SQLite drops.
      db.pragma('cache_size = -16384');
      // A first build commits a batch at a time into b-trees keyed by sha, dirtying pages all over
      // them: checkpointing every 4 MB of WAL (SQLite's default) copied the same pages back again
      // and again (5.6 s of the commits on the 80k bench history's first run). Every 64 MB instead:
      // 8 s less of a 124 s first run there, 2.4 s of 47 s CPU on 20k. A run that writes little
      // never reaches it: closing the last connection checkpoints the WAL whatever its size.
      db.pragma('wal_autocheckpoint = 16384');
      // Sorts and temporary b-trees go to a temporary file past a small cache (SQLite's default),
      // not to memory: in memory they are unbounded, and a first run's churn plan sorted ~180 MB
      // there (peak RSS 521 MB on the 20k-commit bench history's first run, 441 MB with the file).
      // Where SQLite finds no directory to write one (a read-only container), memory it is.
      db.pragma(`temp_store = ${sqliteTempDirectory() ? 'FILE' : 'MEMORY'}`);
      db.pragma('foreign_keys = ON');
      migrate(db);
    } else {
      db.exec('SELECT count(*) FROM sqlite_master');
    }
    return db;
  } catch (error) {
    db?.close();
    if (error instanceof DatabaseError) throw error;
    throw describeDatabaseError(path, error);
  }
}

/**
 * The directory SQLite's unix VFS would write temporary files to — the first writable directory of
 * $SQLITE_TMPDIR, $TMPDIR, /var/tmp, /usr/tmp, /tmp, the current one — or null when there is none.
 */
export function sqliteTempDirectory(
  env: NodeJS.ProcessEnv = process.env,
  fixed: readonly string[] = ['/var/tmp', '/usr/tmp', '/tmp', '.'],
): string | null {
  for (const dir of [env.SQLITE_TMPDIR, env.TMPDIR, ...fixed]) {
    if (!dir) continue;
    try {
      if (!statSync(dir).isDirectory()) continue;
      accessSync(dir, constants.W_OK | constants.X_OK);
      return dir;
    } catch {
      // missing or not writable: the next one
    }
  }
  return null;
}
