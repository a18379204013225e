#!/usr/bin/env node
// Benchmark: `git commit` with paceflow's hooks installed vs without, and a 50-commit rebase with vs
// without, alternating in the same run (DESIGN §7: ≤ 1.3× and ≤ 2×), each beside the same with empty
// `sh` hooks: the floor any hook pays here, git's fork and exec of sh. Only git's own wall time is
// measured; the worker the hooks start runs in the background afterwards, as it does for users.
//
//   node bench/hooks.mjs [--runs 15]
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { hookBenchGit, median, timeMs, waitIdle } from './hook-bench.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values } = parseArgs({ options: { runs: { type: 'string', default: '15' } } });
const runs = Number(values.runs);
const { home, env, git } = hookBenchGit();

function makeRepo(withHooks, emptyHook = false) {
  const repo = mkdtempSync(join(tmpdir(), 'paceflow-bench-repo-'));
  git(repo, 'init', '-q', '-b', 'main');
  writeFileSync(join(repo, 'base.txt'), 'base\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'base');
  git(repo, 'checkout', '-q', '-b', 'topic');
  for (let i = 0; i < 50; i++) {
    writeFileSync(join(repo, `f${i}.txt`), `file ${i}\n`);
    git(repo, 'add', '-A');
    git(repo, 'commit', '-q', '--no-verify', '-m', `topic ${i}`);
  }
  git(repo, 'checkout', '-q', 'main');
  writeFileSync(join(repo, 'main.txt'), 'main moved\n');
  git(repo, 'add', '-A');
  git(repo, 'commit', '-q', '-m', 'main moved');
  git(repo, 'tag', 'topic-start', 'topic');
  if (emptyHook) {
    // The floor any hook pays: git finds the hook and starts sh, which exits at once — after every
    // commit, and in a rebase after every commit it makes and once at its end (post-rewrite).
    for (const hook of ['post-commit', 'post-rewrite'])
      writeFileSync(join(repo, '.git', 'hooks', hook), '#!/bin/sh\nexit 0\n', { mode: 0o755 });
  }
  if (withHooks) {
    const r = spawnSync(process.execPath, [join(ROOT, 'bin', 'paceflow.js'), 'init', '--no-progress'], {
      cwd: repo,
      env,
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
  }
  return repo;
}

const plain = makeRepo(false);
const hooked = makeRepo(true);
const empty = makeRepo(false, true);
const commits = { plain: [], hooked: [], empty: [] };
const rebases = { plain: [], hooked: [], empty: [] };
for (let i = 0; i < runs; i++) {
  for (const [name, repo] of [
    ['plain', plain],
    ['empty', empty],
    ['hooked', hooked],
  ]) {
    waitIdle(repo);
    commits[name].push(timeMs(() => git(repo, 'commit', '-q', '--allow-empty', '-m', `empty ${i}`)));
  }
}
for (let i = 0; i < Math.max(3, Math.floor(runs / 3)); i++) {
  for (const [name, repo] of [
    ['plain', plain],
    ['empty', empty],
    ['hooked', hooked],
  ]) {
    waitIdle(repo);
    git(repo, 'checkout', '-q', '-B', 'work', 'topic-start');
    rebases[name].push(timeMs(() => git(repo, 'rebase', '-q', 'main')));
    git(repo, 'checkout', '-q', 'main');
  }
}
waitIdle(hooked);
const result = {
  commit_plain_ms: Number(median(commits.plain).toFixed(1)),
  commit_with_hooks_ms: Number(median(commits.hooked).toFixed(1)),
  commit_ratio: Number((median(commits.hooked) / median(commits.plain)).toFixed(2)),
  commit_empty_sh_hook_ms: Number(median(commits.empty).toFixed(1)),
  commit_empty_hook_ratio: Number((median(commits.empty) / median(commits.plain)).toFixed(2)),
  rebase50_plain_ms: Number(median(rebases.plain).toFixed(0)),
  rebase50_with_hooks_ms: Number(median(rebases.hooked).toFixed(0)),
  rebase_ratio: Number((median(rebases.hooked) / median(rebases.plain)).toFixed(2)),
  rebase50_empty_sh_hooks_ms: Number(median(rebases.empty).toFixed(0)),
  rebase_empty_hook_ratio: Number((median(rebases.empty) / median(rebases.plain)).toFixed(2)),
  runs: { commits: runs, rebases: rebases.plain.length },
  budget: 'commit_ratio <= 1.3 (an empty sh hook: commit_empty_hook_ratio), rebase_ratio <= 2 (empty sh hooks: rebase_empty_hook_ratio)',
};
for (const dir of [plain, hooked, empty, home]) rmSync(dir, { recursive: true, force: true });
console.log(JSON.stringify(result, null, 2));
