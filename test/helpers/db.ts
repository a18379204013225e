import { join } from 'node:path';
import type { Database } from '../../src/db/driver.js';
import { openDatabase } from '../../src/db/open.js';
import { tempDir } from './git-repo.js';

export function tempDatabase(): Database {
  return openDatabase(join(tempDir('paceflow-db-'), 'paceflow.db'));
}

/** Every user table (not sqlite_*), sorted. */
export function tableNames(db: Database): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite\\_%' ESCAPE '\\' ORDER BY name`)
    .all<{ name: string }>()
    .map((r) => r.name);
}

/**
 * Every row of every table in a stable order, minus the columns that record *when* paceflow ran
 * (those legitimately move between runs).
 */
export const RUN_TIME_COLUMNS = new Set(['last_ingested_at', 'last_seen_at', 'ingested_at', 'read_at', 'updated_at', 'seen_at']);

export function snapshot(db: Database, ignore: readonly string[] = []): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const table of tableNames(db)) {
    if (table === 'paceflow_meta') continue;
    const width = db.prepare(`SELECT count(*) AS n FROM pragma_table_info(?)`).get<{ n: number }>([table])!.n;
    const order = Array.from({ length: Math.min(width, 3) }, (_, i) => i + 1).join(', ');
    const rows = db.prepare(`SELECT * FROM "${table}" ORDER BY ${order}`).all();
    out[table] = rows.map((row) =>
      Object.fromEntries(Object.entries(row).filter(([k]) => !RUN_TIME_COLUMNS.has(k) && !ignore.includes(`${table}.${k}`))),
    );
  }
  return out;
}
