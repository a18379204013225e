import { readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import type { SourceFile } from './types.js';

/**
 * Files under `root` whose name passes `accept`, at most `maxDepth` folders down; a missing root
 * gives []. Synchronous: a re-run with nothing new is mostly this walk, and thousands of async
 * stats cost more in thread-pool round trips than the stats themselves.
 */
export async function findFiles(root: string, accept: (name: string, dir: string) => boolean, maxDepth = 8): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = (dir: string, depth: number): void => {
    let entries;
    try {
      entries = readdirSync(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < maxDepth) walk(full, depth + 1);
      } else if (entry.isFile() && accept(entry.name, dir)) {
        try {
          const s = statSync(full);
          out.push({ path: full, size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
        } catch {
          // vanished between readdir and stat
        }
      }
    }
  };
  walk(root, 0);
  return out;
}

export function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
