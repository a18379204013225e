import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../src/cli/commands/ingest.js';
import { openDatabase } from '../src/db/open.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/**
 * The outcome builder after refs moved off an unchanged mainline checks only the new outcomes and
 * the commits of the refs that moved. Its rows must be the rows a build from scratch gives for the
 * same history (DESIGN §1: rebuilding gives the same rows) — checked after every step, with the
 * number of commits each build checked read from its message.
 */

const lines = (tag: string, n = 5) =>
  `${Array.from({ length: n }, (_, i) => `export const ${tag}${i} = compute${tag}(${i});`).join('\n')}\n`;

function outcomeRows(db: string): unknown[] {
  const d = openDatabase(db);
  try {
    // Every column but the build's clock-dependent windows (both builds run within the same minute).
    return d.prepare(`SELECT * FROM event_commit_outcomes ORDER BY sha`).all();
  } finally {
    d.close();
  }
}

/** Ingests into the kept database; returns how many commits the outcome build checked. */
async function step(repo: TempRepo, db: string): Promise<number> {
  const summary = await ingest({ cwd: repo.dir, db, sessions: false, notes: false });
  const line = summary.messages.find((m) => m.includes(': outcomes: '))!;
  const checked = /\((\d+) checked\)/.exec(line);
  if (!checked) throw new Error(`no count in "${line}"`);
  // The same history from scratch.
  const fresh = join(tempDir('paceflow-db-'), 'fresh.db');
  await ingest({ cwd: repo.dir, db: fresh, sessions: false, notes: false });
  expect(outcomeRows(db)).toEqual(outcomeRows(fresh));
  return Number(checked[1]);
}

