import { createHash } from 'node:crypto';
import { loadMigrations, loadViews, type ViewDefinition, WAREHOUSE_DIR } from '../db/migrate.js';
import { CONTRACT, type ContractTable, PG_TYPES } from './contract.js';
import { quoteIdentifier, type Warehouse, WarehouseError } from './postgres.js';

/** The schema paceflow owns in the team's database. */
export const WAREHOUSE_SCHEMA = 'paceflow';

export function latestWarehouseVersion(): number {
  return loadMigrations(WAREHOUSE_DIR).length;
}

/** The columns a sync_* table has beside the contract's. */
const PROVENANCE = [
  ['machine_id', 'text'],
  ['paceflow_version', 'text'],
  ['synced_at', 'timestamp with time zone'],
] as const;

/**
 * Creates or upgrades the warehouse schema, then checks that every sync_* table is as paceflow
 * made it and that the views match this version's SQL. One session-level advisory lock keeps two
 * machines from migrating at once. Refuses a warehouse made by a newer paceflow.
 */
export async function prepareWarehouse(warehouse: Warehouse): Promise<void> {
  await warehouse.query(`SELECT pg_advisory_lock(hashtext('paceflow.warehouse.schema'))`);
  try {
    await warehouse.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdentifier(WAREHOUSE_SCHEMA)}`);
    await warehouse.query(`SET search_path TO ${quoteIdentifier(WAREHOUSE_SCHEMA)}, public`);
    const version = await storedVersion(warehouse);
    const migrations = loadMigrations(WAREHOUSE_DIR);
    if (version > migrations.length) {
      throw new WarehouseError(
        `warehouse ${warehouse.label}: its schema is version ${version}, made by a newer paceflow (this one knows up to ${migrations.length}); upgrade paceflow on this machine`,
      );
    }
    for (const migration of migrations.slice(version)) {
      await warehouse.transaction(async () => {
        await warehouse.query(migration.sql);
        await warehouse.query(
          `INSERT INTO paceflow_warehouse (key, value) VALUES ('schema_version', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
          [String(migration.version)],
        );
      });
    }
    await checkTables(warehouse);
    await syncWarehouseViews(warehouse);
  } finally {
    await warehouse.query(`SELECT pg_advisory_unlock(hashtext('paceflow.warehouse.schema'))`).catch(() => undefined);
  }
}

async function storedVersion(warehouse: Warehouse): Promise<number> {
  const exists = await warehouse.query<{ found: boolean }>(`SELECT to_regclass($1) IS NOT NULL AS found`, [
    `${quoteIdentifier(WAREHOUSE_SCHEMA)}.paceflow_warehouse`,
  ]);
  if (!exists[0]?.found) return 0;
  const rows = await warehouse.query<{ value: string }>(`SELECT value FROM paceflow_warehouse WHERE key = 'schema_version'`);
  return rows.length > 0 ? Number(rows[0]!.value) : 0;
}

/** Every sync_* table with the columns and types the contract says, or one line naming what differs. */
async function checkTables(warehouse: Warehouse): Promise<void> {
  const rows = await warehouse.query<{ table_name: string; column_name: string; data_type: string }>(
    `SELECT table_name, column_name, data_type FROM information_schema.columns WHERE table_schema = $1 AND table_name LIKE 'sync\\_%'`,
    [WAREHOUSE_SCHEMA],
  );
  const found = new Map<string, Map<string, string>>();
  for (const r of rows) {
    if (!found.has(r.table_name)) found.set(r.table_name, new Map());
    found.get(r.table_name)!.set(r.column_name, r.data_type);
  }
  for (const table of CONTRACT) {
    const name = `sync_${table.name}`;
    const columns = found.get(name);
    const where = `warehouse ${warehouse.label}: table ${WAREHOUSE_SCHEMA}.${name}`;
    if (!columns) throw new WarehouseError(`${where} is missing (dropped by hand?); restore it or sync into a fresh schema`);
    const expected = new Map<string, string>([...table.columns.map((c) => [c.name, PG_TYPES[c.type]] as const), ...PROVENANCE]);
    for (const [column, type] of expected) {
      const actual = columns.get(column);
      if (actual === undefined)
        throw new WarehouseError(`${where} has no column ${column} (changed by hand?); paceflow will not write to it`);
      if (actual !== type)
        throw new WarehouseError(
          `${where}: column ${column} is ${actual}, paceflow made it ${type} (changed by hand?); paceflow will not write to it`,
        );
    }
    const extra = [...columns.keys()].filter((c) => !expected.has(c));
    if (extra.length > 0)
      throw new WarehouseError(`${where} has columns paceflow did not make (${extra.join(', ')}); paceflow will not write to it`);
  }
}

