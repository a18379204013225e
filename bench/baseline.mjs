import { spawnSync } from 'node:child_process';
import { mkdtempSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A revision of paceflow built beside this checkout (its own dist/, this checkout's node_modules)
 * in a temporary git worktree, removed at exit. Returns the path of its bin/paceflow.js, so a bench
 * can alternate it with this checkout's in the same minutes.
 */
export function buildBaseline(root, rev) {
  const dir = join(mkdtempSync(join(tmpdir(), 'paceflow-baseline-')), 'checkout');
  const git = (...args) => {
    const r = spawnSync('git', ['-C', root, ...args], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
  };
  git('worktree', 'add', '-q', '--detach', dir, rev);
  process.on('exit', () => spawnSync('git', ['-C', root, 'worktree', 'remove', '--force', dir]));
  symlinkSync(join(root, 'node_modules'), join(dir, 'node_modules'));
  // Its own build script: tsc, and the CLI's bundles where it has them (scripts/build-cli.mjs).
  const build = spawnSync('npm', ['run', '--silent', 'build'], { cwd: dir, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`building ${rev}: ${build.stdout}${build.stderr}`);
  return join(dir, 'bin', 'paceflow.js');
}
