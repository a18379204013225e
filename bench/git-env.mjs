// What the Action benches share: git with no system or global config (a runner's git has none),
// started with an argument array and its output as text.
import { spawnSync } from 'node:child_process';

export const gitEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** `git <args>` in `cwd`, its stdout trimmed; throws with git's stderr when it fails. */
export const git = (cwd, ...args) => {
  const r = spawnSync('git', args, { cwd, env: gitEnv, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  return r.stdout.trim();
};
