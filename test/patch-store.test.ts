import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { PatchStore, readPatches, storeFileReads } from '../src/git/patch-store.js';
import {
  addedKeyedFiles,
  damagedGitRecord,
  forEachCountedLine,
  keyedFiles,
  letGo,
  recordOf,
  recordPatch,
  summaryOf,
} from '../src/git/record-patches.js';
import { NORMAL_LINE_KEY } from '../src/builders/line-keys.js';
import { isNontrivialLine, isNontrivialRange, NONTRIVIAL_LINES, normalLineHash } from '../src/builders/lines.js';
import type { LineKey, RecordHeader } from '../src/git/patch-record.js';
import { type CommitPatch, diffsRead, readCommitPatches } from '../src/git/patches.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/** This process's git children still running (Linux: /proc). */
function gitChildren(): number {
  let n = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const status = readFileSync(`/proc/${pid}/status`, 'utf8');
      if (/^Name:\s+git$/m.test(status) && new RegExp(`^PPid:\\s+${process.pid}$`, 'm').test(status)) n++;
    } catch {
      // gone since the listing
    }
  }
  return n;
}

/** 0..n-1 in a fixed shuffled order (seeded: the same every run). */
function shuffled(n: number): number[] {
  const order = Array.from({ length: n }, (_, i) => i);
  let seed = 7;
  for (let i = n - 1; i > 0; i--) {
    seed = (seed * 1103515245 + 12345) % 2147483648;
    const j = seed % (i + 1);
    [order[i], order[j]] = [order[j]!, order[i]!];
  }
  return order;
}

async function all(patches: AsyncIterable<CommitPatch>): Promise<CommitPatch[]> {
  const out: CommitPatch[] = [];
  for await (const p of patches) out.push(p);
  return out;
}

/** Six commits: a plain edit, a path with spaces and non-ASCII, a rename, odd characters in lines, a deletion. */
function history(): { repo: TempRepo; shas: string[] } {
  const repo = TempRepo.create();
  const shas = [
    repo.write('a.ts', 'export const a = computeA(1);\n').commit('a'),
    repo.write('a.ts', 'export const a = computeA(2);\nexport const b = computeB(2);\n').commit('edit a'),
    repo.write('dir with space/naïve 名前.ts', 'export const naive = "naïve";\n').commit('odd path'),
    (() => {
      repo.git('mv', 'a.ts', 'renamed.ts');
      return repo.write('renamed.ts', 'export const a = computeA(2);\nexport const b = computeB(3);\n').commit('rename');
    })(),
    repo.write('odd.ts', 'const tab = "\t";\nconst emoji = "🎉 party";\nconst quote = "\\"escaped\\"";\n').commit('odd lines'),
    (() => {
      repo.git('rm', '-q', 'odd.ts');
      return repo.commit('remove odd');
    })(),
  ];
  return { repo, shas };
}

