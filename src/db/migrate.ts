import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { DatabaseError } from '../errors.js';
import type { Database } from './driver.js';

/** sql/ ships beside dist/ and src/; both sit two levels below the package root. */
export const SQL_DIR = fileURLToPath(new URL('../../sql/', import.meta.url));
export const VIEWS_DIR = fileURLToPath(new URL('../../sql/views/', import.meta.url));
/** Views over a connection's temp tables (a PR's commit set, a release range): TEMP views, made per use. */
export const TEMP_VIEWS_DIR = fileURLToPath(new URL('../../sql/temp-views/', import.meta.url));
/** The team warehouse's own migrations (PostgreSQL), applied by src/sync/warehouse-schema.ts. */
export const WAREHOUSE_DIR = fileURLToPath(new URL('../../sql/warehouse/', import.meta.url));

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

export interface ViewDefinition {
  name: string;
  sql: string;
}

/**
 * The Action's bundle has no sql/ folder beside it: its build defines this as the contents of
 * every file of sql/ and sql/views/ (scripts/build-action.mjs).
 */
declare const PACEFLOW_BUNDLED_SQL:
  | {
      files: Record<string, string>;
      views: Record<string, string>;
      tempViews: Record<string, string>;
      warehouse: Record<string, string>;
    }
  | undefined;
const bundled = typeof PACEFLOW_BUNDLED_SQL === 'undefined' ? undefined : PACEFLOW_BUNDLED_SQL;

function sqlFiles(dir: string): { name: string; text: () => string }[] {
  const embedded =
    bundled &&
    { [SQL_DIR]: bundled.files, [VIEWS_DIR]: bundled.views, [TEMP_VIEWS_DIR]: bundled.tempViews, [WAREHOUSE_DIR]: bundled.warehouse }[dir];
  if (embedded) return Object.entries(embedded).map(([name, text]) => ({ name, text: () => text }));
  return readdirSync(dir).map((name) => ({ name, text: () => readFileSync(dir + name, 'utf8') }));
}

export function loadMigrations(dir = SQL_DIR): Migration[] {
  const files = new Map(sqlFiles(dir).map((f) => [f.name, f]));
  const migrations = [...files.keys()]
    .map((file) => /^(\d+)_([\w-]+)\.sql$/.exec(file))
    .filter((m): m is RegExpExecArray => m !== null)
    // Read when applied: a database at the newest version (every run but an upgrade's first)
    // reads none of the ~30 files (~2.5 ms of each run's start, the hooks' worker's too).
    .map((m): Migration => {
      const file = files.get(m[0])!;
      return {
        version: Number(m[1]),
        name: m[0],
        get sql() {
          return file.text();
        },
      };
    })
    .sort((a, b) => a.version - b.version);
  migrations.forEach((m, i) => {
    if (m.version !== i + 1) throw new Error(`sql/: migration ${m.name} breaks the numbering (expected ${i + 1})`);
  });
  return migrations;
}

export function loadViews(dir = VIEWS_DIR): ViewDefinition[] {
  return sqlFiles(dir)
    .filter((file) => /^view_\w+\.sql$/.test(file.name))
    .sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0))
    .map((file) => ({ name: file.name.slice(0, -4), sql: file.text() }));
}

export function latestSchemaVersion(): number {
  return loadMigrations().length;
}

/**
 * Brings the schema to the newest version: numbered migrations in order, each in its own
 * BEGIN IMMEDIATE transaction with `PRAGMA user_version`, then every view from sql/views/ when
 * their text changed. A database written by a newer paceflow is refused, not downgraded.
 */
export function migrate(db: Database, migrations = loadMigrations(), views = loadViews()): void {
  const current = userVersion(db);
  const latest = migrations.length;
  if (current > latest) {
    throw new DatabaseError(`${db.path}: schema version ${current} is newer than this paceflow understands (${latest}); upgrade paceflow`);
  }
  for (const migration of migrations.slice(current)) {
    db.transaction(() => {
      // A migration may rebuild a table (sql/021): SQLite's RENAME rewrites, and checks, every
      // view that names it. Views are made from sql/views/ alone, so they go in the migration's own
      // transaction (a kill leaves the old schema with its views, or the new one without views and
      // without what they were made from) and syncViews makes them again below.
      if (current > 0) dropViews(db);
      db.exec(migration.sql);
      db.exec(`PRAGMA user_version = ${migration.version}`);
    });
  }
  syncViews(db, views);
}

function userVersion(db: Database): number {
  return Number(db.prepare('PRAGMA user_version').get()?.user_version ?? 0);
}

/**
 * What the views were made from: each one's name and text (~33 KB), kept in paceflow_meta
 * ('views_sql') and compared whole on every open — no hash to compute: loading node:crypto for one
 * was ~6 ms of every run's start (bench/README, session 72). An older paceflow kept a checksum
 * ('views_checksum'): never equal, so its views are made once again.
 */
function viewsText(views: ViewDefinition[]): string {
  // Each text's length before it: no two sets of views read alike, whatever a text holds.
  return views.map((view) => `${view.name} ${view.sql.length}\n${view.sql}\n`).join('');
}

/** Drops and recreates every view_* when sql/views/ changed; views may build on each other. */
export function syncViews(db: Database, views: ViewDefinition[]): void {
  const text = viewsText(views);
  const stored = db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'views_sql'`).get()?.value;
  if (stored === text) return;
  db.transaction(() => {
    dropViews(db);
    let pending = views;
    while (pending.length > 0) {
      const failed: ViewDefinition[] = [];
      let lastError: unknown;
      for (const view of pending) {
        try {
          db.exec(view.sql);
        } catch (error) {
          failed.push(view);
          lastError = error;
        }
      }
      if (failed.length === pending.length) {
        throw new Error(`sql/views/${failed[0]!.name}.sql: ${(lastError as Error).message}`);
      }
      pending = failed;
    }
    db.prepare(
      `INSERT INTO paceflow_meta(key, value) VALUES ('views_sql', ?)
       ON CONFLICT(key) DO UPDATE SET value = excluded.value`,
    ).run([text]);
  });
}

/** Drops every view_* and forgets what they were made from (in one transaction, or the caller's), so syncViews makes them again. */
function dropViews(db: Database): void {
  db.transaction(() => {
    const existing = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'view' AND name LIKE 'view\\_%' ESCAPE '\\'`)
      .all<{ name: string }>();
    for (const { name } of existing) db.exec(`DROP VIEW IF EXISTS "${name}"`);
    db.exec(`DELETE FROM paceflow_meta WHERE key IN ('views_sql', 'views_checksum')`);
  });
}

/**
 * Creates the temp views of sql/temp-views/ on this connection (once; they vanish with it). They
 * read temp tables that their callers fill (temp.paceflow_commit_set, temp.paceflow_range_lines),
 * which a view in the main schema may not reference.
 */
export function createTempViews(db: Database): void {
  const existing = new Set(
    db
      .prepare(`SELECT name FROM sqlite_temp_master WHERE type = 'view'`)
      .all<{ name: string }>()
      .map((r) => r.name),
  );
  for (const view of loadViews(TEMP_VIEWS_DIR)) if (!existing.has(view.name)) db.exec(view.sql);
}
