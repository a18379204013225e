import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { loadBetterSqlite3 } from '../src/db/better-sqlite3-package.js';
import { freedMemory } from '../src/db/freed-memory.js';

/** Resident bytes of this process, from the kernel's own count (/proc/self/statm: pages). */
function resident(): number {
  return Number(readFileSync('/proc/self/statm', 'utf8').split(' ')[1]) * 4096;
}

/** glibc's C library, where the trim can be had (this project's CI runs on Debian). */
const glibc =
  process.platform === 'linux' &&
  Boolean((process.report?.getReport() as { header?: { glibcVersionRuntime?: string } })?.header?.glibcVersionRuntime);

describe('memory malloc keeps after it is freed (src/db/freed-memory.ts)', () => {
  it.runIf(glibc)('gives back the pages a closed in-memory database freed', () => {
    const freed = freedMemory();
    freed.release(); // what the process had free before
    // Two in-memory databases filled by turns: as one closes, its ~40 MB of pages are holes between
    // the other's in malloc's arenas, which free() cannot hand back (only the top of a heap).
    const { Database } = loadBetterSqlite3();
    const [gone, kept] = [new Database(':memory:'), new Database(':memory:')];
    for (const db of [gone, kept]) db.exec('PRAGMA cache_size = -200000; CREATE TABLE t (b BLOB)');
    for (let round = 0; round < 40; round++)
      for (const db of [gone, kept])
        db.exec(
          'WITH RECURSIVE n(i) AS (SELECT 1 UNION ALL SELECT i + 1 FROM n WHERE i < 1000) INSERT INTO t SELECT randomblob(1000) FROM n',
        );
    gone.close();
    const before = resident();
    expect(freed.release()).toBe(true);
    expect(before - resident()).toBeGreaterThan(30 * 1024 * 1024);
    kept.close();
  });

  it('does nothing, and tries nothing again, where the library or SQLite cannot be had', () => {
    let loads = 0;
    const notGlibc = freedMemory(() => {
      loads++;
      return loadBetterSqlite3();
    }, 'libpaceflow-no-such-library.so.0');
    expect([notGlibc.release(), notGlibc.release()]).toEqual([false, false]);
    expect(loads).toBe(1);

    let tries = 0;
    const noSqlite = freedMemory(() => {
      tries++;
      throw new Error('Cannot find module better-sqlite3');
    });
    expect([noSqlite.release(), noSqlite.release()]).toEqual([false, false]);
    expect(tries).toBe(1);
  });
});
