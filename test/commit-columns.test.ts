import { afterAll, describe, expect, it } from 'vitest';
import { createHash } from 'node:crypto';
import { CommitColumns, type CommitRow } from '../src/builders/outcomes/commit-columns.js';
import { ShaPlaces } from '../src/git/sha-places.js';
import { loadOutcomeContext, loadRefTips } from '../src/builders/outcomes/context.js';
import { defaultConfig } from '../src/config/defaults.js';
import { ingestGit } from '../src/ingest/git.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const row = (over: Partial<CommitRow> & { sha: string }): unknown[] => {
  const r = { committed_at: '2026-01-02T03:04:05.000Z', subject: 's', pr_number: null, is_merge: 0, line_balance: null, ...over };
  return [r.sha, r.committed_at, r.subject, r.pr_number, r.is_merge, r.line_balance];
};

describe('CommitColumns', () => {
  // Each row as metadata_commits holds it comes back whole, whatever its odd values.
  it.each([
    ['an ordinary commit', { sha: 'a'.repeat(40), subject: 'Fix the thing (#12)', pr_number: 12, line_balance: 331458780 }],
    ['a merge, no balance recorded', { sha: 'b'.repeat(40), is_merge: 1, subject: "Merge branch 'x'" }],
    ['a balance past int32', { sha: 'c'.repeat(40), line_balance: 4_294_967_295 }],
    ['a balance of zero, pull request zero', { sha: 'd'.repeat(40), line_balance: 0, pr_number: 0 }],
    ['a time not in the ISO form', { sha: 'e'.repeat(40), committed_at: '2005-04-07 22:13:13' }],
    ['no time at all', { sha: 'f'.repeat(40), committed_at: 'never', subject: '' }],
  ] satisfies [string, Partial<CommitRow> & { sha: string }][])('%s', (_, over) => {
    const columns = new CommitColumns([row({ sha: '0'.repeat(40) }), row(over)], 2);
    const i = columns.indexOf(over.sha)!;
    expect(i).toBe(1);
    const expected = Object.fromEntries(
      ['sha', 'committed_at', 'subject', 'pr_number', 'is_merge', 'line_balance'].map((k, n) => [k, row(over)[n]]),
    );
    expect(columns.row(i)).toEqual(expected);
    expect(columns.committedMs(i)).toBe(Date.parse(expected.committed_at as string));
    expect(columns.indexOf('9'.repeat(40))).toBeUndefined();
    expect(columns.size).toBe(2);
  });

  // Counted before they are read: a commit written between the two is kept, not dropped.
  it.each([0, 1, 3, 5])('keeps every row when told there are %i', (count) => {
    const shas = ['1', '2', '3', '4', '5'].map((c) => c.repeat(40));
    const columns = new CommitColumns(
      shas.map((sha, n) => row({ sha, pr_number: n, line_balance: n * 7 })),
      count,
    );
    expect(columns.size).toBe(5);
    shas.forEach((sha, n) => {
      expect(columns.indexOf(sha)).toBe(n);
      expect([columns.prNumber(n), columns.lineBalance(n), columns.row(n).sha]).toEqual([n, n * 7, sha]);
    });
  });

  // A first run's diff store holds every commit's sha: the columns hold its strings, not a copy each.
  it('holds the string it is given for each sha read, and finds the commit by it', () => {
    const shas = ['1', '2', '3'].map((c) => c.repeat(40));
    const asked: string[] = [];
    const held = (sha: string) => {
      asked.push(sha);
      return sha === shas[1] ? `${sha}` : sha.toUpperCase();
    };
    const columns = new CommitColumns(
      shas.map((sha) => row({ sha })),
      3,
      undefined,
      held,
    );
    expect(asked).toEqual(shas);
    expect([0, 1, 2].map((i) => columns.sha(i))).toEqual([shas[0]!.toUpperCase(), shas[1], shas[2]!.toUpperCase()]);
    expect(columns.indexOf(shas[2]!.toUpperCase())).toBe(2);
    expect(columns.row(0).sha).toBe(shas[0]!.toUpperCase());
  });

  it('reads the subjects once, the first time one is asked for, when told where', () => {
    let reads = 0;
    const [a, b] = ['a'.repeat(40), 'b'.repeat(40)];
    const columns = new CommitColumns([row({ sha: a, subject: 'not kept' }), row({ sha: b, pr_number: 3 })], 2, () => {
      reads++;
      return [
        [b, 'second'],
        ['c'.repeat(40), 'not one of them'],
        [a, 'first'],
      ];
    });
    expect([columns.prNumber(1), columns.committedMs(0), columns.indexOf(b)]).toEqual([3, Date.parse('2026-01-02T03:04:05.000Z'), 1]);
    expect(reads).toBe(0);
    expect([columns.subject(0), columns.row(1).subject, columns.subject(1)]).toEqual(['first', 'second', 'second']);
    expect(reads).toBe(1);
  });

  // A whole build reads its commits from the columns, a build of a few by key: every answer the same.
  it("answers a whole build's questions as the rows read by key answer them", async () => {
    const repo = TempRepo.create();
    repo.write('a.ts', 'export const a = 1;\n').commit('first', { at: 100 });
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('b.ts', 'export const b = 2;\n').commit('Add b (#7)', { at: 200 });
    repo.git('checkout', '-q', 'main');
    repo.write('c.ts', 'export const c = 3;\n').commit('Revert "first"', { at: 300 });
    repo.at(400).git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    const db = tempDatabase();
    const repoId = (await ingestGit({ db, cwd: repo.dir, config: defaultConfig() })).repoId!;
    const tip = repo.git('rev-parse', 'main');
    const whole = loadOutcomeContext(db, repoId, repo.dir, tip, loadRefTips(db, repoId), { whole: true });
    const few = loadOutcomeContext(db, repoId, repo.dir, tip, loadRefTips(db, repoId), { whole: false });
    const shas = repo.git('rev-list', '--all').split('\n');
    expect(shas.length).toBe(4);
    expect(whole.allCommits().size).toBe(4);
    for (const sha of [...shas, '0'.repeat(40)]) {
      expect(whole.commit(sha), sha).toEqual(few.commit(sha));
      expect(whole.known(sha)).toBe(few.known(sha));
      expect(whole.committedMs(sha)).toEqual(few.committedMs(sha));
      expect(whole.prNumber(sha)).toBe(few.prNumber(sha));
      expect(whole.heldLineBalance(sha)).toEqual(few.heldLineBalance(sha));
    }
    expect(whole.prNumber(shas.find((s) => whole.commit(s)?.subject === 'Add b (#7)')!)).toBe(7);
    // The whole build's strings are its own: one per commit, whichever copy asks.
    const copy = ` ${shas[0]!}`.slice(1);
    expect(whole.intern(copy)).toBe(whole.commit(shas[0]!)!.sha);
    expect(whole.commit(shas[0]!)!.sha).toBe(shas[0]);
  });

  // The places by sha answer as a Map would: every sha added, the last place of one added twice,
  // nothing for one never added — across growth from a low count, and for strings that share the
  // characters hashed (a fixture's shas), where only the whole comparison tells them apart.
  it.each([
    ['random shas, counted', (n: number) => createHash('sha1').update(String(n)).digest('hex'), 5_000],
    ['random shas, the count too low', (n: number) => createHash('sha1').update(String(n)).digest('hex'), 0],
    ['one prefix, hashed alike', (n: number) => `${'ab'.repeat(6)}${n}`.padEnd(40, '0'), 3],
  ] satisfies [string, (n: number) => string, number][])('finds each commit’s place: %s', (_, shaOf, expected) => {
    const shas: string[] = [];
    const places = new ShaPlaces(expected, shas);
    const oracle = new Map<string, number>();
    const add = (sha: string) => {
      shas.push(sha);
      places.add(shas.length - 1);
      oracle.set(sha, shas.length - 1);
    };
    for (let n = 0; n < 3_000; n++) add(shaOf(n));
    for (const n of [7, 2_999, 0]) add(shaOf(n));
    for (let n = 0; n < 3_200; n++) expect(places.find(shaOf(n)), shaOf(n)).toBe(oracle.get(shaOf(n)));
    expect(places.find(shaOf(7))).toBe(3_000);
    expect(places.find('')).toBeUndefined();
  });
});
