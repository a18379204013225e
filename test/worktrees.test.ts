import { spawnSync } from 'node:child_process';
import { realpathSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { worktreeRoots } from '../src/git/worktrees.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const BIN = fileURLToPath(new URL('../bin/paceflow.js', import.meta.url));

function withWorktree() {
  const repo = TempRepo.create();
  repo.write('a.py', 'def alpha():\n    return 1\n').commit('first');
  const worktree = join(realpathSync(tempDir('paceflow-wt-')), 'side tree');
  repo.git('worktree', 'add', '-q', '-b', 'side', worktree);
  return { repo, main: realpathSync(repo.dir), worktree };
}

describe('worktrees', () => {
  it('worktreeRoots lists the main work tree and every linked one, from either', () => {
    const { main, worktree } = withWorktree();
    expect(worktreeRoots(main)).toEqual([main, worktree]);
    expect(worktreeRoots(worktree)).toEqual([main, worktree]);
  });

  it('aider’s history in a linked worktree is found by ingest and by doctor, though paceflow ran in the main one', () => {
    const { main, worktree } = withWorktree();
    writeFileSync(
      join(worktree, '.aider.chat.history.md'),
      '# aider chat started at 2026-03-07 09:15:00\n\n> Model: gpt-4.1 with diff edit format\n\n#### add a beta function\n\n> Tokens: 1.0k sent, 50 received.\n',
    );
    const db = join(tempDir('paceflow-db-'), 'p.db');
    const home = tempDir('paceflow-home-');
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, '--db', db, ...args], { cwd: main, encoding: 'utf8', env: { ...process.env, HOME: home } });
    expect(run('ingest').stdout).toContain('aider: 1 transcripts, 1 read');
    const doctor = JSON.parse(run('doctor', '-f', 'json').stdout) as {
      providers: { provider: string; looked_in: string; sessions: number }[];
    };
    const aider = doctor.providers.find((p) => p.provider === 'aider')!;
    expect(aider.looked_in).toContain(join(worktree, '.aider.chat.history.md'));
    expect(aider.sessions).toBe(1);
  });
});
