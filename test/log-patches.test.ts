import { spawnSync } from 'node:child_process';
import { chmodSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type CommitRecord, CommitStreamParser, commitLogArgs, readCommits } from '../src/git/log.js';
import { type CommitPatch, PatchRecordParser, readCommitPatches } from '../src/git/patches.js';
import { decodeFiles, headerText, type PatchRecord, readHeader } from '../src/git/patch-record.js';
import { PatchStore } from '../src/git/patch-store.js';
import { keyedFiles } from '../src/git/record-patches.js';
import { NORMAL_LINE_KEY } from '../src/builders/line-keys.js';
import { isNontrivialLine, isNontrivialRange, NONTRIVIAL_LINES } from '../src/builders/lines.js';
import { lineBalanceHash } from '../src/git/line-balance.js';
import { gitProcessCounts } from '../src/git/run.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';
import { gitPatchIds } from './helpers/git-patch-id.js';

afterAll(cleanupTempDirs);

/**
 * Every kind of change whose patch reads differently from `--numstat`: binary files, a mode-only
 * change, renames with and without a change (of a text and of a binary file), a type change (git
 * prints it as a deletion and an addition), a submodule, paths with a space, a TAB, non-ASCII and
 * bytes that are not UTF-8, a line holding a NUL past the 8,000 bytes git looks at (text to git),
 * a last line without a newline, a file of two hunks, an empty commit, a merge, and a message
 * that quotes a diff.
 */
function history(): { repo: TempRepo; merge: string } {
  const repo = TempRepo.create();
  const nested = TempRepo.create();
  nested.write('n.txt', 'one\n').commit('n1');
  repo.git('-c', 'protocol.file.allow=always', 'clone', '-q', nested.dir, 'sub');
  repo
    .write('a.txt', 'one\ntwo\nthree\n')
    .write('bin.dat', Buffer.from([0x78, 0, 0x79]))
    .write('sp ace.txt', 'q\n')
    .write('tab\tname.txt', 't\n')
    .write('naïve.ts', 'export const naive = 1;\n')
    .write('big.txt', `${'x'.repeat(9000)}\0tail\nsecond\n`)
    .write(Buffer.from('caf\xe9.txt', 'latin1'), 'latin1 name\n')
    .write('link', 'target.txt\n')
    .write('nonl.txt', 'first\nno newline')
    .write('latin1.txt', Buffer.from('caf\xe9 cr\xe8me, not UTF-8\n', 'latin1'))
    .write('multi.txt', 'l1\nl2\nl3\nl4\nl5\nl6\nl7\nl8\n')
    .commit('root\n\ndiff --git a/quoted b/quoted\n+not a patch line');
  spawnSync('git', ['-C', join(repo.dir, 'sub'), '-c', 'user.name=n', '-c', 'user.email=n@e', 'commit', '-q', '--allow-empty', '-m', 'n2']);
  repo
    .write('a.txt', 'one\ntwo\nthree\nfour\n')
    .write('bin.dat', Buffer.from([0x78, 0, 0x7a]))
    .write('big.txt', `${'x'.repeat(9000)}\0tail changed\nsecond\n`)
    .write(Buffer.from('caf\xe9.txt', 'latin1'), 'latin1 name, changed\n')
    // A last line without a newline, changed ("\\ No newline" markers on both sides), and two
    // hunks in one file, each removing and adding.
    .write('nonl.txt', 'first\nstill no newline')
    .write('multi.txt', 'l1\nL2\nl3\nl4\nl5\nl6\nL7\nL7b\nl8\n');
  chmodSync(join(repo.dir, 'sp ace.txt'), 0o755);
  repo.git('mv', 'naïve.ts', 'moved naïve.ts');
  repo.commit('edits, a mode, a rename without a change');
  repo.git('mv', 'bin.dat', 'bin2.dat');
  repo.git('mv', 'a.txt', 'b.txt');
  repo.write('b.txt', 'one\ntwo\nthree\nfour\nfive\n');
  repo.git('rm', '-q', 'tab\tname.txt');
  repo.commit('a binary renamed as it is, a text renamed and changed, a deletion');
  unlinkSync(join(repo.dir, 'link'));
  symlinkSync('target.txt', join(repo.dir, 'link'));
  repo.commit('a file becomes a symbolic link');
  repo.commit('nothing', { allowEmpty: true });
  repo.git('checkout', '-q', '-b', 'side', 'HEAD~2');
  repo.write('side.txt', 'side\n').commit('side');
  repo.git('checkout', '-q', 'main');
  repo.at().git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
  return { repo, merge: repo.git('rev-parse', 'HEAD') };
}

