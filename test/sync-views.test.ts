import { afterAll, beforeAll, describe, expect } from 'vitest';
import { report } from '../src/cli/commands/report.js';
import { loadViews } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { syncToWarehouse } from '../src/sync/sync.js';
import { connectWarehouse } from '../src/sync/postgres.js';
import { cleanupTempDirs } from './helpers/git-repo.js';
import { type SampleRepository, sampleRepository } from './helpers/sample-repository.js';
import { freshWarehouse, itPostgres, POSTGRES_URL } from './helpers/warehouse.js';

const NOW = new Date('2026-11-28T12:00:00Z');
let sample: SampleRepository;

beforeAll(async () => {
  sample = sampleRepository();
  await report({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, format: 'json', now: NOW });
});
afterAll(cleanupTempDirs);

/** Rows as comparable text: sorted, numbers to 9 places, the folder name for root_path. */
function canonical(rows: Record<string, unknown>[]): string[] {
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

describe('the views in the warehouse (PostgreSQL) give what they give in SQLite', () => {
  itPostgres('every view_*, the sample repository', async () => {
    const url = await freshWarehouse();
    const db = openDatabase(sample.db);
    try {
      await syncToWarehouse(db, { url, version: '0.0.0-test', identitySalt: null, now: NOW });
      const warehouse = await connectWarehouse(url, { schema: 'paceflow' });
      try {
        for (const view of loadViews()) {
          const local = db.prepare(`SELECT * FROM ${view.name}`).all();
          const remote = await warehouse.query(`SELECT * FROM ${view.name}`);
          expect(remote.length, view.name).toBe(local.length);
          if (local.length > 0) expect(Object.keys(remote[0]!), view.name).toEqual(Object.keys(local[0]!));
          expect(canonical(remote), view.name).toEqual(canonical(local));
        }
      } finally {
        await warehouse.close();
      }
    } finally {
      db.close();
    }
    expect(POSTGRES_URL).not.toBeNull();
  });
});
