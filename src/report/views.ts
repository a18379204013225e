import type { Database } from '../db/driver.js';
import type { ResultTable } from './render.js';

/** The view_* names in the database, sorted. */
export function listViews(db: Database): string[] {
  return db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'view\\_%' ESCAPE '\\' ORDER BY name`)
    .all<{ name: string }>()
    .map((r) => r.name);
}

/** Reads one view, filtered to one repository when the view has a repo_id column. */
export function readView(db: Database, view: string, repoId: string | null): ResultTable {
  const columns = db.prepare(`SELECT * FROM "${view}" LIMIT 0`).columns();
  const filtered = repoId !== null && columns.includes('repo_id');
  const stmt = db.prepare(`SELECT * FROM "${view}"${filtered ? ' WHERE repo_id = ?' : ''}`);
  const names = stmt.columns();
  return { name: view, columns: names, rows: stmt.allArrays(filtered ? [repoId] : []).map(rowObject(names)) };
}

/**
 * Makes a row's object from its array of values: one object literal with the columns as its keys
 * (computed from their names as string literals, so any name, `__proto__` too, is an own key).
 * better-sqlite3 builds its row objects a property at a time from C++: view_session_productivity's
 * 14,301 rows of 20 columns took 134 ms as objects, 83 ms as arrays, 90 ms as arrays made into
 * objects here.
 */
function rowObject(columns: readonly string[]): (values: unknown[]) => Record<string, unknown> {
  const keys = columns.map((c, i) => `[${JSON.stringify(c)}]: v[${i}]`).join(', ');
  return new Function('v', `return { ${keys} };`) as (values: unknown[]) => Record<string, unknown>;
}

/**
 * A view's table from rows of it the caller read already (`SELECT *` of it, in the order they
 * should show; the table keeps them, so they are the caller's copies).
 */
export function viewTable(db: Database, view: string, rows: Record<string, unknown>[]): ResultTable {
  return { name: view, columns: db.prepare(`SELECT * FROM "${view}" LIMIT 0`).columns(), rows };
}
