import { afterAll, describe, expect, it } from 'vitest';
import {
  FileLineKeysReader,
  type HeldKeys,
  heldKey,
  heldKeyList,
  heldKeysOf,
  KeyFilters,
  KeyRing,
  keysInBoth,
  keysNotIn,
  lineKeysOf,
  lineKeysWork,
} from '../src/builders/outcomes/file-line-keys.js';
import { normalLineHash } from '../src/builders/lines.js';
import { gitProcessCounts } from '../src/git/run.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/** How many of a version's lines have this key (keys as hashed, or as held: then the key's held form). */
const countOf = (keys: Float64Array | readonly number[], key: number) =>
  Array.isArray(keys) ? keys.filter((k) => k === heldKey(key)).length : (keys as Float64Array).filter((k) => k === key).length;
/** A seeded stream of whole numbers below `m` (a linear congruential generator): the rings' model tests. */
const seeded = (seed: number) => {
  let state = seed;
  return (m: number) => {
    state = (state * 1_103_515_245 + 12_345) % 2_147_483_648;
    return state % m;
  };
};
/** A version's keys as the reader holds them, as numbers. */
const asHeld = (keys: Float64Array) => [...keys].map(heldKey);

/** Lines as their keys. */
const keysOfLines = (...lines: string[]) => Float64Array.from(lines.map((l) => normalLineHash(l)));
/**
 * Lines in no file of the tests below whose bits (the low six of their keys, a filter of a 2-line
 * version having 64) are not those of 'alpha\nbeta\n': a filter of that version says it holds none.
 */
function linesNotInFilterOfAlphaBeta(): string[] {
  const setBits = new Set(lineKeysOf(Buffer.from('alpha\nbeta\n')).map((k) => (k >>> 0) & 63));
  const absent = ['delta', 'epsilon', 'zeta', 'eta', 'theta'].filter((l) => !setBits.has((normalLineHash(l) >>> 0) & 63));
  expect(absent.length).toBeGreaterThan(0);
  return absent;
}

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

// The content rule's comparisons against a model: multisets of keys, the file's in any order.
describe('how many of a commit’s line keys a file holds', () => {
  /** The model: each file key used once, the wanted keys it matched (by their held form) taken out in order. */
  const model = (wanted: readonly number[], file: readonly number[]) => {
    const left = new Map<number, number>();
    for (const k of file) left.set(heldKey(k), (left.get(heldKey(k)) ?? 0) + 1);
    const absent: number[] = [];
    for (const k of wanted) {
      const n = left.get(heldKey(k)) ?? 0;
      if (n > 0) left.set(heldKey(k), n - 1);
      else absent.push(k);
    }
    return { both: wanted.length - absent.length, absent };
  };
  /** Two keys whose low 32 bits are the same: one slot of the table, the second found by probing. */
  const twin = 2 ** 40 + 12_345;
  const random = (seed: number, n: number, distinct: number) => {
    let s = seed;
    return Array.from({ length: n }, () => {
      s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
      // Keys as large as normalLineHash's (53 bits), few distinct values: repeats on both sides.
      return (s % distinct) * 2 ** 33 + (s % 7);
    });
  };
  it.each([
    ['nothing wanted', [], [1, 2, 3]],
    ['an empty file', [1, 2], []],
    ['each held once', [5, 9, 7], [7, 1, 5, 9]],
    ['a key wanted twice, held once', [4, 4, 6], [6, 4, 8]],
    ['a key wanted once, held three times', [4], [4, 4, 4]],
    ['keys sharing their low 32 bits', [twin, twin + 2 ** 32, 12_345], [twin + 2 ** 32, 12_345, 3]],
    // Held as their low 48 bits: keys apart only above them are one line to the rule (the model's too).
    ['keys apart only above their low 48 bits', [2 ** 50 + 7, 2 ** 49 + 9, 11], [7, 2 ** 51 + 9]],
    ['random multisets, the file unsorted', random(7, 300, 40), random(11, 900, 60)],
    ['more wanted than the table first holds', random(3, 5_000, 4_000), random(5, 2_000, 4_000)],
    ['more wanted than the process keeps a table for', random(13, 40_000, 30_000), random(17, 10_000, 30_000)],
  ] as const)('%s', (_, wanted, file) => {
    const expected = model(wanted, file);
    expect(keysInBoth(Float64Array.from(wanted), heldKeysOf(Float64Array.from(file)))).toBe(expected.both);
    expect([...keysNotIn(Float64Array.from(wanted), heldKeysOf(Float64Array.from(file)))]).toEqual(expected.absent);
  });

  it('leaves nothing behind for the next comparison', () => {
    const held = (keys: number[]) => heldKeysOf(Float64Array.from(keys));
    expect(keysInBoth(Float64Array.from([1, 2, 3]), held([3, 2, 1]))).toBe(3);
    // Same wanted keys again: every count starts afresh.
    expect(keysInBoth(Float64Array.from([1, 2, 3]), held([1]))).toBe(1);
    expect([...keysNotIn(Float64Array.from([1, 2, 3]), held([2]))]).toEqual([1, 3]);
  });

  it('reads only its own stretch of the columns it is lent', () => {
    // A view of [1, 3) of a longer column pair: the keys around it are not the file's.
    const file = { ...heldKeysOf(Float64Array.from([5, 6, 7, 5])), start: 1, end: 3 };
    expect(keysInBoth(Float64Array.from([5, 6, 7]), file)).toBe(2);
    expect([...keysNotIn(Float64Array.from([5, 6, 7]), file)]).toEqual([5]);
  });
});

describe('the content rule’s reader of line keys', () => {
  /** The keys `visit` lends for each path at `rev`, copied (they are lent for the call only). */
  const keysAt = async (reader: FileLineKeysReader, rev: string, paths: readonly string[]) => {
    const out = new Map<string, number[]>();
    await reader.visit(rev, paths, (i, keys) => out.set(paths[i]!, heldKeyList(keys)));
    return out;
  };

  it('reads and hashes each blob once across revisions, leaves out what is not a file, and writes over the oldest past its budget', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\nbeta\n').write('dir/b.txt', 'b\n').commit('one');
    // a.txt unchanged: the same blob at both revisions.
    const second = repo.write('c.txt', 'gamma\n').commit('two');
    const before = gitProcessCounts.get('cat-file') ?? 0;
    const hashed = lineKeysWork.versionsHashed;
    const named = lineKeysWork.namesAsked;
    const reader = new FileLineKeysReader(repo.dir, 5);
    try {
      // Asked at once at both revisions: read and hashed once, each asker given its keys.
      const [one, two] = await Promise.all([keysAt(reader, first, ['a.txt', 'c.txt', 'dir']), keysAt(reader, second, ['a.txt'])]);
      expect([...one.keys()]).toEqual(['a.txt']); // c.txt missing at `one`, dir a tree
      expect(two.get('a.txt')).toEqual(one.get('a.txt'));
      expect(countOf(two.get('a.txt')!, normalLineHash('beta'))).toBe(1);
      expect(lineKeysWork.versionsHashed - hashed).toBe(1);
      expect(lineKeysWork.namesAsked - named).toBe(4);
      // Held then: a.txt's 3 keys and c.txt's 2, the budget.
      const both = await keysAt(reader, second, ['a.txt', 'c.txt']);
      expect([...both.keys()]).toEqual(['a.txt', 'c.txt']);
      expect(both.get('c.txt')).toEqual(asHeld(lineKeysOf(Buffer.from('gamma\n'))));
      expect(lineKeysWork.versionsHashed - hashed).toBe(2);
      // second:a.txt was named before: only second:c.txt is asked of git.
      expect(lineKeysWork.namesAsked - named).toBe(5);
      // Another version (b.txt's 2 keys) is written over the oldest (a.txt's); c.txt's is still held.
      await keysAt(reader, first, ['dir/b.txt']);
      expect((await keysAt(reader, second, ['c.txt'])).get('c.txt')).toEqual(asHeld(lineKeysOf(Buffer.from('gamma\n'))));
      expect(lineKeysWork.versionsHashed - hashed).toBe(3);
      expect((await keysAt(reader, second, ['a.txt'])).get('a.txt')).toEqual(asHeld(lineKeysOf(Buffer.from('alpha\nbeta\n'))));
      expect(lineKeysWork.versionsHashed - hashed).toBe(4);
      // A version larger than the whole budget is lent, not held: read again when asked again.
      const large = repo.write('d.txt', 'one\ntwo\nthree\nfour\nfive\nsix\n').commit('three');
      expect((await keysAt(reader, large, ['d.txt'])).get('d.txt')).toEqual(
        asHeld(lineKeysOf(Buffer.from('one\ntwo\nthree\nfour\nfive\nsix\n'))),
      );
      await keysAt(reader, large, ['d.txt']);
      expect(lineKeysWork.versionsHashed - hashed).toBe(6);
    } finally {
      reader.close();
    }
    // One process resolving paths, one reading blobs.
    expect((gitProcessCounts.get('cat-file') ?? 0) - before).toBe(2);
  });
  it('names a version by the blob the database recorded for it, asking git only for the others, and keys it as git’s', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\nbeta\n').write('b.txt', 'b\n').commit('one');
    const blobs = new Map([[`${first}:a.txt`, repo.git('rev-parse', `${first}:a.txt`)]]);
    const asked: string[] = [];
    const named = lineKeysWork.namesAsked;
    const recorded = lineKeysWork.namesRecorded;
    const reader = new FileLineKeysReader(repo.dir, undefined, (rev, path) => {
      asked.push(`${rev}:${path}`);
      return blobs.get(`${rev}:${path}`);
    });
    const plain = new FileLineKeysReader(repo.dir);
    try {
      const paths = ['a.txt', 'b.txt', 'c.txt'];
      const keys = await keysAt(reader, first, paths);
      expect(keys).toEqual(await keysAt(plain, first, paths));
      expect([...keys.keys()]).toEqual(['a.txt', 'b.txt']);
      // a.txt from the database; b.txt and the missing c.txt from git (the plain reader asked 3).
      expect(lineKeysWork.namesRecorded - recorded).toBe(1);
      expect(lineKeysWork.namesAsked - named).toBe(2 + 3);
      // Remembered as git's answers are: asked again, neither the database nor git is.
      expect(await keysAt(reader, first, paths)).toEqual(keys);
      expect(asked).toEqual(paths.map((p) => `${first}:${p}`));
      expect(lineKeysWork.namesAsked - named).toBe(5);
    } finally {
      reader.close();
      plain.close();
    }
  });

  it('bounds a revision’s files by the blobs the database names there, before git is asked for any name', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\nbeta\n').commit('one');
    const second = repo.write('c.txt', 'gamma\n').commit('two');
    const blob = repo.git('rev-parse', `${first}:a.txt`);
    // The database knows a.txt at `second` (the blob `first` added) and that d.txt is not there.
    const known = new Map<string, string | null>([
      [`${second}:a.txt`, blob],
      [`${second}:d.txt`, null],
    ]);
    const asked: string[] = [];
    const reader = new FileLineKeysReader(repo.dir, undefined, (rev, path) => {
      asked.push(`${rev}:${path}`);
      return known.get(`${rev}:${path}`);
    });
    const absent = linesNotInFilterOfAlphaBeta();
    const wanted = new Map([
      ['a.txt', keysOfLines('alpha', ...absent)],
      ['d.txt', keysOfLines('delta')],
    ]);
    const named = lineKeysWork.namesAsked;
    try {
      await reader.visit(first, ['a.txt'], () => {});
      expect(lineKeysWork.namesAsked - named).toBe(1);
      // a.txt's blob at `second` from the database, its filter made when hashed at `first`: alpha
      // may be there, the absent lines not; d.txt not there at all.
      expect(reader.presentAtMost(second, ['a.txt', 'd.txt'], wanted, Number.POSITIVE_INFINITY)).toBe(1);
      expect(lineKeysWork.namesAsked - named).toBe(1);
      // c.txt at `second` the database cannot name: counted whole, then visited through git. The
      // database was asked once for it, not again by the visit.
      const withC = new Map([...wanted, ['c.txt', keysOfLines('gamma')]]);
      expect(reader.presentAtMost(second, ['c.txt'], withC, Number.POSITIVE_INFINITY)).toBe(1);
      const seen: number[] = [];
      await reader.visit(second, ['c.txt'], (_, held) => seen.push(held.end - held.start));
      expect(seen).toEqual([2]);
      expect(asked).toEqual([`${first}:a.txt`, `${second}:a.txt`, `${second}:d.txt`, `${second}:c.txt`]);
      expect(lineKeysWork.namesAsked - named).toBe(2);
    } finally {
      reader.close();
    }
  });

  it('bounds how many lines a revision’s files hold from what it hashed before, without asking git', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\nbeta\n').commit('one');
    const second = repo.write('c.txt', 'gamma\n').commit('two');
    const reader = new FileLineKeysReader(repo.dir);
    const absent = linesNotInFilterOfAlphaBeta();
    const wanted = new Map([
      ['a.txt', keysOfLines('alpha', ...absent)],
      ['c.txt', keysOfLines('gamma')],
    ]);
    const paths = ['a.txt', 'c.txt'];
    const before = gitProcessCounts.get('cat-file') ?? 0;
    try {
      // Nothing named yet: every line may be there.
      expect(reader.presentAtMost(first, paths, wanted, Number.POSITIVE_INFINITY)).toBe(2 + absent.length);
      await reader.visit(first, paths, () => {});
      // a.txt hashed (alpha may be there, the absent lines not); c.txt named missing at `first`.
      expect(reader.presentAtMost(first, paths, wanted, Number.POSITIVE_INFINITY)).toBe(1);
      // At `second`, a.txt is the same blob but its name is not known yet, and c.txt not hashed.
      expect(reader.presentAtMost(second, paths, wanted, Number.POSITIVE_INFINITY)).toBe(2 + absent.length);
      // It stops counting once it has enough.
      expect(reader.presentAtMost(second, paths, wanted, 1)).toBe(1 + absent.length);
    } finally {
      reader.close();
    }
    expect((gitProcessCounts.get('cat-file') ?? 0) - before).toBe(2);
  });

  // Most of the content rule's candidates are at hand: their count is had without a promise chain
  // each (the outcome build's largest allocation on git's own history with its pull requests).
  it('visits at once, with nothing to wait for, when every file is named and held or named missing; else gives a promise', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.txt', 'alpha\nbeta\n').commit('one');
    const second = repo.write('c.txt', 'gamma\n').commit('two');
    const reader = new FileLineKeysReader(repo.dir);
    try {
      const seen: string[] = [];
      const visitor = (rev: string, paths: string[]) => (i: number, keys: HeldKeys) =>
        seen.push(`${rev === first ? 'one' : 'two'}:${paths[i]}:${keys.end - keys.start}`);
      const paths = ['a.txt', 'c.txt'];
      const waiting = reader.visit(first, paths, visitor(first, paths));
      expect(waiting).toBeInstanceOf(Promise);
      await waiting;
      expect(seen).toEqual(['one:a.txt:3']);
      // Named and held, or named missing: visited there and then.
      expect(reader.visit(first, paths, visitor(first, paths))).toBeUndefined();
      expect(seen).toEqual(['one:a.txt:3', 'one:a.txt:3']);
      // One name not asked yet: what is at hand now, the rest when git answers.
      const later = reader.visit(second, paths, visitor(second, paths));
      expect(later).toBeInstanceOf(Promise);
      await later;
      expect(seen.slice(2).sort()).toEqual(['two:a.txt:3', 'two:c.txt:2']);
    } finally {
      reader.close();
    }
  });
});

