import pg from 'pg';
import { inject, it } from 'vitest';
import { connectWarehouse } from '../../src/sync/postgres.js';

/** The throw-away cluster of this test run (test/helpers/global-setup.ts), or null when none. */
export const POSTGRES_URL = inject('postgresUrl');
/** Warehouse tests run only with PostgreSQL installed (CI installs it and fails without it). */
export const itPostgres = it.skipIf(POSTGRES_URL === null);

let counter = 0;

/** A fresh, empty database in the test cluster; its URL (with the password). */
export async function freshWarehouse(prefix = 'wh'): Promise<string> {
  const name = `${prefix}_${process.pid}_${Date.now().toString(36)}_${counter++}`;
  const admin = new pg.Client({ connectionString: POSTGRES_URL! });
  await admin.connect();
  try {
    await admin.query(`CREATE DATABASE "${name}"`);
  } finally {
    await admin.end();
  }
  const url = new URL(POSTGRES_URL!);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs one query against a warehouse URL (search_path: the paceflow schema) and closes. */
export async function warehouseQuery<T = Record<string, unknown>>(url: string, sql: string, params: unknown[] = []): Promise<T[]> {
  // paceflow's own connection: counts and sums come back as numbers, as the report reads them.
  const warehouse = await connectWarehouse(url, { schema: 'paceflow' });
  try {
    return await warehouse.query<T>(sql, params);
  } finally {
    await warehouse.close();
  }
}

/** Rows as comparable text: sorted, numbers to 9 places, the folder name for root_path. */
export function canonicalRows(rows: Record<string, unknown>[]): string[] {
  return rows
    .map((row) =>
      JSON.stringify(
        Object.entries(row).map(([k, v]) => [
          k,
          k === 'root_path' && typeof v === 'string' ? v.split('/').pop() : typeof v === 'number' ? Number(v.toFixed(9)) : v,
        ]),
      ),
    )
    .sort();
}

/**
 * What the team sees in a warehouse: every contract table as the views read it and every view_*,
 * as comparable rows (the sync_* bookkeeping — machine ids, versions, times — left out).
 */
export async function teamSnapshot(url: string, tables: readonly string[]): Promise<Record<string, string[]>> {
  const out: Record<string, string[]> = {};
  for (const name of tables) out[name] = canonicalRows(await warehouseQuery(url, `SELECT * FROM ${name}`));
  return out;
}
