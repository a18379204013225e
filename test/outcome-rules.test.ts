import { spawnSync } from 'node:child_process';
import { afterAll, describe, expect, it } from 'vitest';
import { type CommitRow, loadOutcomeContext, loadRefTips, type OutcomeContext } from '../src/builders/outcomes/context.js';
import {
  ancestorRule,
  contentRule,
  LinesAbsent,
  LinesPresent,
  lineCount,
  PATHS_PER_PACE,
  pacedByPaths,
  patchIdRule,
  squashRule,
  TouchColumns,
} from '../src/builders/outcomes/mainline-rules.js';
import { type HeldKeys, heldKeysOf, lineKeysWork, type LineKeys, lineKeysOf } from '../src/builders/outcomes/file-line-keys.js';
import { normalizeLine, normalLineHash } from '../src/builders/lines.js';
import {
  diffInversionReverts,
  effectiveReverts,
  laterCommitsOf,
  laterLookUpFor,
  messageReverts,
  partialReverts,
  type RevertLookup,
  revertTargetByMessage,
} from '../src/builders/outcomes/revert-rules.js';
import {
  ancestorByLanding,
  mainlineFromStore,
  mainlineInMemory,
  landingSinceStored,
  landingStored,
  onlyFromTipStored,
  readMainlineLanding,
  storeMainlineLanding,
} from '../src/builders/outcomes/landing.js';
import { defaultConfig } from '../src/config/defaults.js';
import { mainlineLanding, netDiffPatchIds } from '../src/git/mainline.js';
import { ingestGit } from '../src/ingest/git.js';
import { BranchWalks, branchesOnlyFrom } from '../src/git/log.js';
import { diffsRead } from '../src/git/patches.js';
import { gitProcessCounts } from '../src/git/run.js';
import { rowsRead } from '../src/db/statement.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/**
 * Each rule of src/builders/outcomes on its own: a minimal repository, its history ingested, a
 * context loaded, the ancestor rule run (every other rule needs mainline), then the one rule.
 */
async function contextOf(repo: TempRepo, walks?: BranchWalks, whole = true): Promise<OutcomeContext> {
  const db = tempDatabase();
  const git = await ingestGit({ db, cwd: repo.dir, config: defaultConfig(), ...(walks ? { walks } : {}) });
  const repoId = git.repoId!;
  const tip = repo.git('rev-parse', 'main');
  const ctx = loadOutcomeContext(db, repoId, repo.dir, tip, loadRefTips(db, repoId), { whole, walks });
  await ancestorRule.apply(ctx, []);
  return ctx;
}

/** SQLite's page cache size (negative: KiB). */
const cacheSize = (db: OutcomeContext['db']) => (db.pragma('cache_size') as { cache_size: number }[])[0]!.cache_size;

/** The page cache sizes the connection had whenever the content rule asked its reader for file versions. */
function cacheSizesWhileVisiting(ctx: OutcomeContext): Set<number> {
  const seen = new Set<number>();
  const reader = ctx.files();
  const visit = reader.visit.bind(reader);
  reader.visit = (...args: Parameters<typeof visit>) => {
    seen.add(cacheSize(ctx.db));
    return visit(...args);
  };
  return seen;
}

/** Added lines (path and text) as the content rule compares them: each path's sorted line keys. */
const addedOf = (lines: readonly { path: string; text: string }[]): Map<string, LineKeys> => {
  const byPath = new Map<string, number[]>();
  for (const { path, text } of lines) byPath.set(path, [...(byPath.get(path) ?? []), normalLineHash(text)]);
  return new Map([...byPath].map(([path, keys]) => [path, Float64Array.from(keys).sort()]));
};

/** Files (path → text) as the content rule compares them: each file's sorted line keys. */
const keysOf = (files: ReadonlyMap<string, string>): Map<string, HeldKeys> =>
  new Map([...files].map(([path, text]) => [path, heldKeysOf(lineKeysOf(Buffer.from(text)))]));

/** The rule's count of `wanted`'s lines in files, fed a file at a time as the reader lends them. */
const linesPresent = (wanted: ReadonlyMap<string, LineKeys>, files: ReadonlyMap<string, HeldKeys>): number => {
  const count = new LinesPresent(wanted);
  for (const [path, keys] of files) count.file(path, keys);
  return count.found;
};

/** The rule's lines of `wanted` the files do not hold, fed a file at a time as the reader lends them. */
const linesAbsent = (wanted: ReadonlyMap<string, LineKeys>, files: ReadonlyMap<string, HeldKeys>): Map<string, LineKeys> => {
  const absent = new LinesAbsent(wanted);
  for (const [path, keys] of files) absent.file(path, keys);
  return absent.left;
};

/** Git processes started since `before`, per subcommand (only those that started any). */
function processesSince(before: ReadonlyMap<string, number>): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [sub, n] of gitProcessCounts) if (n > (before.get(sub) ?? 0)) out[sub] = n - (before.get(sub) ?? 0);
  return out;
}

const lines = (tag: string, n = 5) =>
  `${Array.from({ length: n }, (_, i) => `export const ${tag}${i} = compute${tag}(${i});`).join('\n')}\n`;

function base(): TempRepo {
  const repo = TempRepo.create();
  repo.write('README.md', '# project readme\n').commit('root');
  return repo;
}

/**
 * Mainline with a merged side branch, and a branch of every shape off it: off a chain commit
 * (`simple`, two commits); off the merged side commit (`from-side`: its base is not on the
 * first-parent chain); one that merged mainline in (`synced`: two parents leave mainline, the newest
 * is the base); an `orphan` of two commits.
 */
function branchShapes(): { repo: TempRepo; forkPoint: string; side: string } {
  const repo = base();
  const forkPoint = repo.write('m.ts', lines('m')).commit('mainline one');
  repo.git('checkout', '-q', '-b', 'side');
  const side = repo.write('s.ts', lines('s')).commit('side work');
  repo.git('checkout', '-q', 'main');
  repo.write('m2.ts', lines('n')).commit('mainline two');
  repo.git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
  repo.git('checkout', '-q', '-b', 'simple', forkPoint);
  repo.write('t.ts', lines('t')).commit('simple work');
  repo.write('t2.ts', lines('t2')).commit('simple more');
  repo.git('checkout', '-q', '-b', 'from-side', side);
  repo.write('u.ts', lines('u')).commit('from side work');
  repo.git('checkout', '-q', '-b', 'synced', forkPoint);
  repo.write('v.ts', lines('v')).commit('synced work');
  repo.git('merge', '-q', '--no-ff', '-m', 'sync main', 'main');
  repo.write('v2.ts', lines('w')).commit('synced more');
  repo.git('checkout', '-q', '--orphan', 'orphan');
  repo.git('rm', '-rq', '--cached', '.');
  repo.write('o.ts', lines('o')).commit('orphan root');
  repo.write('o2.ts', lines('o2')).commit('orphan more');
  repo.git('checkout', '-q', '-f', 'main');
  return { repo, forkPoint, side };
}

describe("the content rule's asks pace the heap (pacedByPaths)", () => {
  it.each([
    { name: 'asks of a few paths: once every PATHS_PER_PACE of them', asks: Array(PATHS_PER_PACE * 3).fill(1), paced: 3 },
    { name: 'one ask of a whole tree: at once', asks: [2909], paced: 1 },
    { name: 'under PATHS_PER_PACE in all: never', asks: [PATHS_PER_PACE - 1], paced: 0 },
    { name: 'the count starts again after each question', asks: [PATHS_PER_PACE - 1, 1, PATHS_PER_PACE - 1, 1], paced: 2 },
  ])('$name', ({ asks, paced }) => {
    let questions = 0;
    const pace = pacedByPaths(() => questions++);
    for (const paths of asks) pace(paths);
    expect(questions).toBe(paced);
  });
});

