import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { writeTranscripts } from '../bench/synthetic-history.mjs';
import { describeWork, type IngestSummary, ingest } from '../src/cli/commands/ingest.js';
import { openDatabase } from '../src/db/open.js';
import { diffsRead } from '../src/git/patches.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { syntheticRepo } from './helpers/synthetic-repo.js';

afterAll(cleanupTempDirs);

/**
 * #20: after a small change the builders do work in proportion to the change, never to the history.
 * Asserted by counting — rows their queries read, commit diffs they parsed, git processes they
 * started (BuilderSummary.work) — on a 20,000-commit history shaped like a team's
 * (bench/synthetic-history.mjs: hundreds of pull-request branches merged, squashed, rebased or left
 * open, reverts, renames, tags) with the ~800 Claude Code sessions that wrote a share of its lines.
 * The bounds are a small fraction of the history (20,000 commits, ~12,000 attributable, ~2,600 with
 * transcript lines, ~100,000 AI lines) plus the refs (~1,100, read each run to see what moved): a
 * build that walked the history would exceed them by far.
 */

const HISTORY = 20_000;

type Work = IngestSummary['builders'][number]['work'];

/** Each builder's work in a run. */
function workOf(summary: IngestSummary): Record<string, Work> {
  return Object.fromEntries(summary.builders.map((b) => [b.builder, b.work]));
}

