import { createHash } from 'node:crypto';
import { describe, expect, it } from 'vitest';
import { KeptIndex } from '../src/git/kept-index.js';

const sha = (n: number) => createHash('sha1').update(`commit ${n}`).digest('hex');

describe('KeptIndex', () => {
  it("gives each kept commit's place back, the first kept for a commit kept twice, past many grown columns", () => {
    const index = new KeptIndex();
    for (let i = 0; i < 5000; i++) index.add(sha(i), i * 1_000_003, 17 + (i % 91));
    index.add(sha(7), 1, 1);
    expect(index.size).toBe(5000);
    for (const i of [0, 7, 15, 16, 17, 4999]) expect(index.get(sha(i))).toEqual({ offset: i * 1_000_003, length: 17 + (i % 91) });
    expect(index.has(sha(5000))).toBe(false);
    expect(index.get(sha(5000))).toBeUndefined();
    // Past 4 GiB, a file offset is still exact.
    index.add(sha(-1), 2 ** 33 + 5, 3);
    expect(index.get(sha(-1))).toEqual({ offset: 2 ** 33 + 5, length: 3 });
  });

  it.each([
    { name: 'a SHA-1 patch-id, kept as its bytes', id: sha(-2) as string | undefined, expected: sha(-2) as string | null },
    {
      name: "a SHA-256 repository's patch-id, kept as its text",
      id: createHash('sha256').update('x').digest('hex'),
      expected: createHash('sha256').update('x').digest('hex'),
    },
    { name: 'a patch-id of another form, kept as its text', id: 'ABCDEF', expected: 'ABCDEF' },
    { name: 'none found: an empty diff', id: undefined, expected: null },
  ])('settles the patch-ids not known yet: $name', ({ id, expected }) => {
    const index = new KeptIndex();
    for (let i = 0; i < 40; i++) index.add(sha(i), i, 1);
    expect(index.patchId(sha(3))).toBeUndefined();
    index.settle(new Map(id === undefined ? [] : [[sha(3), id]]));
    expect(index.patchId(sha(3))).toBe(expected);
    // The others, not found, are empty diffs; one settled stays as it was.
    expect(index.patchId(sha(39))).toBeNull();
    index.settle(new Map([[sha(3), sha(-3)]]));
    expect(index.patchId(sha(3))).toBe(expected);
    // One kept after: not known until settled.
    index.add(sha(40), 40, 1);
    expect(index.patchId(sha(40))).toBeUndefined();
    index.settle(new Map([[sha(40), sha(-4)]]));
    expect(index.patchId(sha(40))).toBe(sha(-4));
    expect(index.patchId(sha(41))).toBeUndefined();
  });

  it("gives its own string of a kept commit's sha, and none for another", () => {
    const index = new KeptIndex();
    index.add(sha(1), 0, 1);
    expect(index.stringOf(sha(1))).toBe(sha(1));
    expect(index.stringOf(sha(2))).toBeUndefined();
  });

  it('holds nothing once cleared, and keeps again from there', () => {
    const index = new KeptIndex();
    index.add(sha(1), 10, 2);
    index.settle(new Map([[sha(1), sha(-1)]]));
    index.clear();
    expect(index.size).toBe(0);
    expect(index.has(sha(1))).toBe(false);
    expect(index.patchId(sha(1))).toBeUndefined();
    index.add(sha(1), 20, 3);
    expect(index.get(sha(1))).toEqual({ offset: 20, length: 3 });
    expect(index.patchId(sha(1))).toBeUndefined();
  });
});
