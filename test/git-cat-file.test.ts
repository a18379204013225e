import { afterAll, describe, expect, it } from 'vitest';
import { CatFileBatch } from '../src/git/cat-file.js';
import { gitProcessCounts } from '../src/git/run.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

describe('one git cat-file --batch for many reads', () => {
  it('answers in order: files, missing paths, a request with a newline, content larger than a pipe buffer', async () => {
    const repo = TempRepo.create();
    const big = `${'x'.repeat(199)}\n`.repeat(2000); // 400 KB: many chunks on the pipe
    const big2 = Array.from({ length: 9000 }, (_, i) => `line ${i}\n`).join(''); // another, straight after it
    repo
      .write('a.txt', 'alpha\n')
      .write('big.txt', big)
      .write('big2.txt', big2)
      .write('dir/ü b.txt', 'unicode and space\n')
      .commit('files');
    const before = gitProcessCounts.get('cat-file') ?? 0;
    const batch = new CatFileBatch(repo.dir);
    try {
      const answers = await Promise.all(
        ['HEAD:a.txt', 'HEAD:nope.txt', 'HEAD:big.txt', 'HEAD:big2.txt', 'HEAD:dir/ü b.txt', 'HEAD:two\nlines', 'deadbeef'].map((r) =>
          batch.read(r, (content) => Buffer.from(content)),
        ),
      );
      expect(answers.map((a) => (a === null ? null : a.length))).toEqual([6, null, big.length, big2.length, 18, null, null]);
      expect(answers[2]!.toString()).toBe(big);
      expect(answers[3]!.toString()).toBe(big2);
      expect(answers[4]!.toString()).toBe('unicode and space\n');
    } finally {
      batch.close();
    }
    expect((gitProcessCounts.get('cat-file') ?? 0) - before).toBe(1);
  });

  it('a names batch answers each request with its object and type, inflating nothing', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha\n').write('dir/ü b.txt', 'unicode and space\n').commit('files');
    const before = gitProcessCounts.get('cat-file') ?? 0;
    const names = new CatFileBatch(repo.dir, 'names');
    try {
      const answers = await Promise.all(
        ['HEAD:a.txt', 'HEAD:nope.txt', 'HEAD:dir', 'HEAD:dir/ü b.txt', 'HEAD:two\nlines'].map((r) => names.nameOf(r)),
      );
      expect(answers).toEqual([
        { sha: repo.git('rev-parse', 'HEAD:a.txt'), type: 'blob' },
        null,
        { sha: repo.git('rev-parse', 'HEAD:dir'), type: 'tree' },
        { sha: repo.git('rev-parse', 'HEAD:dir/ü b.txt'), type: 'blob' },
        null,
      ]);
      // The batch answers what it was made for, and says so when asked for the other.
      expect(() => names.read('HEAD:a.txt', () => true)).toThrow(/made for contents/);
    } finally {
      names.close();
    }
    expect((gitProcessCounts.get('cat-file') ?? 0) - before).toBe(1);
  });

  it('answers what was asked before it was closed in the same turn (requests go out together)', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha\n').write('b.txt', 'beta\n').commit('files');
    const batch = new CatFileBatch(repo.dir);
    const answers = Promise.all([batch.read('HEAD:a.txt', String), batch.read('HEAD:b.txt', String)]);
    batch.close();
    expect(await answers).toEqual(['alpha\n', 'beta\n']);
  });
});

describe("cat-file's answers lent where they stand", () => {
  it('gives every answer whole, whichever chunks it spans, and a reader that throws fails its own read alone', async () => {
    const repo = TempRepo.create();
    // Sizes about a pipe's chunk, and small ones between: answers start and end anywhere in a chunk.
    const sizes = Array.from({ length: 120 }, (_, i) => (i % 3 === 0 ? 10 + i : 1000 + ((i * 7919) % 150_000)));
    sizes.forEach((size, i) => {
      repo.write(`f${i}.txt`, `${i}:`.padEnd(size, String.fromCharCode(97 + (i % 26))));
    });
    repo.commit('files');
    const batch = new CatFileBatch(repo.dir);
    try {
      const asked = sizes.map((_, i) =>
        batch.read(`HEAD:f${i}.txt`, (content) => {
          if (i === 5) throw new Error('this reader fails');
          return content.toString();
        }),
      );
      const settled = await Promise.allSettled(asked);
      settled.forEach((answer, i) => {
        if (i === 5) expect(answer).toMatchObject({ status: 'rejected', reason: { message: 'this reader fails' } });
        else expect(answer).toEqual({ status: 'fulfilled', value: `${i}:`.padEnd(sizes[i]!, String.fromCharCode(97 + (i % 26))) });
      });
      // Asked again after all that: the held bytes were all taken.
      expect(await batch.read('HEAD:f7.txt', (content) => content.length)).toBe(sizes[7]);
    } finally {
      batch.close();
    }
  });
});
