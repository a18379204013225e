import { afterAll, describe, expect, it } from 'vitest';
import { FileLineKeysReader, lineKeysWork, lineKeysOf } from '../src/builders/outcomes/file-line-keys.js';
import { normalLineHash } from '../src/builders/lines.js';
import { gitProcessCounts } from '../src/git/run.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/** How many of a version's lines have this key. */
const countOf = (keys: Float64Array, key: number) => keys.filter((k) => k === key).length;

describe("a file version's line keys", () => {
  it.each([
    [
      'x = 1\n',
      [
        ['x = 1', 1],
        ['', 1],
        ['y', 0],
      ],
    ],
    [
      '  x = 1\nx  =  1 \ny\n\n',
      [
        ['x = 1', 2],
        ['y', 1],
        ['', 2],
      ],
    ],
    [
      'no newline at the end',
      [
        ['no newline at the end', 1],
        ['', 0],
      ],
    ],
    ['caf\u00e9\n\u00a0café\r\n', [['café', 2]]],
    ['', [['', 1]]],
  ] as const)('%j: each line counted as often as it stands, normalized', (text, expected) => {
    const keys = lineKeysOf(Buffer.from(text));
    // As many keys as the text has lines split at each newline (the empty line after a last one too).
    expect(keys.length).toBe(text.split('\n').length);
    for (const [line, n] of expected) expect(countOf(keys, normalLineHash(line)), line).toBe(n);
  });

  it('keys invalid UTF-8 as the text it decodes to', () => {
    const bytes = Buffer.from([0x61, 0xff, 0x62, 0x0a, 0x63]);
    const keys = lineKeysOf(bytes);
    expect(countOf(keys, normalLineHash(bytes.toString('utf8').split('\n')[0]!))).toBe(1);
    expect(countOf(keys, normalLineHash('c'))).toBe(1);
  });
});

describe('the content rule’s reader of line keys', () => {
  it('reads and hashes each blob once across revisions, leaves out what is not a file, and evicts past its budget', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\nbeta\n').write('dir/b.txt', 'b\n').commit('one');
    // a.txt unchanged: the same blob at both revisions.
    const second = repo.write('c.txt', 'gamma\n').commit('two');
    const before = gitProcessCounts.get('cat-file') ?? 0;
    const hashed = lineKeysWork.versionsHashed;
    const named = lineKeysWork.namesAsked;
    const reader = new FileLineKeysReader(repo.dir, 5);
    try {
      // Asked at once at both revisions: read and hashed once.
      const [one, two] = await Promise.all([reader.at(first, ['a.txt', 'c.txt', 'dir']), reader.at(second, ['a.txt'])]);
      expect([...one.keys()]).toEqual(['a.txt']); // c.txt missing at `one`, dir a tree
      expect(two.get('a.txt')).toBe(one.get('a.txt'));
      expect(countOf(two.get('a.txt')!, normalLineHash('beta'))).toBe(1);
      expect(lineKeysWork.versionsHashed - hashed).toBe(1);
      expect(lineKeysWork.namesAsked - named).toBe(4);
      // Held then: a.txt's 3 keys and c.txt's 2, the budget.
      expect([...(await reader.at(second, ['a.txt', 'c.txt'])).keys()]).toEqual(['a.txt', 'c.txt']);
      expect(lineKeysWork.versionsHashed - hashed).toBe(2);
      // second:a.txt was named before: only second:c.txt is asked of git.
      expect(lineKeysWork.namesAsked - named).toBe(5);
      // Another version evicts the least recently used (a.txt's); c.txt's is still held.
      await reader.at(first, ['dir/b.txt']);
      await reader.at(second, ['c.txt']);
      expect(lineKeysWork.versionsHashed - hashed).toBe(3);
      await reader.at(second, ['a.txt']);
      expect(lineKeysWork.versionsHashed - hashed).toBe(4);
    } finally {
      reader.close();
    }
    // One process resolving paths, one reading blobs.
    expect((gitProcessCounts.get('cat-file') ?? 0) - before).toBe(2);
  });
});
