import { afterAll, describe, expect, it } from 'vitest';
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