describe('mainline rules', () => {
  it('ancestor: a merged commit lands when its merge does; an unmerged one does not land', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('topic work');
    repo.git('checkout', '-q', '-b', 'other', 'main');
    const unmerged = repo.write('o.ts', lines('o')).commit('other work');
    repo.git('checkout', '-q', 'main');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    const merge = repo.git('rev-parse', 'HEAD');
    const ctx = await contextOf(repo);
    expect(ctx.reached.get(c)).toEqual({ via: 'ancestor', at: ctx.time(merge), copy: c });
    expect(ctx.reached.has(unmerged)).toBe(false);
    expect(ctx.onMainline).toContain(c);
    expect(ctx.onMainline).not.toContain(merge); // merges are not mainline commits of their own
  });

  // A whole build answers copyOf from the landing and the ids it holds; a build of a few commits
  // by index. Three commits with one diff land at three times (one with a merge, beside another
  // copy of another diff, one written before the first landed): for every time asked, the same copy.
  it('patch-id: copies found in memory by a whole build are the ones the index finds', async () => {
    const repo = base();
    const x = lines('x', 4);
    const z = lines('z', 4);
    repo.git('checkout', '-q', '-b', 'topic');
    const early = repo.write('x.ts', x).commit('x written early on a topic', { at: 100 });
    const zTopic = repo.write('z.ts', z).commit('z on the topic', { at: 400 });
    // One diff twice on the topic (added, removed, added again): both land with its merge.
    const wFirst = repo.write('w.ts', lines('w', 3)).commit('w added', { at: 410 });
    repo.git('rm', '-q', 'w.ts');
    repo.commit('w removed', { at: 420 });
    const wAgain = repo.write('w.ts', lines('w', 3)).commit('w added again', { at: 430 });
    repo.git('checkout', '-q', '-b', 'side', 'main');
    const late = repo.write('x.ts', x).commit('x again on a side branch', { at: 700 });
    repo.git('checkout', '-q', 'main');
    const onMain = repo.write('x.ts', x).commit('x on main', { at: 200 });
    const zMain = repo.write('z.ts', z).commit('z on main', { at: 300 });
    repo.at(500).git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    repo.at(800).git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    const whole = await contextOf(repo);
    await whole.keepMainlineIds();
    const few = loadOutcomeContext(whole.db, whole.repoId, repo.dir, whole.tip, whole.refs, { whole: false });
    await ancestorRule.apply(few, []);
    const ids = await whole.patchIds([onMain, early, late, zMain, zTopic]);
    expect(new Set([ids.get(onMain), ids.get(early), ids.get(late)]).size).toBe(1);
    expect(ids.get(zMain)).toBe(ids.get(zTopic));
    expect((await whole.patchIds([wFirst, wAgain])).get(wFirst)).toBe((await whole.patchIds([wAgain])).get(wAgain));
    const wId = (await whole.patchIds([wFirst])).get(wFirst);
    const asked = new Set<string | undefined>();
    for (const id of [ids.get(onMain), ids.get(zMain), wId, 'no such id', undefined])
      for (let t = 0; t <= 900; t += 50)
        for (const at of [whole.time(onMain) - 200 + t, whole.time(onMain) - 200 + t + 0.5]) {
          const copy = whole.copyOf(id, at);
          expect(copy, `${id} at ${at}`).toBe(few.copyOf(id, at));
          asked.add(copy);
        }
    expect(whole.copyOf(ids.get(onMain), Number.NaN)).toBeUndefined();
    // Not empty by accident: each copy is some time's answer — but the early one, landed after
    // x on main and written before it: asked for a time it landed after, it was written too early.
    // Of the two that landed together, the first in the landing's order (the merge's walk reaches
    // the newer first).
    expect(asked).toEqual(new Set([onMain, late, zMain, zTopic, wAgain, undefined]));
    // Let go before the content rule (forgetForwardIds): the same answers, from the index.
    const times = Array.from({ length: 10 }, (_, k) => whole.time(onMain) - 200 + 100 * k);
    const questions = [ids.get(onMain), ids.get(zMain), wId].flatMap((id) => times.map((at) => ({ id, at })));
    const expected = questions.map(({ id, at }) => few.copyOf(id, at));
    whole.forgetForwardIds();
    const rowsBefore = rowsRead.count;
    expect(questions.map(({ id, at }) => whole.copyOf(id, at))).toEqual(expected);
    expect(expected.filter(Boolean).length).toBeGreaterThan(10);
    expect(rowsRead.count).toBeGreaterThan(rowsBefore);
  });

  it('patch-id: a cherry-picked copy carries the original', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('topic work');
    repo.git('checkout', '-q', 'main');
    repo.write('m.ts', lines('m')).commit('main moved on');
    repo.at().git('cherry-pick', c);
    const copy = repo.git('rev-parse', 'HEAD');
    const ctx = await contextOf(repo);
    await patchIdRule.apply(ctx, [c]);
    expect(ctx.reached.get(c)).toEqual({ via: 'patch-id', at: ctx.time(copy), copy });
  });

  it('patch-id: a mainline commit with the same diff that landed before the branch commit was written is no copy of it', async () => {
    const repo = base();
    // Another branch commit, older than both: the rule then looks at every mainline commit since it.
    repo.git('checkout', '-q', '-b', 'older');
    const older = repo.write('o.ts', lines('o')).commit('an older branch commit');
    repo.git('checkout', '-q', '-b', 'late', 'main');
    repo.git('checkout', '-q', 'main');
    const early = repo.write('a.ts', lines('a')).commit('the change, made on main first');
    repo.git('checkout', '-q', 'late');
    const late = repo.write('a.ts', lines('a')).commit('the same change, written later on a branch');
    repo.git('checkout', '-q', 'main');
    const ctx = await contextOf(repo);
    await patchIdRule.apply(ctx, [older, late]);
    expect(ctx.time(early)).toBeLessThan(ctx.time(late));
    expect(ctx.reached.has(late)).toBe(false);
  });

  it('squash: by the pull request number of a PR ref, and by a branch’s net diff', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'pr');
    const viaPr = repo.write('a.ts', lines('a')).commit('pr work');
    repo.git('update-ref', 'refs/remotes/origin/pr/7', viaPr);
    repo.git('checkout', '-q', 'main');
    repo.git('branch', '-q', '-D', 'pr');
    const landedPr = repo.write('a.ts', `${lines('a', 2)}export const reviewed = afterReview();\n`).commit('Add a (#7)');
    repo.git('checkout', '-q', '-b', 'topic');
    const one = repo.write('b.ts', lines('b')).commit('part one');
    const two = repo.write('c.ts', lines('c')).commit('part two');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--squash', 'topic');
    const squash = repo.commit('Topic, squashed');
    const ctx = await contextOf(repo);
    await squashRule.apply(ctx, [viaPr, one, two]);
    expect(ctx.reached.get(viaPr)).toMatchObject({ via: 'squash', copy: landedPr });
    expect(ctx.reached.get(one)).toMatchObject({ via: 'squash', copy: squash });
    expect(ctx.reached.get(two)).toMatchObject({ via: 'squash', copy: squash });
  });

  it('branches read at once answer what git answers per branch: own commits and merge base, for every shape', async () => {
    const { repo, forkPoint, side } = branchShapes();
    const heads = ['simple', 'from-side', 'synced', 'orphan', 'main'].map((b) => repo.git('rev-parse', b));
    const ctx = await contextOf(repo);
    const before = new Map(gitProcessCounts);
    await ctx.readBranches(heads);
    const batched = await Promise.all(heads.map(async (h) => [(await ctx.onlyFrom([h], [ctx.tip])).sort(), await ctx.mergeBaseWithTip(h)]));
    // One rev-list for the five, one merge-base for the branch off the side commit only.
    expect(processesSince(before)).toEqual({ 'rev-list': 1, 'merge-base': 1 });
    const fresh = await contextOf(repo);
    const perBranch = heads.map((h) => {
      const own = repo.git('rev-list', h, `^${fresh.tip}`).split('\n').filter(Boolean).sort();
      let mb: string | null = null;
      try {
        mb = repo.git('merge-base', h, fresh.tip);
      } catch {} // exit 1: no common ancestor
      return [own, mb];
    });
    expect(batched.map(([own]) => own)).toEqual(perBranch.map(([own]) => own));
    expect(batched[0]![1]).toBe(forkPoint);
    expect(batched[1]![1]).toBe(side);
    expect(batched[2]![1]).toBe(fresh.tip);
    expect(batched[3]![1]).toBeNull();
    expect(batched[4]![1]).toBe(fresh.tip);

    // With the run's walks, as updateRepository passes them: ingest's orphan check walked every
    // new ref off the tip, so the same read starts no rev-list (the tip itself has nothing off
    // it), and the merge base git gave is kept for the next rule that asks.
    const walks = new BranchWalks();
    const shared = await contextOf(repo, walks);
    const beforeShared = new Map(gitProcessCounts);
    await shared.readBranches(heads);
    const fromWalks = await Promise.all(
      heads.map(async (h) => [(await shared.onlyFrom([h], [shared.tip])).sort(), await shared.mergeBaseWithTip(h)]),
    );
    await shared.mergeBaseWithTip(heads[1]!);
    expect(processesSince(beforeShared)).toEqual({ 'merge-base': 1 });
    expect(fromWalks).toEqual(batched);
    // A head no walk covered: git walks it.
    const beforeOther = new Map(gitProcessCounts);
    const other = await branchesOnlyFrom([heads[0]!, side], [forkPoint], repo.dir, walks);
    expect(processesSince(beforeOther)).toEqual({ 'rev-list': 1 });
    expect(other.get(side)!.own).toEqual([side]);
  });

  it('commits off the tip, from the stored landing, are what `git rev-list <heads> ^<tip>` lists, for every shape; else git answers', async () => {
    const { repo, forkPoint } = branchShapes();
    const ctx = await contextOf(repo);
    const sha = (ref: string) => repo.git('rev-parse', ref);
    const cases: string[][] = [
      ['simple'],
      ['from-side'],
      ['synced'],
      ['orphan'],
      ['main'],
      ['side'],
      ['simple', 'synced', 'orphan'],
      ['simple~1'],
    ];
    for (const heads of cases) {
      const git = repo
        .git('rev-list', ...heads.map(sha), `^${ctx.tip}`)
        .split('\n')
        .filter(Boolean)
        .sort();
      expect(onlyFromTipStored(ctx.db, ctx.repoId, ctx.tip, heads.map(sha))?.sort(), heads.join(' ')).toEqual(git);
    }
    // The build asks it so, and starts no git process for it.
    const before = new Map(gitProcessCounts);
    expect((await ctx.onlyFrom([sha('simple')], [ctx.tip])).length).toBe(2);
    expect(processesSince(before)).toEqual({});
    // Git answers what the database cannot: another tip, a commit it does not hold.
    expect(onlyFromTipStored(ctx.db, ctx.repoId, forkPoint, [sha('simple')])).toBeNull();
    expect(onlyFromTipStored(ctx.db, ctx.repoId, ctx.tip, ['0'.repeat(40)])).toBeNull();
    ctx.db.prepare(`DELETE FROM metadata_commits WHERE repo_id = ? AND sha = ?`).run([ctx.repoId, sha('simple~1')]);
    expect(onlyFromTipStored(ctx.db, ctx.repoId, ctx.tip, [sha('simple')])).toBeNull();
    // Past its limit the walk leaves the answer to git.
    expect(onlyFromTipStored(ctx.db, ctx.repoId, ctx.tip, [sha('orphan')], 2)).toHaveLength(2);
    expect(onlyFromTipStored(ctx.db, ctx.repoId, ctx.tip, [sha('orphan')], 1)).toBeNull();
  });

  it('which of two commits that landed together is the ancestor, from the stored landing, is what git says; else git answers', async () => {
    // Chain commits; a topic merged with a merge of its own inside; a branch merged later; a branch
    // forked from the topic's middle and merged after it (its commits and the topic's landed with
    // different merges: git's to answer).
    const repo = base();
    const c1 = repo.write('m.ts', lines('m')).commit('mainline one');
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('t.ts', lines('t')).commit('topic one');
    repo.git('checkout', '-q', '-b', 'sub');
    repo.write('s.ts', lines('s')).commit('sub one');
    repo.write('s2.ts', lines('s2')).commit('sub two');
    repo.git('checkout', '-q', 'topic');
    const t2 = repo.write('t2.ts', lines('t2')).commit('topic two');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge sub into topic', 'sub');
    repo.write('t3.ts', lines('t3')).commit('topic three');
    repo.git('checkout', '-q', '-b', 'late', t2);
    repo.write('l.ts', lines('l')).commit('late one');
    repo.git('checkout', '-q', '-b', 'other', c1);
    repo.write('x.ts', lines('x')).commit('other one');
    repo.git('checkout', '-q', 'main');
    repo.write('m2.ts', lines('n')).commit('mainline two');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge other', 'other');
    repo.write('m3.ts', lines('o')).commit('mainline three');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge late', 'late');
    repo.write('m4.ts', lines('p')).commit('mainline four');
    const ctx = await contextOf(repo);
    const all = repo.git('rev-list', 'main').split('\n');
    const via = new Map(
      ctx.db
        .prepare(`SELECT sha, via_sha FROM paceflow_mainline_landing WHERE repo_id = ?`)
        .all<{ sha: string; via_sha: string }>([ctx.repoId])
        .map((r) => [r.sha, r.via_sha]),
    );
    let answered = 0;
    for (const a of all)
      for (const b of all) {
        if (a === b) continue;
        const byLanding = ancestorByLanding(ctx.db, ctx.repoId, ctx.tip, a, b);
        const bothChain = via.get(a) === a && via.get(b) === b;
        // Each pair landed together, or both on the chain, is answered; the rest left to git.
        expect(byLanding === null, `${a} ${b}`).toBe(!bothChain && via.get(a) !== via.get(b));
        if (byLanding === null) continue;
        answered++;
        const git = spawnSync('git', ['merge-base', '--is-ancestor', a, b], { cwd: repo.dir }).status === 0;
        expect(byLanding, `${a} ${b}`).toBe(git);
      }
    expect(answered).toBeGreaterThan(40);
    // The revert rules' question starts no git process for them.
    const before = new Map(gitProcessCounts);
    const topic = all.filter((sha) => via.get(sha) === via.get(t2));
    for (const a of topic) for (const b of topic) if (a !== b) await ctx.precedes(a, b);
    expect(topic.length).toBeGreaterThan(4);
    expect(processesSince(before)).toEqual({});
    // Another tip, a commit not stored, a walk past its limit, a parent not recorded: git's.
    expect(ancestorByLanding(ctx.db, ctx.repoId, c1, t2, ctx.tip)).toBeNull();
    expect(ancestorByLanding(ctx.db, ctx.repoId, ctx.tip, '0'.repeat(40), t2)).toBeNull();
    const tip3 = repo.git('rev-parse', 'topic');
    expect(ancestorByLanding(ctx.db, ctx.repoId, ctx.tip, t2, tip3)).toBe(true);
    expect(ancestorByLanding(ctx.db, ctx.repoId, ctx.tip, t2, tip3, 1)).toBeNull();
    ctx.db.prepare(`DELETE FROM metadata_commits WHERE repo_id = ? AND sha = ?`).run([ctx.repoId, tip3]);
    expect(ancestorByLanding(ctx.db, ctx.repoId, ctx.tip, t2, tip3)).toBeNull();
  });

  it('net diffs from one pipeline have the patch-ids of `git diff | git patch-id`: renames, binary files, an empty diff', async () => {
    const repo = base();
    const root = repo.git('rev-parse', 'HEAD');
    repo.write('a.ts', lines('a', 8)).commit('add a');
    repo.git('checkout', '-q', '-b', 'renamed');
    repo.git('mv', 'a.ts', 'b.ts');
    repo.write('b.ts', `${lines('a', 8)}export const more = 1;\n`).commit('rename a to b, and a line');
    repo.git('checkout', '-q', '-b', 'binary', 'main');
    repo.write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0, 1, 2, 3, 0, 255])).commit('a binary file');
    repo.git('checkout', '-q', '-b', 'same', 'main');
    repo.git('commit', '-q', '--allow-empty', '-m', 'nothing');
    repo.git('checkout', '-q', 'main');
    const pairs = [
      ...['renamed', 'binary'].map((b) => ({ base: root, head: repo.git('rev-parse', b) })),
      { base: repo.git('rev-parse', 'main'), head: repo.git('rev-parse', 'same') },
    ];
    const batched = await netDiffPatchIds(pairs, repo.dir);
    for (const { base, head } of pairs) {
      const diff = repo.gitRaw(['diff', '--no-prefix', '--no-color', '--no-ext-diff', '--no-textconv', base, head]);
      const id = diff.length === 0 ? undefined : repo.gitRaw(['patch-id', '--stable'], diff).toString().split(' ')[0] || undefined;
      expect(batched.get(head), head).toBe(id);
    }
    expect(batched.size).toBe(2); // the empty diff has none
  });

  it('content: each path’s candidates kept in shared columns read back as they were put, across the columns’ growth', () => {
    const columns = new TouchColumns();
    // Lists in landing order (ties by committed time, then sequence), long enough to grow the columns twice.
    const listOf = (path: number, n: number) =>
      Array.from({ length: n }, (_, i) => ({
        sha: `${path}-${i}`.padEnd(40, '0'),
        committedMs: 1_700_000_000_000 + i * 1000 + (i % 3),
        landed: 1_700_000_000 + Math.floor(i / 2),
        seq: i === n - 1 ? Number.POSITIVE_INFINITY : i,
      }));
    const put = [listOf(1, 700), listOf(2, 1), listOf(3, 0), listOf(4, 2500)];
    const lists = put.map((l) => columns.add(l));
    put.forEach((list, p) => {
      const stretch = lists[p]!;
      expect(stretch.end - stretch.start, `list ${p}`).toBe(list.length);
      expect(
        list.map((_, i) => columns.at(stretch.start + i)),
        `list ${p}`,
      ).toEqual(list);
      for (const seconds of [0, 1_700_000_000, 1_700_000_001, 1_700_000_100, 1_700_001_249, 1_700_001_250, 2e9]) {
        // The first that landed at or after `seconds`, by a walk down the list.
        const first = list.findIndex((t) => t.landed >= seconds);
        expect(stretch.firstLandedFrom(seconds) - stretch.start, `list ${p} from ${seconds}`).toBe(first === -1 ? list.length : first);
      }
    });
  });

  it('content: 80% of the added lines on mainline though the diffs differ; fewer do not land', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'keep');
    const c = repo.write('a.ts', lines('a', 5)).commit('topic work');
    repo.git('checkout', '-q', '-b', 'partly', 'main');
    const partly = repo.write('p.ts', lines('p', 5)).commit('mostly not landed');
    repo.git('checkout', '-q', 'main');
    repo.write('a.ts', `export const header = first();\n${lines('a', 5)}export const extra = more();\n`);
    const byHand = repo.write('p.ts', lines('p', 3)).commit('rewritten by hand');
    const ctx = await contextOf(repo);
    const reader = ctx.files();
    const cacheSeen = cacheSizesWhileVisiting(ctx);
    const cacheBefore = cacheSize(ctx.db);
    expect(cacheBefore).not.toBe(-2000); // the run's own size (src/db/open.ts), which the rule must change and put back
    await contentRule.apply(ctx, [c, partly]);
    expect(ctx.reached.get(c)).toMatchObject({ via: 'content', copy: byHand });
    expect(ctx.reached.has(partly)).toBe(false); // 3 of 5 = 60%
    // A whole build's checks run with SQLite's page cache shrunk to 2 MB, put back as it was after.
    expect({ during: [...cacheSeen], after: cacheSize(ctx.db) }).toEqual({ during: [-2000], after: cacheBefore });
    // A whole build's rule lets its reader go as it ends (its ring of line keys, the names it
    // resolved, its cat-file processes): the revert rules and the write after it do not hold it. A
    // later ask makes a new one, which reads as the first did.
    const later = ctx.files();
    expect(later).not.toBe(reader);
    const found: number[] = [];
    await later.visit(byHand, ['p.ts'], (_, keys) => found.push(keys.end - keys.start));
    expect(found).toEqual([4]); // three lines and the empty one after the last newline
    ctx.close();
    // A build of a few commits keeps it: it may run the rule again (applyRefRules) with the same processes.
    const few = await contextOf(repo, undefined, false);
    const kept = few.files();
    const fewSeen = cacheSizesWhileVisiting(few);
    const fewBefore = cacheSize(few.db);
    await contentRule.apply(few, [c, partly]);
    expect(few.reached.get(c)).toMatchObject({ via: 'content', copy: byHand });
    expect(few.files()).toBe(kept);
    // A build of a few commits reads the database as it runs: its cache stays.
    expect([...fewSeen]).toEqual([fewBefore]);
    few.close();
  });

  it('the first-parent chain in memory answers what `git rev-list --first-parent -1 --before` does', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('s.ts', lines('s')).commit('side work', { at: 5000 });
    repo.git('checkout', '-q', 'main');
    repo.write('m.ts', lines('m')).commit('main work', { at: 3000 });
    // Committer dates out of order on mainline: a commit dated before its parent.
    repo.write('m2.ts', lines('mm')).commit('backdated', { at: 2000 });
    repo.at(7000).git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    repo.write('m3.ts', lines('mmm')).commit('after the merge', { at: 9000 });
    const ctx = await contextOf(repo);
    const base0 = Date.parse('2026-01-05T09:00:00Z') / 1000;
    for (const offset of [0, 59, 60, 1999, 2000, 2500, 3000, 4999, 5000, 6999, 7000, 8999, 9000, 20000]) {
      const t = base0 + offset;
      const git = repo.git('rev-list', '--first-parent', '-1', `--before=${t}`, ctx.tip) || null;
      expect(ctx.mainlineBefore(t), `at +${offset} s`).toBe(git);
    }
  });

  it('content: a verdict found against a mainline tip is reused while the tip stays, and found again when it moves (counted)', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'keep');
    const c = repo.write('a.ts', lines('a', 5)).commit('topic work');
    repo.git('checkout', '-q', '-b', 'partly', 'main');
    const partly = repo.write('p.ts', lines('p', 5)).commit('mostly not landed');
    repo.git('checkout', '-q', 'main');
    const byHand = repo.write('a.ts', lines('a', 5)).commit('rewritten by hand');
    const first = await contextOf(repo);
    await contentRule.apply(first, [c, partly]);
    expect(first.reached.get(c)).toMatchObject({ via: 'content', copy: byHand });
    // The same tip, a fresh build (a new context on the same database): no diff and no file is read.
    const again = loadOutcomeContext(first.db, first.repoId, repo.dir, first.tip, loadRefTips(first.db, first.repoId));
    await ancestorRule.apply(again, []);
    const before = new Map(gitProcessCounts);
    await contentRule.apply(again, [c, partly]);
    expect(processesSince(before)).toEqual({});
    expect(again.reached.get(c)).toEqual(first.reached.get(c));
    expect(again.reached.has(partly)).toBe(false);
    // Mainline moves by a commit that touches neither branch commit's paths: both verdicts carry
    // over, without a git process (the new mainline commits come from the stored landing).
    const unrelated = repo.write('z.ts', lines('z', 3)).commit('unrelated mainline work');
    const moved = await rebuilt(unrelated);
    const mark = new Map(gitProcessCounts);
    await contentRule.apply(moved, [c, partly]);
    expect(processesSince(mark)).toEqual({});
    expect(moved.reached.get(c)).toMatchObject({ via: 'content', copy: byHand });
    expect(moved.reached.has(partly)).toBe(false);
    // Mainline moves and now carries the rest of p.ts: that commit is checked again, and lands.
    const landed = repo.write('p.ts', lines('p', 5)).commit('the rest by hand');
    const movedAgain = await rebuilt(landed);
    const mark2 = new Map(gitProcessCounts);
    await contentRule.apply(movedAgain, [c, partly]);
    // The one diff read; for every file it reads, one cat-file naming its blob and one reading it.
    expect(processesSince(mark2)).toEqual({ log: 1, 'cat-file': 2 });
    expect(movedAgain.reached.get(partly)).toMatchObject({ via: 'content', copy: landed });
    expect(movedAgain.reached.get(c)).toMatchObject({ via: 'content', copy: byHand });
    expect(first.db.prepare(`SELECT DISTINCT mainline_tip FROM paceflow_content_checks`).all()).toEqual([{ mainline_tip: landed }]);

    async function rebuilt(tip: string): Promise<OutcomeContext> {
      await ingestGit({ db: first.db, cwd: repo.dir, config: defaultConfig() });
      const ctx = loadOutcomeContext(first.db, first.repoId, repo.dir, tip, loadRefTips(first.db, first.repoId));
      await ancestorRule.apply(ctx, []);
      return ctx;
    }
  });

  it('content: after mainline moves, a commit that found no copy reads only the new candidates; the verdict is a fresh check’s', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a', 5)).commit('topic work');
    repo.git('checkout', '-q', 'main');
    // Two mainline commits touch a.ts after it without carrying its lines: the candidates it looked at.
    repo.write('a.ts', lines('x', 2)).commit('mainline a, one');
    repo.write('a.ts', lines('y', 2)).commit('mainline a, two');
    const first = await contextOf(repo);
    await contentRule.apply(first, [c]);
    expect(first.reached.has(c)).toBe(false);
    // Mainline moves by a commit that brings the lines by hand.
    const landed = repo.write('a.ts', lines('a', 5)).commit('a by hand');
    await ingestGit({ db: first.db, cwd: repo.dir, config: defaultConfig() });
    const moved = loadOutcomeContext(first.db, first.repoId, repo.dir, landed, loadRefTips(first.db, first.repoId));
    await ancestorRule.apply(moved, []);
    const files = readsOf(moved);
    await contentRule.apply(moved, [c]);
    expect(moved.reached.get(c)).toMatchObject({ via: 'content', copy: landed });
    // Mainline before it was written (for what it brought) and the one new candidate: not the two older ones.
    expect(files).toEqual([repo.git('rev-parse', 'main~3'), landed]);
    const fresh = await contextOf(repo);
    await contentRule.apply(fresh, [c]);
    expect(fresh.reached.get(c)).toEqual(moved.reached.get(c));

    /** The commits whose files the context reads (the content rule's cat-file reads), in order. */
    function readsOf(ctx: OutcomeContext): string[] {
      const seen: string[] = [];
      const reader = ctx.files();
      const visit = reader.visit.bind(reader);
      reader.visit = (rev, paths, visitor) => {
        if (seen.at(-1) !== rev) seen.push(rev);
        return visit(rev, paths, visitor);
      };
      return seen;
    }
  });

  it('content: of the commits one merge brings, the earlier written that carries the lines is the copy, whatever their shas', async () => {
    for (const salt of ['one', 'two', 'three', 'four']) {
      const repo = base();
      repo.git('checkout', '-q', '-b', 'topic');
      const c = repo.write('a.ts', lines('a', 5)).commit(`topic work ${salt}`);
      repo.git('checkout', '-q', '-b', 'side', 'main');
      const first = repo.write('a.ts', lines('a', 5)).commit(`brings the lines ${salt}`);
      repo
        .write('b.ts', lines('b', 2))
        .write('a.ts', `${lines('a', 5)}export const tail = 1;\n`)
        .commit(`then more ${salt}`);
      repo.git('checkout', '-q', 'main');
      repo.at().git('merge', '-q', '--no-ff', '-m', `merge side ${salt}`, 'side');
      const ctx = await contextOf(repo);
      await contentRule.apply(ctx, [c]);
      expect(ctx.reached.get(c), salt).toMatchObject({ via: 'content', copy: first });
    }
  });

  it('content: branch commits compared with the same candidates read and hash each file version once', async () => {
    const repo = base();
    repo.write('a.ts', lines('a')).write('b.ts', lines('b')).commit('mainline has a.ts and b.ts');
    // Three branches written before mainline moves, each adding lines no mainline commit carries.
    const branchCommits = ['x', 'y', 'z'].map((tag) => {
      repo.git('checkout', '-q', '-b', `topic-${tag}`, 'main');
      const sha = repo.write('a.ts', `${lines('a')}${lines(tag)}`).commit(`topic ${tag}`);
      repo.git('checkout', '-q', 'main');
      return sha;
    });
    // Mainline then touches a.ts three times (b.ts never): the same candidates for every branch commit.
    for (const tag of ['p', 'q', 'r']) repo.write('a.ts', `${lines('a')}${lines(tag, 2)}`).commit(`mainline ${tag}`);
    const ctx = await contextOf(repo);
    const hashed = lineKeysWork.versionsHashed;
    await contentRule.apply(ctx, branchCommits);
    for (const sha of branchCommits) expect(ctx.reached.has(sha)).toBe(false);
    expect(ctx.db.prepare(`SELECT candidates FROM paceflow_content_checks`).all()).toEqual([
      { candidates: 3 },
      { candidates: 3 },
      { candidates: 3 },
    ]);
    // a.ts before them and at each of the three candidates: 4 versions, not 4 for each of 3 commits.
    expect(lineKeysWork.versionsHashed - hashed).toBe(4);
  });

  it('content: only the files of paths with lines a commit brought are read at its candidates', async () => {
    const repo = base();
    repo.write('a.ts', lines('a')).write('b.ts', lines('b')).commit('mainline has a.ts and b.ts');
    repo.git('checkout', '-q', '-b', 'topic');
    // New lines in a.ts; in b.ts a second copy of lines mainline already has there (nothing brought).
    const c = repo
      .write('a.ts', `${lines('a')}${lines('n')}`)
      .write('b.ts', `${lines('b')}${lines('b')}`)
      .commit('both files');
    repo.git('checkout', '-q', 'main');
    repo.write('b.ts', `${lines('b')}${lines('p', 2)}`).commit('mainline b.ts');
    repo.write('a.ts', `${lines('a')}${lines('q', 2)}`).commit('mainline a.ts');
    const ctx = await contextOf(repo);
    const named = lineKeysWork.namesAsked;
    const recorded = lineKeysWork.namesRecorded;
    await contentRule.apply(ctx, [c]);
    expect(ctx.reached.has(c)).toBe(false);
    expect(ctx.db.prepare(`SELECT candidates FROM paceflow_content_checks`).all()).toEqual([{ candidates: 2 }]);
    // Both files before it; then a.ts alone at each of the two candidates (b.ts at each as well before: 6).
    // Each a version its commit changed (its recorded blob, sql/032) but a.ts at `mainline b.ts`, asked of git.
    expect([lineKeysWork.namesRecorded - recorded, lineKeysWork.namesAsked - named]).toEqual([3, 1]);
  });

  it('content: a branch commit that only restores text mainline already had brings nothing, and does not land', async () => {
    const repo = base();
    repo.write('a.ts', lines('a')).commit('mainline has these lines');
    repo.git('checkout', '-q', '-b', 'undo');
    repo.write('a.ts', lines('a', 2)).commit('drop three lines');
    const restore = repo.write('a.ts', lines('a')).commit('put them back (a revert inside the branch)');
    repo.git('checkout', '-q', 'main');
    const ctx = await contextOf(repo);
    await contentRule.apply(ctx, [restore]);
    expect(ctx.reached.has(restore)).toBe(false);
  });

  it('content: a commit no later mainline commit touches the files of is not compared, and mainline’s files before it are not read', async () => {
    const repo = base();
    repo.write('a.ts', lines('a')).commit('mainline has a.ts');
    repo.git('checkout', '-q', '-b', 'alone');
    const alone = repo.write('t.ts', lines('t')).commit('a file mainline never touches');
    repo.git('checkout', '-q', '-b', 'touched', 'main');
    const touched = repo.write('a.ts', `${lines('a')}${lines('b')}`).commit('more lines in a.ts');
    repo.git('checkout', '-q', 'main');
    const ctx = await contextOf(repo);
    const mark = new Map(gitProcessCounts);
    // No mainline commit touches t.ts after `alone`: no cat-file at all (before, mainline's files as
    // they stood before it were read).
    await contentRule.apply(ctx, [alone]);
    expect(processesSince(mark)).toEqual({ log: 1 });
    expect(ctx.db.prepare(`SELECT sha, copy_sha, candidates FROM paceflow_content_checks ORDER BY sha`).all()).toEqual([
      { sha: alone, copy_sha: null, candidates: 0 },
    ]);
    // A mainline commit touching a.ts after `touched` was written: its files and mainline's before it are read.
    repo.write('a.ts', `${lines('a')}${lines('c')}`).commit('mainline edits a.ts its own way');
    const moved = await contextOf(repo);
    const mark2 = new Map(gitProcessCounts);
    await contentRule.apply(moved, [alone, touched]);
    // a.ts's blobs at both commits are their own changes' (sql/032): one cat-file reads them, none names them.
    expect(processesSince(mark2)).toEqual({ log: 1, 'cat-file': 1 });
    expect(moved.reached.has(touched)).toBe(false);
    expect(moved.db.prepare(`SELECT sha, copy_sha, candidates FROM paceflow_content_checks ORDER BY sha`).all()).toEqual(
      [
        { sha: alone, copy_sha: null, candidates: 0 },
        { sha: touched, copy_sha: null, candidates: 1 },
      ].sort((x, y) => (x.sha < y.sha ? -1 : 1)),
    );
  });

  it('content: the landing commit is the one that brought the lines, not the first later commit touching the file', async () => {
    const repo = base();
    repo.write('a.ts', 'export const header = first();\n').commit('a.ts starts');
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', `export const header = first();\n${lines('c', 5)}`).commit('topic lines');
    repo.git('checkout', '-q', 'main');
    const unrelated = repo.write('a.ts', 'export const header = firstChanged();\n').commit('unrelated edit of a.ts');
    const brought = repo.write('a.ts', `export const header = firstChanged();\n${lines('c', 5)}`).commit('the topic lines, by hand');
    repo.git('branch', '-q', '-D', 'topic');
    repo.git('update-ref', 'refs/heads/keep', c);
    const ctx = await contextOf(repo);
    await contentRule.apply(ctx, [c]);
    expect(ctx.reached.get(c)).toEqual({ via: 'content', at: ctx.landedAt(brought), copy: brought });
    expect(ctx.reached.get(c)?.copy).not.toBe(unrelated);
  });

  it('content: a commit’s candidates are the first 50 mainline commits touching its files that landed after it was written', async () => {
    const repo = base();
    repo.write('a.ts', 'export const header = start(0);\n').commit('a.ts starts');
    // Landed before the topic's commits were written: never candidates.
    for (let i = 1; i <= 3; i++) repo.write('a.ts', `export const header = start(${i});\n`).commit(`before ${i}`);
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', `export const header = start(3);\n${lines('c', 5)}`).commit('topic: c lines');
    const d = repo.write('a.ts', `export const header = start(3);\n${lines('c', 5)}${lines('d', 5)}`).commit('topic: d lines');
    const e = repo
      .write('a.ts', `export const header = start(3);\n${lines('c', 5)}${lines('d', 5)}${lines('e', 5)}`)
      .commit('topic: e lines');
    repo.git('checkout', '-q', 'main');
    // After them, on mainline: candidate 1 an unrelated edit, 2 brings d's lines, 3–49 unrelated,
    // 50 brings c's lines (found only if the three earlier commits are left out), 51 brings e's (past the 50).
    repo.write('a.ts', 'export const header = after(1);\n').commit('after 1');
    const dCopy = repo.write('a.ts', `export const header = after(2);\n${lines('d', 5)}`).commit('d by hand');
    for (let i = 3; i <= 49; i++) repo.write('a.ts', `export const header = after(${i});\n`).commit(`after ${i}`);
    const cCopy = repo.write('a.ts', `export const header = after(50);\n${lines('c', 5)}`).commit('c by hand');
    repo.write('a.ts', `export const header = after(51);\n${lines('e', 5)}`).commit('e by hand');
    repo.git('branch', '-q', '-D', 'topic');
    repo.git('update-ref', 'refs/heads/keep', e);
    const ctx = await contextOf(repo);
    await contentRule.apply(ctx, [c, d, e]);
    expect(ctx.reached.get(c)).toMatchObject({ via: 'content', copy: cCopy });
    expect(ctx.reached.get(d)).toMatchObject({ via: 'content', copy: dCopy });
    expect(ctx.reached.has(e)).toBe(false);
    const checks = ctx.db
      .prepare(`SELECT sha, copy_sha, candidates FROM paceflow_content_checks WHERE sha IN (?, ?, ?) ORDER BY candidates, sha`)
      .all([c, d, e]);
    expect(checks).toEqual(
      expect.arrayContaining([
        { sha: c, copy_sha: cCopy, candidates: 50 },
        { sha: d, copy_sha: dCopy, candidates: 50 },
        { sha: e, copy_sha: null, candidates: 50 },
      ]),
    );
    // A build of a few commits reads each path's commits joined to their rows; a whole build, which
    // holds every row, from the path's index alone: the same candidates, the same copies.
    const few = await contextOf(repo, undefined, false);
    expect(few.whole).toBe(false);
    await contentRule.apply(few, [c, d, e]);
    for (const sha of [c, d, e]) expect(few.reached.get(sha)).toEqual(ctx.reached.get(sha));
    expect(few.db.prepare(`SELECT sha, copy_sha, candidates FROM paceflow_content_checks ORDER BY sha`).all()).toEqual(
      ctx.db.prepare(`SELECT sha, copy_sha, candidates FROM paceflow_content_checks ORDER BY sha`).all(),
    );
  });

  it('content: lines that landed and were edited later still landed (checked at the landing commit, not the tip)', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('c', 5)).commit('topic lines');
    repo.git('checkout', '-q', 'main');
    const landed = repo.write('a.ts', `export const header = mine();\n${lines('c', 5)}`).commit('the topic lines, by hand');
    repo.write('a.ts', `export const header = mine();\n${lines('z', 5)}`).commit('rewritten since');
    repo.git('branch', '-q', '-D', 'topic');
    repo.git('update-ref', 'refs/heads/keep', c);
    const ctx = await contextOf(repo);
    await contentRule.apply(ctx, [c]);
    expect(ctx.reached.get(c)).toMatchObject({ via: 'content', copy: landed });
  });

  it.each([
    [['a.ts', 'x = 1'], 1],
    [['a.ts', 'y = 2'], 0],
    [['b.ts', 'x = 1'], 0],
  ] as const)('linesPresent: %j in a.ts="x = 1" → %i', ([path, text], n) => {
    expect(linesPresent(addedOf([{ path, text }]), keysOf(new Map([['a.ts', 'x = 1\n']])))).toBe(n);
  });

  it('linesPresent compares lines normalized', () => {
    const file = keysOf(new Map([['a.ts', '  x = 1\ny  =  2\n']]));
    expect(linesPresent(addedOf([{ path: 'a.ts', text: '\tx   =  1 ' }]), file)).toBe(1);
    expect(lineCount(linesAbsent(addedOf([{ path: 'a.ts', text: 'y = 2' }]), file))).toBe(0);
  });

  it('linesPresent uses each mainline line once', () => {
    const twice = [
      { path: 'a.ts', text: 'x = 1' },
      { path: 'a.ts', text: 'x = 1' },
    ];
    expect(linesPresent(addedOf(twice), keysOf(new Map([['a.ts', 'x = 1\n']])))).toBe(1);
  });

  // The rule's counting against its plain definition (every line of every file counted, then each
  // added line takes one): the same counts and the same absent lines, on lines that differ only in
  // whitespace, repeat, or stand in another file.
  it('linesPresent and linesAbsent count as the plain definition does', () => {
    const oracle = (added: { path: string; text: string }[], files: Map<string, string>) => {
      const present = new Map<string, number>();
      for (const [path, text] of files)
        for (const line of text.split('\n'))
          present.set(`${path}\0${normalizeLine(line)}`, (present.get(`${path}\0${normalizeLine(line)}`) ?? 0) + 1);
      const absent = added.filter((a) => {
        const n = present.get(`${a.path}\0${a.text}`) ?? 0;
        if (n > 0) present.set(`${a.path}\0${a.text}`, n - 1);
        return n === 0;
      });
      return { found: added.length - absent.length, absent };
    };
    const variants = ['x = 1', '  x = 1', 'x  =\t1 ', 'y = 2', '\u00a0y = 2', '', '   ', 'z()'];
    let seed = 7;
    const pick = <T>(items: readonly T[]): T => {
      seed = (seed * 48271) % 2147483647;
      return items[seed % items.length]!;
    };
    for (let round = 0; round < 200; round++) {
      const files = new Map<string, string>();
      for (const path of ['a.ts', 'b.ts'])
        if (pick([true, true, false])) files.set(path, Array.from({ length: pick([0, 1, 3, 6]) }, () => pick(variants)).join('\n'));
      const added = Array.from({ length: pick([1, 2, 5, 8]) }, () => ({
        path: pick(['a.ts', 'b.ts', 'c.ts']),
        text: normalizeLine(pick(variants)),
      }));
      const expected = oracle(added, files);
      expect(linesPresent(addedOf(added), keysOf(files))).toBe(expected.found);
      expect(linesAbsent(addedOf(added), keysOf(files))).toEqual(addedOf(expected.absent));
    }
  });
});

