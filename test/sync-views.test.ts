import { afterAll, beforeAll, describe, expect } from 'vitest';
import { fillContract } from '../bench/contract-rows.mjs';
import type { Database } from '../src/db/driver.js';
import { loadViews } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { connectWarehouse } from '../src/sync/postgres.js';
import { syncToWarehouse } from '../src/sync/sync.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs } from './helpers/git-repo.js';
import { recordedSample, type SampleRepository } from './helpers/sample-repository.js';
import { canonicalRows, freshWarehouse, itPostgres } from './helpers/warehouse.js';

/**
 * DESIGN §9: the same view_* SQL runs on SQLite and PostgreSQL with the same columns and results.
 * Each case syncs one database into a fresh warehouse and compares every view, row for row.
 */
const NOW = new Date('2026-11-28T12:00:00Z');
let sample: SampleRepository;

beforeAll(async () => {
  sample = await recordedSample(NOW);
});
afterAll(cleanupTempDirs);

/** Syncs db into a fresh warehouse and compares every view; returns how many views had rows. */
async function compareEveryView(db: Database): Promise<number> {
  const url = await freshWarehouse();
  await syncToWarehouse(db, { url, version: '0.0.0-test', identitySalt: null, now: NOW });
  const warehouse = await connectWarehouse(url, { schema: 'paceflow' });
  let nonEmpty = 0;
  try {
    for (const view of loadViews()) {
      const local = db.prepare(`SELECT * FROM ${view.name}`).all();
      const remote = await warehouse.query(`SELECT * FROM ${view.name}`);
      expect(remote.length, view.name).toBe(local.length);
      if (local.length > 0) {
        nonEmpty++;
        expect(Object.keys(remote[0]!), view.name).toEqual(Object.keys(local[0]!));
      }
      expect(canonicalRows(remote), view.name).toEqual(canonicalRows(local));
    }
  } finally {
    await warehouse.close();
  }
  return nonEmpty;
}

describe('the views in the warehouse (PostgreSQL) give what they give in SQLite', () => {
  itPostgres('every view_*, on the sample repository (real ingest: transcript, trailer, merge, revert, squash)', async () => {
    const db = openDatabase(sample.db);
    try {
      expect(await compareEveryView(db)).toBe(loadViews().length);
    } finally {
      db.close();
    }
  });

  for (const seed of [1, 2, 3]) {
    itPostgres(`every view_*, on random rows of every contract table (seed ${seed})`, async () => {
      const db = tempDatabase();
      try {
        fillContract(db, { seed, repos: 1 + seed, commitsPerRepo: 30 * seed, sessionsPerRepo: 4 + seed, messagesPerSession: 15 });
        expect(await compareEveryView(db)).toBeGreaterThanOrEqual(loadViews().length - 1);
      } finally {
        db.close();
      }
    });
  }
});