async function readAt(repo: TempRepo, tip: string) {
  let ids: Map<string, string> | null = null;
  for await (const _ of readCommits([tip], [], { cwd: repo.dir, onPatch: () => undefined, onPatchIds: (found) => (ids = found) })) {
    // the batches are not what this reads
  }
  return { ids };
}

async function read(repo: TempRepo, withPatches: boolean) {
  const records: CommitRecord[] = [];
  const patches: PatchRecord[] = [];
  let ids: Map<string, string> | null = null;
  const options = withPatches
    ? {
        // The body is lent for the call (PatchSink): kept, it is copied.
        onPatch: (p: PatchRecord) => patches.push({ ...p, body: Buffer.from(p.body) }),
        counted: NONTRIVIAL_LINES.bytes,
        onPatchIds: (found: Map<string, string>) => (ids = found),
      }
    : {};
  for await (const batch of readCommits(['HEAD'], [], { cwd: repo.dir, ...options })) records.push(...batch);
  return { records: bySha(records), patches: bySha(patches), ids };
}

/** A record's patch, read by the diff store's own decoding (patch-record.ts). */
function patchOf(record: PatchRecord): CommitPatch {
  const text = headerText(record.header) + record.body.toString('utf8');
  const { header, from } = readHeader(text);
  return { sha: record.sha, files: decodeFiles(text, from, header, () => new Error(`damaged ${record.sha}`)) };
}

function bySha<T extends { sha: string }>(items: T[]): T[] {
  return [...items].sort((a, b) => a.sha.localeCompare(b.sha));
}

