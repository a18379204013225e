import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { byteLines, tipsReachingMissingObjects } from '../src/git/missing-objects.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

describe('tipsReachingMissingObjects', () => {
  it('names the tips whose history holds a missing object: through a merge, below it, and a tag it cannot place', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha\n').commit('first');
    repo.git('checkout', '-q', '-b', 'topic');
    const topic = repo.write('gone.bin', 'a file this clone lacks\n').commit('the file');
    repo.git('checkout', '-q', 'main');
    repo.write('b.txt', 'beta\n').commit('second');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    const main = repo.write('c.txt', 'gamma\n').commit('after the merge');
    repo.git('checkout', '-q', '-b', 'below');
    const below = repo.write('d.txt', 'delta\n').commit('below the merge');
    repo.git('checkout', '-q', '-b', 'clean', 'main~2');
    const clean = repo.write('e.txt', 'epsilon\n').commit('clean');
    repo.git('tag', '-a', '-m', 'a tag object', 'vclean', clean);
    const tag = repo.git('rev-parse', 'vclean');
    repo.git('checkout', '-q', 'main');
    const include = [main, topic, below, clean, tag];
    // Nothing missing: nothing to narrow.
    expect(await tipsReachingMissingObjects(include, [], repo.dir)).toBeNull();
    const blob = repo.git('rev-parse', `${topic}:gone.bin`);
    rmSync(join(repo.dir, '.git', 'objects', blob.slice(0, 2), blob.slice(2)));
    expect(await tipsReachingMissingObjects(include, [], repo.dir)).toEqual(new Set([main, topic, below, tag]));
    // The history excluded is not walked: from the merge on, only what came after it.
    expect(await tipsReachingMissingObjects([below, clean], [main], repo.dir)).toBeNull();
  });
});

describe('byteLines', () => {
  const split = async (chunks: string[]) => {
    const lines: string[] = [];
    async function* from() {
      for (const c of chunks) yield Buffer.from(c, 'latin1');
    }
    for await (const [data, start, end] of byteLines(from())) lines.push(data.toString('latin1', start, end));
    return lines;
  };

  it.each([
    { name: 'whole lines in one chunk', chunks: ['a\nbb\nccc\n'], lines: ['a', 'bb', 'ccc'] },
    { name: 'a line across two chunks', chunks: ['a\nb', 'b\nc\n'], lines: ['a', 'bb', 'c'] },
    { name: 'a line across three chunks', chunks: ['x\nlo', 'ng li', 'ne\ny\n'], lines: ['x', 'long line', 'y'] },
    { name: 'a chunk ending on a newline', chunks: ['a\n', 'b\n'], lines: ['a', 'b'] },
    { name: 'no newline at the end', chunks: ['a\nb', 'c'], lines: ['a', 'bc'] },
    { name: 'empty lines', chunks: ['\n\na', '\n'], lines: ['', '', 'a'] },
  ])('$name', async ({ chunks, lines }) => {
    expect(await split(chunks)).toEqual(lines);
  });
});