/** The SQL of the view that shows, for one contract table, the rows of each group's winning machine. */
export function canonicalViewSql(table: ContractTable): string {
  const columns = (alias: string, list = table.columns) => list.map((c) => `${alias}.${c.name}`).join(', ');
  const own = table.columns.filter((c) => c.name !== 'evidence' && c.name !== 'transcript_read_at');
  if (table.name === 'event_commit_outcomes') {
    const evidence = new Set(['repo_id', 'sha', 'committed_at', 'nontrivial_added_lines', 'ai_lines', 'ai_share', 'heavy_ai']);
    evidence.add('attribution_coverage').add('attribution_source');
    const pick = own.map((c) => `${evidence.has(c.name) ? 'e' : 'm'}.${c.name}`).join(', ');
    return `CREATE VIEW event_commit_outcomes AS
SELECT ${pick}
FROM sync_commit_winners w
JOIN sync_event_commit_outcomes e ON e.machine_id = w.evidence_machine_id AND e.repo_id = w.repo_id AND e.sha = w.sha
LEFT JOIN sync_event_commit_outcomes m ON m.machine_id = w.mainline_machine_id AND m.repo_id = w.repo_id AND m.sha = w.sha`;
  }
  const join = {
    session: `JOIN sync_session_winners w ON w.session_id = t.session_id AND w.machine_id = t.machine_id`,
    repository: `JOIN sync_repository_winners w ON w.repo_id = t.repo_id AND w.machine_id = t.machine_id`,
    evidence: `JOIN sync_commit_winners w ON w.repo_id = t.repo_id AND w.sha = t.sha AND w.evidence_machine_id = t.machine_id`,
    mainline: `JOIN sync_commit_winners w ON w.repo_id = t.repo_id AND w.sha = t.sha AND w.mainline_machine_id = t.machine_id`,
  }[table.winner];
  return `CREATE VIEW ${table.name} AS\nSELECT ${columns('t', own)}\nFROM sync_${table.name} t\n${join}`;
}

/**
 * The contract tables as the views read them (one view each over sync_*), then every view_* of
 * sql/views — the same files SQLite runs. Recreated when their SQL changed (a checksum).
 */
async function syncWarehouseViews(warehouse: Warehouse): Promise<void> {
  const canonical = CONTRACT.map((t) => ({ name: t.name, sql: canonicalViewSql(t) }));
  const metrics = loadViews();
  const hash = createHash('sha256');
  for (const v of [...canonical, ...metrics]) hash.update(v.name).update('\0').update(v.sql).update('\0');
  const checksum = hash.digest('hex');
  const stored = await warehouse.query<{ value: string }>(`SELECT value FROM paceflow_warehouse WHERE key = 'views_checksum'`);
  const present = await warehouse.query<{ n: number }>(`SELECT count(*) AS n FROM information_schema.views WHERE table_schema = $1`, [
    WAREHOUSE_SCHEMA,
  ]);
  if (stored[0]?.value === checksum && present[0]!.n === canonical.length + metrics.length) return;
  await warehouse.transaction(async () => {
    const existing = await warehouse.query<{ table_name: string }>(
      `SELECT table_name FROM information_schema.views WHERE table_schema = $1`,
      [WAREHOUSE_SCHEMA],
    );
    for (const { table_name } of existing) await warehouse.query(`DROP VIEW IF EXISTS ${quoteIdentifier(table_name)} CASCADE`);
    for (const view of canonical) await warehouse.query(view.sql);
    await createViewsInRounds(warehouse, metrics);
    await warehouse.query(
      `INSERT INTO paceflow_warehouse (key, value) VALUES ('views_checksum', $1) ON CONFLICT (key) DO UPDATE SET value = excluded.value`,
      [checksum],
    );
  });
}

/**
 * Creates view_* in rounds until every one exists, as SQLite's migrate does (views may read each
 * other), each in a savepoint of the caller's transaction; `rewrite` changes the SQL on the way
 * (`CREATE TEMP VIEW` for a filtered report). A round where none succeeds names every failure.
 */
export async function createViewsInRounds(
  warehouse: Warehouse,
  views: readonly ViewDefinition[],
  rewrite: (sql: string) => string = (sql) => sql,
): Promise<void> {
  let pending = views;
  while (pending.length > 0) {
    const failed: ViewDefinition[] = [];
    const errors: string[] = [];
    for (const view of pending) {
      await warehouse.query('SAVEPOINT paceflow_view');
      try {
        await warehouse.query(rewrite(view.sql));
        await warehouse.query('RELEASE SAVEPOINT paceflow_view');
      } catch (error) {
        await warehouse.query('ROLLBACK TO SAVEPOINT paceflow_view');
        failed.push(view);
        errors.push(`sql/views/${view.name}.sql: ${(error as Error).message}`);
      }
    }
    if (failed.length === pending.length) {
      throw new WarehouseError(`warehouse ${warehouse.label}: views that do not run on PostgreSQL: ${errors.join('; ')}`);
    }
    pending = failed;
  }
}