describe('the stored mainline landing', () => {
  /** On main: a commit, then the merge of a side branch that has a merge of its own (branch side, inner). */
  function mergeSideWithMergeOfItsOwn(repo: TempRepo): void {
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('s.ts', lines('s')).commit('side one');
    repo.git('checkout', '-q', '-b', 'inner');
    repo.write('i.ts', lines('i')).commit('inner one');
    repo.git('checkout', '-q', 'side');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge inner', 'inner');
    repo.git('checkout', '-q', 'main');
    repo.write('c.ts', lines('c')).commit('three');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
  }

  /** Stores the landing for main's tip; returns how, and checks the rows against a whole walk of that tip. */
  async function storeAndCompare(
    repo: TempRepo,
    db: ReturnType<typeof tempDatabase>,
    repoId: string,
    options: { ingested?: boolean } = {},
  ): Promise<string> {
    const tip = repo.git('rev-parse', 'main');
    const before = new Map(gitProcessCounts);
    const { source } = await storeMainlineLanding(db, repoId, tip, repo.dir);
    const walks = processesSince(before)['rev-list'] ?? 0;
    // Stored: no git; extended: one rev-list of the new commits, none when the database holds them
    // (ingested); walked: the whole walk, after a failed extension's rev-list when there was a tip
    // before — git's walk only when the database lacks a commit (not ingested), else none.
    const expected = { stored: [0], extended: options.ingested ? [0] : [1], walked: options.ingested ? [0, 1] : [1, 2] }[source];
    expect(expected).toContain(walks);
    expect([...readMainlineLanding(db, repoId)]).toEqual([...(await mainlineLanding(tip, repo.dir))]);
    return source;
  }

  it('is read back while the tip stays, extended when mainline moves on by its first parents, walked again after a rewrite', async () => {
    const repo = base();
    const db = tempDatabase();
    const repoId = (await ingestGit({ db, cwd: repo.dir, config: defaultConfig() })).repoId!;
    repo.write('a.ts', lines('a')).commit('one');
    expect(await storeAndCompare(repo, db, repoId)).toBe('walked');
    expect(await storeAndCompare(repo, db, repoId)).toBe('stored');
    // A fast-forward, then a merge whose side branch has a merge of its own.
    repo.write('b.ts', lines('b')).commit('two');
    expect(await storeAndCompare(repo, db, repoId)).toBe('extended');
    mergeSideWithMergeOfItsOwn(repo);
    expect(await storeAndCompare(repo, db, repoId)).toBe('extended');
    // Mainline reset onto a side commit (not on its first-parent chain), then rewritten.
    repo.git('reset', '-q', '--hard', 'side');
    expect(await storeAndCompare(repo, db, repoId)).toBe('walked');
    repo.git('reset', '-q', '--hard', 'HEAD~1');
    repo.write('d.ts', lines('d')).commit('rewritten');
    expect(await storeAndCompare(repo, db, repoId)).toBe('walked');
  });

  it('is extended from the database when the ingest has recorded the new commits: no git, the rows of a whole walk', async () => {
    const repo = base();
    const db = tempDatabase();
    const ingest = async () => (await ingestGit({ db, cwd: repo.dir, config: defaultConfig() })).repoId!;
    repo.write('a.ts', lines('a')).commit('one');
    const repoId = await ingest();
    expect(await storeAndCompare(repo, db, repoId, { ingested: true })).toBe('walked');
    repo.write('b.ts', lines('b')).commit('two');
    await ingest();
    expect(await storeAndCompare(repo, db, repoId, { ingested: true })).toBe('extended');
    // A merge whose side branch has a merge of its own and a commit older than mainline's tip.
    mergeSideWithMergeOfItsOwn(repo);
    await ingest();
    expect(await storeAndCompare(repo, db, repoId, { ingested: true })).toBe('extended');
    // Reset onto a side commit: not on the first-parent chain; the database says so as git does.
    repo.git('reset', '-q', '--hard', 'side');
    await ingest();
    expect(landingSinceStored(db, repoId, repo.git('rev-parse', 'main'), repo.git('rev-parse', 'main@{1}'))).toBeNull();
    expect(await storeAndCompare(repo, db, repoId, { ingested: true })).toBe('walked');
    // Not recorded yet: git lists the new commits.
    repo.write('d.ts', lines('d')).commit('four');
    expect(landingSinceStored(db, repoId, repo.git('rev-parse', 'main'), repo.git('rev-parse', 'main~1'))).toBeNull();
    expect(await storeAndCompare(repo, db, repoId)).toBe('extended');
  });

  it('is walked from the database when it records every commit the tip reaches, and by git when one is missing, cut off or untimed', async () => {
    const repo = base();
    const db = tempDatabase();
    const ingest = async () => (await ingestGit({ db, cwd: repo.dir, config: defaultConfig() })).repoId!;
    repo.write('a.ts', lines('a')).commit('one');
    mergeSideWithMergeOfItsOwn(repo);
    const repoId = await ingest();
    const tip = repo.git('rev-parse', 'main');
    const walked = [...(await mainlineLanding(tip, repo.dir))];
    expect(walked.length).toBeGreaterThan(5);
    expect([...(landingStored(db, repoId, tip) ?? [])]).toEqual(walked);
    // A commit the ingest has not seen yet.
    repo.write('d.ts', lines('d')).commit('four');
    expect(landingStored(db, repoId, repo.git('rev-parse', 'main'))).toBeNull();
    // A commit at a shallow clone's cut-off, then one whose committer time is not git's.
    const inner = repo.git('rev-parse', 'inner');
    const mark = db.prepare(`UPDATE metadata_commits SET is_shallow_boundary = ? WHERE repo_id = ? AND sha = ?`);
    mark.run([1, repoId, inner]);
    expect(landingStored(db, repoId, tip)).toBeNull();
    mark.run([0, repoId, inner]);
    db.prepare(`UPDATE metadata_commits SET committed_at = 'never' WHERE repo_id = ? AND sha = ?`).run([repoId, inner]);
    expect(landingStored(db, repoId, tip)).toBeNull();
  });

  it('answers by index what the whole map in memory answers, its shas the build’s own strings or the walk’s', async () => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('s.ts', lines('s')).commit('side work', { at: 5000 });
    repo.git('checkout', '-q', 'main');
    repo.write('m.ts', lines('m')).commit('PR work (#12)', { at: 3000 });
    repo.write('m2.ts', lines('mm')).commit('backdated', { at: 2000 });
    repo.at(7000).git('merge', '-q', '--no-ff', '-m', 'merge side', 'side');
    repo.write('m3.ts', lines('mmm')).commit('again (#12)', { at: 9000 });
    const ctx = await contextOf(repo);
    const stored = mainlineFromStore(ctx.db, ctx.repoId);
    const shas = repo.git('rev-list', '--all').split('\n');
    expect(shas.length).toBe(6);
    for (const intern of [undefined, (sha: string) => ctx.intern(sha)]) {
      const memory = mainlineInMemory(readMainlineLanding(ctx.db, ctx.repoId), ctx, intern);
      for (const sha of [...shas, 'f'.repeat(40)]) expect(stored.landing(sha), sha).toEqual(memory.landing(sha));
      expect(stored.nonMerges()).toEqual(memory.nonMerges());
      expect(memory.nonMerges()).toHaveLength(5);
      const base0 = Date.parse('2026-01-05T09:00:00Z') / 1000;
      for (const offset of [-10, 0, 1999, 2000, 3000, 5000, 7000, 9000, 9001]) {
        expect(stored.nonMergesSince(base0 + offset), `since +${offset}`).toEqual(memory.nonMergesSince(base0 + offset));
        expect(stored.before(base0 + offset), `before +${offset}`).toEqual(memory.before(base0 + offset));
      }
      expect(stored.withPullRequest(12)).toBe(memory.withPullRequest(12));
      expect(memory.withPullRequest(12)).toBe(repo.git('rev-parse', 'main~3'));
      expect(stored.withPullRequest(13)).toBeUndefined();
    }
  });

  it.each([
    ['falling steadily', [90, 70, 50, 30, 10]],
    ['backdated commits and skewed clocks', [90, 20, 70, 50, 10, 60, 30, 5, 40]],
    ['equal times', [50, 50, 40, 40, 40, 10]],
    ['one commit', [30]],
  ] as const)('the map in memory answers `before` as the first chain commit at or before the time, newest first: %s', (_name, times) => {
    // The chain newest first as given; the landing map holds it oldest first, each commit landing as itself.
    const shas = times.map((_, i) => String(i).padStart(40, '0'));
    const landing = new Map(
      [...times.keys()].reverse().map((i) => [shas[i]!, { via: shas[i]!, time: times[i]!, committed: times[i]!, isMerge: false }] as const),
    );
    const memory = mainlineInMemory(landing, { known: () => true, prNumber: () => null });
    for (let seconds = 0; seconds <= 100; seconds++) {
      const first = times.findIndex((t) => t <= seconds);
      expect(memory.before(seconds), `before ${seconds}`).toBe(first < 0 ? null : shas[first]);
    }
    expect(memory.before(Number.NaN)).toBeNull();
  });
});