describe('the filters of versions hashed', () => {
  /** A stream of keys as large as normalLineHash's, repeats among them. */
  const randomKeys = (seed: number, n: number, distinct: number) => {
    let s = seed;
    return Float64Array.from({ length: n }, () => {
      s = (Math.imul(s, 1_103_515_245) + 12_345) >>> 0;
      return (s % distinct) * 2 ** 21 + (s % 1_999);
    });
  };
  // An upper bound, never below what a comparison counts: a candidate the filter passes over is
  // one the comparison would not have found (keysInBoth counts each wanted line at most once).
  it.each([
    ['a small version, few lines wanted', 1, 20, 10],
    ['git-sized files', 2, 1_500, 100],
    ['a version past the largest filter', 3, 600_000, 300],
    ['wanted lines all from the version', 4, 2_000, 2_000],
  ] as const)('%s: at least what the comparison finds, at most what is wanted', (_, seed, lines, wanted) => {
    const filters = new KeyFilters(1 << 30);
    const version = randomKeys(seed, lines, lines);
    filters.add('v', heldKeysOf(version));
    // Half the wanted lines from the version, half not (all of them from it in the last case).
    const ask = Float64Array.from({ length: wanted }, (_, i) =>
      i % 2 === 0 || wanted === lines ? version[(i * 7) % lines]! : randomKeys(seed + 100, wanted, 10 * wanted)[i]!,
    );
    const bound = filters.mayHold('v', ask)!;
    expect(bound).toBeGreaterThanOrEqual(keysInBoth(ask, heldKeysOf(version)));
    expect(bound).toBeLessThanOrEqual(wanted);
    if (wanted === lines) expect(bound).toBe(wanted);
  });

  it('says no for lines whose bits the version never set, and nothing for a version it has no filter of', () => {
    const filters = new KeyFilters(1 << 20);
    // Three lines: a 64-bit filter, bits 1, 2 and 3 set.
    filters.add('v', heldKeysOf(Float64Array.from([2 ** 40 + 1, 2, 3])));
    expect(filters.mayHold('v', Float64Array.from([2 ** 33 + 1, 64 + 2, 5, 6, 7]))).toBe(2);
    expect(filters.mayHold('w', Float64Array.from([1]))).toBeUndefined();
    // Room for one 64-bit filter: one written over another has none of the other's bits.
    const one = new KeyFilters(8);
    one.add('every bit', heldKeysOf(Float64Array.from({ length: 30 }, (_, i) => i)));
    one.add('v', heldKeysOf(Float64Array.from([1, 2, 3])));
    expect([one.mayHold('every bit', Float64Array.from([1])), one.mayHold('v', Float64Array.from([5, 6, 7, 1]))]).toEqual([undefined, 1]);
  });

  // Against a model, as the ring of keys is: a filter still kept is its own version's, never one
  // written over it (a version's own lines all pass its filter; another's mostly do not).
  it.each([
    [64, 1],
    [256, 2],
    [1_000, 3],
  ])('%i bytes, seed %i: every filter kept is its own version’s, written over only when the ring comes round', (bytes, seed) => {
    const filters = new KeyFilters(bytes);
    const next = seeded(seed);
    const versions = new Map<string, Float64Array>();
    let kept = 0;
    for (let step = 0; step < 3_000; step++) {
      const sha = `v${next(30)}`;
      let keys = versions.get(sha);
      if (!keys) {
        keys = Float64Array.from({ length: 1 + next(40) }, () => next(2 ** 31) * 2 ** 20 + next(2 ** 20));
        versions.set(sha, keys);
      }
      const found = filters.mayHold(sha, keys);
      if (found === undefined) filters.add(sha, heldKeysOf(keys));
      else {
        kept++;
        expect(found).toBe(keys.length);
      }
    }
    expect(kept).toBeGreaterThan(100);
  });

  it('keeps the filters it used lately within its bytes, letting go of the oldest', () => {
    // 64-bit filters (8 bytes each): room for three.
    const filters = new KeyFilters(24);
    const one = Float64Array.from([1]);
    for (const sha of ['a', 'b', 'c']) filters.add(sha, heldKeysOf(one));
    // Used in the older half: moved to the newest end, so 'b' is the oldest when 'd' comes.
    expect(filters.mayHold('a', one)).toBe(1);
    filters.add('d', heldKeysOf(one));
    expect(['a', 'b', 'c', 'd'].map((sha) => filters.mayHold(sha, one))).toEqual([1, undefined, 1, 1]);
  });
});