describe('outcomes after refs moved off an unchanged mainline', () => {
  it('new commits, a new branch, an amend, a cherry-pick and a squash copy: the rows of a build from scratch', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# project\n').commit('root');
    const baseSha = repo.write('base.ts', lines('base')).commit('base');
    // A topic branch merged, a pull request squashed (#5), a revert on mainline, an unmerged branch.
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('topic.ts', lines('topic')).commit('topic work');
    repo.git('checkout', '-q', 'main');
    repo.at().git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    repo.git('checkout', '-q', '-b', 'pr5');
    repo.write('pr5.ts', lines('prfive', 3)).commit('pr work one');
    repo.write('pr5b.ts', lines('prfivebis', 3)).commit('pr work two');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--squash', 'pr5');
    repo.commit('PR five (#5)');
    const bad = repo.write('bad.ts', lines('bad')).commit('a bad idea');
    repo.at().git('revert', '--no-edit', bad);
    repo.git('checkout', '-q', '-b', 'wip', baseSha);
    repo.write('wip.ts', lines('wip')).commit('wip one');
    // Work that reached mainline as copies — a cherry-pick (then reverted) and a squash by net diff —
    // whose branches are deleted before the first build, to come back later as new refs.
    repo.git('checkout', '-q', '-b', 'late', 'main');
    const picked = repo.write('late.ts', lines('late')).commit('late work');
    repo.git('checkout', '-q', '-b', 'late-pr', 'main');
    repo.write('lp1.ts', lines('lateprone', 3)).commit('late pr one');
    const latePr = repo.write('lp2.ts', lines('lateprtwo', 3)).commit('late pr two');
    repo.git('checkout', '-q', 'main');
    repo.at().git('cherry-pick', picked);
    const pickedCopy = repo.git('rev-parse', 'HEAD');
    repo.at().git('revert', '--no-edit', pickedCopy);
    repo.git('merge', '-q', '--squash', 'late-pr');
    repo.commit('late pr squashed');
    repo.git('branch', '-D', 'late', 'late-pr');
    const db = join(tempDir('paceflow-db-'), 'kept.db');
    const all = await step(repo, db);
    expect(all).toBeGreaterThan(6);

    // One new commit on the unmerged branch: it and the branch's other commit are checked.
    repo.git('checkout', '-q', 'wip');
    repo.write('wip.ts', lines('wip', 7)).commit('wip two');
    expect(await step(repo, db)).toBe(2);

    // A new branch at an existing commit: nothing new to check but what it alone holds.
    repo.git('branch', 'again', 'wip~1');
    expect(await step(repo, db)).toBeLessThanOrEqual(2);

    // An amend: the old commit leaves, the new one is checked. A squash verdict rests on refs, but
    // the rewritten ref held no squashed commit: the two of #5 keep theirs without a check.
    repo.write('wip.ts', lines('wip', 8)).at().git('commit', '-q', '--amend', '-a', '--no-edit');
    expect(await step(repo, db)).toBe(2);

    // A cherry-pick of a mainline commit onto a branch: a patch-id copy, with its original's verdicts.
    repo.git('checkout', '-q', '-b', 'picked', baseSha);
    repo.at().git('cherry-pick', bad);
    expect(await step(repo, db)).toBeLessThanOrEqual(3);

    // A branch whose net diff is the squash already on mainline: its commits land by squash.
    repo.git('checkout', '-q', '-b', 'pr5-again', baseSha);
    repo.write('pr5.ts', lines('prfive', 3)).commit('pr again one');
    repo.write('pr5b.ts', lines('prfivebis', 3)).commit('pr again two');
    expect(await step(repo, db)).toBeLessThanOrEqual(4);

    // The deleted branches come back: their commits are new, and land as copies — the cherry-picked
    // one reverted with its copy, the squashed ones by the branch's net diff.
    repo.git('branch', 'late', picked);
    expect(await step(repo, db)).toBe(1);
    repo.git('branch', 'late-pr', latePr);
    expect(await step(repo, db)).toBe(2);
    const d = openDatabase(db);
    expect(d.prepare(`SELECT mainline_via, reverted_later FROM event_commit_outcomes WHERE sha = ?`).get([picked])).toEqual({
      mainline_via: 'patch-id',
      reverted_later: 1,
    });
    expect(d.prepare(`SELECT mainline_via FROM event_commit_outcomes WHERE sha = ?`).get([latePr])).toEqual({ mainline_via: 'squash' });
    d.close();

    // The squashed branch moves on: its net diff is no longer the squash, as a build from scratch sees it.
    repo.git('checkout', '-q', 'late-pr');
    repo.write('lp3.ts', lines('lateprthree', 3)).commit('late pr three');
    await step(repo, db);
    // Its commits stay reachable from another branch while it goes (a removed ref), then one is amended away.
    repo.git('branch', 'late-pr-copy', 'late-pr');
    repo.git('checkout', '-q', 'main');
    repo.git('branch', '-D', 'late-pr');
    await step(repo, db);
    repo.git('checkout', '-q', 'late-pr-copy');
    repo.write('lp3.ts', lines('lateprthree', 4)).at().git('commit', '-q', '--amend', '-a', '--no-edit');
    await step(repo, db);

    // Mainline moves on: what the new commit can change is checked — the commit itself and the
    // commits refs hold off mainline — not every outcome again.
    repo.git('checkout', '-q', 'main');
    repo.write('main.ts', lines('main')).commit('mainline moves');
    const moved = await step(repo, db);
    const kept = openDatabase(db);
    const total = kept.prepare(`SELECT count(*) AS n FROM event_commit_outcomes`).get<{ n: number }>()!.n;
    kept.close();
    expect(moved).toBeGreaterThan(0);
    expect(moved).toBeLessThan(total);

    // Another lands in the same second as the last (scripted merges do): still only what moved.
    const same = Number(repo.git('log', '-1', '--format=%ct'));
    // (The test clock counts from 2026-01-05 09:00 UTC: test/helpers/git-repo.ts.)
    repo.write('same.ts', lines('samesecond')).commit('lands in the same second', { at: same - Date.parse('2026-01-05T09:00:00Z') / 1000 });
    expect(repo.git('log', '-2', '--format=%ct').split('\n')).toEqual([String(same), String(same)]);
    expect(await step(repo, db)).toBeLessThan(total);
  });

  it('mainline moving on squashes open branches: a kept net diff it matches, a pull request its subject names', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# project\n').commit('root');
    repo.write('base.ts', lines('base')).commit('base');
    // A branch and a pull request's head, both written before mainline's latest landing: the first
    // build diffs them (their net diffs are kept) and finds no copy. Another branch stays open.
    // Each holds a file added and removed again: commits on no path the squash touches.
    const scratch = (tag: string) => {
      const added = repo.write(`${tag}.scratch`, lines(tag, 2)).commit(`${tag}: scratch`);
      repo.git('rm', '-q', `${tag}.scratch`);
      return [added, repo.commit(`${tag}: scratch gone`)];
    };
    repo.git('checkout', '-q', '-b', 'feat');
    repo.write('feat.ts', lines('feat')).commit('feat one');
    const featScratch = scratch('featscratch');
    repo.write('feat2.ts', lines('feattwo')).commit('feat two');
    repo.git('checkout', '-q', '-b', 'pr9', 'main');
    repo.write('pr9.ts', lines('prnine', 3)).commit('pr nine work');
    const prScratch = scratch('prscratch');
    repo.git('update-ref', 'refs/pull/9/head', 'pr9');
    repo.git('checkout', '-q', '-b', 'other', 'main');
    repo.write('other.ts', lines('other')).commit('other work');
    repo.git('checkout', '-q', 'main');
    repo.git('branch', '-D', 'pr9');
    repo.write('later.ts', lines('later')).commit('mainline moves past them');
    const db = join(tempDir('paceflow-db-'), 'kept.db');
    await step(repo, db);

    // Mainline moves on: the branch squashed as it is (its net diff's patch-id), the pull request
    // squashed with a line of its own (only its number ties them). Both are found, though only
    // what the move can change is checked: the open branch beside them is not.
    repo.git('merge', '-q', '--squash', 'feat');
    repo.commit('Feature');
    repo.git('merge', '-q', '--squash', 'refs/pull/9/head');
    repo.write('pr9.ts', `${lines('prnine', 3)}export const reviewed = true;\n`).commit('PR nine (#9)');
    const checked = await step(repo, db);
    const d = openDatabase(db);
    const via = (sha: string) =>
      d.prepare(`SELECT mainline_via AS via FROM event_commit_outcomes WHERE sha = ?`).get<{ via: string }>([sha])?.via;
    expect([...featScratch, ...prScratch].map(via)).toEqual(['squash', 'squash', 'squash', 'squash']);
    d.close();
    // The two new commits and the branches' seven (not 'other work': the move leaves its branch as it was).
    expect(checked).toBe(9);
  });

  it('a deleted branch takes its squash verdicts with it: its commit still on another ref is checked again', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# project\n').commit('root');
    repo.write('base.ts', lines('base')).commit('base');
    repo.git('checkout', '-q', '-b', 'done');
    const first = repo.write('done1.ts', lines('doneone')).commit('done one');
    repo.write('done2.ts', lines('donetwo')).commit('done two');
    repo.git('branch', 'done-start', 'done~1');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--squash', 'done');
    repo.commit('Done work');
    repo.write('other.ts', lines('other')).commit('other work');
    const db = join(tempDir('paceflow-db-'), 'kept.db');
    await step(repo, db);
    const via = (sha: string) => {
      const d = openDatabase(db);
      try {
        return d.prepare(`SELECT mainline_via AS via FROM event_commit_outcomes WHERE sha = ?`).get<{ via: string }>([sha])?.via;
      } finally {
        d.close();
      }
    };
    expect(via(first)).toBe('squash');
    // The branch whose net diff the squash is goes; its first commit stays on done-start, whose own
    // net diff is not the squash: it lands by its content now, as a build from scratch says.
    repo.git('branch', '-q', '-D', 'done');
    await step(repo, db);
    expect(via(first)).toBe('content');
  });

  it('mainline taking in a branch moves the merge base of a branch stacked on it: its new net diff is compared', async () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# project\n').commit('root');
    repo.write('base.ts', lines('base')).commit('base');
    repo.git('checkout', '-q', '-b', 'feat');
    repo.write('feat.ts', lines('feat')).commit('feat one');
    // A branch stacked on feat (it never moves): a scratch file added and removed, then its work.
    repo.git('checkout', '-q', '-b', 'stacked');
    const added = repo.write('stacked.scratch', lines('scratch', 2)).commit('stacked: scratch');
    repo.git('rm', '-q', 'stacked.scratch');
    const removed = repo.commit('stacked: scratch gone');
    repo.write('stacked.ts', lines('stacked')).commit('stacked work');
    repo.git('checkout', '-q', 'main');
    repo.write('later.ts', lines('later')).commit('mainline moves past them');
    const db = join(tempDir('paceflow-db-'), 'kept.db');
    await step(repo, db);

    // One move: feat merged (a commit the database knew lands, so stacked's merge base is now feat's
    // head), then stacked squashed — which only its net diff from the new base matches.
    repo.at().git('merge', '-q', '--no-ff', '-m', "Merge branch 'feat'", 'feat');
    repo.git('merge', '-q', '--squash', 'stacked');
    repo.commit('Stacked');
    await step(repo, db);
    const d = openDatabase(db);
    const via = (sha: string) =>
      d.prepare(`SELECT mainline_via AS via FROM event_commit_outcomes WHERE sha = ?`).get<{ via: string }>([sha])?.via;
    expect([added, removed].map(via)).toEqual(['squash', 'squash']);
    d.close();

    // A branch deleted as mainline moves on: every squashed commit is checked again, and the squash
    // rule reads every branch for them (stacked stayed, and still holds what was squashed).
    repo.git('branch', '-q', '-D', 'feat');
    repo.write('after.ts', lines('after')).commit('after');
    await step(repo, db);
  });
});
