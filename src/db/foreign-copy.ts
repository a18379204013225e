import { copyFileSync, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { DatabaseError } from '../errors.js';
import type { Database } from './driver.js';
import { openDatabase } from './open.js';

/**
 * Reads another program's SQLite database (Cursor's state.vscdb, OpenCode's opencode.db) from a
 * copy: the program keeps its file open and must never wait on us, and a copy taken with its -wal
 * holds what the program wrote. The copy is opened read-only through the same driver as paceflow's
 * own database (node:sqlite in the Action), never migrated, and removed afterwards.
 */
export function readDatabaseCopy<T>(path: string, read: (db: Database) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'paceflow-copy-'));
  try {
    const copy = join(dir, basename(path));
    copyFileSync(path, copy);
    if (existsSync(`${path}-wal`)) copyFileSync(`${path}-wal`, `${copy}-wal`);
    let db: Database;
    try {
      db = openDatabase(copy, { readonly: true });
    } catch (error) {
      // Name the file the person knows, not the temporary copy.
      if (error instanceof DatabaseError) throw new DatabaseError(error.message.replace(copy, path), { cause: error });
      throw error;
    }
    try {
      return read(db);
    } finally {
      db.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