describe('PatchStore', () => {
  it('gives back what it kept, from memory and, past 1 MB, from a file that has no name', async () => {
    const { repo, shas } = history();
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const dir = tempDir('paceflow-store-');
    const store = new PatchStore(dir);
    for (const p of read) store.keep(p);
    expect(store.size).toBe(6);
    // Still in memory: no file made yet.
    expect(readdirSync(dir)).toEqual([]);
    expect(store.get(shas[2]!)).toEqual(read[2]);
    // A patch of 5 MB passes the buffer's size: every patch goes to the file, whose folder is gone at once.
    const big: CommitPatch = {
      sha: 'f'.repeat(40),
      files: [
        { path: 'big.txt', oldPath: null, added: Array.from({ length: 100_000 }, (_, i) => `line ${i} ${'x'.repeat(40)} é`), removed: [] },
      ],
    };
    store.keep(big);
    expect(readdirSync(dir)).toEqual([]);
    for (const p of read) expect(store.get(p.sha)).toEqual(p);
    expect(store.get(big.sha)).toEqual(big);
    // One kept after the file was made waits in memory behind what the file holds.
    const after: CommitPatch = {
      sha: 'e'.repeat(40),
      // Lines hold anything but a newline: a CR, JavaScript's line separators, an empty line.
      files: [
        { path: 'after.txt', oldPath: 'before.txt', added: ['kept later', 'crlf\r', 'ls\u2028ps\u2029', ''], removed: ['é', ''] },
        { path: 'path\nwith a newline', oldPath: null, added: [], removed: [] },
        { path: 'last.txt', oldPath: null, added: [''], removed: [] },
      ],
    };
    store.keep(after);
    expect(store.get(after.sha)).toEqual(after);
    expect(store.get(shas[5]!)).toEqual(read[5]);
    expect(store.get('0'.repeat(40))).toBeUndefined();
    // The first patch kept for a commit stays.
    store.keep({ sha: shas[0]!, files: [] });
    expect(store.get(shas[0]!)).toEqual(read[0]);
    store.close();
    expect(store.size).toBe(0);
    expect(store.get(shas[0]!)).toBeUndefined();
  });

  // Attribution asks most commits for their paths and counts only: get decodes the header alone.
  it("decodes a kept patch's lines only when they are asked for, from memory or from the file", async () => {
    const { repo, shas } = history();
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    for (const p of read.slice(0, 3)) store.keep(p);
    // Past the buffer: the first three in the file, the rest in memory.
    store.keep({ sha: 'f'.repeat(40), files: [{ path: 'big.txt', oldPath: null, added: ['z'.repeat(2 << 20)], removed: [] }] });
    for (const p of read.slice(3)) store.keep(p);
    const given = read.map((p) => store.get(p.sha)!);
    const summaries = given.map((p) => summaryOf(p));
    // Read in another order than given: each reads its own lines, wherever the window went since.
    for (const i of [4, 0, 2, 5, 1, 3]) expect(given[i]!.files, shas[i]).toEqual(read[i]!.files);
    const unread = read.map((p) => store.get(p.sha)!);
    store.close();
    expect(unread.map((p) => summaryOf(p))).toEqual(summaries);
    for (const p of unread) expect(() => p.files).toThrow(`diff store was closed before the lines of ${p.sha} were read`);
  });

  // That the string is the store's own (what the outcome build's columns then hold) is not something
  // a test can see; the run's figures are in bench/README (session 70).
  it('answers the sha asked for with a string of the same text, kept or not, open or closed', () => {
    const kept = 'a'.repeat(40);
    const store = new PatchStore(tempDir('paceflow-store-'));
    store.keep({ sha: kept, files: [] });
    expect(store.shaString('a'.repeat(40))).toBe(kept);
    expect(store.shaString('b'.repeat(40))).toBe('b'.repeat(40));
    store.close();
    expect(store.shaString(kept)).toBe(kept);
  });

  // Attribution asks a commit no session wrote a path of for its paths and counts alone: a record
  // larger than the read window gives them from its header, and its lines are read when asked.
  it('reads only the header of a kept record larger than its window until its lines are asked for', () => {
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    const big: CommitPatch = {
      sha: 'b'.repeat(40),
      files: [{ path: 'vendor/big.js', oldPath: null, added: Array.from({ length: 100_000 }, (_, i) => `var v${i} = ${i};`), removed: [] }],
    };
    // A header past the first read of one (64 KB): 3,000 files, each named in it.
    const wide: CommitPatch = {
      sha: 'c'.repeat(40),
      files: Array.from({ length: 3000 }, (_, i) => ({
        path: `src/a directory with a long name/module ${i}.ts`,
        oldPath: null,
        added: [`export const m${i} = ${'x'.repeat(400)};`],
        removed: [],
      })),
    };
    for (const p of [big, wide]) store.keep(p);
    store.keep({ sha: 'd'.repeat(40), files: [{ path: 'after.ts', oldPath: null, added: ['after'], removed: [] }] });
    for (const [p, headerBytes] of [
      [big, 70_000],
      [wide, 500_000],
    ] as const) {
      const before = { ...storeFileReads };
      const given = store.get(p.sha)!;
      expect(summaryOf(given)!.length).toBe(p.files.length);
      expect(summaryOf(given)![0]).toEqual({
        ...p.files[0]!,
        added: p.files[0]!.added.length,
        removed: 0,
        counted: p.files[0]!.added.length,
      });
      const headerRead = storeFileReads.bytes - before.bytes;
      expect(headerRead).toBeGreaterThan(0);
      expect(headerRead).toBeLessThan(headerBytes);
      // Asked for, the lines are read (and only once more than the header).
      expect(given.files).toEqual(p.files);
      const recordBytes = Buffer.byteLength(JSON.stringify(p.files));
      expect(storeFileReads.bytes - before.bytes).toBeGreaterThan(recordBytes / 3);
      expect(storeFileReads.bytes - before.bytes - headerRead).toBeLessThan(recordBytes);
    }
    store.close();
  });

  // The revert and content rules key a whole-tree branch commit's lines: read whole, its 64 MB of
  // lines were git's own history's outcome build's top. A record larger than the read window is
  // keyed (and its counted lines given) a window at a time — lines across a window's edge, and one
  // longer than a window, included — with the keys its lines as strings give.
  it('keys a kept record larger than its window a window at a time, the same keys as its lines give', () => {
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    const lines = (n: number, tag: string) => Array.from({ length: n }, (_, i) => `${tag} line ${i} = ${'y'.repeat(i % 97)};`);
    const big: CommitPatch = {
      sha: 'e'.repeat(40),
      files: [
        { path: 'vendor/a.js', oldPath: null, added: lines(40_000, 'a'), removed: lines(9_000, 'gone a') },
        { path: 'vendor/long.js', oldPath: 'vendor/old.js', added: ['}', `var long = "${'z'.repeat(1_500_000)}";`, '{'], removed: [] },
        { path: 'vendor/b.js', oldPath: null, added: lines(30_000, 'b'), removed: lines(3, 'gone b') },
      ],
    };
    store.keep(big);
    store.keep({ sha: 'f'.repeat(40), files: [{ path: 'after.ts', oldPath: null, added: ['after'], removed: [] }] });
    const recordBytes = Buffer.byteLength(JSON.stringify(big.files));
    expect(recordBytes).toBeGreaterThan(4 << 20);

    const before = { ...storeFileReads };
    const keyed = keyedFiles(store.get(big.sha)!, NORMAL_LINE_KEY, isNontrivialRange);
    // A window at a time: several reads, none of the record whole, about its bytes in all.
    expect(storeFileReads.count - before.count).toBeGreaterThanOrEqual(5);
    expect(storeFileReads.bytes - before.bytes).toBeLessThan(recordBytes * 1.1);
    expect(keyed).toEqual(
      big.files.map((f) => ({
        path: f.path,
        oldPath: f.oldPath,
        added: Float64Array.from(f.added, (l) => normalLineHash(l)),
        addedFlags: Uint8Array.from(f.added, (l) => (isNontrivialLine(l) ? 1 : 0)),
        removed: Float64Array.from(f.removed, (l) => normalLineHash(l)),
      })),
    );
    expect(addedKeyedFiles(store.get(big.sha)!, NORMAL_LINE_KEY).map((f) => f.added)).toEqual(keyed.map((f) => f.added));

    const counted: string[][] = big.files.map(() => []);
    expect(
      forEachCountedLine(
        store.get(big.sha)!,
        (file) => file !== 0,
        (file, data, start, end) => counted[file]!.push(data.toString('utf8', start, end)),
      ),
    ).toBe(true);
    expect(counted).toEqual(big.files.map((f, i) => (i === 0 ? [] : f.added.filter(isNontrivialLine))));
    // Asked as text, the lines come whole.
    expect(store.get(big.sha)!.files).toEqual(big.files);
    expect(store.get('f'.repeat(40))!.files[0]!.added).toEqual(['after']);
    store.close();
  });

  it("gives each file's paths and counts without the lines when made with a line test; never for a patch from git", async () => {
    const { repo, shas } = history();
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const counting = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    const plain = new PatchStore(tempDir('paceflow-store-'));
    for (const p of read) {
      counting.keep(p);
      plain.keep(p);
    }
    // Past the buffer: the rest come back from the file.
    counting.keep({
      sha: 'f'.repeat(40),
      files: [{ path: 'big.txt', oldPath: null, added: ['z'.repeat(2 << 20), 'if', '  value = compute(1)'], removed: ['x'] }],
    });
    for (const p of [...read, { sha: 'f'.repeat(40) }]) {
      const kept = counting.get(p.sha)!;
      const expected = kept.files.map((f) => ({
        path: f.path,
        oldPath: f.oldPath,
        added: f.added.length,
        removed: f.removed.length,
        counted: f.added.filter(isNontrivialLine).length,
      }));
      expect(summaryOf(counting.get(p.sha)!)).toEqual(expected);
    }
    // A store made without the line test gives the patch, and no summary.
    for (const p of read) {
      expect(plain.get(p.sha)).toEqual(p);
      expect(summaryOf(plain.get(p.sha)!)).toBeUndefined();
    }
    expect(summaryOf(counting.get('f'.repeat(40))!)).toEqual([{ path: 'big.txt', oldPath: null, added: 3, removed: 1, counted: 2 }]);
    expect(summaryOf(counting.get(shas[3]!)!)).toEqual([{ path: 'renamed.ts', oldPath: 'a.ts', added: 1, removed: 1, counted: 1 }]);
    for (const p of read) expect(summaryOf(p)).toBeUndefined();
    counting.close();
    plain.close();
  });

  it.each([
    { order: 'written', pick: (n: number) => Array.from({ length: n }, (_, i) => i), mostReads: (n: number) => n / 20 },
    { order: 'reverse', pick: (n: number) => Array.from({ length: n }, (_, i) => n - 1 - i), mostReads: (n: number) => n / 20 },
    // A jump far from the last read takes that patch alone, not a window around it.
    { order: 'shuffled', pick: (n: number) => shuffled(n), mostReads: (n: number) => n },
  ])('reads the file in windows when asked in the $order order, and gives every patch back whole', ({ pick, mostReads }) => {
    // 3,000 patches of ~2 KB (a multi-byte character in each line: bytes are not characters),
    // one of 300 KB (more than a window) and one of 1.5 MB (more than the buffer) among them.
    const patches: CommitPatch[] = Array.from({ length: 3000 }, (_, i) => ({
      sha: i.toString(16).padStart(40, '0'),
      files: [
        {
          path: `src/file ${i % 37}.ts`,
          oldPath: i % 11 === 0 ? `src/old ${i}.ts` : null,
          added: Array.from(
            { length: i === 1000 ? 6000 : i === 2000 ? 30_000 : 20 + (i % 13) },
            (_, k) => `const é${k} = ${i} * ${k}; // ☃`,
          ),
          removed: Array.from({ length: i % 5 }, (_, k) => `old line ${k} of ${i}`),
        },
      ],
    }));
    const store = new PatchStore(tempDir('paceflow-store-'));
    for (const p of patches) store.keep(p);
    const before = { ...storeFileReads };
    for (const i of pick(patches.length)) expect(store.get(patches[i]!.sha)).toEqual(patches[i]);
    const reads = storeFileReads.count - before.count;
    expect(reads).toBeGreaterThan(0);
    expect(reads).toBeLessThanOrEqual(mostReads(patches.length));
    // Whatever the order, about the bytes asked for: each patch once, plus a window's worth at
    // the end of each run of near reads (the buffer still holds the last patches kept).
    const asked = patches.reduce((n, p) => n + Buffer.byteLength(JSON.stringify(p.files)), 0);
    expect(storeFileReads.bytes - before.bytes).toBeLessThan(1.5 * asked);
    store.close();
  });

  it('keys a kept patch where its lines stand in the record, as the same lines from git key', async () => {
    const { repo, shas } = history();
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const odd: CommitPatch = {
      sha: 'e'.repeat(40),
      files: [
        {
          path: 'after.txt',
          oldPath: 'before.txt',
          added: ['  return compute(x);', 'crlf\r', 'ls\u2028ps\u2029', '', '}', 'é naïve value = 1'],
          removed: ['é', ''],
        },
        { path: 'empty.txt', oldPath: null, added: [], removed: [] },
        { path: 'last.txt', oldPath: null, added: ['else'], removed: ['x'] },
      ],
    };
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    for (const p of [...read, odd]) store.keep(p);
    // Past the buffer: those before it come back from the file, the odd one after it from memory.
    store.keep({ sha: 'f'.repeat(40), files: [{ path: 'big.txt', oldPath: null, added: ['z'.repeat(2 << 20)], removed: [] }] });
    store.keep({ ...odd, sha: 'd'.repeat(40) });
    const keyed = (p: CommitPatch) => keyedFiles(p, NORMAL_LINE_KEY, isNontrivialRange);
    for (const p of [...read, odd, { ...odd, sha: 'd'.repeat(40) }]) {
      const fromGit = keyed(p);
      expect(fromGit.flatMap((f) => [...f.addedFlags])).toEqual(p.files.flatMap((f) => f.added.map((l) => (isNontrivialLine(l) ? 1 : 0))));
      expect(keyed(store.get(p.sha)!), p.sha).toEqual(fromGit);
      // Without a flag: the same keys, no flags.
      expect(keyedFiles(store.get(p.sha)!, NORMAL_LINE_KEY)).toEqual(fromGit.map((f) => ({ ...f, addedFlags: new Uint8Array(0) })));
      // Its lines read first: keyed from them, the same.
      const stored = store.get(p.sha)!;
      expect(stored.files).toEqual(p.files);
      expect(keyed(stored)).toEqual(fromGit);
    }
    store.close();
  });

  // Attribution reads the non-trivial added lines of the files a session wrote where they stand in
  // the record, decoding only those it takes (src/builders/attribution.ts, matchStoredLines).
  it("gives the counted added lines of the files picked from the record's bytes, and nothing without a record", async () => {
    const { repo, shas } = history();
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const odd: CommitPatch = {
      sha: 'e'.repeat(40),
      files: [
        {
          path: 'a.ts',
          oldPath: null,
          added: ['const x = compute(1);', '}', 'é naïve value = 1', 'crlf line here\r'],
          removed: ['gone = 1;'],
        },
        { path: 'b.ts', oldPath: 'old-b.ts', added: ['const y = compute(2);'], removed: [] },
        { path: 'c.ts', oldPath: null, added: ['return', 'const z = compute(3);'], removed: ['x', 'y'] },
      ],
    };
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    for (const p of [...read, odd]) store.keep(p);
    // Past the buffer: the earlier ones come back from the file.
    store.keep({ sha: 'f'.repeat(40), files: [{ path: 'big.txt', oldPath: null, added: ['z'.repeat(2 << 20)], removed: [] }] });
    const given = (p: CommitPatch, pick: (i: number) => boolean) => {
      const lines: [number, string][] = [];
      const picked: number[] = [];
      const read = forEachCountedLine(
        p,
        (i) => {
          picked.push(i);
          return pick(i);
        },
        (i, data, start, end) => lines.push([i, data.toString('utf8', start, end)]),
      );
      return { read, lines, picked };
    };
    const counted = (p: CommitPatch, pick: (i: number) => boolean) =>
      p.files.flatMap((f, i) => (pick(i) ? f.added.filter(isNontrivialLine).map((l): [number, string] => [i, l]) : []));
    for (const p of [...read, odd]) {
      for (const pick of [() => true, (i: number) => i !== 1, () => false]) {
        const { read: fromRecord, lines, picked } = given(store.get(p.sha)!, pick);
        expect(fromRecord).toBe(true);
        expect(lines, p.sha).toEqual(counted(p, pick));
        // Asked only of files that add lines.
        expect(picked).toEqual(p.files.flatMap((f, i) => (f.added.length > 0 ? [i] : [])));
      }
      // A patch from git, or one whose lines were read already: no record to read.
      expect(given(p, () => true)).toEqual({ read: false, lines: [], picked: [] });
      const decoded = store.get(p.sha)!;
      expect(decoded.files).toEqual(p.files);
      expect(given(decoded, () => true).read).toBe(false);
    }
    expect(given(store.get(odd.sha)!, () => true).lines).toEqual([
      [0, 'const x = compute(1);'],
      [0, 'é naïve value = 1'],
      [0, 'crlf line here\r'],
      [1, 'const y = compute(2);'],
      [2, 'const z = compute(3);'],
    ]);
    // A store made without a line test marks nothing: no record to read either.
    const plain = new PatchStore(tempDir('paceflow-store-'));
    plain.keep(odd);
    expect(given(plain.get(odd.sha)!, () => true).read).toBe(false);
    plain.close();
    store.close();
  });

  it('gives each counted line its key, the record keyed at once: over several chunks, past ASCII, paged', () => {
    // ~200 KB of lines (the keys' module takes 64 KB at a time), a line longer than a chunk, lines
    // past ASCII and with CRs, removed lines between added ones, a file not picked; and a record
    // larger than the store's buffer, read a window at a time (keyed line by line).
    const many = (tag: string, n: number) =>
      Array.from({ length: n }, (_, k) => `const ${tag}${k} = compute(${k}); // é ${'x'.repeat(k % 70)}`);
    const wide: CommitPatch = {
      sha: 'd'.repeat(40),
      files: [
        {
          path: 'a.ts',
          oldPath: null,
          added: [...many('a', 1500), `${'long '.repeat(20_000)}end`, 'naïve  value\r'],
          removed: many('r', 900),
        },
        { path: 'skip.ts', oldPath: null, added: many('s', 300), removed: [] },
        { path: 'b.ts', oldPath: null, added: ['}', ...many('b', 1200)], removed: ['gone'] },
      ],
    };
    const paged: CommitPatch = {
      sha: 'c'.repeat(40),
      files: [{ path: 'p.ts', oldPath: null, added: ['z'.repeat(2 << 20), ...many('p', 50)], removed: [] }],
    };
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    store.keep(wide);
    store.keep(paged);
    store.keep({ sha: 'f'.repeat(40), files: [{ path: 'big.txt', oldPath: null, added: ['after'], removed: [] }] });
    for (const p of [wide, paged]) {
      const pick = (i: number) => p.files[i]!.path !== 'skip.ts';
      const keyed: [number, string, number][] = [];
      expect(
        forEachCountedLine(
          store.get(p.sha)!,
          pick,
          (i, data, start, end, key) => keyed.push([i, data.toString('utf8', start, end), key]),
          NORMAL_LINE_KEY,
        ),
      ).toBe(true);
      const expected = p.files.flatMap((f, i) =>
        pick(i) ? f.added.filter(isNontrivialLine).map((l): [number, string, number] => [i, l, normalLineHash(l)]) : [],
      );
      expect(keyed.length, p.sha).toBeGreaterThan(50);
      expect(keyed, p.sha).toEqual(expected);
      // Without a key, NaN for each.
      const unkeyed: number[] = [];
      forEachCountedLine(store.get(p.sha)!, pick, (_i, _d, _s, _e, key) => unkeyed.push(key));
      expect(unkeyed.every(Number.isNaN) && unkeyed.length === expected.length).toBe(true);
    }
    store.close();
  });

  // Churn and the content rule key each patch and let it go: git's are lent, never copied, and a
  // lent one read after the next was asked for throws instead of giving another commit's lines.
  it('lends each patch from git until the next is asked for, and a reader that holds one gets its own lines', async () => {
    const { repo, shas } = history();
    const copies = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const lent: CommitPatch[] = [];
    for await (const p of readCommitPatches(shas, { cwd: repo.dir, lend: true })) {
      expect(p.sha).toBe(copies[lent.length]!.sha);
      expect(keyedFiles(p, NORMAL_LINE_KEY)).toEqual(keyedFiles(copies[lent.length]!, NORMAL_LINE_KEY));
      lent.push(p);
    }
    // Let go of, the last one's lines throw too.
    const again: CommitPatch[] = [];
    for await (const p of readCommitPatches(shas, { cwd: repo.dir, lend: true })) {
      if (again.length === 0) expect(p.files).toEqual(copies[0]!.files);
      letGo(p);
      again.push(p);
    }
    expect(() => again.at(-1)!.files).toThrow('after the next one was asked for');
    // The last one stays readable (nothing read over it); every earlier one throws.
    expect(lent.at(-1)!.files).toEqual(copies.at(-1)!.files);
    const withLines = copies.findIndex((p) => p.files.some((f) => f.added.length > 0));
    expect(() => lent[withLines]!.files).toThrow(`paceflow read the lent patch of ${shas[withLines]} after the next one was asked for`);
    // Through a store whose patches and git's interleave, and a commit asked twice (git gives it
    // once): the ones git gave past the asked one are held whole.
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    for (const i of [1, 3]) store.keep(copies[i]!);
    const asked = [shas[5]!, shas[3]!, shas[0]!, shas[1]!, shas[0]!, shas[4]!, shas[2]!];
    const held: CommitPatch[] = [];
    for await (const p of readPatches(store, asked, { cwd: repo.dir, lend: true })) held.push(p);
    expect(held.map((p) => p.sha)).toEqual([shas[5], shas[3], shas[0], shas[1], shas[4], shas[2]]);
    // The store's, and the two git gave past the asked one, read whole; git's lent ones are gone.
    for (const i of [1, 3, 4, 5]) expect(held[i]!.files).toEqual(copies[shas.indexOf(held[i]!.sha)]!.files);
    for (const i of [0, 2]) expect(() => held[i]!.files).toThrow('after the next one was asked for');
    store.close();
  });

  // A whole-tree commit's record outgrows the parser's buffer, which the parser then lets go: the
  // patch keeps that buffer instead of a copy, and the commits after it are read into a new one.
  it('keeps a patch larger than the buffer the parser keeps whole, and the commits after it', async () => {
    const repo = TempRepo.create();
    const big = Array.from({ length: 120_000 }, (_, i) => `export const value${i} = compute(${i}, 'a line of some length');`);
    const shas = [
      repo.write('big.ts', `${big.join('\n')}\n`).commit('big'),
      repo.write('small.ts', 'export const small = 1;\n').commit('small'),
      repo.write('big.ts', `${big.slice(1).join('\n')}\n`).commit('one line less'),
      // One line longer than many of git's chunks (a minified file's).
      repo.write('min.js', `${'x'.repeat(3 << 20)}\n`).commit('minified'),
    ];
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    expect(read.map((p) => p.files.map((f) => [f.path, f.added.length, f.removed.length]))).toEqual([
      [['big.ts', 120_000, 0]],
      [['small.ts', 1, 0]],
      [['big.ts', 0, 1]],
      [['min.js', 1, 0]],
    ]);
    expect(read[3]!.files[0]!.added).toEqual(['x'.repeat(3 << 20)]);
    expect(read[0]!.files[0]!.added).toEqual(big);
    expect(read[1]!.files[0]!.added).toEqual(['export const small = 1;']);
    expect(read[2]!.files[0]!.removed).toEqual([big[0]]);
    // Lent and let go, the grown buffer is shrunk back under the patch (its lines gone at once,
    // not at V8's next collection) and the commits after it are read into what is left.
    const lent: CommitPatch[] = [];
    for await (const p of readCommitPatches(shas, { cwd: repo.dir, lend: true })) {
      expect(keyedFiles(p, NORMAL_LINE_KEY)).toEqual(keyedFiles(read[lent.length]!, NORMAL_LINE_KEY));
      letGo(p);
      lent.push(p);
    }
    expect(() => lent[0]!.files).toThrow('after the next one was asked for');
    // Kept from their records' bytes, the two past the store's buffer (7 MB, 3 MB) written as they
    // stand, the small ones between them buffered: each given back as git's.
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    for (const p of await all(readCommitPatches(shas, { cwd: repo.dir, counted: NONTRIVIAL_LINES }))) {
      expect(recordOf(p)?.marks).toBe(NONTRIVIAL_LINES.range);
      store.keep(p);
    }
    for (const [i, p] of read.entries()) expect(store.get(p.sha)!.files, shas[i]).toEqual(p.files);
    store.close();
  });

  // A patch read from git is its record's bytes (readCommitPatches): read with the store's line
  // test, attribution reads its counted lines there and the store keeps it as it stands.
  it('reads a patch from git as its record, counted as the store counts, and keeps it without splitting its lines', async () => {
    const { repo, shas } = history();
    const plainRead = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const read = await all(readCommitPatches(shas, { cwd: repo.dir, counted: NONTRIVIAL_LINES }));
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    for (const [i, p] of read.entries()) {
      const expected = plainRead[i]!;
      expect(p.sha).toBe(shas[i]);
      expect(recordOf(p)?.marks).toBe(NONTRIVIAL_LINES.range);
      expect(recordOf(expected)?.marks).toBeNull();
      const lines: string[] = [];
      expect(
        forEachCountedLine(
          p,
          () => true,
          (_, data, start, end) => lines.push(data.toString('utf8', start, end)),
        ),
      ).toBe(true);
      expect(lines).toEqual(expected.files.flatMap((f) => f.added.filter(isNontrivialLine)));
      expect(summaryOf(p)).toEqual(
        expected.files.map((f) => ({
          path: f.path,
          oldPath: f.oldPath,
          added: f.added.length,
          removed: f.removed.length,
          counted: f.added.filter(isNontrivialLine).length,
        })),
      );
      store.keep(p);
      // Kept from its bytes: its lines were never split into strings.
      expect(recordOf(p)).toBeDefined();
      expect(store.get(p.sha)!.files).toEqual(expected.files);
      expect(p.files).toEqual(expected.files);
      expect(recordOf(p)).toBeUndefined();
    }
    // A store that counts otherwise (none) encodes the lines again: the same patch back, unmarked.
    const plain = new PatchStore(tempDir('paceflow-store-'));
    for (const p of await all(readCommitPatches(shas, { cwd: repo.dir, counted: NONTRIVIAL_LINES }))) plain.keep(p);
    for (const p of plainRead) expect(plain.get(p.sha)!.files).toEqual(p.files);
    expect(summaryOf(plain.get(shas[0]!)!)).toBeUndefined();
    plain.close();
    store.close();
  });

  // The history's pass keeps a record's lines in the diff's order, each with its sign. A record
  // larger than the store's read window (a file of 60,000 lines before them) is read a window at a
  // time: the same lines, the same damage found at its far end.
  const FILLER_LINES = 60_000;
  /** NORMAL_LINE_KEY without its all-at-once keying: each line keyed where RecordLines reads it. */
  const LINE_BY_LINE: LineKey = { text: NORMAL_LINE_KEY.text, bytes: NORMAL_LINE_KEY.bytes };
  const filler = Buffer.from(Array.from({ length: FILLER_LINES }, (_, i) => `+filler line ${i} of a vendored file\n`).join(''));
  it.each(
    (
      [
        ['in the diff’s order', '+a\n-x\n+b\n-y\n+c\n', null],
        ['added before removed', '+a\n+b\n+c\n-x\n-y\n', null],
        ['one added line short', '+a\n-x\n+b\n-y\n-z\n', 'damaged'],
        ['a line without a sign', '+a\n x\n+b\n-y\n+c\n', 'damaged'],
        ['a line more', '+a\n-x\n+b\n-y\n+c\n+d\n', 'damaged'],
        ['no newline at the end', '+a\n-x\n+b\n-y\n+c', 'damaged'],
      ] as const
    ).flatMap(([name, body, error]) => [
      [name, 'small', body, error] as const,
      [name, 'larger than the read window', body, error] as const,
    ]),
  )('a record with its lines %s, %s', (_, size, body, error) => {
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    const sha = 'a'.repeat(40);
    const large = size !== 'small';
    const header: RecordHeader = [['f.ts', null, 3, 2, 0]];
    if (large) header.unshift(['vendor/big.js', null, FILLER_LINES, 0, 0]);
    const before = storeFileReads.count;
    store.keepRecord({ sha, header, body: large ? Buffer.concat([filler, Buffer.from(body)]) : Buffer.from(body) });
    const kept = store.get(sha)!;
    expect(summaryOf(kept)!.at(-1)).toEqual({ path: 'f.ts', oldPath: null, added: 3, removed: 2, counted: 0 });
    if (error) {
      // Keyed all at once (WebAssembly) and line by line alike.
      expect(() => keyedFiles(store.get(sha)!, NORMAL_LINE_KEY)).toThrow(`damaged record for ${sha}`);
      expect(() => keyedFiles(store.get(sha)!, LINE_BY_LINE)).toThrow(`damaged record for ${sha}`);
      // Large: its lines came a window at a time (more reads than the header's and one whole read).
      if (large) expect(storeFileReads.count - before).toBeGreaterThan(3);
      expect(() =>
        forEachCountedLine(
          store.get(sha)!,
          () => true,
          () => {},
        ),
      ).toThrow(`damaged record for ${sha}`);
      expect(() => kept.files).toThrow(`damaged record for ${sha}`);
    } else {
      expect(keyedFiles(store.get(sha)!, NORMAL_LINE_KEY).at(-1)!.removed).toEqual(Float64Array.from(['x', 'y'], (l) => normalLineHash(l)));
      expect(keyedFiles(store.get(sha)!, NORMAL_LINE_KEY)).toEqual(keyedFiles(store.get(sha)!, LINE_BY_LINE));
      // Added lines alone: keyed all at once too, the removed ones' keys dropped (a record read a
      // window at a time, line by line), the same keys as line by line.
      let asked = 0;
      const counting: LineKey = {
        ...NORMAL_LINE_KEY,
        signedLines: (data, start, end) => {
          asked++;
          return NORMAL_LINE_KEY.signedLines!(data, start, end);
        },
      };
      const added = addedKeyedFiles(store.get(sha)!, counting);
      expect(asked).toBe(large ? 0 : 1);
      expect(added.at(-1)!.added).toEqual(Float64Array.from(['a', 'b', 'c'], (l) => normalLineHash(l)));
      expect(added).toEqual(addedKeyedFiles(store.get(sha)!, LINE_BY_LINE));
      expect(kept.files.at(-1)).toEqual({ path: 'f.ts', oldPath: null, added: ['a', 'b', 'c'], removed: ['x', 'y'] });
    }
    store.close();
  });

  // A record read from git that is not what its header counts names git's diff, not the store.
  it('a damaged record from git names git’s diff of the commit', () => {
    const sha = 'b'.repeat(40);
    // One added line short of what the header counts (the store's case 'one added line short').
    const body = Buffer.from('+a\n-x\n+b\n-y\n-z\n');
    const patch = recordPatch(
      sha,
      [['f.ts', null, 3, 2, 0]],
      () => ({ data: body, start: 0, end: body.length }),
      null,
      undefined,
      damagedGitRecord(sha),
    );
    expect(() => keyedFiles(patch, NORMAL_LINE_KEY)).toThrow(`git's diff of ${sha} does not hold the lines its header counts`);
    expect(() => patch.files).toThrow(`git's diff of ${sha}`);
  });

  // The store's own line test marks each added line's sign as it keeps it: keyed with that test,
  // the flags are read from the signs, never asked again; with another test, asked.
  it('reads the flags of its own line test from the signs, and asks any other test', async () => {
    const { repo, shas } = history();
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    let asked = 0;
    const range = (text: string, start: number, end: number) => {
      asked++;
      return isNontrivialRange(text, start, end);
    };
    const store = new PatchStore(tempDir('paceflow-store-'), { ...NONTRIVIAL_LINES, range });
    for (const p of read) store.keep(p);
    const other = (text: string, start: number, end: number) => isNontrivialRange(text, start, end);
    for (const p of read) {
      const expected = keyedFiles(p, NORMAL_LINE_KEY, other);
      asked = 0;
      expect(keyedFiles(store.get(p.sha)!, NORMAL_LINE_KEY, range)).toEqual(expected);
      expect(asked).toBe(0);
      expect(keyedFiles(store.get(p.sha)!, NORMAL_LINE_KEY, other)).toEqual(expected);
    }
    expect(read.flatMap((p) => keyedFiles(p, NORMAL_LINE_KEY, other).flatMap((f) => [...f.addedFlags]))).toContain(1);
    store.close();
  });

  it('keeps nothing when it cannot write its file, and every reader asks git', async () => {
    const { repo, shas } = history();
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const store = new PatchStore(join(tempDir('paceflow-store-'), 'no such folder'));
    for (const p of read) store.keep(p);
    expect(store.has(shas[0]!)).toBe(true);
    // Given before the store breaks, its lines not read yet: they are still there after.
    const given = store.get(shas[1]!)!;
    store.keep({ sha: 'f'.repeat(40), files: [{ path: 'big.txt', oldPath: null, added: ['y'.repeat(5 << 20)], removed: [] }] });
    expect(store.size).toBe(0);
    expect(store.has(shas[0]!)).toBe(false);
    expect(store.get(shas[1]!)).toBeUndefined();
    expect(given.files).toEqual(read[1]!.files);
    store.close();
    const before = diffsRead.count;
    expect(await all(readPatches(store, shas, { cwd: repo.dir }))).toEqual(read);
    expect(diffsRead.count - before).toBe(6);
  });
});

