import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll } from 'vitest';
import { cleanupTempDirs } from './git-repo.js';

/**
 * Tests never see the developer's git set-up: inherited GIT_* variables are scrubbed and git reads
 * a fixed global config (user, branch, gc off) instead of ~/.gitconfig and /etc/gitconfig.
 */
for (const key of Object.keys(process.env)) {
  if (key.startsWith('GIT_')) delete process.env[key];
}
const home = mkdtempSync(join(tmpdir(), 'paceflow-home-'));
const globalConfig = join(home, 'gitconfig');
writeFileSync(
  globalConfig,
  [
    '[user]',
    '\tname = Test Person',
    '\temail = test@example.com',
    '[init]',
    '\tdefaultBranch = main',
    '[gc]',
    '\tauto = 0',
    '[commit]',
    '\tgpgsign = false',
    '[advice]',
    '\tdetachedHead = false',
    '[protocol "file"]',
    '\tallow = always',
    '',
  ].join('\n'),
);
process.env.GIT_CONFIG_NOSYSTEM = '1';
process.env.GIT_CONFIG_GLOBAL = globalConfig;
process.env.HOME = home;
process.env.PACEFLOW_HOME = join(home, 'paceflow');
delete process.env.XDG_DATA_HOME;

// Every test file's folders go when the file ends, whether or not it cleans up itself (a full run
// left ~250 folders and ~25 MB behind). The folders stay where they are made: snapshot tests lay
// out their columns by the repository path's width.
// A detached hooks' worker a test started may still be writing there: retried, then said, never
// a failed test file.
afterAll(() => {
  try {
    cleanupTempDirs();
    rmSync(home, { recursive: true, force: true, maxRetries: 5, retryDelay: 200 });
  } catch (error) {
    process.stdout.write(`paceflow tests: a temporary folder stays: ${(error as Error).message}\n`);
  }
});
