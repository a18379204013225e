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
  return { name: view, columns: stmt.columns(), rows: stmt.all(filtered ? [repoId] : []) };
}

/**
 * A view's table from rows of it the caller read already (`SELECT *` of it, in the order they
 * should show; the table keeps them, so they are the caller's copies).
 */
export function viewTable(db: Database, view: string, rows: Record<string, unknown>[]): ResultTable {
  return { name: view, columns: db.prepare(`SELECT * FROM "${view}" LIMIT 0`).columns(), rows };
}