describe('the history read with each commit’s patch (readCommits with onPatch)', () => {
  it('gives the same commits and counts as --numstat, the same diffs and patch-ids as readCommitPatches', async () => {
    const { repo, merge } = history();
    const plain = await read(repo, false);
    const before = new Map(gitProcessCounts);
    const withPatches = await read(repo, true);
    const started = (name: string) => (gitProcessCounts.get(name) ?? 0) - (before.get(name) ?? 0);
    // One log for the counts, the diffs and the ids (no patch-id: they are hashed as they are
    // read), and one log --numstat for the commits whose counts the patch cannot give (the rename
    // without a change, the binary one, the type change, and the path that is not UTF-8, whose
    // patch header git writes another way).
    expect([started('log'), started('patch-id')]).toEqual([2, 0]);

    expect(plain.records).toHaveLength(7);
    const withoutBalance = (records: CommitRecord[]) => records.map(({ lineBalance: _, ...rest }) => rest);
    expect(withoutBalance(withPatches.records)).toEqual(withoutBalance(plain.records));
    expect(plain.records.map((r) => r.lineBalance)).toEqual(plain.records.map(() => null));
    const changes = Object.fromEntries(plain.records.flatMap((r) => r.changes.map((c) => [`${r.subject}: ${c.path}`, c])));
    // What --numstat says of the cases above (the patch mode matched it exactly).
    expect(changes['a file becomes a symbolic link: link']).toMatchObject({ changeType: 'T', addedLines: 1, deletedLines: 1 });
    expect(changes['a binary renamed as it is, a text renamed and changed, a deletion: bin2.dat']).toMatchObject({
      changeType: 'R',
      similarity: 100,
      isBinary: true,
      addedLines: null,
    });
    expect(changes['edits, a mode, a rename without a change: sp ace.txt']).toMatchObject({ addedLines: 0, deletedLines: 0 });
    expect(changes['edits, a mode, a rename without a change: big.txt']).toMatchObject({ addedLines: 1, deletedLines: 1 });
    expect(changes['edits, a mode, a rename without a change: sub']).toMatchObject({ addedLines: 1, deletedLines: 1 });

    // Every commit but the merge has its diff, the one readCommitPatches reads, and its patch-id.
    const shas = plain.records.map((r) => r.sha).filter((sha) => sha !== merge);
    let expectedIds: Map<string, string | null> | null = null;
    const expected: CommitPatch[] = [];
    for await (const p of readCommitPatches(shas, { cwd: repo.dir, onPatchIds: (found) => (expectedIds = found) })) expected.push(p);
    expect(withPatches.patches.map(patchOf)).toEqual(bySha(expected));
    // Each header counts the added lines isNontrivialLine counts, from the bytes git wrote.
    expect(withPatches.patches.map((p) => p.header.map((f) => f[4]))).toEqual(
      bySha(expected).map((p) => p.files.map((f) => f.added.filter(isNontrivialLine).length)),
    );
    const emptyCommit = plain.records.find((r) => r.subject === 'nothing')!.sha;
    expect(withPatches.patches.find((p) => p.sha === emptyCommit)!.header).toEqual([]);
    // The diff store gives back what the records hold: the same patches as git's.
    const store = new PatchStore(null, NONTRIVIAL_LINES);
    for (const p of withPatches.patches) store.keepRecord(p);
    for (const p of expected) {
      expect(store.get(p.sha), p.sha).toEqual(p);
      // The non-trivial added lines, read from the records' signs, are the ones the lines say.
      expect(keyedFiles(store.get(p.sha)!, NORMAL_LINE_KEY, isNontrivialRange), p.sha).toEqual(
        keyedFiles(p, NORMAL_LINE_KEY, isNontrivialRange),
      );
    }
    store.close();
    const nonNull = new Map([...expectedIds!].filter((entry): entry is [string, string] => entry[1] !== null));
    expect(nonNull.size).toBe(shas.length - 1);
    expect(withPatches.ids).toEqual(nonNull);
    // Each commit read with its diff has that diff's line balance — the recounted ones (the type
    // change, the renames as they are) too; the merge, whose diff is not read, none.
    expect(Object.fromEntries(withPatches.records.map((r) => [r.subject, r.lineBalance]))).toEqual(
      Object.fromEntries(
        withPatches.records.map((r) => [r.subject, r.sha === merge ? null : lineBalanceHash(expected.find((p) => p.sha === r.sha)!.files)]),
      ),
    );
    const recounted = withPatches.records.find((r) => r.subject.startsWith('a binary renamed as it is'))!;
    // b.txt gains five, the deleted tab file takes t out.
    expect(recounted.lineBalance).toBe(lineBalanceHash([{ path: 'b.txt', oldPath: 'a.txt', added: ['five'], removed: ['t'] }]));
  });

  it.each([1, 2, 4, 0])('reads in git processes of %i commits the same diffs and ids as in one (none: one each)', async (perProcess) => {
    const { repo, merge } = history();
    const shas = (await read(repo, false)).records.map((r) => r.sha).filter((sha) => sha !== merge);
    const readAll = async (options: { commitsPerProcess?: number }) => {
      const ids = new Map<string, string | null>();
      const patches: CommitPatch[] = [];
      const before = gitProcessCounts.get('log') ?? 0;
      const onPatchIds = (found: Map<string, string | null>) => {
        for (const [sha, id] of found) ids.set(sha, id);
      };
      for await (const p of readCommitPatches(shas, { cwd: repo.dir, onPatchIds, ...options })) patches.push(p);
      return { patches, ids, processes: (gitProcessCounts.get('log') ?? 0) - before };
    };
    const whole = await readAll({});
    const pieces = await readAll({ commitsPerProcess: perProcess });
    expect(whole.processes).toBe(1);
    expect(pieces.processes).toBe(Math.ceil(shas.length / Math.max(1, perProcess)));
    expect(pieces.patches.map((p) => p.sha)).toEqual(shas);
    expect(pieces.patches).toEqual(whole.patches);
    expect(pieces.ids).toEqual(whole.ids);
    // Six commits with diffs, one of them empty (no id).
    expect([...whole.ids.values()].filter((id) => id !== null)).toHaveLength(5);
  });

  it.each([1, 7, 4096])('parses the same from chunks of %i bytes as from one', async (size) => {
    const { repo } = history();
    const out = spawnSync('git', commitLogArgs(true), { cwd: repo.dir, input: 'HEAD\n' }).stdout;
    const parse = (chunks: Buffer[]) => {
      const patches: PatchRecord[] = [];
      // The body is lent for the call (PatchSink): kept, it is copied.
      const parser = new CommitStreamParser({ patches: { onPatch: (p) => patches.push({ ...p, body: Buffer.from(p.body) }) } });
      const records: CommitRecord[] = [];
      const ids = new Map<string, string>();
      for (const chunk of chunks) {
        parser.push(chunk, records);
        for (const [sha, id] of parser.takePatchIds()) ids.set(sha, id);
      }
      parser.end(records);
      for (const [sha, id] of parser.takePatchIds()) ids.set(sha, id);
      return { records, patches, recount: [...parser.recount].sort(), ids };
    };
    const whole = parse([out]);
    const chunks: Buffer[] = [];
    for (let i = 0; i < out.length; i += size) chunks.push(out.subarray(i, i + size));
    expect(parse(chunks)).toEqual(whole);
    expect(whole.patches).toHaveLength(6);
    expect(whole.recount).toHaveLength(4);
    // Each diff's id is git patch-id's of that diff alone (nothing of the messages), for the five
    // commits whose diff is not empty.
    expect(whole.ids.size).toBe(5);
    expect(whole.ids).toEqual(gitPatchIds(repo.dir, 'HEAD'));
  });

  it('gives git’s own ids over diff text larger than git writes at a time, and starts no patch-id', async () => {
    // 48 commits adding 24 KB each: ~1.2 MB of diff text, which git writes a few KB at a time.
    const repo = TempRepo.create();
    const line = (i: number, n: number) => `line ${n} of file ${i}: ${'x'.repeat(40)}\n`;
    let stream = '';
    for (let i = 0; i < 48; i++) {
      const content = Array.from({ length: 400 }, (_, n) => line(i, n)).join('');
      stream += `commit refs/heads/main\ncommitter c <c@e> ${1_700_000_000 + i} +0000\ndata 3\nc${String(i).padStart(2, '0')}\n`;
      stream += `M 100644 inline f${i}.txt\ndata ${Buffer.byteLength(content)}\n${content}\n`;
    }
    repo.gitRaw(['fast-import', '--quiet'], stream);
    const big = { cwd: repo.dir, maxBuffer: 64 << 20 };
    const text = spawnSync('git', commitLogArgs(true), { ...big, input: 'refs/heads/main\n' }).stdout;
    expect(text.length).toBeGreaterThan(1 << 20);

    const before = gitProcessCounts.get('patch-id') ?? 0;
    const { ids } = await readAt(repo, 'refs/heads/main');
    expect(gitProcessCounts.get('patch-id') ?? 0).toBe(before);

    const expected = gitPatchIds(repo.dir, 'refs/heads/main');
    expect(expected.size).toBe(48);
    expect(ids).toEqual(expected);
  });
});

