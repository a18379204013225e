import { afterAll, describe, expect, it } from 'vitest';
import { readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { BetterSqliteDatabase } from '../src/db/better-sqlite3.js';
import type { Database } from '../src/db/driver.js';
import { withSpillPutOff } from '../src/db/spill.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { prng } from './helpers/prng.js';

afterAll(cleanupTempDirs);

/** The write calls this process has made (Linux's /proc/self/io): what a spilled page costs. */
const writeCalls = () => Number(/syscw: (\d+)/.exec(readFileSync('/proc/self/io', 'utf8'))![1]);

/**
 * A WAL database whose page cache (32 pages) is far smaller than a table of ~500 pages, and a
 * transaction that rewrites every row, growing it, in random key order: what the outcome build's
 * whole write does to event_commit_outcomes. Returns the write calls the transaction made and the
 * WAL's frames after it (a page spilled twice in one transaction is written twice to one frame).
 */
function rewriteAll(wrap: (db: Database, fn: () => void) => void): { written: number; walPages: number; after: unknown[] } {
  const path = join(tempDir(), 'spill.db');
  const db = new BetterSqliteDatabase(path);
  db.pragma('journal_mode = WAL');
  db.pragma('wal_autocheckpoint = 0');
  db.pragma('cache_size = 32');
  db.exec(`CREATE TABLE t (k TEXT PRIMARY KEY, v TEXT) WITHOUT ROWID`);
  const random = prng(41);
  const keys = Array.from({ length: 20_000 }, (_, i) => `${Math.floor(random() * 1e9).toString(16)}-${i}`);
  const insert = db.prepare(`INSERT INTO t (k, v) VALUES (?, NULL)`);
  db.transaction(() => {
    for (const k of keys) insert.run([k]);
  });
  db.pragma('wal_checkpoint(TRUNCATE)');
  const update = db.prepare(`UPDATE t SET v = ? WHERE k = ?`);
  const writes = writeCalls();
  wrap(db, () =>
    db.transaction(() => {
      for (const k of keys) update.run([`reached mainline at ${k}`, k]);
    }),
  );
  const written = writeCalls() - writes;
  const after = [db.pragma('cache_spill'), db.pragma('cache_size')];
  const walPages = (statSync(`${path}-wal`).size - 32) / (4096 + 24);
  db.close();
  return { written, walPages, after };
}

describe('withSpillPutOff: a transaction larger than the page cache keeps its dirty pages', () => {
  it('spilled, the same pages are written out again and again; put off, once each at the commit', () => {
    const spilled = rewriteAll((_db, fn) => fn());
    const kept = rewriteAll((db, fn) => withSpillPutOff(db, 100_000, fn));
    // The same pages end up in the WAL either way (~290: the rows grew out of ~107 pages).
    expect(Math.abs(kept.walPages - spilled.walPages)).toBeLessThanOrEqual(2);
    // Put off: each frame's header and page once (585 writes here); spilled: 20,436.
    expect(kept.written).toBeLessThanOrEqual(kept.walPages * 2 + 10);
    expect(spilled.written).toBeGreaterThan(kept.written * 10);
  });

  it('leaves the connection as SQLite has it: spilling at the cache’s size, the cache’s size unchanged', () => {
    const plain = rewriteAll((_db, fn) => fn());
    const kept = rewriteAll((db, fn) => withSpillPutOff(db, 100_000, fn));
    expect(kept.after).toEqual(plain.after);
    expect(kept.after).toEqual([[{ cache_spill: 32 }], [{ cache_size: 32 }]]);
  });

  it('is bounded: past the pages it was given, the transaction spills again', () => {
    const kept = rewriteAll((db, fn) => withSpillPutOff(db, 100_000, fn));
    const bounded = rewriteAll((db, fn) => withSpillPutOff(db, 64, fn));
    expect(bounded.written).toBeGreaterThan(kept.written * 10);
  });
});
