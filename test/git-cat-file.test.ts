import { afterAll, describe, expect, it } from 'vitest';
import { CatFileBatch, FileTexts, filesAtVia } from '../src/git/cat-file.js';
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
          batch.read(r),
        ),
      );
      expect(answers.map((a) => (a === null ? null : a.length))).toEqual([6, null, big.length, big2.length, 18, null, null]);
      expect(answers[2]!.toString()).toBe(big);
      expect(answers[3]!.toString()).toBe(big2);
      expect(answers[4]!.toString()).toBe('unicode and space\n');
      const files = await filesAtVia(new FileTexts(batch, 1000), 'HEAD', ['a.txt', 'missing.txt', 'dir/ü b.txt']);
      expect([...files]).toEqual([
        ['a.txt', 'alpha\n'],
        ['dir/ü b.txt', 'unicode and space\n'],
      ]);
    } finally {
      batch.close();
    }
    expect((gitProcessCounts.get('cat-file') ?? 0) - before).toBe(1);
  });

  it('keeps the latest answers for a repeat, up to its bound, and shares a request on its way', async () => {
    const repo = TempRepo.create();
    // Files of 10, 20 and 60 characters; each request ('HEAD:x.txt') counts 10 more, a missing one 13.
    repo
      .write('a.txt', `${'a'.repeat(9)}\n`)
      .write('b.txt', `${'b'.repeat(19)}\n`)
      .write('c.txt', `${'c'.repeat(59)}\n`)
      .commit('files');
    const texts = new FileTexts(new CatFileBatch(repo.dir), 60);
    try {
      const asked = () => texts.asked;
      // Asked twice in one turn: git is asked once, both get the text.
      const [a1, a2] = await Promise.all([texts.text('HEAD:a.txt'), texts.text('HEAD:a.txt')]);
      expect([a1, a2, asked()]).toEqual([`${'a'.repeat(9)}\n`, `${'a'.repeat(9)}\n`, 1]);
      // A missing file is kept too, as null.
      expect(await texts.text('HEAD:nope.txt')).toBeNull();
      expect(await texts.text('HEAD:nope.txt')).toBeNull();
      expect(asked()).toBe(2);
      // a (20) and the missing one (13, used last) kept; b (30) makes 63 > 60: the least recently used — a — goes.
      expect(await texts.text('HEAD:b.txt')).toBe(`${'b'.repeat(19)}\n`);
      expect(asked()).toBe(3);
      expect(await texts.text('HEAD:nope.txt')).toBeNull();
      expect(await texts.text('HEAD:b.txt')).toBe(`${'b'.repeat(19)}\n`);
      expect(asked()).toBe(3);
      expect(await texts.text('HEAD:a.txt')).toBe(`${'a'.repeat(9)}\n`);
      expect(asked()).toBe(4);
      // a again makes 63: the missing one (used before b) goes. An answer larger than the bound is
      // never kept (c: 70), and lets nothing go.
      expect(await texts.text('HEAD:c.txt')).toBe(`${'c'.repeat(59)}\n`);
      expect(await texts.text('HEAD:c.txt')).toBe(`${'c'.repeat(59)}\n`);
      expect(asked()).toBe(6);
      expect(await texts.text('HEAD:a.txt')).toBe(`${'a'.repeat(9)}\n`);
      expect(await texts.text('HEAD:b.txt')).toBe(`${'b'.repeat(19)}\n`);
      expect(asked()).toBe(6);
      expect(await texts.text('HEAD:nope.txt')).toBeNull();
      expect(asked()).toBe(7);
    } finally {
      texts.close();
    }
  });

  it('answers what was asked before it was closed in the same turn (requests go out together)', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha\n').write('b.txt', 'beta\n').commit('files');
    const batch = new CatFileBatch(repo.dir);
    const answers = Promise.all([batch.read('HEAD:a.txt'), batch.read('HEAD:b.txt')]);
    batch.close();
    expect((await answers).map((a) => a?.toString())).toEqual(['alpha\n', 'beta\n']);
  });
});