describe('the diff parser (PatchRecordParser)', () => {
  // A diff as git writes the patch-id diff (no a/ b/), with what it never holds too (context lines):
  // the parser must read its files, lines and binary sections, however its bytes come in.
  const diff = [
    'diff --git a.txt a.txt',
    'index 1111111..2222222 100644',
    '--- a.txt',
    '+++ a.txt',
    '@@ -1,2 +1,2 @@',
    ' context stays out',
    '-old one',
    '+new one',
    '@@ -9 +9,2 @@',
    '-last',
    '\\ No newline at end of file',
    '+last',
    '++++ a line that starts with pluses',
    'diff --git old name.txt new name.txt',
    'similarity index 90%',
    'rename from old name.txt',
    'rename to new name.txt',
    '--- old name.txt\t',
    '+++ new name.txt\t',
    '@@ -3 +3 @@',
    '--- a line that starts with minuses',
    '+naïve é',
    'diff --git bin.dat bin.dat',
    'index 3333333..4444444 100644',
    'Binary files bin.dat and bin.dat differ',
    'diff --git gone.txt gone.txt',
    'deleted file mode 100644',
    '--- gone.txt',
    '+++ /dev/null',
    '@@ -1 +0,0 @@',
    '-bye',
    '',
  ].join('\n');

  it('reads the files, lines and binary sections, and nothing after a patch is finished', () => {
    const files = [
      { path: 'a.txt', oldPath: 'a.txt', added: ['new one', 'last', '+++ a line that starts with pluses'], removed: ['old one', 'last'] },
      { path: 'new name.txt', oldPath: 'old name.txt', added: ['naïve é'], removed: ['-- a line that starts with minuses'] },
      { path: '', oldPath: null, added: [], removed: [] },
      { path: 'gone.txt', oldPath: 'gone.txt', added: [], removed: ['bye'] },
    ];
    // Fed the bytes in pieces of every size, it reads the same.
    const bytes = Buffer.from(diff, 'utf8');
    for (const size of [1, 3, 64, bytes.length]) {
      const records = new PatchRecordParser(NONTRIVIAL_LINES.bytes);
      records.start('a'.repeat(40));
      let carry = Buffer.alloc(0);
      for (let i = 0; i < bytes.length; i += size) {
        const data = Buffer.concat([carry, bytes.subarray(i, i + size)]);
        const end = data.lastIndexOf(0x0a) + 1;
        records.lines(data, 0, end);
        carry = Buffer.from(data.subarray(end));
      }
      const recorded = records.finish()!;
      expect(patchOf({ ...recorded.record, body: Buffer.from(recorded.record.body) }).files, `pieces of ${size}`).toEqual(files);
      expect(recorded.binary).toEqual([false, false, true, false]);
      expect(recorded.lineBalance).toBe(lineBalanceHash(files));
      expect(recorded.record.header.map((f) => f[4])).toEqual(files.map((f) => f.added.filter(isNontrivialLine).length));
      records.lines(Buffer.from('+stray\n'), 0, 7);
      expect(records.finish()).toBeNull();
    }
  });
});
