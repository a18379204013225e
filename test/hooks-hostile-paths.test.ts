import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { parseDocument } from 'yaml';
import { openDatabase } from '../src/db/open.js';
import { shellQuote } from '../src/hooks/shell-quote.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { emptySessionHome } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const BIN = fileURLToPath(new URL('../bin/paceflow.js', import.meta.url));

/**
 * Repository and worktree paths that a shell would read as code if a hook wrote them unquoted.
 * Each one that tries to run something creates a file named PWNED where the hook runs.
 */
const HOSTILE = [
  ['a single quote', "it's"],
  ['double quotes', 'say "hi"'],
  ['$(…) inside quotes', "x'$(touch PWNED)'y"],
  ['backticks', 'back`touch PWNED`tick'],
  ['spaces', 'with some spaces'],
  ['a semicolon', 'semi;touch PWNED'],
  ['a newline', 'new\nline'],
  ['non-ASCII', 'ünïcödé-репо'],
] as const;

describe('shellQuote', () => {
  it.each(HOSTILE)('%s: sh reads the word back as the value, running nothing', (_name, value) => {
    const dir = tempDir('paceflow-quote-');
    const r = spawnSync('sh', ['-c', `printf '%s' ${shellQuote(value)}`], { cwd: dir, encoding: 'utf8' });
    expect(r.stdout).toBe(value);
    expect(readdirSync(dir)).toEqual([]);
  });
});

