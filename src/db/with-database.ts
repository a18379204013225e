import type { Database, OpenOptions } from './driver.js';
import { describeDatabaseError, openDatabase } from './open.js';
import { resolveDatabasePath } from './path.js';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { DatabaseError, PaceflowError } from '../errors.js';

export interface DatabaseLocation {
  /** `--db`, relative to cwd; default per DESIGN §6. */
  db?: string;
  cwd: string;
  env?: NodeJS.ProcessEnv;
}

/** Whether the database file at this location exists already. */
export function databaseExists(location: DatabaseLocation): boolean {
  return existsSync(resolveDatabasePath(location.db, location.cwd, location.env));
}

/**
 * Opens the database, runs `fn`, closes it. SQLite failures on the way (a lock that outlasts the
 * busy timeout, a full disk) become one DatabaseError naming the file.
 */
export async function withDatabase<T>(location: DatabaseLocation, fn: (db: Database) => Promise<T>, options: OpenOptions = {}): Promise<T> {
  const path = resolveDatabasePath(location.db, location.cwd, location.env);
  // Only the default location is created: a --db whose folder is missing is a typo, not a request
  // to make directories (as root, anywhere on the disk).
  if (location.db && !options.readonly && !existsSync(dirname(path))) {
    throw new DatabaseError(
      `database ${path}: the folder ${dirname(path)} does not exist (create it, or leave out --db for the default location)`,
    );
  }
  const db = openDatabase(path, options);
  try {
    return await fn(db);
  } catch (error) {
    const code = (error as { code?: unknown }).code;
    if (!(error instanceof PaceflowError) && typeof code === 'string' && code.startsWith('SQLITE_')) {
      throw describeDatabaseError(path, error);
    }
    throw error;
  } finally {
    db.close();
  }
}
