import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import type { SourceFile } from './types.js';

/** Files under `root` whose name passes `accept`, at most `maxDepth` folders down; missing roots give []. */
export async function findFiles(root: string, accept: (name: string, dir: string) => boolean, maxDepth = 8): Promise<SourceFile[]> {
  const out: SourceFile[] = [];
  const walk = async (dir: string, depth: number): Promise<void> => {
    let entries;
    try {
      entries = await readdir(dir, { withFileTypes: true });
    } catch {
      return;
    }
    for (const entry of entries) {
      const full = join(dir, entry.name);
      if (entry.isDirectory()) {
        if (depth < maxDepth) await walk(full, depth + 1);
      } else if (entry.isFile() && accept(entry.name, dir)) {
        try {
          const s = await stat(full);
          out.push({ path: full, size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
        } catch {
          // vanished between readdir and stat
        }
      }
    }
  };
  await walk(root, 0);
  return out;
}

export function expandHome(path: string, home: string): string {
  return path === '~' ? home : path.startsWith('~/') ? join(home, path.slice(2)) : path;
}
