import { afterAll, describe, expect, it } from 'vitest';
import { listViews, readView } from '../src/report/views.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

describe('readView', () => {
  // The rows are read as arrays and made objects in JS (src/report/views.ts): they must be the
  // objects the driver would have made, key for key and in the same order.
  it('gives the rows the driver gives, in their order, filtered to one repository', () => {
    const db = tempDatabase();
    db.exec(`CREATE TABLE t (repo_id TEXT, n INTEGER, share REAL, label TEXT, bytes BLOB);
      INSERT INTO t VALUES ('r1', 1, 0.5, 'one', NULL), ('r2', 2, NULL, 'two', x'00ff'), ('r1', 3, 1.25, NULL, NULL);
      CREATE VIEW view_t AS SELECT * FROM t ORDER BY n DESC;`);
    const all = readView(db, 'view_t', null);
    expect(all.columns).toEqual(['repo_id', 'n', 'share', 'label', 'bytes']);
    expect(all.rows).toEqual(db.prepare('SELECT * FROM view_t').all());
    expect(all.rows.map((r) => Object.keys(r))).toEqual(all.rows.map(() => all.columns));
    expect(all.rows.map((r) => r.n)).toEqual([3, 2, 1]);
    expect(Buffer.isBuffer(all.rows[1]!.bytes)).toBe(true);
    expect(readView(db, 'view_t', 'r1').rows).toEqual([
      { repo_id: 'r1', n: 3, share: 1.25, label: null, bytes: null },
      { repo_id: 'r1', n: 1, share: 0.5, label: 'one', bytes: null },
    ]);
    db.close();
  });

  it('keeps any column name as a key: quotes, `__proto__`, a template literal', () => {
    const db = tempDatabase();
    db.exec(`CREATE VIEW view_odd AS SELECT 1 AS "__proto__", 2 AS "it's ""quoted""", 4 AS a, 5 AS "\`\${x}\`"`);
    const { rows } = readView(db, 'view_odd', null);
    expect(rows).toHaveLength(1);
    const row = rows[0]!;
    expect(Object.getPrototypeOf(row)).toBe(Object.prototype);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: a column named like a template literal, on purpose
    expect(Object.keys(row)).toEqual(['__proto__', `it's "quoted"`, 'a', '`${x}`']);
    expect(Object.getOwnPropertyDescriptor(row, '__proto__')?.value).toBe(1);
    expect(row.a).toBe(4);
    // biome-ignore lint/suspicious/noTemplateCurlyInString: the same column
    expect(row['`${x}`']).toBe(5);
    db.close();
  });

  it('reads every paceflow view of a new database', () => {
    const db = tempDatabase();
    const views = listViews(db);
    expect(views.length).toBeGreaterThan(10);
    for (const view of views) {
      const table = readView(db, view, null);
      expect(table.columns, view).toEqual(db.prepare(`SELECT * FROM "${view}" LIMIT 0`).columns());
      expect(table.rows, view).toEqual(db.prepare(`SELECT * FROM "${view}"`).all());
    }
    db.close();
  });
});
