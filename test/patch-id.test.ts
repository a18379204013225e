import { spawnSync } from 'node:child_process';
import { chmodSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { lineBalanceHash } from '../src/git/line-balance.js';
import { type CommitRecord, CommitStreamParser, commitLogArgs } from '../src/git/log.js';
import { netDiffPatchIds, patchIds } from '../src/git/mainline.js';
import { PatchIdHasher, PatchIdStream } from '../src/git/patch-id.js';
import { type CommitPatch, readCommitPatches } from '../src/git/patches.js';
import { gitPatchIds, gitPatchText } from './helpers/git-patch-id.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const lines = (n: number, tag = 'line') => Array.from({ length: n }, (_, i) => `${tag} ${i} of the file`).join('\n');

/**
 * One commit per shape of diff text whose hashing git's patch-id treats its own way: the quirks
 * PatchIdHasher ports (a section without hunks hashed with the next, a binary section's blob ids
 * and the next section's `diff` line left out, a NUL ending a line, `\ No newline` markers) and
 * the lines that look like headers inside a hunk.
 */
const shapes: [string, (repo: TempRepo) => void][] = [
  ['a new file', (r) => void r.write('new.txt', `${lines(5)}\n`)],
  [
    'an edit in the middle, two hunks',
    (r) => void r.write('base.txt', `${lines(40).replace('line 3 ', 'LINE 3 ').replace('line 30 ', 'L 30 ')}\n`),
  ],
  ['a deletion', (r) => void r.git('rm', '-q', 'gone.txt')],
  [
    'a rename with an edit',
    (r) => {
      r.git('mv', 'base.txt', 'renamed.txt');
      r.write('renamed.txt', `${lines(40)}\nadded at the end\n`);
    },
  ],
  [
    'a rename alone, then a text edit (one hash)',
    (r) => {
      r.git('mv', 'renamed.txt', 'zz-renamed.txt');
      r.write('new.txt', `${lines(5)}\nmore\n`);
    },
  ],
  [
    'a mode change alone, then an edit (one hash)',
    (r) => {
      chmodSync(join(r.dir, 'a-tool.sh'), 0o755);
      r.write('new.txt', `${lines(5)}\nmore and more\n`);
    },
  ],
  [
    'a mode change with an edit',
    (r) => {
      r.write('a-tool.sh', 'echo changed\n');
      chmodSync(join(r.dir, 'a-tool.sh'), 0o644);
    },
  ],
  [
    'a new binary file, then a text file (its diff line not hashed)',
    (r) => {
      r.write('a.bin', Buffer.from([1, 0, 2, 3]));
      r.write('b-after.txt', 'after the binary\n');
    },
  ],
  ['a binary edit', (r) => void r.write('a.bin', Buffer.from([1, 0, 2, 4]))],
  [
    'no newline at the end, either side',
    (r) => {
      r.write('nonl.txt', 'first\nno newline');
      r.write('nonl2.txt', 'had none');
    },
  ],
  ['CRLF lines and whitespace-only changes', (r) => void r.write('crlf.txt', 'one\r\n  two\r\n\tthree \r\n')],
  ['lines that look like headers inside a hunk', (r) => void r.write('hdr.txt', '++ plus\n-- minus\n@@ -1 +1 @@\ndiff --git x x\n\n')],
  ['a line with a NUL past the first 8,000 bytes', (r) => void r.write('nul.txt', `${'x'.repeat(9000)}\0after the nul\nsecond\n`)],
  ['a symbolic link', (r) => void symlinkSync('new.txt', join(r.dir, 'link'))],
  [
    'a file becomes a symbolic link',
    (r) => {
      unlinkSync(join(r.dir, 'hdr.txt'));
      symlinkSync('new.txt', join(r.dir, 'hdr.txt'));
    },
  ],
  [
    'a submodule moves',
    (r) => {
      const sub = new TempRepo(join(r.dir, 'sub'));
      sub.commit('n2', { allowEmpty: true });
    },
  ],
  ['lines past ASCII', (r) => void r.write('u.txt', 'naïve ünïcode\n日本語 の 行\n\u00a0nbsp\u3000ideographic space\n')],
  [
    'paths with a space, a TAB and non-ASCII letters',
    (r) => {
      r.write('sp ace.txt', 'a\n');
      r.write('tab\there.txt', 'b\n');
      r.write('naïve ü.txt', 'c\n');
    },
  ],
];

function shapedHistory(): { repo: TempRepo; commits: Map<string, string> } {
  const repo = TempRepo.create();
  repo
    .write('base.txt', `${lines(40)}\n`)
    .write('gone.txt', 'to be deleted\n')
    .write('a-tool.sh', 'echo hi\n')
    .write('nonl2.txt', 'had one\n');
  repo.write('hdr.txt', 'plain\n').write('crlf.txt', 'one\ntwo\nthree\n');
  const nested = TempRepo.create();
  nested.write('n.txt', 'one\n').commit('n1');
  repo.git('-c', 'protocol.file.allow=always', 'clone', '-q', nested.dir, 'sub');
  repo.commit('root');
  const commits = new Map<string, string>();
  for (const [name, make] of shapes) {
    make(repo);
    commits.set(name, repo.commit(name));
  }
  commits.set('nothing', repo.commit('nothing', { allowEmpty: true }));
  return { repo, commits };
}

describe('patch-ids computed here (PatchIdHasher, PatchIdStream) are git patch-id --stable’s', () => {
  const { repo, commits } = shapedHistory();
  const shas = [...commits.values()];

  it.each(shapes.map(([name]) => name))('forward and reversed: %s', async (name) => {
    const sha = commits.get(name)!;
    const forward = gitPatchIds(repo.dir, [sha]);
    const reverse = gitPatchIds(repo.dir, [sha], { reverse: true });
    expect(forward.get(sha)).toMatch(/^[0-9a-f]{40}$/);
    expect((await patchIds([sha], repo.dir)).get(sha)).toBe(forward.get(sha));
    expect((await patchIds([sha], repo.dir, { reverse: true })).get(sha)).toBe(reverse.get(sha));
  });

  it('an empty diff has none; every commit at once, fed a byte at a time, as git', async () => {
    expect(gitPatchIds(repo.dir, [commits.get('nothing')!]).size).toBe(0);
    const all = await patchIds(shas, repo.dir);
    expect(all.has(commits.get('nothing')!)).toBe(false);
    expect(all).toEqual(gitPatchIds(repo.dir, shas));
    const text = gitPatchText(repo.dir, shas);
    const stream = new PatchIdStream();
    for (let i = 0; i < text.length; i++) stream.write(text.subarray(i, i + 1));
    expect(stream.end()).toEqual(all);
  });

  it('net diffs through diff-tree (a branch squashed) are git’s too', async () => {
    const pairs = [
      { base: shas[0]!, head: shas[5]! },
      { base: shas[6]!, head: shas[12]! },
      { base: `${shas[0]!}~1`, head: shas[shas.length - 1]! },
    ].map((p) => ({ ...p, base: repo.git('rev-parse', p.base) }));
    const ours = await netDiffPatchIds(pairs, repo.dir);
    for (const { base, head } of pairs) {
      const diff = spawnSync('git', ['-c', 'core.quotePath=false', 'diff', '--unified=0', '-M', '--no-prefix', base, head], {
        cwd: repo.dir,
      }).stdout;
      const own = spawnSync('git', ['patch-id', '--stable'], { cwd: repo.dir, input: diff, encoding: 'utf8' }).stdout.split(' ')[0];
      expect(ours.get(head), head).toBe(own);
    }
  });

  it('the history’s pass — the record parser handing each line to the hasher — gives git’s ids and each diff’s line balance, in pieces of any size', async () => {
    // A hunk's line is hashed for both in one loop (balancedHunkLine); a line longer than the
    // hasher's 64 KB scratch (line() drains it first), a NUL, a byte past ASCII take the other
    // ways; whitespace of every kind.
    const long = TempRepo.create();
    long.write('long.txt', `short\n${'word \t'.repeat(20_000)}end\r\nafter\n`).commit('long');
    long.write('long.txt', `short\n${'word  '.repeat(20_000)}\nafter ü\n`).commit('longer');
    long.write('long.txt', `short\n${'wörd  '.repeat(20_000)}\nafter ü\n`).commit('longest past ASCII');
    for (const { dir, sizes } of [
      { dir: repo.dir, sizes: [1, 7, 4096] },
      { dir: long.dir, sizes: [4096, 1 << 20] },
    ]) {
      const text = spawnSync('git', commitLogArgs(true), { cwd: dir, input: 'HEAD\n', maxBuffer: 64 << 20 }).stdout;
      const expectedIds = gitPatchIds(dir, 'HEAD');
      const asked = [...expectedIds.keys(), ...(dir === repo.dir ? [commits.get('nothing')!] : [])];
      const patches: CommitPatch[] = [];
      for await (const p of readCommitPatches(asked, { cwd: dir })) patches.push(p);
      const expectedBalance = new Map(patches.map((p) => [p.sha, lineBalanceHash(p.files)]));
      // Every commit but the empty one, the root's included.
      expect(expectedIds.size).toBe(dir === repo.dir ? shas.length : 3);
      for (const size of sizes) {
        const parser = new CommitStreamParser({ patches: { onPatch: () => undefined } });
        const records: CommitRecord[] = [];
        for (let i = 0; i < text.length; i += size) parser.push(text.subarray(i, i + size), records);
        parser.end(records);
        expect(parser.takePatchIds(), `${dir}, pieces of ${size}`).toEqual(expectedIds);
        // A commit the reader recounts with --numstat leaves its balance aside.
        const balances = new Map([...records.map((r) => [r.sha, r.lineBalance] as const), ...parser.recountBalance]);
        for (const sha of balances.keys()) if (!expectedBalance.has(sha)) balances.delete(sha);
        expect(balances, `${dir}, pieces of ${size}`).toEqual(expectedBalance);
      }
    }
  });

  it('a hasher given nothing, or text before any diff line, has no id', () => {
    const hasher = new PatchIdHasher();
    expect(hasher.finish()).toBeNull();
    for (const line of ['a message line', '', 'another']) hasher.line(Buffer.from(line), 0, Buffer.byteLength(line));
    expect(hasher.finish()).toBeNull();
  });
});
