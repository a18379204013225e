import type { Database } from './driver.js';

/** SQLite's own default page cache (`cache_size`; negative is KiB): 2 MB. */
const SMALL_PAGE_CACHE = -2000;

/**
 * Shrinks the connection's page cache to 2 MB until the returned function puts back the size it
 * had. SQLite frees the cached pages past the new size at once (the heap pacer's next collection
 * then gives their memory back, src/db/freed-memory.ts); the pages stay in the OS's file cache.
 * For a stretch that reads little of the database while it holds much of its own — a sort, the
 * content rule — where 16 MB of pages a write left behind sat under its peak.
 */
export function shrinkPageCache(db: Database): () => void {
  const [was] = db.pragma('cache_size') as { cache_size: number }[];
  db.pragma(`cache_size = ${SMALL_PAGE_CACHE}`);
  return () => {
    db.pragma(`cache_size = ${was?.cache_size ?? SMALL_PAGE_CACHE}`);
  };
}

/** Runs `work` with the page cache shrunk (shrinkPageCache), put back when it settles, also when it fails. */
export async function withSmallPageCache<T>(db: Database, work: () => Promise<T>): Promise<T> {
  const putBack = shrinkPageCache(db);
  try {
    return await work();
  } finally {
    putBack();
  }
}
