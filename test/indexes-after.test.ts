import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { indexesAfterLoad } from '../src/db/indexes-after.js';
import { tempDatabase } from './helpers/db.js';

const indexesOf = (db: Database, table: string) =>
  db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = ? ORDER BY name`).all([table]);
const cacheSize = (db: Database) => (db.pragma('cache_size') as { cache_size: number }[])[0]!.cache_size;

describe('indexes made after a bulk load', () => {
  const table = (db: Database) =>
    db.exec(`
      CREATE TABLE load_test (k TEXT PRIMARY KEY, v TEXT, w INTEGER) WITHOUT ROWID;
      CREATE INDEX load_test_by_v ON load_test (v);
      CREATE INDEX load_test_by_w ON load_test (w) WHERE w IS NOT NULL;
      CREATE UNIQUE INDEX load_test_unique_v_w ON load_test (v, w);`);
  const load = (db: Database, n: number) => {
    const insert = db.prepare(`INSERT INTO load_test (k, v, w) VALUES (?, ?, ?)`);
    for (let i = 0; i < n; i++) insert.run([`k${(i * 7919) % n}`, `v${(i * 104729) % n}`, i % 3 === 0 ? null : i]);
  };

  it('drops the non-unique ones during the load and makes them again, whole, with the cache as it was', () => {
    const db = tempDatabase();
    table(db);
    const before = indexesOf(db, 'load_test');
    const cache = cacheSize(db);
    db.transaction(() => {
      const finish = indexesAfterLoad(db, ['load_test']);
      // The unique index keeps its constraint during the load; the others are gone.
      expect(indexesOf(db, 'load_test').map((i) => (i as { name: string }).name)).toEqual(['load_test_unique_v_w']);
      load(db, 3000);
      finish();
    });
    expect(indexesOf(db, 'load_test')).toEqual(before);
    expect(cacheSize(db)).toBe(cache);
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    // Every row is in the index made after it (read through it, and without it).
    const rows = (how: string) => db.prepare(`SELECT k, v FROM load_test ${how} WHERE v IS NOT NULL ORDER BY v, k`).all();
    expect(rows('INDEXED BY load_test_by_v')).toEqual(rows('NOT INDEXED'));
    expect(rows('NOT INDEXED')).toHaveLength(3000);
  });

  it('with names given, drops only those (a name the schema lacks passed over) and makes them again', () => {
    const db = tempDatabase();
    table(db);
    const before = indexesOf(db, 'load_test');
    db.transaction(() => {
      const finish = indexesAfterLoad(db, ['load_test'], ['load_test_by_w', 'load_test_by_nothing', 'load_test_unique_v_w']);
      // The one named and not unique is gone; the one not named stays, and so does the unique one.
      expect(indexesOf(db, 'load_test').map((i) => (i as { name: string }).name)).toEqual(['load_test_by_v', 'load_test_unique_v_w']);
      load(db, 3000);
      finish();
    });
    expect(indexesOf(db, 'load_test')).toEqual(before);
    expect(db.pragma('integrity_check')).toEqual([{ integrity_check: 'ok' }]);
    const rows = (how: string) => db.prepare(`SELECT k, w FROM load_test ${how} WHERE w IS NOT NULL ORDER BY w, k`).all();
    expect(rows('INDEXED BY load_test_by_w')).toEqual(rows('NOT INDEXED'));
    expect(rows('NOT INDEXED')).toHaveLength(2000);
  });

  it('leaves every index as it was when the load fails before the commit', () => {
    const db = tempDatabase();
    table(db);
    const before = indexesOf(db, 'load_test');
    expect(() =>
      db.transaction(() => {
        indexesAfterLoad(db, ['load_test']);
        load(db, 10);
        throw new Error('killed');
      }),
    ).toThrow('killed');
    expect(indexesOf(db, 'load_test')).toEqual(before);
    expect(db.prepare(`SELECT count(*) AS n FROM load_test`).get()).toEqual({ n: 0 });
  });
});
