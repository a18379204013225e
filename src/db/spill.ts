import type { Database } from './driver.js';

/**
 * Runs `fn` — one transaction that rewrites more rows than the page cache holds — with SQLite
 * keeping up to `pages` dirty pages in memory before it spills them. Past the cache's size SQLite
 * writes a dirty page out to the WAL to make room and reads it back when the transaction touches it
 * again; a transaction whose dirty pages outgrow the cache does that over and over: the outcome
 * build's update of every outcome row on the 80k bench history (each row growing as its mainline
 * columns are filled) made 790,800 writes for 57,367 rows and took 11.3 s, against 2.4 s with the
 * pages kept (bench/README, session 41). Held for the whole run instead, every transaction's pages
 * stayed: a first run peaked at 312–325 MB (#20: ≤ 300 MB). So only here, and bounded: past `pages`
 * the transaction spills again. After `fn` (committed or not) the threshold is SQLite's own again —
 * spill at the cache's size — and the cache gives back the pages it holds beyond its size.
 */
export function withSpillPutOff<T>(db: Database, pages: number, fn: () => T): T {
  db.pragma(`cache_spill = ${pages}`);
  try {
    return fn();
  } finally {
    db.pragma(`cache_spill = ${SQLITE_SPILL_SIZE}`);
    const [cache] = db.pragma('cache_size') as { cache_size: number }[];
    if (cache) db.pragma(`cache_size = ${cache.cache_size}`);
  }
}

/** SQLite's own spill threshold: one page, i.e. spill as soon as the cache is full (pcache.c's szSpill). */
const SQLITE_SPILL_SIZE = 1;