describe('work proportional to the change', () => {
  it(`on a ${HISTORY.toLocaleString('en')}-commit history with sessions: one commit, a branch, an amend, a rebase`, {
    timeout: 900_000,
  }, async () => {
    const { repo, home, env, git } = await syntheticRepo({ commits: HISTORY, seed: 11 });
    // Mainline 20 commits back, to move it forward later as a fetch would.
    const tip = git('rev-parse', 'main');
    git('reset', '-q', '--hard', 'main~20');
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const run = async () => workOf(await ingest({ cwd: repo, db, env, notes: false }));
    const diffsBefore = diffsRead.count;
    const first = await run();
    // Each diff is read from git once a run, by the history's own pass (src/git/log.ts, with the
    // counts): every builder takes its diffs from the run's store (src/git/patch-store.ts) — none
    // from git again, and attribution starts no git at all.
    const d = openDatabase(db);
    const nonMerge = d.prepare(`SELECT count(*) AS n FROM metadata_commits WHERE is_merge = 0`).get<{ n: number }>()!.n;
    expect(nonMerge).toBeGreaterThan(10_000);
    // The whole outcome build updated every row with the indexes its columns are in put off
    // (outcomes.ts, updatesMostRows): they are made again, as a new database has them, holding every row.
    const outcomeIndexes = (x: typeof d) =>
      x.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'index' AND tbl_name = 'event_commit_outcomes' ORDER BY name`).all();
    const fresh = openDatabase(join(tempDir('paceflow-db-'), 'fresh.db'));
    expect(outcomeIndexes(d)).toEqual(outcomeIndexes(fresh));
    fresh.close();
    expect(outcomeIndexes(d)).toHaveLength(5);
    expect(d.pragma('integrity_check(event_commit_outcomes)')).toEqual([{ integrity_check: 'ok' }]);
    expect(diffsRead.count - diffsBefore).toBe(nonMerge);
    expect(first.attribution!.diffsRead).toBe(0);
    expect(first.attribution!.diffsKept).toBeGreaterThan(10_000);
    expect(first.attribution!.gitProcesses).toBe(0);
    expect(first.churn!.diffsRead).toBe(0);
    expect(first.churn!.diffsKept).toBeGreaterThan(5_000);
    expect(first.outcomes!.diffsRead).toBe(0);
    expect(first.outcomes!.diffsKept).toBeGreaterThan(0);
    // The first outcome build reverses only the diffs a revert could match (the commits that change
    // the same paths as another mainline commit: reverse-candidates.ts), not every mainline diff.
    const reversed = d
      .prepare(
        `SELECT (SELECT count(*) FROM fact_commit_patch_ids WHERE has_reverse = 1) AS reversed,
                (SELECT count(*) FROM event_commit_outcomes WHERE merged_to_mainline = 1 AND mainline_via = 'ancestor') AS mainline`,
      )
      .get<{ reversed: number; mainline: number }>()!;
    d.close();
    expect(reversed.mainline).toBeGreaterThan(5_000);
    expect(reversed.reversed).toBeGreaterThan(0);
    expect(reversed.reversed).toBeLessThan(reversed.mainline / 2);

    // The refs are read each run (what moved is found by comparing them): they count beside the change.
    const refs = git('for-each-ref', '--format=x').split('\n').length;
    const small = { rowsRead: 2_000 + 2 * refs, diffsRead: 25, diffsKept: 25, filesRead: 25, gitProcesses: 12 };
    const within = (work: Record<string, Work>, bounds: Partial<Record<string, Partial<Work>>> = {}) => {
      for (const [builder, w] of Object.entries(work)) {
        const b = { ...small, ...bounds[builder] };
        expect(w.rowsRead, `${builder}: rows read`).toBeLessThanOrEqual(b.rowsRead);
        expect(w.diffsRead, `${builder}: diffs read`).toBeLessThanOrEqual(b.diffsRead);
        expect(w.diffsKept, `${builder}: diffs from the store`).toBeLessThanOrEqual(b.diffsKept);
        expect(w.filesRead, `${builder}: files read`).toBeLessThanOrEqual(b.filesRead);
        expect(w.gitProcesses, `${builder}: git processes`).toBeLessThanOrEqual(b.gitProcesses);
      }
    };

    // Nothing new: no builder runs at all (the last build's state holds: src/pipeline/built-state.ts).
    const nothing = await run();
    expect(nothing).toEqual({});

    // One new commit on a pull-request branch.
    const open = git('for-each-ref', '--count=1', '--sort=-committerdate', '--format=%(refname:short)', 'refs/heads/fix/');
    git('checkout', '-q', open);
    git('commit', '-q', '--allow-empty', '-m', 'bench: nothing but a message');
    spawnSync('sh', ['-c', 'printf "export const benchValue = computeBenchValue(1);\\n" >> bench.ts'], { cwd: repo });
    git('add', '-A');
    git('commit', '-q', '-m', 'bench: one new commit');
    within(await run());

    // One on a branch named for a task: the task builder re-derives which branch each commit was
    // made on, for every branch named for a task (their commits from one git process, and their
    // stored links): rows bounded by the open task branches, not the history.
    const keyed = git('for-each-ref', '--format=%(refname:short)', 'refs/heads/feature/').split('\n').length;
    git('checkout', '-q', git('for-each-ref', '--count=1', '--sort=-committerdate', '--format=%(refname:short)', 'refs/heads/feature/'));
    spawnSync('sh', ['-c', 'printf "export const keyedValue = computeKeyed(1);\\n" >> keyed.ts'], { cwd: repo });
    git('add', '-A');
    git('commit', '-q', '-m', 'bench: one new commit on a task branch');
    within(await run(), { tasks: { rowsRead: 2_000 + 2 * refs + 20 * keyed } });
    git('checkout', '-q', open);

    // A new branch at an existing commit, then an amend. A rewritten ref (an amend, a rebase) makes
    // the outcome build re-check the squashed commits the ref held against every ref (a squash
    // verdict rests on refs; before, every squashed commit of the history). This history has no
    // squash verdicts, so that is tested by test/outcomes-incremental.test.ts; here the bounds say
    // the rest of a rewrite's build is small too.
    git('branch', 'bench/new-branch', 'HEAD~3');
    within(await run());
    spawnSync('sh', ['-c', 'printf "export const benchValue2 = computeBenchValue(2);\\n" >> bench.ts'], { cwd: repo });
    git('commit', '-q', '-a', '--amend', '--no-edit');
    within(await run());

    // A 10-commit branch, then rebased onto mainline as it stands.
    git('checkout', '-q', '-b', 'bench/rebased', 'main~15');
    for (let i = 0; i < 10; i++) {
      spawnSync('sh', ['-c', `printf "export const step${i} = computeStep(${i});\\n" >> rebased.ts`], { cwd: repo });
      git('add', '-A');
      git('commit', '-q', '-m', `bench: step ${i}`);
    }
    within(await run());
    git('rebase', '-q', 'main');
    within(await run(), { attribution: { diffsRead: 25 } });

    // Mainline moves 20 commits (a fetch): attribution reads what moved; tasks re-derive the task
    // branches' claims (mainline is what they are measured against), as for a task branch. The
    // outcome build reads the diffs and starts the git processes of what moved — the new commits'
    // patch-ids, the partial-revert checks whose later commits changed (kept verdicts,
    // paceflow_partial_checks), content checks against the new candidates only — and the rows of
    // what the move can change: the open branches it can squash (a kept net diff it matches, a pull
    // request it names), not every open branch's commits (~39k rows here before, ~8k now). Churn
    // reads the diffs and rows of the mainline commits inside the new commits' window (weeks, not
    // the history): its plan compares every commit's evidence in SQL and returns the subjects only
    // (it read every mainline commit's before; ~15k rows here, most of them the window's AI lines).
    git('update-ref', 'refs/heads/main', tip);
    const { outcomes, churn, ...rest } = await run();
    within(rest, { tasks: { rowsRead: 2_000 + 2 * refs + 20 * keyed } });
    expect(churn!.diffsRead).toBeLessThan(reversed.mainline / 2);
    expect(churn!.rowsRead).toBeLessThan(first.churn!.rowsRead / 4);
    expect(outcomes!.diffsRead).toBeLessThanOrEqual(10 * small.diffsRead);
    expect(outcomes!.gitProcesses).toBeLessThanOrEqual(2 * small.gitProcesses);
    expect(outcomes!.rowsRead).toBeLessThanOrEqual(4 * small.rowsRead);

    // One new commit on mainline (a commit straight to main, what the hooks' worker then runs):
    // churn stages only the commits the new one's window can reach (stageSince), not all of
    // mainline (every mainline commit's evidence, 10,701 rows here, before); outcomes compare each
    // branch through its kept net diff, and tasks keep every claim (mainline took in only a new
    // commit), without walking every branch: all within the small bounds.
    git('checkout', '-q', 'main');
    spawnSync('sh', ['-c', 'printf "export const onMain = computeOnMain(1);\\n" >> main.ts'], { cwd: repo });
    git('add', '-A');
    git('commit', '-q', '-m', 'bench: one new commit on mainline');
    within(await run());

    // A session writes a file and it is committed on a branch — what an assistant's user does all
    // day. The new AI lines change the evidence churn and the session links follow, but mainline
    // did not move: churn redoes the open windows and the changed commits' own (it staged every
    // mainline commit before: 10,708 rows here). The session links are rebuilt from the
    // repository's ~800 sessions (2,647 rows), each session's task keys from one read of the
    // attributions (asked per session, each walked them all, which no count here saw).
    git('checkout', '-q', open);
    const aiLines = Array.from({ length: 12 }, (_, i) => `export const sessionValue${i} = computeSessionValue(${i}, 'bench');`);
    writeTranscripts(
      [
        {
          id: 'beefbeef-0000-4000-8000-000000000001',
          branch: open,
          edits: [{ at: Math.floor(Date.now() / 1000) - 120, path: 'session-written.ts', lines: aiLines }],
        },
      ],
      repo,
      home,
    );
    spawnSync('sh', ['-c', `printf '%s\\n' "$@" > session-written.ts`, 'sh', ...aiLines], { cwd: repo });
    git('add', '-A');
    git('commit', '-q', '-m', 'bench: a commit of lines a session wrote');
    const aiCommit = await run();
    within(aiCommit);
    expect(aiCommit.attribution!.rowsRead).toBeGreaterThan(0);
    const attributed = openDatabase(db);
    try {
      expect(
        attributed.prepare(`SELECT ai_lines FROM event_commit_outcomes WHERE sha = ?`).get<{ ai_lines: number }>([git('rev-parse', 'HEAD')])
          ?.ai_lines,
      ).toBe(aiLines.length);
    } finally {
      attributed.close();
    }
  });
});

// The `--work` line a person (and bench/) reads: counts formatted, diffs taken from the run's store
// and files read said only when there were any.
describe('the --work line', () => {
  const summary = (work: [string, number, number, number, number, number][]): IngestSummary => ({
    git: null,
    sessions: [],
    messages: [],
    warnings: [],
    builders: work.map(([builder, rowsRead, diffsRead, diffsKept, filesRead, gitProcesses]) => ({
      builder,
      message: '',
      work: { rowsRead, diffsRead, diffsKept, filesRead, gitProcesses },
    })),
  });
  it.each([
    { ran: 'no builder', work: [], line: 'work: no builders ran' },
    {
      ran: 'a first run',
      work: [
        ['attribution', 70191, 12400, 0, 0, 7],
        ['outcomes', 90752, 0, 6474, 0, 7],
      ],
      line: 'work: attribution 70,191 rows, 12,400 diffs, 7 git; outcomes 90,752 rows, 0 diffs (6,474 kept), 7 git',
    },
    {
      ran: 'a build whose content rule read files',
      work: [['outcomes', 1200, 3, 40, 1532, 4]],
      line: 'work: outcomes 1,200 rows, 3 diffs (40 kept), 1,532 files, 4 git',
    },
  ] satisfies { ran: string; work: [string, number, number, number, number, number][]; line: string }[])('$ran', ({ work, line }) => {
    expect(describeWork(summary(work))).toBe(line);
  });
});
