import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { triggersPutOff } from '../src/db/triggers-after.js';
import { tempDatabase } from './helpers/db.js';

const triggersOf = (db: Database) =>
  db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND tbl_name = 'load_test' ORDER BY name`).all();
const seen = (db: Database) => db.prepare(`SELECT count(*) AS n FROM load_seen`).get<{ n: number }>()!.n;

describe('triggers put off for a bulk write', () => {
  const table = (db: Database) =>
    db.exec(`
      CREATE TABLE load_test (k TEXT PRIMARY KEY);
      CREATE TABLE load_seen (k TEXT);
      CREATE TRIGGER load_test_insert AFTER INSERT ON load_test BEGIN INSERT INTO load_seen VALUES (NEW.k); END;
      CREATE TRIGGER "load test ""delete""" AFTER DELETE ON load_test BEGIN INSERT INTO load_seen VALUES (OLD.k); END;`);

  it('drops them while the write runs and makes them again from their own SQL', () => {
    const db = tempDatabase();
    table(db);
    const before = triggersOf(db);
    db.transaction(() => {
      const again = triggersPutOff(db, ['load_test_insert', 'load test "delete"'])!;
      expect(triggersOf(db)).toEqual([]);
      db.exec(`INSERT INTO load_test VALUES ('a'); DELETE FROM load_test`);
      again();
    });
    expect(seen(db), 'nothing fired while off').toBe(0);
    expect(triggersOf(db)).toEqual(before);
    db.exec(`INSERT INTO load_test VALUES ('b')`);
    expect(seen(db), 'they fire again').toBe(1);
  });

  it('drops nothing when the schema lacks one of them, and a rollback gives them back', () => {
    const db = tempDatabase();
    table(db);
    const before = triggersOf(db);
    expect(triggersPutOff(db, ['load_test_insert', 'no_such_trigger'])).toBeNull();
    expect(triggersOf(db)).toEqual(before);
    expect(() =>
      db.transaction(() => {
        triggersPutOff(db, ['load_test_insert']);
        throw new Error('killed');
      }),
    ).toThrow('killed');
    expect(triggersOf(db)).toEqual(before);
  });
});
