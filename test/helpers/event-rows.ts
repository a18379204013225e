import { openDatabase } from '../../src/db/open.js';

/**
 * Every event table and metadata_tasks of the database at `path`, each sorted on all its columns:
 * what a kept database and one built from scratch must agree on (DESIGN §1).
 */
export function eventRows(path: string): Record<string, unknown[]> {
  const db = openDatabase(path);
  try {
    const tables = db
      .prepare(
        `SELECT name FROM sqlite_master WHERE type = 'table' AND (name LIKE 'event\\_%' ESCAPE '\\' OR name = 'metadata_tasks') ORDER BY name`,
      )
      .all<{ name: string }>()
      .map((r) => r.name);
    const out: Record<string, unknown[]> = {};
    for (const table of tables) {
      const columns = db.prepare(`SELECT * FROM ${table} LIMIT 0`).columns();
      out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`).all();
    }
    return out;
  } finally {
    db.close();
  }
}
