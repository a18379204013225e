import { afterAll, describe, expect, it } from 'vitest';
import {
  byCodePoint,
  changedPathKey,
  changedPathKeys,
  mayUndo,
  reverseCandidates,
  type UndoKey,
} from '../src/builders/outcomes/reverse-candidates.js';
import { loadOutcomeContext, loadRefTips } from '../src/builders/outcomes/context.js';
import { defaultConfig } from '../src/config/defaults.js';
import { PatchStore } from '../src/git/patch-store.js';
import { ingestGit } from '../src/ingest/git.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

// Which mainline commits need a reversed patch-id: one another commit with the same paths and the
// opposite net lines (or a binary file's unknown count) may undo, landing no earlier.
describe('reverseCandidates', () => {
  const key = (paths: string, net: number | null, balance: number | null): UndoKey => ({ paths, net, balance });
  // Two balances that cancel, and one that cancels neither.
  const B = 12_345;
  const minusB = 2 ** 32 - B;
  it.each([
    {
      case: 'a commit and its undo',
      commits: [
        ['c1', 'a', 3, null, 1],
        ['c2', 'a', -3, null, 2],
      ],
      reversed: ['c1'],
    },
    {
      case: 'the same paths, nets that do not cancel',
      commits: [
        ['c1', 'a', 3, null, 1],
        ['c2', 'a', 2, null, 2],
        ['c3', 'a', -1, null, 3],
      ],
      reversed: [],
    },
    {
      case: 'only one landing later can undo',
      commits: [
        ['c1', 'a', 3, null, 2],
        ['c2', 'a', -3, null, 1],
      ],
      reversed: ['c2'],
    },
    {
      case: 'nets of zero undo each other',
      commits: [
        ['c1', 'a', 0, null, 1],
        ['c2', 'a', 0, null, 2],
        ['c3', 'a', 0, null, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a lone net of zero has nothing to undo it',
      commits: [
        ['c1', 'a', 0, null, 1],
        ['c2', 'a', 5, null, 2],
      ],
      reversed: [],
    },
    {
      case: 'ties in landing time keep every tied commit',
      commits: [
        ['c1', 'a', 2, null, 5],
        ['c2', 'a', -2, null, 5],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a binary file matches any net',
      commits: [
        ['c1', 'a', 4, null, 1],
        ['c2', 'a', null, null, 2],
        ['c3', 'a', null, null, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'other paths never',
      commits: [
        ['c1', 'a', 3, null, 1],
        ['c2', 'b', -3, null, 2],
      ],
      reversed: [],
    },
    {
      case: 'opposite nets whose balances do not cancel',
      commits: [
        ['c1', 'a', 3, B, 1],
        ['c2', 'a', -3, B, 2],
      ],
      reversed: [],
    },
    {
      case: 'opposite nets and balances',
      commits: [
        ['c1', 'a', 3, B, 1],
        ['c2', 'a', -3, 777, 2],
        ['c3', 'a', -3, minusB, 3],
      ],
      reversed: ['c1'],
    },
    {
      case: 'a balance of zero cancels itself',
      commits: [
        ['c1', 'a', 0, 0, 1],
        ['c2', 'a', 0, 0, 2],
        ['c3', 'a', 0, 5, 3],
      ],
      reversed: ['c1'],
    },
    {
      case: 'an unknown balance matches any',
      commits: [
        ['c1', 'a', 3, B, 1],
        ['c2', 'a', -3, null, 2],
        ['c3', 'a', 3, 99, 3],
      ],
      reversed: ['c1', 'c2'],
    },
    {
      case: 'a binary file with a balance still needs it to cancel',
      commits: [
        ['c1', 'a', 4, B, 1],
        ['c2', 'a', null, 8, 2],
        ['c3', 'a', null, minusB, 3],
      ],
      reversed: ['c1'],
    },
    {
      case: 'nothing known matches anything later',
      commits: [
        ['c1', 'a', 4, B, 1],
        ['c2', 'a', null, null, 2],
        ['c3', 'a', 7, 9, 0],
      ],
      reversed: ['c1', 'c3'],
    },
    {
      case: 'an unknown balance alone in its net',
      commits: [
        ['c1', 'a', 2, null, 3],
        ['c2', 'a', -2, B, 2],
        ['c3', 'a', -2, 4, 4],
      ],
      reversed: ['c1', 'c2'],
    },
  ] satisfies { case: string; commits: [string, string, number | null, number | null, number][]; reversed: string[] }[])(
    '$case',
    ({ commits, reversed }) => {
      const keys = new Map(commits.map(([sha, paths, net, balance]) => [sha, key(paths, net, balance)]));
      const at = new Map(commits.map(([sha, , , , landed]) => [sha, landed]));
      expect(
        reverseCandidates(
          keys,
          commits.map(([sha]) => sha),
          (sha) => at.get(sha)!,
        ),
      ).toEqual(reversed);
      // The pairwise rule says the same: a commit is reversed when another landing no earlier may undo it.
      const pairwise = commits
        .filter(([sha, paths, net, balance, landed]) =>
          commits.some(([other, p, n, b, l]) => other !== sha && l >= landed && mayUndo(key(paths, net, balance), key(p, n, b))),
        )
        .map(([sha]) => sha);
      expect(pairwise).toEqual(reversed);
    },
  );
});

// The keys of every commit at once (a whole build) come from one pass in JavaScript; a commit's
// own (a build after mainline moved, sameKeyCommits) from keySql by key. Both must give the same
// key — they are compared with each other — over renames, binary files, empty commits and paths
// whose order differs between UTF-16 units and SQLite's bytes.
describe('changedPathKeys', () => {
  afterAll(cleanupTempDirs);

  it('gives every commit the key its own query gives, and none to a commit without file changes', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# readme\n').commit('root');
    // U+E000 sorts before U+1F600 in code points (SQLite's order), after it in UTF-16 units.
    const odd = ['a\uE000.ts', 'a\u{1F600}.ts', 'é.ts', 'z.ts'];
    for (const path of odd) repo.write(path, `export const x = ${JSON.stringify(path)};\n`);
    const together = repo.commit('four odd paths at once');
    repo.write('bin.dat', Buffer.from([0, 1, 2, 3, 0, 255])).write('z.ts', 'export const x = 2;\nexport const y = 3;\n');
    const binary = repo.commit('a binary file and a text one');
    repo.git('mv', 'é.ts', 'moved-é.ts');
    repo.write('a\uE000.ts', 'export const gone = true;\n');
    const renamed = repo.commit('a rename and an edit');
    repo.git('commit', '-q', '--allow-empty', '-m', 'nothing changed');
    const empty = repo.git('rev-parse', 'HEAD');
    const db = tempDatabase();
    // With a patch store the history's pass reads the diffs, and records each commit's line balance.
    const { repoId } = await ingestGit({ db, cwd: repo.dir, config: defaultConfig(), patches: new PatchStore(null) });
    const all = changedPathKeys(db, repoId!);
    const shas = repo.git('rev-list', 'HEAD').split('\n');
    expect(shas).toHaveLength(5);
    const own = (sha: string): UndoKey | null => {
      const key = changedPathKey(db, repoId!, sha);
      return key && { paths: key.paths, net: key.net, balance: key.balance };
    };
    for (const sha of shas) expect(all.get(sha) ?? null, sha).toEqual(own(sha));
    expect(all.has(empty)).toBe(false);
    expect(all.get(together)!.paths.split('\0')).toEqual(['a\uE000.ts', 'a\u{1F600}.ts', 'z.ts', 'é.ts']);
    expect(all.get(binary)).toMatchObject({ paths: 'bin.dat\0z.ts', net: null });
    expect(all.get(renamed)).toMatchObject({ paths: 'a\uE000.ts\0moved-é.ts\0é.ts', net: 0 });
    expect(all.size).toBe(4);
    expect(typeof all.get(together)!.balance).toBe('number');
    // A whole build hands over the balances of the rows it holds: the same keys.
    const ctx = loadOutcomeContext(db, repoId!, repo.dir, repo.git('rev-parse', 'HEAD'), loadRefTips(db, repoId!), { whole: true });
    expect(changedPathKeys(db, repoId!, (sha) => ctx.heldLineBalance(sha))).toEqual(all);
    // A commit it answers nothing for gets no key (a whole build asks only for mainline's).
    const some = (sha: string) => (sha === binary || sha === renamed ? ctx.heldLineBalance(sha) : undefined);
    expect(changedPathKeys(db, repoId!, some)).toEqual(new Map([binary, renamed].map((sha) => [sha, all.get(sha)])));
  });

  it.each([
    ['ascii', 'a', 'b', -1],
    ['a prefix first', 'ab', 'abc', -1],
    ['U+E000 before a character past U+FFFF', '\uE000', '\u{1F600}', -1],
    ['U+FFFF before a character past U+FFFF', '\uFFFF', '\u{10000}', -1],
    ['U+D7FF before U+E000', '\uD7FF', '\uE000', -1],
    ['equal', 'é', 'é', 0],
  ])('byCodePoint: %s', (_, a, b, sign) => {
    expect(Math.sign(byCodePoint(a, b))).toBe(sign);
    expect(Math.sign(byCodePoint(b, a)) || 0).toBe(-sign || 0);
    expect(Math.sign(byCodePoint(a, b))).toBe(Math.sign(Buffer.compare(Buffer.from(a), Buffer.from(b))));
  });
});
