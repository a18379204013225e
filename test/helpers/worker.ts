import { spawnSync } from 'node:child_process';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';

const BIN = fileURLToPath(new URL('../../bin/paceflow.js', import.meta.url));

/**
 * One post-commit event queued in `dir` and drained by the real `paceflow hooks worker` (node run
 * with `nodeArgs` first), as the hooks start it; asserts it exited 0 with the queue empty, and
 * returns its stderr's lines.
 */
export function runQueuedWorker(options: { repo: string; dir: string; env: NodeJS.ProcessEnv; nodeArgs?: string[] }): string[] {
  writeFileSync(join(options.dir, 'queue'), 'post-commit \n');
  const r = spawnSync(
    process.execPath,
    [...(options.nodeArgs ?? []), BIN, 'hooks', 'worker', '--dir', options.dir, '--repo', options.repo],
    { cwd: options.repo, env: options.env, encoding: 'utf8' },
  );
  expect(r.status, r.stderr).toBe(0);
  expect(readdirSync(options.dir).filter((f) => f.startsWith('queue'))).toEqual([]);
  return r.stderr.split('\n');
}
