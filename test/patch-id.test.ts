import { spawnSync } from 'node:child_process';
import { chmodSync, symlinkSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { netDiffPatchIds, patchIds } from '../src/git/mainline.js';
import { PatchIdHasher, PatchIdStream } from '../src/git/patch-id.js';
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

  it('lines() — the history reader’s way in, a hunk’s lines hashed as their ends are found — gives git’s ids, in pieces of any size', () => {
    // A line longer than the hasher's 64 KB scratch (its hunk line runs out of room and is left to
    // line(), which drains first), whitespace of every kind, and every shape above.
    const long = TempRepo.create();
    long.write('long.txt', `short\n${'word \t'.repeat(20_000)}end\r\nafter\n`).commit('long');
    long.write('long.txt', `short\n${'word  '.repeat(20_000)}\nafter\n`).commit('longer');
    const cases = [
      { dir: repo.dir, shas, sizes: [1, 7, 4096] },
      { dir: long.dir, shas: [long.git('rev-parse', 'HEAD~1'), long.git('rev-parse', 'HEAD')], sizes: [4096, 1 << 20] },
    ];
    for (const { dir, shas: picked, sizes } of cases) {
      const expected = gitPatchIds(dir, picked);
      const texts = picked.map((sha) => gitPatchText(dir, [sha]));
      for (const size of sizes) {
        const ids = new Map<string, string>();
        for (const [n, sha] of picked.entries()) {
          const text = texts[n]!;
          const body = text.subarray(text.indexOf(0x0a) + 1);
          const hasher = new PatchIdHasher();
          // As CommitStreamParser hands them over: whole lines, a piece's last line kept for the next.
          let carry = Buffer.alloc(0);
          for (let i = 0; i < body.length; i += size) {
            const data = Buffer.concat([carry, body.subarray(i, i + size)]);
            const end = i + size >= body.length ? data.length : data.lastIndexOf(0x0a) + 1;
            hasher.lines(data, 0, end);
            carry = Buffer.from(data.subarray(end));
          }
          const id = hasher.finish();
          if (id !== null) ids.set(sha, id);
        }
        expect(ids, `${dir}, pieces of ${size}`).toEqual(expected);
      }
    }
    expect(gitPatchIds(long.dir, 'HEAD').size).toBe(2);
  });

  it('a hasher given nothing, or text before any diff line, has no id', () => {
    const hasher = new PatchIdHasher();
    expect(hasher.finish()).toBeNull();
    const text = Buffer.from('a message line\n\nanother\n');
    hasher.lines(text, 0, text.length);
    expect(hasher.finish()).toBeNull();
  });
});
