import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { DuckDBInstance } from '@duckdb/node-api';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { fillContract } from '../bench/contract-rows.mjs';
import { exportFiles } from '../src/cli/commands/export.js';
import { loadViews } from '../src/db/migrate.js';
import { openDatabase } from '../src/db/open.js';
import { CONTRACT } from '../src/sync/contract.js';
import type { ExportManifest } from '../src/sync/export.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { recordedSample, type SampleRepository } from './helpers/sample-repository.js';
import { canonicalRows } from './helpers/warehouse.js';

/**
 * #21's data lake: the contract as Parquet, read back by another engine (DuckDB), where the views'
 * own SQL gives what SQLite gives; and as CSV with the same rows.
 */
const NOW = new Date('2026-11-28T12:00:00Z');
let sample: SampleRepository;
beforeAll(async () => {
  sample = await recordedSample(NOW);
});
afterAll(cleanupTempDirs);

const DUCK_TYPES = { text: 'VARCHAR', integer: 'BIGINT', real: 'DOUBLE' } as const;

/** A DuckDB database holding the exported files as tables (empty ones from the manifest's columns). */
async function duckdbFrom(out: string, format: 'parquet' | 'csv') {
  const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')) as ExportManifest;
  const connection = await (await DuckDBInstance.create(':memory:')).connect();
  for (const [name, table] of Object.entries(manifest.tables)) {
    const columns = table.columns.map((c) => `${c.name} ${DUCK_TYPES[c.type]}`).join(', ');
    await connection.run(`CREATE TABLE ${name} (${columns})`);
    if (table.files.length === 0) continue;
    const files = `[${table.files.map((f) => `'${join(out, f.path)}'`).join(', ')}]`;
    const types = `{${table.columns.map((c) => `'${c.name}': '${DUCK_TYPES[c.type]}'`).join(', ')}}`;
    const reader =
      format === 'parquet'
        ? `read_parquet(${files}, hive_partitioning = false)`
        : `read_csv(${files}, header = true, columns = ${types}, hive_partitioning = false, nullstr = '')`;
    await connection.run(`INSERT INTO ${name} SELECT ${table.columns.map((c) => c.name).join(', ')} FROM ${reader}`);
  }
  return { connection, manifest };
}

async function duckRows(connection: Awaited<ReturnType<typeof duckdbFrom>>['connection'], sql: string) {
  const reader = await connection.runAndReadAll(sql);
  return reader
    .getRowObjectsJS()
    .map((row) => Object.fromEntries(Object.entries(row).map(([k, v]) => [k, typeof v === 'bigint' ? Number(v) : v])));
}

async function compareViewsInDuckdb(dbPath: string, format: 'parquet' | 'csv'): Promise<number> {
  const out = join(tempDir(), 'lake');
  await exportFiles({ cwd: tempDir(), db: dbPath, format, out, now: NOW });
  const { connection, manifest } = await duckdbFrom(out, format);
  const db = openDatabase(dbPath);
  let compared = 0;
  try {
    for (const table of CONTRACT) {
      const n = db.prepare(`SELECT count(*) AS n FROM ${table.name}`).get<{ n: number }>()!.n;
      expect(manifest.tables[table.name]!.rows, table.name).toBe(n);
    }
    // The view files as they are, created in rounds (views read views).
    let pending = loadViews();
    while (pending.length > 0) {
      const failed: typeof pending = [];
      for (const view of pending) await connection.run(view.sql).catch(() => failed.push(view));
      expect(failed.length, `views DuckDB cannot create: ${failed.map((v) => v.name).join(', ')}`).toBeLessThan(pending.length);
      pending = failed;
    }
    for (const view of loadViews()) {
      const local = db.prepare(`SELECT * FROM ${view.name}`).all();
      const lake = await duckRows(connection, `SELECT * FROM ${view.name}`);
      expect(lake.length, view.name).toBe(local.length);
      if (local.length > 0) expect(Object.keys(lake[0]!), view.name).toEqual(Object.keys(local[0]!));
      expect(canonicalRows(lake), view.name).toEqual(canonicalRows(local));
      if (local.length > 0) compared++;
    }
  } finally {
    db.close();
    connection.closeSync();
  }
  return compared;
}

describe('paceflow export: Parquet and CSV that other engines read', () => {
  it('Parquet read back by DuckDB: every view gives what it gives in SQLite (sample repository)', async () => {
    expect(await compareViewsInDuckdb(sample.db, 'parquet')).toBe(loadViews().length);
  });

  it('Parquet on random rows of every table; partitioned by repository and month, with a manifest', async () => {
    const db = tempDatabase();
    fillContract(db, { seed: 21, repos: 3, commitsPerRepo: 50, sessionsPerRepo: 6, messagesPerSession: 30 });
    const path = db.path;
    db.close();
    expect(await compareViewsInDuckdb(path, 'parquet')).toBeGreaterThanOrEqual(loadViews().length - 1);
    const out = join(tempDir(), 'lake');
    const { manifest, output } = await exportFiles({ cwd: tempDir(), db: path, format: 'parquet', out, now: NOW });
    expect(output).toMatch(/^Wrote [\d,]+ rows of 11 tables as \d+ parquet files to /);
    const files = manifest.tables.event_commit_outcomes!.files;
    expect(new Set(files.map((f) => f.repo_id)).size).toBe(3);
    for (const f of files) {
      expect(f.path).toBe(`event_commit_outcomes/repo_id=${encodeURIComponent(f.repo_id!)}/month=${f.month}/part-00000.parquet`);
      expect(existsSync(join(out, f.path))).toBe(true);
    }
    expect(manifest).toMatchObject({ format: 'parquet', contract_version: 1, partitioning: ['repo_id', 'month'] });
    // A second export replaces the first and leaves no staging folder behind.
    await exportFiles({ cwd: tempDir(), db: path, format: 'parquet', out, now: NOW });
    expect(readdirSync(out).filter((n) => n.startsWith('.'))).toEqual([]);
  });

  it('CSV (for spreadsheets) holds the same rows: the views agree too', async () => {
    expect(await compareViewsInDuckdb(sample.db, 'csv')).toBe(loadViews().length);
  });

  it('nothing that stays on the machine is in the files; --hash-identities hashes names and emails', async () => {
    const db = tempDatabase();
    fillContract(db, { seed: 22, repos: 1, commitsPerRepo: 20, sessionsPerRepo: 3, messagesPerSession: 5 });
    const path = db.path;
    db.close();
    const out = join(tempDir(), 'lake');
    await exportFiles({
      cwd: tempDir(),
      db: path,
      format: 'csv',
      out,
      hashIdentities: true,
      env: { PACEFLOW_IDENTITY_SALT: 'team-salt-123' },
    });
    const all = readdirSync(out, { recursive: true })
      .map(String)
      .filter((f) => f.endsWith('.csv'))
      .map((f) => readFileSync(join(out, f), 'utf8'))
      .join('\n');
    expect(all.length).toBeGreaterThan(1000);
    expect(all).not.toContain('/home/');
    expect(all).not.toContain('a title from the prompt');
    expect(all).not.toContain('@example.com');
    expect(all).toMatch(/hmac-sha256:[0-9a-f]{32}/);
    await expect(exportFiles({ cwd: tempDir(), db: path, format: 'csv', out, hashIdentities: true, env: {} })).rejects.toThrow(
      /--hash-identities needs the team salt in PACEFLOW_IDENTITY_SALT/,
    );
  });
});
