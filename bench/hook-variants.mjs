#!/usr/bin/env node
// Where a hooked `git commit`'s milliseconds go: each variant of the post-commit hook in its own
// repository, `git commit --allow-empty` in each in turn (interleaved, so a machine slowing down
// moves every variant alike), medians against the bare commit. Before each timed commit it waits
// until no worker process is left, so a worker's run never overlaps the next commit.
//
//   node bench/hook-variants.mjs [--runs 31] [variant …]
//
// Variants: bare (no hook), empty (`#!/bin/sh` + `exit 0`), installed (what `paceflow init`
// writes), subshell (the same, the shim sourced in a subshell as before session 16), noworker
// (the shim's queue and lock, the worker's start left out), bgsub (a background subshell that runs
// a builtin: the fork without an exec), bgtrue (a background /bin/true instead
// of node: the fork without node's start), bgnode (a background `node -e 0`: node's own start),
// notnice (the worker without `nice`), nodelay (loading its bundle at once), asbefore (without `nice`, and loading its bundle at once:
// the shim before session 28).
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hookBenchGit, median, timeMs } from './hook-bench.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({ options: { runs: { type: 'string', default: '31' } }, allowPositionals: true });
const runs = Number(values.runs);
const kinds =
  positionals.length > 0 ? positionals : ['bare', 'empty', 'installed', 'asbefore', 'notnice', 'nodelay', 'noworker', 'bgtrue', 'bgnode'];
const { home, env, git } = hookBenchGit();
// The worker's start replaced by something else, in the installed shim's text.
const WORKER = /PACEFLOW_DB=.*\n.*&\n/;

function makeRepo(kind) {
  const repo = mkdtempSync(join(tmpdir(), `paceflow-bench-${kind}-`));
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'a'), 'a\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'a');
  if (kind === 'empty') writeFileSync(join(repo, '.git', 'hooks', 'post-commit'), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  if (kind === 'bare' || kind === 'empty') return repo;
  const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'paceflow.js'), 'init', '--no-progress'], { cwd: repo, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const hook = join(repo, '.git', 'hooks', 'post-commit');
  const shim = join(repo, '.git', 'paceflow', 'hook.sh');
  // A variant whose edit no longer applies (the hook or shim changed) fails instead of timing the installed one.
  const edit = (path, pattern, replacement) => {
    const text = readFileSync(path, 'utf8');
    const edited = text.replace(pattern, replacement);
    if (edited === text) throw new Error(`${kind}: ${pattern} no longer matches ${path}`);
    writeFileSync(path, edited);
  };
  if (kind === 'subshell') edit(hook, /^if \[ -r (.*) \]; then \. .* <\/dev\/null; fi$/m, '( . $1 ) </dev/null');
  if (kind === 'noworker') edit(shim, WORKER, 'true\n');
  if (kind === 'bgtrue') edit(shim, WORKER, '/bin/true </dev/null >/dev/null 2>&1 &\n');
  if (kind === 'bgsub') edit(shim, WORKER, 'true </dev/null >/dev/null 2>&1 &\n');
  if (kind === 'bgnode') edit(shim, WORKER, `'${process.execPath}' -e 0 </dev/null >/dev/null 2>&1 &\n`);
  // Session 28's two changes undone: the worker at the usual priority, and its bundle loaded at once.
  if (kind === 'notnice') edit(shim, /'[^']*nice' -n 19 /, '');
  if (kind === 'nodelay') edit(shim, /PACEFLOW_DB=/, 'PACEFLOW_WORKER_NO_DELAY=1 PACEFLOW_DB=');
  if (kind === 'asbefore') {
    edit(shim, /'[^']*nice' -n 19 /, '');
    edit(shim, /PACEFLOW_DB=/, 'PACEFLOW_WORKER_NO_DELAY=1 PACEFLOW_DB=');
  }
  return repo;
}

// No worker left: its lock and queue gone (the variants without one: removed) and no process.
function waitIdle(repo, kind) {
  const dir = join(repo, '.git', 'paceflow');
  // Their lock and queue are never taken: removed. Any other variant's worker still running is
  // waited for all the same, or it would run beside this variant's commit.
  const noWorker = ['noworker', 'bgsub', 'bgtrue', 'bgnode'].includes(kind);
  if (noWorker) {
    rmSync(join(dir, 'worker.lock'), { force: true });
    rmSync(join(dir, 'queue'), { force: true });
  }
  for (let i = 0; i < 600; i++) {
    const pending = !noWorker && (existsSync(join(dir, 'worker.lock')) || existsSync(join(dir, 'queue')));
    const running = spawnSync('pgrep', ['-f', 'paceflow.js hooks worker| -e 0$'], { encoding: 'utf8' }).stdout.trim() !== '';
    if (!pending && !running) return;
    spawnSync('sleep', ['0.05']);
  }
}

const repos = Object.fromEntries(kinds.map((k) => [k, makeRepo(k)]));
const times = Object.fromEntries(kinds.map((k) => [k, []]));
for (let i = 0; i < runs; i++) {
  for (const k of kinds) {
    waitIdle(repos[k], k);
    times[k].push(timeMs(() => git(repos[k], 'commit', '-q', '--allow-empty', '-m', `e${i}`)));
  }
}
for (const k of kinds) waitIdle(repos[k], k);
const bare = times.bare ? median(times.bare) : null;
const result = Object.fromEntries(
  kinds.map((k) => [
    k,
    { median_ms: Number(median(times[k]).toFixed(2)), ...(bare ? { ratio: Number((median(times[k]) / bare).toFixed(3)) } : {}) },
  ]),
);
for (const dir of [...Object.values(repos), home]) rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify({ runs, ...result }, null, 2));
