import { afterAll, describe, expect, it } from 'vitest';
import { loadBetterSqlite3 } from '../src/db/better-sqlite3-package.js';
import type { Statement } from '../src/db/driver.js';
import { rowsRead } from '../src/db/statement.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

// Rows read are what the work-counting test and the benches count (src/db/statement.ts).
describe('a statement read row by row', () => {
  it.each([
    ['objects', (s: Statement) => s.iterate<{ n: number }>(), (r: unknown) => (r as { n: number }).n],
    ['arrays', (s: Statement) => s.iterateArrays(), (r: unknown) => (r as number[])[0]],
  ])('as %s counts each row it gives, and one left early frees the connection for the next statement', (_, rows, n) => {
    const db = tempDatabase();
    db.exec(`CREATE TABLE t (n INTEGER PRIMARY KEY)`);
    const insert = db.prepare(`INSERT INTO t (n) VALUES (?)`);
    for (let i = 1; i <= 5; i++) insert.run([i]);
    const select = db.prepare(`SELECT n FROM t ORDER BY n`);
    let before = rowsRead.count;
    expect([...rows(select)].map(n)).toEqual([1, 2, 3, 4, 5]);
    expect(rowsRead.count - before).toBe(5);
    before = rowsRead.count;
    const seen: unknown[] = [];
    for (const row of rows(select)) {
      seen.push(n(row));
      if (seen.length === 2) break;
    }
    expect(seen).toEqual([1, 2]);
    expect(rowsRead.count - before).toBe(2);
    // Left early, the statement was reset: the connection writes, and the statement reads again from the start.
    insert.run([6]);
    expect([...rows(select)].map(n)).toEqual([1, 2, 3, 4, 5, 6]);
    db.close();
  });
});

// Rows as arrays come from a statement of their own (raw mode sticks to a statement): compiled once
// per text and kept like the others, never shared with the object-mode statement of that text, and
// a second one made while the kept one is still being read.
describe('a statement read as arrays', () => {
  it('is compiled once per text, keeps its mode apart from objects, and nests', () => {
    const db = tempDatabase();
    db.exec(`CREATE TABLE t (n INTEGER PRIMARY KEY)`);
    const insert = db.prepare(`INSERT INTO t (n) VALUES (?)`);
    for (let i = 1; i <= 3; i++) insert.run([i]);
    const sql = `SELECT n FROM t WHERE n >= ? ORDER BY n`;
    const { Database: Native } = loadBetterSqlite3();
    const compile = Native.prototype.prepare;
    let compiled = 0;
    Native.prototype.prepare = function (this: unknown, ...args: unknown[]) {
      compiled++;
      return (compile as (...a: unknown[]) => unknown).apply(this, args);
    } as typeof compile;
    try {
      for (let i = 0; i < 50; i++) {
        expect(db.prepare(sql).allArrays([2])).toEqual([[2], [3]]);
        expect(db.prepare(sql).all([3])).toEqual([{ n: 3 }]);
        expect([...db.prepare(sql).iterateArrays([1])]).toEqual([[1], [2], [3]]);
      }
      // Once in each mode, not once a call.
      expect(compiled).toBe(2);
      // Read inside a read of the same text: the kept one is busy, the inner one is its own.
      const pairs: unknown[][] = [];
      for (const [outer] of db.prepare(sql).iterateArrays([1]))
        for (const [inner] of db.prepare(sql).iterateArrays([outer as number])) pairs.push([outer, inner]);
      expect(pairs).toEqual([
        [1, 1],
        [1, 2],
        [1, 3],
        [2, 2],
        [2, 3],
        [3, 3],
      ]);
    } finally {
      Native.prototype.prepare = compile;
      db.close();
    }
  });
});