describe('revert rules', () => {
  const commit = (sha: string, subject: string, message = subject, pr: number | null = null): CommitRow => ({
    sha,
    committed_at: '2026-01-05T09:00:00Z',
    subject,
    message,
    pr_number: pr,
    is_merge: 0,
    line_balance: null,
  });
  const lookup: RevertLookup = {
    bySubject: (s) => (s === 'Add feature' ? ['aaa1', 'aaa2'] : []),
    bySha: (prefix) => ['abcdef1234', 'aaa1', 'aaa2'].find((s) => s.startsWith(prefix)),
    byPullRequest: (n) => (n === 12 ? 'prsha' : undefined),
    time: (sha) => ({ aaa1: 1, aaa2: 2, rev: 3 })[sha] ?? 0,
  };

  it.each([
    ['This reverts commit <sha>.', commit('rev', 'Revert "x"', 'Revert "x"\n\nThis reverts commit abcdef1.'), 'abcdef1234'],
    ['Revert "<subject>": the latest earlier commit with it', commit('rev', 'Revert "Add feature"'), 'aaa2'],
    ['Reverts owner/repo#N', commit('rev', 'Undo the change', 'Undo the change\n\nReverts acme/app#12'), 'prsha'],
    [
      'a squash body quoting a revert reverts nothing',
      commit('rev', 'Big squash (#20)', 'Big squash (#20)\n\nThis reverts commit abcdef1.', 20),
      undefined,
    ],
    ['no revert form', commit('rev', 'Add more'), undefined],
  ] as const)('%s', (_name, c, expected) => {
    expect(revertTargetByMessage(c, lookup)).toBe(expected);
  });

  it.each([
    ['one revert: reverted', { c: ['r1'] }, 'r1'],
    ['a revert of the revert: not reverted', { c: ['r1'], r1: ['r2'] }, null],
    ['three deep: reverted', { c: ['r1'], r1: ['r2'], r2: ['r3'] }, 'r1'],
    ['two reverts, the first reverted: the second counts', { c: ['r1', 'r3'], r1: ['r2'] }, 'r3'],
    ['none', {}, null],
  ] as const)('effectiveReverts, %s', (_name, edges, expected) => {
    const at: Record<string, number> = { c: 0, r1: 1, r2: 2, r3: 3 };
    const revertsOf = new Map(Object.entries(edges).map(([k, v]) => [k, [...v]]));
    expect(effectiveReverts(revertsOf, (sha) => at[sha]!)('c')).toBe(expected);
  });

  it('message reverts point at the mainline copy; an inverted diff without a message is found too', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a')).commit('feature');
    repo.at().git('revert', '--no-edit', c);
    const r = repo.git('rev-parse', 'HEAD');
    const d = repo.write('b.ts', lines('b')).commit('second feature');
    repo.git('rm', '-q', 'b.ts');
    const undo = repo.commit('cleanup');
    const ctx = await contextOf(repo);
    const edges = await messageReverts(ctx);
    expect([...edges]).toEqual([[r, { target: c, kind: 'message' }]]);
    await diffInversionReverts(ctx, edges);
    expect(edges.get(undo)).toEqual({ target: d, kind: 'diff-inversion' });
  });

  // Only the subjects a mainline revert names are listed (lookupOf): the latest earlier commit with
  // the subject is found, a squash's (#N) after it left out, and a later one never.
  it('a revert named by its subject alone finds the latest earlier commit with that subject', async () => {
    const repo = base();
    repo.write('a.ts', lines('a')).commit('feature');
    const c = repo.write('a.ts', lines('b')).commit('feature');
    repo.write('a.ts', lines('a')).commit('Revert "feature" (#31)');
    const r = repo.git('rev-parse', 'HEAD');
    repo.write('c.ts', lines('c')).commit('feature');
    repo.write('c.ts', lines('d')).commit('Revert "nothing with this subject"');
    const ctx = await contextOf(repo);
    expect(ctx.prNumber(r)).toBe(31);
    const edges = await messageReverts(ctx);
    expect([...edges]).toEqual([[r, { target: c, kind: 'message' }]]);
  });

  it.each([
    ['a message revert', (repo: TempRepo, c: string) => repo.at().git('revert', '--no-edit', c)],
    [
      'an inverted diff without a message',
      (repo: TempRepo) => {
        repo.git('rm', '-q', 'a.ts');
        repo.commit('cleanup');
      },
    ],
  ] as const)('%s that lands in the same merge as its target reverts it, never the other way round', async (_name, undo) => {
    const repo = base();
    repo.git('checkout', '-q', '-b', 'topic');
    const c = repo.write('a.ts', lines('a')).commit('feature');
    undo(repo, c);
    const r = repo.git('rev-parse', 'HEAD');
    repo.git('checkout', '-q', 'main');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    const ctx = await contextOf(repo);
    expect(ctx.landedAt(c)).toBe(ctx.landedAt(r));
    const edges = await messageReverts(ctx);
    await diffInversionReverts(ctx, edges);
    expect([...edges].map(([revert, e]) => [revert, e.target])).toEqual([[r, c]]);
  });

  it('partial: a later commit that deletes at least half of a commit’s surviving lines', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a', 4)).commit('feature');
    repo.write('a.ts', lines('a', 1)).commit('drop most of it');
    const partial = repo.git('rev-parse', 'HEAD');
    const kept = repo.write('b.ts', lines('b', 4)).commit('another feature');
    repo.write('b.ts', lines('b', 3)).commit('drop one line');
    const ctx = await contextOf(repo);
    const found = await partialReverts(ctx, [c, kept], 30 * 86400);
    expect([...found]).toEqual([[c, partial]]);
  });

  it('partial: batch after batch in landing order, each later diff read once', async () => {
    const repo = base();
    const first = repo.write('a.ts', lines('a', 4)).commit('first feature');
    const second = repo.write('a.ts', `${lines('a', 4)}${lines('b', 4)}`).commit('second feature');
    // One later commit deletes most of both: read for the first one's batch, kept for the second's.
    const both = repo.write('a.ts', `${lines('a', 1)}${lines('b', 1)}`).commit('drop most of both');
    const third = repo.write('c.ts', lines('c', 4)).commit('third feature');
    const dropC = repo.write('c.ts', lines('c', 1)).commit('drop most of c');
    const ctx = await contextOf(repo);
    const before = diffsRead.count;
    // One commit per batch, asked out of order: landing order puts the two that share a later commit
    // side by side.
    const found = await partialReverts(ctx, [first, third, second], 30 * 86400, 1);
    expect([...found].sort()).toEqual(
      [
        [first, both],
        [second, both],
        [third, dropC],
      ].sort(),
    );
    // first and both, second, third and its later commit: both is not read again.
    expect(diffsRead.count - before).toBe(5);
  });

  it('partial: a verdict is kept while the commit’s later commits stay; mainline touching its files checks it again', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a', 4)).commit('feature');
    const other = repo.write('b.ts', lines('b', 4)).commit('another feature');
    // Each has a later commit deleting one of its lines (not half): checked by reading diffs.
    repo.write('a.ts', lines('a', 3)).commit('drop one of a');
    repo.write('b.ts', lines('b', 3)).commit('drop one of b');
    const ctx = await contextOf(repo);
    const read = diffsRead.count;
    expect([...(await partialReverts(ctx, [c, other], 30 * 86400))]).toEqual([]);
    expect(diffsRead.count - read).toBe(4);
    // Mainline moves by a commit in neither file: both verdicts kept, no diff read at all.
    repo.write('z.ts', lines('z', 2)).commit('unrelated');
    const moved = await movedTo(ctx);
    const before = new Map(gitProcessCounts);
    expect([...(await partialReverts(moved, [c, other], 30 * 86400))]).toEqual([]);
    expect(processesSince(before)).toEqual({});
    // A commit deleting most of a.ts lands: c alone is checked again (one diff stream: c and its
    // two later commits) and found reverted; other's verdict is kept.
    repo.write('a.ts', lines('a', 1)).commit('drop most of a');
    const dropped = repo.git('rev-parse', 'HEAD');
    const again = await movedTo(ctx);
    const mark = new Map(gitProcessCounts);
    const readAgain = diffsRead.count;
    expect([...(await partialReverts(again, [c, other], 30 * 86400))]).toEqual([[c, dropped]]);
    expect(processesSince(mark)).toEqual({ log: 1 });
    expect(diffsRead.count - readAgain).toBe(3);
    // The same answer a database without kept verdicts gives; a shorter window is a different list.
    expect([...(await partialReverts(await contextOf(repo), [c, other], 30 * 86400))]).toEqual([[c, dropped]]);
    expect([...(await partialReverts(again, [c, other], 1))]).toEqual([]);

    async function movedTo(first: OutcomeContext): Promise<OutcomeContext> {
      await ingestGit({ db: first.db, cwd: repo.dir, config: defaultConfig() });
      const next = loadOutcomeContext(first.db, first.repoId, repo.dir, repo.git('rev-parse', 'main'), loadRefTips(first.db, first.repoId));
      await ancestorRule.apply(next, []);
      return next;
    }
  });

  it('partial: each commit’s later commits are the same read path by path once (whole) as asked window by window (each)', async () => {
    const repo = base();
    const a = repo.write('a.ts', lines('a', 6)).commit('a');
    const b = repo.write('b.ts', lines('b', 6)).commit('b');
    const dropA = repo.write('a.ts', lines('a', 4)).commit('drop from a'); // deletes in a.ts
    repo.write('c.ts', lines('c', 3)).commit('c, adds only'); // no deletion: not a later commit
    repo.git('checkout', '-q', '-b', 'topic');
    const f = repo.write('f.ts', lines('f', 4)).commit('f on the topic');
    const dropB = repo.write('b.ts', lines('b', 3)).commit('drop from b on a topic');
    repo.write('f.ts', lines('f', 2)).commit('drop from f on the topic'); // lands with f: not after it
    repo.git('mv', 'a.ts', 'd.ts');
    const rename = repo.commit('rename a to d');
    repo.git('checkout', '-q', 'main');
    repo.write('e.ts', lines('e', 2)).commit('unrelated');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic'); // dropB and rename land together
    const dropD = repo.write('d.ts', lines('a', 2)).commit('drop from d', { at: 10_000 });
    repo.write('b.ts', lines('b', 1)).commit('drop from b much later', { at: 100_000 });
    // A path touched often: its commits in landing order are not in the order of their shas.
    const g = repo.write('g.ts', lines('g', 10)).commit('g');
    const dropsG = [9, 8, 7, 6, 5, 4, 3, 2].map((n) =>
      repo.write('g.ts', `${lines('g', n)}export const last = ${n};\n`).commit(`g to ${n}`),
    );
    const ctx = await contextOf(repo);
    const shas = repo.git('rev-list', '--reverse', '--no-merges', 'main').split('\n');
    expect(shas.length).toBe(21);
    expect(laterCommitsOf(ctx, 240, 'whole')(g)).toEqual(dropsG.slice(0, 4));
    expect(laterCommitsOf(ctx, 240, 'whole')(dropsG[2]!)).toEqual(dropsG.slice(3, 7));
    // A build of a few commits (its landing by index, not in memory) reads the paths' commits
    // joined to the stored landing: the same lists as the whole build's in-memory landing gives.
    const stored = await contextOf(repo, undefined, false);
    expect(stored.whole).toBe(false);
    for (const window of [0, 60, 300, 480, 481, 5_000, 30 * 86400]) {
      const each = laterCommitsOf(ctx, window, 'each');
      const whole = laterCommitsOf(ctx, window, 'whole');
      const wholeStored = laterCommitsOf(stored, window, 'whole');
      for (const c of shas) {
        const name = `window ${window}, ${repo.git('log', '-1', '--format=%s', c)}`;
        expect(whole(c), name).toEqual(each(c));
        expect(wholeStored(c), name).toEqual(whole(c));
      }
    }
    // Not empty by accident: a's deletion, its rename and the drop from its new path, in landing order.
    expect(laterCommitsOf(ctx, 30 * 86400, 'whole')(a)).toEqual([dropA, rename, dropD]);
    // dropB was written 4 minutes after b but landed with the merge, 8 minutes after: by landing,
    // the window's end included.
    expect(laterCommitsOf(ctx, 480, 'whole')(b)).toEqual([dropB]);
    expect(laterCommitsOf(ctx, 479, 'whole')(b)).toEqual([]);
    expect(laterCommitsOf(ctx, 30 * 86400, 'whole')(f)).toEqual([]);
    expect([laterLookUpFor(1), laterLookUpFor(10_000)]).toEqual(['each', 'whole']);
  });

  it('partial: counted against the lines still present, through a rename and a move, from one diff stream', async () => {
    const repo = base();
    const c = repo.write('a.ts', lines('a', 6)).commit('feature');
    // One line of six goes (not half); the file is renamed; a line moves to the top (not a deletion).
    repo.write('a.ts', lines('a', 5)).commit('drop one');
    repo.git('mv', 'a.ts', 'b.ts');
    repo.commit('rename');
    const [a0, a1, a2, a3, a4] = lines('a', 5).split('\n');
    repo.write('b.ts', [a4, a0, a1, a2, a3, ''].join('\n')).commit('move one up');
    // Two of the five still present go: under half.
    repo.write('b.ts', [a4, a0, a3, ''].join('\n')).commit('drop two');
    const before = new Map(gitProcessCounts);
    expect([...(await partialReverts(await contextOf(repo), [c], 30 * 86400))]).toEqual([]);
    // The three left go: all of them.
    repo.write('b.ts', 'export const other = 1;\n').commit('drop the rest');
    const rest = repo.git('rev-parse', 'HEAD');
    expect([...(await partialReverts(await contextOf(repo), [c], 30 * 86400))]).toEqual([[c, rest]]);
    expect(processesSince(before)).not.toHaveProperty('blame');
  });
});
