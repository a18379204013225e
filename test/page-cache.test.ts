import { describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { shrinkPageCache, withSmallPageCache } from '../src/db/page-cache.js';
import { tempDatabase } from './helpers/db.js';

const cacheSize = (db: Database) => (db.pragma('cache_size') as { cache_size: number }[])[0]!.cache_size;

describe('a page cache shrunk for a stretch', () => {
  it('is 2 MB until put back, then the size it had', () => {
    const db = tempDatabase();
    db.pragma('cache_size = -16384');
    const putBack = shrinkPageCache(db);
    expect(cacheSize(db)).toBe(-2000);
    putBack();
    expect(cacheSize(db)).toBe(-16384);
  });

  it('stays shrunk across the awaits of the work, and is put back when it settles or fails', async () => {
    const db = tempDatabase();
    db.pragma('cache_size = -8192');
    const seen: number[] = [];
    const answer = await withSmallPageCache(db, async () => {
      seen.push(cacheSize(db));
      await new Promise((resolve) => setTimeout(resolve, 1));
      seen.push(cacheSize(db));
      return 42;
    });
    expect({ answer, seen, after: cacheSize(db) }).toEqual({ answer: 42, seen: [-2000, -2000], after: -8192 });
    await expect(
      withSmallPageCache(db, async () => {
        await Promise.resolve();
        throw new Error('the work failed');
      }),
    ).rejects.toThrow('the work failed');
    expect(cacheSize(db)).toBe(-8192);
  });
});
