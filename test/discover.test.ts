import { mkdirSync, utimesSync, writeFileSync, appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DirectoryListings, findFiles, useDirectoryListings } from '../src/providers/discover.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const old = new Date(Date.now() - 3600e3);
const age = (...paths: string[]) => {
  for (const p of paths) utimesSync(p, old, old);
};

async function walk(root: string, listings: DirectoryListings | null) {
  useDirectoryListings(listings);
  try {
    return (await findFiles(root, (name) => name.endsWith('.jsonl')))
      .map((f) => ({ path: f.path.slice(root.length + 1), size: f.size }))
      .sort((a, b) => (a.path < b.path ? -1 : 1));
  } finally {
    useDirectoryListings(null);
  }
}

describe('directory listings remembered between runs', () => {
  it('reuse a folder’s entries while its mtime holds, and still see appends, new files and removals', async () => {
    const root = tempDir('paceflow-discover-');
    mkdirSync(join(root, 'project', 'session', 'subagents'), { recursive: true });
    writeFileSync(join(root, 'project', 'a.jsonl'), '{}\n');
    writeFileSync(join(root, 'project', 'session', 'subagents', 'agent-1.jsonl'), '{}\n');
    writeFileSync(join(root, 'project', 'notes.txt'), 'not a transcript\n');
    age(root, join(root, 'project'), join(root, 'project', 'session'), join(root, 'project', 'session', 'subagents'));

    const first = new DirectoryListings(null);
    const expected = [
      { path: 'project/a.jsonl', size: 3 },
      { path: 'project/session/subagents/agent-1.jsonl', size: 3 },
    ];
    expect(await walk(root, first)).toEqual(expected);
    const saved = first.toJson();
    expect(saved).not.toBeNull();
    expect(JSON.parse(saved!)).toHaveLength(4);

    // Nothing moved: the same files, and nothing new to remember.
    const second = new DirectoryListings(saved);
    expect(await walk(root, second)).toEqual(expected);
    expect(second.toJson()).toBeNull();

    // An append does not move the folder, and is still seen (files are stat-ed each time).
    appendFileSync(join(root, 'project', 'a.jsonl'), '{"more":1}\n');
    expect((await walk(root, new DirectoryListings(saved)))[0]).toEqual({ path: 'project/a.jsonl', size: 14 });

    // A remembered listing is trusted only while the folder's mtime is the remembered one.
    writeFileSync(join(root, 'project', 'b.jsonl'), '{}\n');
    const third = new DirectoryListings(saved);
    expect((await walk(root, third)).map((f) => f.path)).toEqual([
      'project/a.jsonl',
      'project/b.jsonl',
      'project/session/subagents/agent-1.jsonl',
    ]);
    // Changed in the last two seconds: not remembered yet (its mtime may still change within the tick).
    expect(JSON.parse(third.toJson()!).map(([dir]: [string]) => dir.slice(root.length))).not.toContain('/project');

    // Without listings the walk reads every folder and finds the same.
    expect(await walk(root, null)).toEqual(await walk(root, new DirectoryListings(saved)));
  });

  it('an unreadable cache is an empty one', async () => {
    const root = tempDir('paceflow-discover-');
    writeFileSync(join(root, 'x.jsonl'), '{}\n');
    expect(await walk(root, new DirectoryListings('{not json'))).toEqual([{ path: 'x.jsonl', size: 3 }]);
  });
});

describe('the walk', () => {
  it('names each file as join(folder, name) would, however the root is written', async () => {
    const root = tempDir('paceflow-discover-');
    mkdirSync(join(root, 'p', 'q'), { recursive: true });
    writeFileSync(join(root, 'p', 'a.jsonl'), '{}\n');
    writeFileSync(join(root, 'p', 'q', '..b.jsonl'), '{}\n');
    const expected = [join(root, 'p', 'a.jsonl'), join(root, 'p', 'q', '..b.jsonl')];
    for (const written of [root, `${root}/`, `${root}/./p/..`, `${root}//p/../`]) {
      const paths = (await findFiles(written, (name) => name.endsWith('.jsonl'))).map((f) => f.path).sort();
      expect(paths, written).toEqual(expected);
    }
  });

  it('gives the event loop turns while it walks, so git’s output is read meanwhile', async () => {
    const root = tempDir('paceflow-discover-');
    for (let d = 0; d < 3; d++) {
      mkdirSync(join(root, `d${d}`));
      for (let i = 0; i < 200; i++) writeFileSync(join(root, `d${d}`, `${i}.jsonl`), '');
    }
    const order: string[] = [];
    const walked = findFiles(root, () => true).then((files) => order.push(`walk ${files.length}`));
    setImmediate(() => order.push('turn'));
    await walked;
    // A walk that never yields resolves before the next turn: ['walk 600', 'turn'].
    expect(order).toEqual(['turn', 'walk 600']);
  });
});