function hostileRepo(name: string, manager: 'plain' | 'husky') {
  const parent = tempDir('paceflow-hostile-');
  const dir = join(parent, name);
  mkdirSync(dir);
  const repo = TempRepo.create({ dir });
  repo.write('README.md', '# hostile\n').commit('root');
  if (manager === 'husky') {
    mkdirSync(join(dir, '.husky', '_'), { recursive: true });
    for (const hook of ['post-commit', 'post-merge', 'post-rewrite', 'pre-push']) {
      writeFileSync(join(dir, '.husky', '_', hook), `#!/bin/sh\n[ -f ".husky/${hook}" ] && sh -e ".husky/${hook}" "$@"\n`);
      chmodSync(join(dir, '.husky', '_', hook), 0o755);
    }
    repo.git('config', 'core.hooksPath', '.husky/_');
  }
  const home = emptySessionHome();
  const db = join(tempDir('paceflow-db-'), 'paceflow.db');
  const env = { ...home.env, PACEFLOW_HOME: join(home.home, 'pf') };
  const run = (cwd: string, command: string, ...args: string[]) => {
    const r = spawnSync(command, args, { cwd, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  const cli = (...args: string[]) => run(dir, process.execPath, BIN, '--db', db, ...args);
  const subjects = () => {
    const d = openDatabase(db);
    try {
      return d
        .prepare(`SELECT subject FROM metadata_commits ORDER BY committed_at, subject`)
        .all<{ subject: string }>()
        .map((r) => r.subject);
    } finally {
      d.close();
    }
  };
  /** Waits until the worker drained the queue. */
  const settle = async () => {
    const pf = join(dir, '.git', 'paceflow');
    for (let i = 0; i < 300; i++) {
      if (!existsSync(join(pf, 'worker.lock')) && !readdirSync(pf).some((f) => f.startsWith('queue'))) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`worker did not finish: ${existsSync(join(pf, 'worker.log')) ? readFileSync(join(pf, 'worker.log'), 'utf8') : ''}`);
  };
  const pwned = () => [parent, dir].some((d) => existsSync(join(d, 'PWNED')));
  return { repo, dir, parent, cli, run, subjects, settle, pwned };
}

describe('hooks in repositories with hostile paths', () => {
  it.each(HOSTILE.flatMap(([name, path]) => (['plain', 'husky'] as const).map((manager) => [name, path, manager] as const)))(
    '%s (%j, %s): installed hooks parse, run nothing, and record the commit',
    async (_name, path, manager) => {
      const h = hostileRepo(path, manager);
      expect(h.cli('hooks', 'install', '--manager', manager)).toContain('installed post-commit, post-merge, post-rewrite, pre-push');
      const status = h.cli('hooks', 'status');
      expect(status).not.toContain('problem');
      expect(status).not.toContain('broken');
      h.repo.write('a.ts', 'export const a = 1;\n');
      h.run(h.dir, 'git', 'add', '-A');
      h.run(h.dir, 'git', 'commit', '-q', '-m', 'through the hook');
      await h.settle();
      expect(h.subjects()).toEqual(['root', 'through the hook']);
      expect(h.pwned()).toBe(false);
    },
  );

  it('a linked worktree at a hostile path records its commits too', async () => {
    const h = hostileRepo("main repo's", 'plain');
    h.cli('hooks', 'install', '--manager', 'plain');
    const worktree = join(h.parent, "wt '$(touch PWNED)' `touch PWNED`");
    h.run(h.dir, 'git', 'worktree', 'add', '-q', '-b', 'side', worktree);
    writeFileSync(join(worktree, 'w.ts'), 'export const w = 1;\n');
    h.run(worktree, 'git', 'add', '-A');
    h.run(worktree, 'git', 'commit', '-q', '-m', 'from the worktree');
    await h.settle();
    expect(h.subjects()).toContain('from the worktree');
    expect(h.pwned() || existsSync(join(worktree, 'PWNED'))).toBe(false);
  });

  it('config hooks and lefthook-local.yml hold the path as one quoted word', () => {
    for (const manager of ['config', 'lefthook'] as const) {
      const h = hostileRepo("it's $(touch PWNED)", 'plain');
      if (manager === 'lefthook') writeFileSync(join(h.dir, 'lefthook.yml'), 'pre-commit:\n  commands: {}\n');
      h.cli('hooks', 'install', '--manager', manager);
      expect(h.cli('hooks', 'status'), manager).not.toMatch(/problem|broken/);
      const installed =
        manager === 'config'
          ? h.run(h.dir, 'git', 'config', '--get', 'hook.paceflow-post-commit.command').trim()
          : String(
              parseDocument(readFileSync(join(h.dir, 'lefthook-local.yml'), 'utf8')).getIn(['post-commit', 'commands', 'paceflow', 'run']),
            );
      expect(installed, manager).toContain(shellQuote(join(h.dir, '.git', 'paceflow', 'hook.sh')));
    }
  });

  const lefthookBin = fileURLToPath(new URL('../.tools/node_modules/lefthook-linux-x64/bin/', import.meta.url));
  it.skipIf(!existsSync(join(lefthookBin, 'lefthook')) && !process.env.CI)(
    'under the real lefthook, a hostile path runs nothing and records the commit',
    async () => {
      const h = hostileRepo("it's $(touch PWNED) `touch PWNED`", 'plain');
      writeFileSync(join(h.dir, 'lefthook.yml'), 'pre-commit:\n  commands: {}\n');
      const path = `${lefthookBin}:${process.env.PATH ?? ''}`;
      const withLefthook = (command: string, ...args: string[]) => {
        const r = spawnSync(command, args, { cwd: h.dir, env: { ...process.env, PATH: path, HOME: h.parent }, encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`${command} ${args.join(' ')}: ${r.stderr}`);
      };
      expect(h.cli('hooks', 'install', '--manager', 'lefthook')).toContain('installed');
      // paceflow ran without lefthook on its PATH here: install lefthook's hooks as the project would.
      withLefthook('lefthook', 'install');
      h.repo.write('l.ts', 'export const l = 1;\n');
      h.run(h.dir, 'git', 'add', '-A');
      withLefthook('git', 'commit', '-q', '-m', 'through lefthook');
      await h.settle();
      expect(h.subjects()).toContain('through lefthook');
      expect(h.pwned()).toBe(false);
    },
  );

  it('a hook broken by an older install is reported as broken, and `hooks install` repairs it', async () => {
    const h = hostileRepo("it's", 'plain');
    h.cli('hooks', 'install', '--manager', 'plain');
    // What the old installer wrote: the path between single quotes, its own quote not escaped.
    const hook = join(h.dir, '.git', 'hooks', 'post-commit');
    const shim = join(h.dir, '.git', 'paceflow', 'hook.sh');
    writeFileSync(hook, readFileSync(hook, 'utf8').replaceAll(shellQuote(shim), `'${shim}'`));
    const status = h.cli('hooks', 'status');
    // The whole text a person reads, with the temporary folder named <repo>.
    await expect(status.replaceAll(h.dir, '<repo>')).toMatchFileSnapshot('__snapshots__/hooks-status-broken.txt');
    expect(status).toMatch(/post-commit: installed but broken \(.+\)/);
    expect(status).toContain('problem: the post-commit hook is broken');
    expect(h.cli('hooks', 'install')).toContain('installed post-commit');
    expect(h.cli('hooks', 'status')).not.toMatch(/problem|broken/);
    h.repo.write('b.ts', 'export const b = 1;\n');
    h.run(h.dir, 'git', 'add', '-A');
    h.run(h.dir, 'git', 'commit', '-q', '-m', 'after the repair');
    await h.settle();
    expect(h.subjects()).toContain('after the repair');
  });
});
