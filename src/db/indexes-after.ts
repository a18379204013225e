import type { Database } from './driver.js';
import { shrinkPageCache } from './page-cache.js';

/**
 * Puts off the secondary indexes of `tables` while a bulk load writes them: each non-unique index
 * is dropped, and the returned function — called inside the same transaction, before it commits —
 * makes it again from its own stored SQL. One sort of the finished table replaces an entry put
 * into each index per row: a load whose rows arrive in another order than an index's key (a
 * history by sha, an index by path, subject or time) put each entry on a random page of an index
 * that outgrew the page cache. Unique indexes stay (they keep a constraint INSERT OR IGNORE and
 * ON CONFLICT rely on), and so does any index the load's own statements would read: the caller
 * uses this only around statements that insert, update and delete by key. SQLite's DDL is
 * transactional: a kill before the commit leaves every index as it was. With `only`, just the
 * indexes of those names (the ones a bulk UPDATE's columns are in; an index it leaves alone costs
 * nothing to keep and a sort to make again); a name the schema lacks is passed over.
 */
export function indexesAfterLoad(db: Database, tables: readonly string[], only?: readonly string[]): () => void {
  const marks = (list: readonly string[]) => list.map(() => '?').join(', ');
  const indexes = db
    .prepare(
      `SELECT m.name, m.sql FROM sqlite_master m
       WHERE m.type = 'index' AND m.tbl_name IN (${marks(tables)}) AND m.sql IS NOT NULL
         AND NOT EXISTS (SELECT 1 FROM pragma_index_list(m.tbl_name) l WHERE l.name = m.name AND l."unique")
         ${only ? `AND m.name IN (${marks(only)})` : ''}
       ORDER BY m.name`,
    )
    .all<{ name: string; sql: string }>([...tables, ...(only ?? [])]);
  for (const { name } of indexes) db.exec(`DROP INDEX "${name.replaceAll('"', '""')}"`);
  return () => {
    if (indexes.length === 0) return;
    withSortsSpilledEarly(db, () => {
      for (const { sql } of indexes) db.exec(sql);
    });
  };
}

/** Whether the database has an index of this name (one a bulk load put off may be missing). */
export function hasIndex(db: Database, name: string): boolean {
  return db.prepare(`SELECT 1 AS x FROM sqlite_master WHERE type = 'index' AND name = ?`).get([name]) !== undefined;
}

/**
 * Runs `fn` with a small page cache: SQLite sorts (an index being made, an ORDER BY) in up to the
 * cache's size of memory before spilling to a temporary file, on top of the cache itself — git's
 * own history's first run peaked 272 → 302 MB when its indexes were made with the 16 MB cache (the
 * #20 budget is 300 MB). With 2 MB the sorts spill early and the peak is as before; a sort of this
 * size is as quick either way (git's own history's commits and file changes, seven indexes:
 * 0.49 s at 2 MB, 0.59 s at 16 MB). The cache is put back after, also when `fn` throws.
 */
export function withSortsSpilledEarly<T>(db: Database, fn: () => T): T {
  const putBack = shrinkPageCache(db);
  try {
    return fn();
  } finally {
    putBack();
  }
}
