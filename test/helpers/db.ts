import { join } from 'node:path';
import type { Database } from '../../src/db/driver.js';
import { openDatabase } from '../../src/db/open.js';
import { tempDir } from './git-repo.js';
import { COUNTED_ROWS } from '../../src/db/count.js';

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
  expectRowCountsKept(db);
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

/**
 * paceflow_ai_lines put back as sql/011 made it (a row per line, its lines kept): how a test makes
 * a database of this version look like one from before sql/028, whose migration then runs on it.
 */
export const AI_LINES_BEFORE_028 = `
  ALTER TABLE paceflow_ai_lines RENAME TO paceflow_ai_lines_by_write;
  CREATE TABLE paceflow_ai_lines (
    repo_id TEXT NOT NULL, sha TEXT NOT NULL, edit_id TEXT NOT NULL, write_path TEXT NOT NULL, path TEXT NOT NULL,
    line TEXT NOT NULL, provider TEXT NOT NULL, n INTEGER NOT NULL,
    PRIMARY KEY (repo_id, sha, edit_id, write_path, path, line)
  ) WITHOUT ROWID;
  INSERT INTO paceflow_ai_lines (repo_id, sha, edit_id, write_path, path, line, provider, n)
  SELECT t.repo_id, t.sha, t.edit_id, t.write_path, t.path, j.value ->> 0, t.provider, j.value ->> 1
  FROM paceflow_ai_lines_by_write t, json_each(t.lines) j;
  DROP TABLE paceflow_ai_lines_by_write;
  CREATE INDEX paceflow_ai_lines_by_write_path ON paceflow_ai_lines (repo_id, write_path);`;

/**
 * Throws unless paceflow_row_counts (sql/029) holds what counting by WHERE finds, set by set and
 * repository by repository: every test that snapshots a database checks the triggers kept up with
 * whatever the run did (a database from before sql/029 has no counts to check).
 */
export function expectRowCountsKept(db: Database): void {
  if (!db.prepare(`SELECT 1 FROM sqlite_master WHERE name = 'paceflow_row_counts'`).get()) return;
  const counted = COUNTED_ROWS.flatMap(({ counted, table, where }) =>
    db
      .prepare(`SELECT ${counted} AS counted, repo_id, count(*) AS row_count FROM ${table} WHERE ${where} GROUP BY 1, 2`)
      .all<{ counted: string; repo_id: string; row_count: number }>(),
  );
  const key = (r: { counted: string; repo_id: string; row_count: number }) => `${r.counted} ${r.repo_id} ${r.row_count}`;
  const kept = db
    .prepare(`SELECT counted, repo_id, row_count FROM paceflow_row_counts`)
    .all<{ counted: string; repo_id: string; row_count: number }>();
  const [a, b] = [kept.map(key).sort(), counted.map(key).sort()];
  if (JSON.stringify(a) !== JSON.stringify(b))
    throw new Error(`paceflow_row_counts kept ${JSON.stringify(a)}, the rows count ${JSON.stringify(b)}`);
}

/**
 * SQL that takes sql/029's kept counts out of a database (its table and every trigger keeping it):
 * how a test makes a database of this version look like one from before sql/029.
 */
export function rowCountsBefore029(db: Database): string {
  const triggers = db
    .prepare(`SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'paceflow\\_row\\_counts\\_%' ESCAPE '\\' ORDER BY name`)
    .all<{ name: string }>();
  return `${triggers.map((t) => `DROP TRIGGER ${t.name};`).join(' ')} DROP TABLE paceflow_row_counts;`;
}