describe('readPatches', () => {
  it.each([
    { kept: [] as number[], order: [0, 1, 2, 3, 4, 5] },
    { kept: [1, 3], order: [0, 1, 2, 3, 4, 5] },
    { kept: [1, 3], order: [5, 3, 0, 1, 4, 2] },
    { kept: [0, 1, 2, 3, 4, 5], order: [4, 2, 0] },
    { kept: [0, 5], order: [5, 4, 3, 2, 1, 0] },
  ])(
    'kept $kept, asked in order $order: the same patches and patch-ids as git gives, git asked only for the rest',
    async ({ kept, order }) => {
      const { repo, shas } = history();
      let reference = new Map<string, string | null>();
      const read = await all(readCommitPatches(shas, { cwd: repo.dir, onPatchIds: (ids) => (reference = ids) }));
      const store = new PatchStore(tempDir('paceflow-store-'));
      for (const i of kept) store.keep(read[i]!);
      // The kept ones' ids as the history's pass settles them (a patch without one: an empty diff).
      store.settlePatchIds(new Map([...reference].filter((entry): entry is [string, string] => entry[1] !== null)));
      const before = diffsRead.count;
      let ids = new Map<string, string | null>();
      const got = await all(
        readPatches(
          store,
          order.map((i) => shas[i]!),
          { cwd: repo.dir, onPatchIds: (found) => (ids = found) },
        ),
      );
      expect(got).toEqual(order.map((i) => read[i]));
      expect(diffsRead.count - before).toBe(order.filter((i) => !kept.includes(i)).length);
      // Every commit asked has its id, from the store or from git's stream.
      expect(new Map([...ids].sort())).toEqual(new Map(order.map((i) => [shas[i]!, reference.get(shas[i]!)!] as const).sort()));
      store.close();
    },
  );

  // The content rule reads git's patches as their added lines' keys (ReadPatchesOptions.keyed):
  // the keys and flags the record would give, held by each patch for as long as it is, no lines.
  it("reads git's patches as their added lines' keys alone: the record's keys and flags, and no lines", async () => {
    const { repo, shas } = history();
    // A last line without a newline, and a binary file beside a text one.
    shas.push(repo.write('tail.ts', 'export const first = 1;\nexport const last = 2;').commit('no newline at end'));
    shas.push(
      repo
        .write('pic.bin', Buffer.from([0, 1, 2, 0, 255]))
        .write('side.ts', 'export const side = compute(1);\n')
        .commit('binary'),
    );
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const keyed = { key: NORMAL_LINE_KEY, counted: NONTRIVIAL_LINES };
    const expected = (p: CommitPatch) => keyedFiles(p, NORMAL_LINE_KEY, isNontrivialRange).map(({ removed: _, ...f }) => f);
    // All read first, compared after: each patch's keys are its own, not the parser's buffer.
    const fromGit = await all(readCommitPatches(shas, { cwd: repo.dir, keyed }));
    expect(fromGit.map((p) => p.sha)).toEqual(shas);
    for (const [i, p] of fromGit.entries()) {
      expect(addedKeyedFiles(p, NORMAL_LINE_KEY, isNontrivialRange), p.sha).toEqual(expected(read[i]!));
      expect(addedKeyedFiles(p, NORMAL_LINE_KEY)).toEqual(expected(read[i]!).map((f) => ({ ...f, addedFlags: new Uint8Array(0) })));
      expect(() => p.files).toThrow(`paceflow read the lines of ${p.sha}'s diff, which was read as its added lines' keys alone`);
      expect(() => keyedFiles(p, NORMAL_LINE_KEY)).toThrow('read as its added lines');
      expect(() => addedKeyedFiles(p, NORMAL_LINE_KEY, (t, a, b) => isNontrivialRange(t, a, b))).toThrow(
        'other than the ones it read them as',
      );
    }
    expect(expected(read.at(-2)!)).toEqual([expect.objectContaining({ path: 'tail.ts', addedFlags: Uint8Array.from([1, 1]) })]);
    expect(fromGit.flatMap((p) => addedKeyedFiles(p, NORMAL_LINE_KEY, isNontrivialRange)).some((f) => f.addedFlags.includes(1))).toBe(true);
    // Through a store: its own patches keyed where they stand (their removed lines passed over),
    // git's as keys, in the order asked.
    const store = new PatchStore(tempDir('paceflow-store-'), NONTRIVIAL_LINES);
    for (const i of [1, 3]) store.keep(read[i]!);
    const asked = [shas[6]!, shas[3]!, shas[0]!, shas[1]!, shas[7]!];
    const got = await all(readPatches(store, asked, { cwd: repo.dir, keyed }));
    expect(got.map((p) => p.sha)).toEqual(asked);
    for (const p of got) expect(addedKeyedFiles(p, NORMAL_LINE_KEY, isNontrivialRange)).toEqual(expected(read[shas.indexOf(p.sha)]!));
    store.close();
  });

  // A whole-tree commit's keys outgrow the parser's key buffers (4 MB: 512k lines): the patch is
  // handed those buffers, and the commits after it are keyed into new ones.
  it('hands a commit its keys when they outgrew the buffers the parser keeps, and keys the commits after it anew', async () => {
    const repo = TempRepo.create();
    const lines = Array.from({ length: 600_000 }, (_, i) => `v${i}`);
    const shas = [
      repo.write('small.ts', 'export const small = compute(1);\n').commit('small'),
      repo.write('big.txt', `${lines.join('\n')}\n`).commit('big'),
      repo.write('after.ts', 'export const after = compute(2);\nexport const again = compute(3);\n').commit('after'),
    ];
    const read = await all(readCommitPatches(shas, { cwd: repo.dir }));
    const fromGit = await all(readCommitPatches(shas, { cwd: repo.dir, keyed: { key: NORMAL_LINE_KEY, counted: NONTRIVIAL_LINES } }));
    for (const [i, p] of fromGit.entries())
      expect(addedKeyedFiles(p, NORMAL_LINE_KEY, isNontrivialRange)).toEqual(
        keyedFiles(read[i]!, NORMAL_LINE_KEY, isNontrivialRange).map(({ removed: _, ...f }) => f),
      );
    const big = addedKeyedFiles(fromGit[1]!, NORMAL_LINE_KEY, isNontrivialRange)[0]!;
    expect(big.added.length).toBe(600_000);
    expect(big.added[599_999]).toBe(normalLineHash('v599999'));
  });

  it('a reader that stops early ends the git it started', async () => {
    const { repo, shas } = history();
    // A diff of ~3 MB after the one read: git is still writing it when the reader stops.
    const big = repo
      .write('big.txt', Array.from({ length: 60_000 }, (_, i) => `line ${i} of a large file, long enough\n`).join(''))
      .commit('big');
    const store = new PatchStore(tempDir('paceflow-store-'));
    const [first] = await all(readCommitPatches([shas[0]!], { cwd: repo.dir }));
    store.keep(first!);
    const read: string[] = [];
    for await (const p of readPatches(store, [shas[0]!, shas[1]!, big], { cwd: repo.dir })) {
      read.push(p.sha);
      if (read.length === 2) break;
    }
    expect(read).toEqual([shas[0], shas[1]]);
    // No git of this process's is left (it would wait on its full pipe for ever).
    const deadline = Date.now() + 5_000;
    while (gitChildren() > 0 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 50));
    expect(gitChildren()).toBe(0);
    // And the next read answers in full.
    expect((await all(readPatches(store, shas, { cwd: repo.dir }))).map((p) => p.sha)).toEqual(shas);
  });
});
