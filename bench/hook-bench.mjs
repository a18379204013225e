// What the hook benches share (bench/hooks.mjs, bench/hook-variants.mjs): a HOME of their own,
// git without system or global config and with a fixed identity, git's own wall time, medians.
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gitEnv } from './git-env.mjs';

/** A fresh HOME (and PACEFLOW_HOME in it), and git run there: its stdout trimmed, its stderr thrown. */
export function hookBenchGit() {
  const home = mkdtempSync(join(tmpdir(), 'paceflow-bench-home-'));
  const env = {
    ...gitEnv,
    HOME: home,
    PACEFLOW_HOME: join(home, 'pf'),
    GIT_AUTHOR_NAME: 'B',
    GIT_AUTHOR_EMAIL: 'b@x',
    GIT_COMMITTER_NAME: 'B',
    GIT_COMMITTER_EMAIL: 'b@x',
  };
  const git = (cwd, ...args) => {
    const r = spawnSync('git', args, { cwd, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  return { home, env, git };
}

/** Milliseconds `fn` took. */
export function timeMs(fn) {
  const t = process.hrtime.bigint();
  fn();
  return Number(process.hrtime.bigint() - t) / 1e6;
}

export const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/**
 * Waits until the repository's hooks' worker is done. Idle means no worker process at all, not only
 * its lock gone: a worker exiting (closing the database, node's own exit) would otherwise run beside
 * the next timed commit on a 2-core machine.
 */
export function waitIdle(repo) {
  for (let i = 0; i < 600; i++) {
    const queued = spawnSync('sh', ['-c', `ls "${repo}/.git/paceflow" 2>/dev/null | grep -q -e worker.lock -e '^queue' && echo busy`], {
      encoding: 'utf8',
    });
    const running = spawnSync('pgrep', ['-f', 'paceflow.js hooks worker'], { encoding: 'utf8' });
    if (!queued.stdout.includes('busy') && running.stdout.trim() === '') return;
    spawnSync('sleep', ['0.05']);
  }
}
