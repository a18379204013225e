import { type Dirent, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from './types.js';

interface Listing {
  mtimeMs: number;
  dirs: string[];
  files: string[];
}

/**
 * Directory listings remembered between runs: a folder whose mtime has not moved has the same
 * entries (adding, removing or renaming one moves it), so a re-run stats the folder instead of
 * reading it. Files are still stat-ed one by one: appending to a file does not move its folder.
 */
export class DirectoryListings {
  private readonly before: Map<string, Listing>;
  private readonly seen = new Map<string, Listing>();

  constructor(json?: string | null) {
    let entries: [string, Listing][] = [];
    try {
      entries = json ? (JSON.parse(json) as [string, Listing][]) : [];
    } catch {
      // an unreadable cache is an empty one
    }
    this.before = new Map(entries);
  }

  /** The entries of `dir`, from memory when its mtime is the remembered one; null when it is gone. */
  list(dir: string): { dirs: string[]; files: string[] } | null {
    const stat = statSync(dir, { throwIfNoEntry: false });
    if (!stat?.isDirectory()) return null;
    const mtimeMs = Math.floor(stat.mtimeMs);
    const known = this.before.get(dir);
    if (known && known.mtimeMs === mtimeMs) {
      this.seen.set(dir, known);
      return known;
    }
    const listing = readListing(dir);
    if (!listing) return null;
    // A folder changed in the last two seconds may change again within the same mtime tick.
    if (Date.now() - mtimeMs > 2000) this.seen.set(dir, { mtimeMs, ...listing });
    return listing;
  }

  /** What to remember for the next run (only the folders this run looked at), or null if unchanged. */
  toJson(): string | null {
    const same = this.seen.size === this.before.size && [...this.seen].every(([dir, l]) => this.before.get(dir) === l);
    return same ? null : JSON.stringify([...this.seen]);
  }
}

function readListing(dir: string): { dirs: string[]; files: string[] } | null {
  let entries: Dirent[];
  try {
    entries = readdirSync(dir, { withFileTypes: true });
  } catch {
    return null;
  }
  const dirs: string[] = [];
  const files: string[] = [];
  for (const entry of entries) {
    if (entry.isDirectory()) dirs.push(entry.name);
    else if (entry.isFile()) files.push(entry.name);
  }
  return { dirs, files };
}

let activeListings: DirectoryListings | null = null;

/** Makes every findFiles() until the next call use (and fill) these listings; null: read folders. */
export function useDirectoryListings(listings: DirectoryListings | null): void {
  activeListings = listings;
}

/** How many entries a walk handles between two turns of the event loop. */
const ENTRIES_PER_TURN = 256;

/**
 * Files under `root` whose name passes `accept`, at most `maxDepth` folders down; a missing root
 * gives []. Synchronous calls, not fs.promises: a re-run with nothing new is mostly this walk, and
 * thousands of async stats cost more in thread-pool round trips than the stats themselves. It
 * yields to the event loop every ENTRIES_PER_TURN entries, so a walk started while git runs (the
 * pipeline starts it beside git's ingest) fills the time spent waiting for git instead of adding
 * to it.
 */
export async function findFiles(root: string, accept: (name: string, dir: string) => boolean, maxDepth = 8): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const listings = activeListings;
  let entries = 0;
  const walk = async (dir: string, depth: number): Promise<void> => {
    const listing = listings ? listings.list(dir) : readListing(dir);
    if (!listing) return;
    // Listed names are single path segments (never . or ..): join(dir, name) is this prefix and the
    // name, so the folder is normalized once instead of each file's path (a tenth of the walk).
    const prefix = join(dir, '_').slice(0, -1);
    for (const name of listing.files) {
      if (++entries % ENTRIES_PER_TURN === 0) await nextTurn();
      if (!accept(name, dir)) continue;
      const full = prefix + name;
      const s = statSync(full, { throwIfNoEntry: false }); // undefined: vanished since the listing
      if (s?.isFile()) out.push({ path: full, size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
    }
    if (depth < maxDepth) for (const name of listing.dirs) await walk(prefix + name, depth + 1);
  };
  await walk(root, 0);
  return out;
}

/** Resolves on the event loop's next turn, after the I/O that is ready (setImmediate, not a microtask). */
export function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