describe('the ring that holds versions’ keys', () => {
  /** A version's keys, made from its name and length: what a held copy must still read (some above 32 bits, none above 48). */
  const keysOf = (sha: string, n: number) =>
    Float64Array.from({ length: n }, (_, i) => sha.charCodeAt(0) * 2 ** 40 + Number(sha.slice(1)) * 1000 + i);

  // Against a plain model: whatever the ring still answers is the version's own keys, never another's
  // written over it; it holds at most its capacity; what was asked lately stays.
  it.each([
    [16, 1],
    [64, 2],
    [100, 3],
  ])('capacity %i, seed %i: every answer is the version put, nothing held past the capacity', (capacity, seed) => {
    const ring = new KeyRing(capacity);
    const next = seeded(seed);
    const sizes = new Map<string, number>();
    let answered = 0;
    for (let step = 0; step < 5000; step++) {
      const sha = `v${next(40)}`;
      const n = sizes.get(sha) ?? 1 + next(Math.ceil(capacity / 3));
      sizes.set(sha, n);
      const held = ring.get(sha);
      if (held) {
        answered++;
        expect(heldKeyList(held)).toEqual([...keysOf(sha, n)]);
      } else expect(heldKeyList(ring.put(sha, keysOf(sha, n)))).toEqual([...keysOf(sha, n)]);
      let total = 0;
      for (const [v, size] of sizes) if (ring.get(v)) total += size;
      expect(total).toBeLessThanOrEqual(capacity);
    }
    // Not a ring that forgets everything: most versions asked again were still held.
    expect(answered).toBeGreaterThan(1000);
  });

  it('keeps a version asked near the end of its turn (written again at the head), and lets an unasked one go', () => {
    const ring = new KeyRing(10);
    ring.put('a', keysOf('a1', 3));
    ring.put('b', keysOf('b1', 3));
    ring.put('c', keysOf('c1', 3)); // 9 written: a is 9 behind, over 0.85 of the ring
    expect(heldKeyList(ring.get('a')!)).toEqual([...keysOf('a1', 3)]); // now at the head: 9..10 → wraps to 0..3
    ring.put('d', keysOf('d1', 3));
    expect(ring.get('b')).toBeUndefined(); // written over by d
    expect(heldKeyList(ring.get('a')!)).toEqual([...keysOf('a1', 3)]);
    expect(heldKeyList(ring.get('d')!)).toEqual([...keysOf('d1', 3)]);
  });

  it('leaves a version asked well within its turn where it stands: it goes when the ring comes round', () => {
    const ring = new KeyRing(10);
    ring.put('a', keysOf('a1', 3));
    ring.put('b', keysOf('b1', 3));
    ring.put('c', keysOf('c1', 2)); // 8 written: a is 8 behind, under 0.85 of the ring
    expect(heldKeyList(ring.get('a')!)).toEqual([...keysOf('a1', 3)]); // not moved
    ring.put('d', keysOf('d1', 3)); // 8..10 does not fit: wraps to 0..3, over a
    expect(ring.get('a')).toBeUndefined();
    expect(heldKeyList(ring.get('b')!)).toEqual([...keysOf('b1', 3)]);
  });

  it('lends a version larger than the ring in columns of its own, holding nothing and writing over nothing', () => {
    const ring = new KeyRing(4);
    ring.put('a', keysOf('a1', 2));
    const large = keysOf('x1', 5);
    expect(heldKeyList(ring.put('x', large))).toEqual([...large]);
    expect(ring.get('x')).toBeUndefined();
    expect(heldKeyList(ring.get('a')!)).toEqual([...keysOf('a1', 2)]);
  });

  it('lends one view, moved to each version asked: valid until the next get or put', () => {
    const ring = new KeyRing(10);
    const a = ring.put('a', keysOf('a1', 2));
    const copied = heldKeyList(a);
    ring.put('b', keysOf('b1', 3));
    expect(heldKeyList(ring.get('a')!)).toEqual(copied);
    expect(heldKeyList(a)).toEqual(copied); // the same view, moved back to a
  });
});
