import type { Database } from './driver.js';

/**
 * Drops the named triggers for a bulk write in the caller's open transaction and returns what
 * makes them again from their own stored SQL — or null, dropping nothing, when the schema lacks
 * any of them (one this code does not know: its triggers stay). SQLite's DDL is transactional: a
 * kill or a rollback before the commit leaves them as they were.
 */
export function triggersPutOff(db: Database, names: readonly string[]): (() => void) | null {
  const marks = names.map(() => '?').join(', ');
  const triggers = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (${marks}) ORDER BY name`)
    .all<{ name: string; sql: string }>([...names]);
  if (triggers.length !== names.length) return null;
  for (const { name } of triggers) db.exec(`DROP TRIGGER "${name.replaceAll('"', '""')}"`);
  return () => {
    for (const { sql } of triggers) db.exec(sql);
  };
}
