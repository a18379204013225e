#!/usr/bin/env node
// Benchmark: is git still running when the worker its hook started has booted? The shim hands on
// the hook's parent as PACEFLOW_HOOK_PARENT and the worker waits until that process has exited,
// 30 ms at the most (src/cli/worker-start.ts), where it used to wait a fixed 30 ms. A preload in
// each worker notes, at node's start, whether the process still runs and when it is gone — over
// real commits with the installed hooks, and a 10-commit rebase (git runs on through its commits).
//
//   node bench/hook-parent.mjs [--runs 21]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hookBenchGit, median, waitIdle } from './hook-bench.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '21' } } });
const runs = Number(values.runs);
const { home, env, git } = hookBenchGit();
const work = mkdtempSync(join(tmpdir(), 'paceflow-bench-parent-'));
const seen = join(work, 'seen.jsonl');
const preload = join(work, 'parent.cjs');
// At the worker's start (before bin/paceflow.js runs): the parent's state, then a look every 0.2 ms until it is gone.
writeFileSync(
  preload,
  `if (process.argv.includes('worker')) {
  const pid = Number(process.env.PACEFLOW_HOOK_PARENT);
  const exists = () => { try { process.kill(pid, 0); return true; } catch (e) { return e.code !== 'ESRCH'; } };
  const boot = performance.now();
  const atStart = pid > 1 && exists();
  const note = (goneAfter) => require('node:fs').appendFileSync(${JSON.stringify(seen)}, JSON.stringify({ pid: pid || null, boot, atStart, goneAfter }) + '\\n');
  if (!atStart) note(0);
  else { const t = setInterval(() => { if (!exists() || performance.now() - boot > 1000) { clearInterval(t); note(performance.now() - boot); } }, 0.2); t.unref(); }
}
`,
);
const hooked = { ...env, NODE_OPTIONS: `--require ${preload}` };

const repo = mkdtempSync(join(tmpdir(), 'paceflow-bench-repo-'));
git(repo, 'init', '-q', '-b', 'main');
writeFileSync(join(repo, 'base.txt'), 'base\n');
git(repo, 'add', '-A');
git(repo, 'commit', '-q', '-m', 'base');
const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'paceflow.js'), 'init', '--no-progress'], { cwd: repo, env, encoding: 'utf8' });
if (r.status !== 0) throw new Error(r.stderr);

const notes = () => {
  try {
    return readFileSync(seen, 'utf8')
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l));
  } catch {
    return [];
  }
};
const describe = (label, list) => {
  const running = list.filter((n) => n.atStart);
  const gone = running.map((n) => n.goneAfter);
  console.log(
    `${label}: ${list.length} workers; the hook's parent still running at the worker's start in ${running.length}` +
      (running.length ? ` (gone after median ${median(gone).toFixed(1)} ms, max ${Math.max(...gone).toFixed(1)} ms)` : '') +
      `; node booted in median ${median(list.map((n) => n.boot)).toFixed(0)} ms` +
      (list.some((n) => !n.pid) ? `; ${list.filter((n) => !n.pid).length} without PACEFLOW_HOOK_PARENT` : ''),
  );
};

for (let i = 0; i < runs; i++) {
  writeFileSync(join(repo, `c${i}.txt`), `commit ${i}\n`);
  git(repo, 'add', '-A');
  const c = spawnSync('git', ['commit', '-q', '-m', `c${i}`], { cwd: repo, env: hooked, encoding: 'utf8' });
  if (c.status !== 0) throw new Error(c.stderr);
  waitIdle(repo);
}
describe('git commit', notes());

// A rebase of as many commits as there are (10 at most): the topic's one, then main's.
const back = Math.min(10, runs);
git(repo, 'checkout', '-q', '-b', 'topic', `HEAD~${back}`);
writeFileSync(join(repo, 'topic.txt'), 'topic\n');
git(repo, 'add', '-A');
git(repo, 'commit', '-q', '-m', 'topic');
waitIdle(repo);
const before = notes().length;
const rebase = spawnSync('git', ['rebase', '-q', 'main'], { cwd: repo, env: hooked, encoding: 'utf8' });
if (rebase.status !== 0) throw new Error(rebase.stderr);
waitIdle(repo);
git(repo, 'checkout', '-q', 'main');
waitIdle(repo);
const many = spawnSync('git', ['rebase', '-q', '--force-rebase', `HEAD~${back}`], { cwd: repo, env: hooked, encoding: 'utf8' });
if (many.status !== 0) throw new Error(many.stderr);
waitIdle(repo);
describe(`git rebase (1 and ${back} commits)`, notes().slice(before));
rmSync(work, { recursive: true, force: true });
rmSync(repo, { recursive: true, force: true });
rmSync(home, { recursive: true, force: true });
