import { spawn, spawnSync } from 'node:child_process';
import {
  chmodSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { workerArguments } from '../src/cli/worker-main.js';
import { shellQuote } from '../src/hooks/shell-quote.js';
import { openDatabase } from '../src/db/open.js';
import { UsageError } from '../src/errors.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { emptySessionHome } from './helpers/sessions.js';
import { runQueuedWorker } from './helpers/worker.js';
import { startTlsPostgres } from './helpers/tls-postgres.js';
import { freshWarehouse, POSTGRES_URL, warehouseQuery } from './helpers/warehouse.js';

afterAll(cleanupTempDirs);

const BIN = fileURLToPath(new URL('../bin/paceflow.js', import.meta.url));

/** A repository with paceflow's hooks installed by the real CLI, and a private database. */
function hookedRepo(options: { before?: (repo: TempRepo) => void; env?: NodeJS.ProcessEnv } = {}) {
  const repo = TempRepo.create();
  repo.write('README.md', '# hooks test\n').commit('root');
  options.before?.(repo);
  const home = emptySessionHome();
  const db = join(tempDir('paceflow-db-'), 'paceflow.db');
  const env = { ...home.env, PACEFLOW_HOME: join(home.home, 'pf'), ...options.env };
  const cli = (...args: string[]) => {
    const r = spawnSync(process.execPath, [BIN, '--db', db, ...args], { cwd: repo.dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`paceflow ${args.join(' ')}: ${r.stderr}`);
    return r.stdout;
  };
  /** git in the repository with the hooks' environment (HOME with its transcripts). */
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: repo.dir, env, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  const paceflowDir = join(repo.dir, '.git', 'paceflow');
  /** Waits until the worker has drained everything. */
  const settle = async () => {
    for (let i = 0; i < 300; i++) {
      const busy =
        existsSync(join(paceflowDir, 'worker.lock')) ||
        existsSync(join(paceflowDir, 'sync.lock')) ||
        existsSync(join(paceflowDir, 'sync.wanted')) ||
        readdirSync(paceflowDir).some((f) => f.startsWith('queue'));
      if (!busy) return;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(
      `worker did not finish: ${readdirSync(paceflowDir).join(', ')} ${existsSync(join(paceflowDir, 'worker.log')) ? readFileSync(join(paceflowDir, 'worker.log'), 'utf8') : ''}`,
    );
  };
  const subjects = () => {
    const d = openDatabase(db);
    try {
      return d
        .prepare(`SELECT subject, is_unreachable FROM metadata_commits ORDER BY committed_at, subject`)
        .all<{ subject: string; is_unreachable: number }>();
    } finally {
      d.close();
    }
  };
  return { repo, home, db, env, cli, git, settle, subjects, paceflowDir };
}

describe('git hooks: sync after ingest (warehouse.syncAfterIngest)', () => {
  it.skipIf(POSTGRES_URL === null)(
    'the worker syncs what it recorded; a broken warehouse is one line in worker.log, and git never sees it',
    async () => {
      const url = await freshWarehouse('hooks');
      const config = JSON.stringify({ warehouse: { syncAfterIngest: true } });
      const h = hookedRepo({
        before: (repo) => repo.write('paceflow.config.json', config).commit('config'),
        env: { PACEFLOW_WAREHOUSE_URL: url },
      });
      h.cli('init');
      h.repo.write('a.ts', 'export const computeAnswer = () => forty_two();\n');
      h.git('add', '-A');
      h.git('commit', '-q', '-m', 'synced by the worker');
      await h.settle();
      const subjects = await warehouseQuery<{ subject: string }>(url, `SELECT subject FROM metadata_commits ORDER BY subject`);
      expect(subjects.map((s) => s.subject)).toEqual(['config', 'root', 'synced by the worker']);
      expect(existsSync(join(h.paceflowDir, 'worker.log'))).toBe(false);

      const broken = hookedRepo({
        before: (repo) => repo.write('paceflow.config.json', config).commit('config'),
        env: { PACEFLOW_WAREHOUSE_URL: 'postgres://nobody:pw@127.0.0.1:1/none' },
      });
      broken.cli('init');
      broken.repo.write('b.ts', 'export const other = computeOther();\n');
      broken.git('add', '-A');
      broken.git('commit', '-q', '-m', 'recorded, not synced');
      await broken.settle();
      expect(broken.subjects().map((s) => s.subject)).toContain('recorded, not synced');
      const log = readFileSync(join(broken.paceflowDir, 'worker.log'), 'utf8').trim().split('\n');
      expect(log).toHaveLength(1);
      expect(log[0]).toMatch(/^\S+ sync: warehouse nobody@127\.0\.0\.1:1\/none: cannot connect: connection refused/);
      expect(log[0]).not.toContain(':pw@');
    },
  );
});

describe('git hooks: the worker waits for git, not a fixed time', () => {
  it('the shim hands on the pid of the hook’s parent — the git that committed — as PACEFLOW_HOOK_PARENT', async () => {
    // What each worker process saw, written by a preload as it starts.
    const dir = tempDir('paceflow-parent-');
    const seen = join(dir, 'seen.jsonl');
    const preload = join(dir, 'parent.cjs');
    writeFileSync(
      preload,
      `if (process.argv.includes('worker')) require('node:fs').appendFileSync(${JSON.stringify(seen)}, JSON.stringify(process.env.PACEFLOW_HOOK_PARENT ?? null) + '\\n');\n`,
    );
    const h = hookedRepo({ env: { NODE_OPTIONS: `--require ${preload}` } });
    h.cli('init');
    h.repo.write('a.ts', 'export const waited = () => notAtAll();\n');
    h.git('add', '-A');
    // git's own pid: the commit is started here, not through a shell.
    const commit = spawn('git', ['commit', '-q', '-m', 'after git exited'], { cwd: h.repo.dir, env: h.env, stdio: 'ignore' });
    const code = await new Promise((resolve) => commit.on('close', resolve));
    expect(code).toBe(0);
    await h.settle();
    expect(h.subjects().map((s) => s.subject)).toContain('after git exited');
    const parents = () =>
      readFileSync(seen, 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    expect(parents()).toEqual([String(commit.pid)]);
    // Pre-push's git waits for the worker (to push complete notes): that worker is handed no
    // parent to wait for — else each would wait on the other, the push ~10 s late.
    const remote = tempDir('paceflow-remote-');
    spawnSync('git', ['init', '-q', '--bare', remote]);
    h.git('remote', 'add', 'origin', remote);
    const started = Date.now();
    h.git('push', '-q', 'origin', 'main');
    expect(Date.now() - started).toBeLessThan(8_000);
    await h.settle();
    expect(parents()).toEqual([String(commit.pid), '']);
  });
});

describe('git hooks: the worker starts without NODE_EXTRA_CA_CERTS', () => {
  it.skipIf(POSTGRES_URL === null)(
    'Node does not read the CA file at the worker’s start (~40 ms a commit); a sync over TLS still trusts it',
    async () => {
      const { server, caFile, url } = await startTlsPostgres();
      try {
        // What each worker process saw of the two variables, written by a preload as it starts.
        const dir = tempDir('paceflow-env-');
        const seen = join(dir, 'seen.jsonl');
        const preload = join(dir, 'env.cjs');
        writeFileSync(
          preload,
          `if (process.argv.includes('worker')) require('node:fs').appendFileSync(${JSON.stringify(seen)}, JSON.stringify([process.env.NODE_EXTRA_CA_CERTS ?? null, process.env.PACEFLOW_EXTRA_CA_CERTS ?? null]) + '\\n');\n`,
        );
        const h = hookedRepo({
          before: (repo) => repo.write('paceflow.config.json', JSON.stringify({ warehouse: { syncAfterIngest: true } })).commit('config'),
          env: { PACEFLOW_WAREHOUSE_URL: url, NODE_EXTRA_CA_CERTS: caFile, NODE_OPTIONS: `--require ${preload}` },
        });
        h.cli('init');
        h.repo.write('a.ts', 'export const overTls = () => encrypted();\n');
        h.git('add', '-A');
        h.git('commit', '-q', '-m', 'synced over TLS');
        await h.settle();
        expect(existsSync(join(h.paceflowDir, 'worker.log')) ? readFileSync(join(h.paceflowDir, 'worker.log'), 'utf8') : '').toBe('');
        const lines = readFileSync(seen, 'utf8').trim().split('\n');
        expect(lines.length).toBeGreaterThan(0);
        for (const line of lines) expect(JSON.parse(line)).toEqual(['', caFile]);
        // This test process has no such variable: the URL names the CA for its own query.
        const query = new URL(url);
        query.searchParams.set('sslrootcert', caFile);
        const subjects = await warehouseQuery<{ subject: string }>(
          query.toString(),
          `SELECT subject FROM metadata_commits ORDER BY subject`,
        );
        expect(subjects.map((s) => s.subject)).toEqual(['config', 'root', 'synced over TLS']);
      } finally {
        server.stop();
      }
    },
  );
});

describe('the hooks worker loads what it runs', () => {
  /**
   * The packages a worker run required (a preload logs every require() on stderr), for one queued
   * commit. The worker's bundle holds paceflow's own modules; what it loads besides are packages.
   */
  function workerRequires(config: object | null, env: NodeJS.ProcessEnv = {}): string[] {
    const repo = TempRepo.create();
    if (config) repo.write('paceflow.config.json', JSON.stringify(config));
    repo.write('README.md', '# worker\n').commit('root');
    const dir = tempDir('paceflow-worker-');
    const preload = join(dir, 'log-requires.cjs');
    writeFileSync(
      preload,
      `const Module = require('node:module'); const load = Module._load;
Module._load = function (request, ...rest) { process.stderr.write('require ' + request + '\\n'); return load.call(this, request, ...rest); };\n`,
    );
    const home = emptySessionHome();
    return runQueuedWorker({
      repo: repo.dir,
      dir,
      env: { ...home.env, PACEFLOW_DB: join(dir, 'paceflow.db'), ...env },
      nodeArgs: ['--require', preload],
    })
      .filter((l) => l.startsWith('require '))
      .map((l) => l.slice('require '.length));
  }

  it('without warehouse.syncAfterIngest it never loads PostgreSQL’s client (~0.1 s after every commit)', () => {
    const plain = workerRequires(null);
    // better-sqlite3's JavaScript is in the bundle: only its addon is loaded, by path.
    expect(plain.filter((r) => r.endsWith('/build/Release/better_sqlite3.node'))).toHaveLength(1);
    expect(plain.filter((r) => r === 'better-sqlite3' || r === 'bindings')).toEqual([]);
    expect(plain).toContain('../dist/bundle-loader.cjs');
    expect(plain.filter((r) => r === 'pg' || r === 'pg-copy-streams' || r.includes('commander'))).toEqual([]);
    // With it on, they are loaded (the sync itself fails: nothing listens there).
    const syncing = workerRequires(
      { warehouse: { syncAfterIngest: true } },
      { PACEFLOW_WAREHOUSE_URL: 'postgres://nobody@127.0.0.1:1/none' },
    );
    expect(syncing).toContain('pg');
  });

  it('ends the moment its work is done, whatever else would keep node running (no teardown after each commit)', () => {
    const repo = TempRepo.create();
    repo.write('README.md', '# worker\n').commit('root');
    const dir = tempDir('paceflow-worker-');
    // A timer node would otherwise wait out: 20 s.
    const preload = join(dir, 'linger.cjs');
    writeFileSync(preload, 'setTimeout(() => {}, 20000);\n');
    const started = Date.now();
    runQueuedWorker({
      repo: repo.dir,
      dir,
      env: { ...emptySessionHome().env, PACEFLOW_DB: join(dir, 'paceflow.db') },
      nodeArgs: ['--require', preload],
    });
    expect(Date.now() - started).toBeLessThan(15_000);
    const d = openDatabase(join(dir, 'paceflow.db'));
    try {
      expect(d.prepare(`SELECT subject FROM metadata_commits`).all()).toEqual([{ subject: 'root' }]);
    } finally {
      d.close();
    }
    // A failing worker exits as node does, its message written out: a usage error.
    const r = spawnSync(process.execPath, [BIN, 'hooks', 'worker', '--repo', repo.dir], { encoding: 'utf8' });
    expect(r.status).not.toBe(0);
    expect(r.stderr).toContain("required option '--dir <dir>' not specified");
  });

  it('its bundle holds neither the command-line parser nor the CLI’s commands', async () => {
    // Each bundle's modules, as esbuild resolved them (the build, in memory).
    const { buildCli } = await import('../scripts/build-cli.mjs');
    const bundles = Object.fromEntries((await buildCli({ write: false })).map((b) => [b.outfile, b.inputs]));
    const worker = bundles['dist/paceflow-worker.cjs']!;
    expect(worker).toContain('src/cli/worker-main.ts');
    expect(worker).toContain('src/pipeline/update.ts');
    expect(worker.filter((i) => i.includes('node_modules/commander/') || i === 'src/cli/main.ts')).toEqual([]);
    for (const bundle of [worker, bundles['dist/paceflow.cjs']!]) {
      expect(bundle).toContain('node_modules/better-sqlite3/lib/database.js');
      expect(bundle).toContain('src/db/better-sqlite3-package.bundled.ts');
      expect(bundle).not.toContain('src/db/better-sqlite3-package.ts');
    }
    // The CLI's bundle has them: the filter above can fail.
    expect(bundles['dist/paceflow.cjs']!.some((i) => i.includes('node_modules/commander/'))).toBe(true);
    expect(bundles['dist/paceflow.cjs']).toContain('src/cli/main.ts');
  });

  it.each([
    [['--dir', 'd'], {}, { cwd: process.cwd(), dir: 'd' }],
    [['--dir', 'd', '--repo', '/r'], {}, { cwd: '/r', dir: 'd' }],
    [['--dir=d', '-C', 'rel', '--db', 'x.db'], {}, { cwd: join(process.cwd(), 'rel'), db: 'x.db', dir: 'd' }],
    [['--dir', 'd', '--db', 'x.db'], { PACEFLOW_DB: '/env.db' }, { cwd: process.cwd(), db: '/env.db', dir: 'd' }],
    [['--repo', '/r'], {}, "hooks worker: required option '--dir <dir>' not specified"],
    [['--dir', 'd', '--bogus'], {}, "hooks worker: Unknown option '--bogus'"],
    [['--dir', 'd', 'extra'], {}, /hooks worker: Unexpected argument 'extra'/],
  ] as const)('its arguments %j (env %j): %j', (args, env, expected) => {
    if (typeof expected === 'object' && !(expected instanceof RegExp)) expect(workerArguments([...args], env)).toEqual(expected);
    else {
      expect(() => workerArguments([...args], env)).toThrow(UsageError);
      expect(() => workerArguments([...args], env)).toThrow(expected);
    }
  });
});

describe('git hooks', () => {
  it('init installs the hooks and ingests; a commit is recorded by the worker; uninstall restores the user hooks byte for byte', async () => {
    const userHook = '#!/bin/sh\n# the user\'s own hook\necho ran >> "$(git rev-parse --git-dir)/user-post-commit.log"\n';
    const userRewrite = '#!/bin/sh\ncat >> "$(git rev-parse --git-dir)/user-post-rewrite.log"\n';
    const h = hookedRepo({
      before: (repo) => {
        writeFileSync(join(repo.dir, '.git', 'hooks', 'post-commit'), userHook);
        chmodSync(join(repo.dir, '.git', 'hooks', 'post-commit'), 0o750);
        writeFileSync(join(repo.dir, '.git', 'hooks', 'post-rewrite'), userRewrite);
        chmodSync(join(repo.dir, '.git', 'hooks', 'post-rewrite'), 0o755);
      },
    });
    expect(h.cli('init')).toContain('installed post-commit, post-merge, post-rewrite, pre-push');
    expect(h.cli('hooks', 'install')).toContain('already installed');
    h.repo.write('a.ts', 'export const a = 1;\n');
    h.git('add', '-A');
    h.git('commit', '-q', '-m', 'second');
    await h.settle();
    expect(h.subjects().map((s) => s.subject)).toEqual(['root', 'second']);
    expect(readFileSync(join(h.repo.dir, '.git', 'user-post-commit.log'), 'utf8')).toBe('ran\n');
    // amend: the user's post-rewrite hook still gets git's stdin, and paceflow records the rewrite.
    const before = h.git('rev-parse', 'HEAD');
    h.git('commit', '-q', '--amend', '-m', 'second, amended');
    const after = h.git('rev-parse', 'HEAD');
    await h.settle();
    expect(readFileSync(join(h.repo.dir, '.git', 'user-post-rewrite.log'), 'utf8')).toBe(`${before} ${after}\n`);
    expect(h.subjects()).toEqual([
      { subject: 'root', is_unreachable: 0 },
      { subject: 'second', is_unreachable: 1 },
      { subject: 'second, amended', is_unreachable: 0 },
    ]);
    expect(h.cli('hooks', 'status')).toMatch(/post-commit: installed[\s\S]*queue: 0 events waiting; worker idle/);
    expect(h.cli('hooks', 'status')).not.toContain('problem:');
    const shim = join(h.paceflowDir, 'hook.sh');
    writeFileSync(shim, readFileSync(shim, 'utf8').replace(process.execPath, '/gone/node'));
    expect(h.cli('hooks', 'status')).toContain('problem: the hooks start node at /gone/node, which no longer exists');
    h.cli('hooks', 'install');
    expect(h.cli('hooks', 'status')).not.toMatch(/problem:|note:/);
    // A shim an older paceflow wrote (before the worker was niced: no nice, no comment on it) still
    // works; status and doctor say that `hooks install` brings it up to date.
    const current = readFileSync(shim, 'utf8');
    const older = current.replace(/ *# At the lowest priority[^\n]*\n(?: *#[^\n]*\n)*/, '').replace(/ '[^']*\/nice' -n 19 /, ' ');
    expect(older).not.toBe(current);
    expect(older).not.toContain('-n 19');
    writeFileSync(shim, older);
    const status = h.cli('hooks', 'status');
    expect(status).not.toContain('problem:');
    expect(status).toContain(
      `note: the hook shim ${shim} is not the one this version of paceflow writes: run \`paceflow hooks install\` to bring it up to date`,
    );
    expect(h.cli('doctor')).toMatch(/hooks.*not the one this version of paceflow writes/);
    h.cli('hooks', 'install');
    expect(readFileSync(shim, 'utf8')).toBe(current);
    expect(h.cli('hooks', 'status')).not.toMatch(/problem:|note:/);
    h.cli('hooks', 'uninstall');
    expect(readFileSync(join(h.repo.dir, '.git', 'hooks', 'post-commit'), 'utf8')).toBe(userHook);
    expect(statSync(join(h.repo.dir, '.git', 'hooks', 'post-commit')).mode & 0o777).toBe(0o750);
    expect(readFileSync(join(h.repo.dir, '.git', 'hooks', 'post-rewrite'), 'utf8')).toBe(userRewrite);
    expect(existsSync(join(h.repo.dir, '.git', 'hooks', 'post-merge'))).toBe(false);
    expect(existsSync(join(h.repo.dir, '.git', 'hooks', 'pre-push'))).toBe(false);
  });

  it('the worker starts through nice at the lowest priority when the installer found nice, and as before when it did not', async () => {
    const gitPath = spawnSync('sh', ['-c', 'command -v git'], { encoding: 'utf8' }).stdout.trim();
    const realNice = spawnSync('sh', ['-c', 'command -v nice'], { encoding: 'utf8' }).stdout.trim();
    expect(gitPath).not.toBe('');
    expect(realNice).not.toBe('');
    // A PATH with git, sh and a nice that logs how it was started before it runs the real one.
    const bin = tempDir('paceflow-bin-');
    symlinkSync(gitPath, join(bin, 'git'));
    symlinkSync('/bin/sh', join(bin, 'sh'));
    const niceLog = join(bin, 'nice.log');
    writeFileSync(join(bin, 'nice'), `#!/bin/sh\necho "$*" >> ${shellQuote(niceLog)}\nexec ${shellQuote(realNice)} "$@"\n`, {
      mode: 0o755,
    });
    const h = hookedRepo({ env: { PATH: bin } });
    h.cli('init');
    await h.settle();
    h.repo.write('a.ts', 'export const a = 1;\n');
    h.git('add', '-A');
    h.git('commit', '-q', '-m', 'started through nice');
    await h.settle();
    expect(h.subjects().map((c) => c.subject)).toContain('started through nice');
    expect(readFileSync(niceLog, 'utf8')).toBe(
      `-n 19 ${process.execPath} ${BIN} hooks worker --dir ${h.paceflowDir} --repo ${h.repo.dir}\n`,
    );
    // The nice it found gone: \`hooks status\` says so, as for node.
    const shim = join(h.paceflowDir, 'hook.sh');
    writeFileSync(shim, readFileSync(shim, 'utf8').replace(shellQuote(join(bin, 'nice')), "'/gone/nice'"));
    const status = h.cli('hooks', 'status');
    expect(status).toContain('problem: the hooks start nice at /gone/nice, which no longer exists');
    expect(status.match(/problem:/g)).toHaveLength(1);

    // No nice on PATH when the hooks were installed: the worker starts as before.
    const gitOnly = tempDir('paceflow-bin-');
    symlinkSync(gitPath, join(gitOnly, 'git'));
    symlinkSync('/bin/sh', join(gitOnly, 'sh'));
    const plain = hookedRepo({ env: { PATH: gitOnly } });
    plain.cli('init');
    await plain.settle();
    expect(readFileSync(join(plain.paceflowDir, 'hook.sh'), 'utf8')).toContain(
      `PACEFLOW_DB=${shellQuote(plain.db)} ${shellQuote(process.execPath)} ${shellQuote(BIN)} hooks worker`,
    );
    plain.repo.write('b.ts', 'export const b = 2;\n');
    plain.git('add', '-A');
    plain.git('commit', '-q', '-m', 'started without nice');
    await plain.settle();
    expect(plain.subjects().map((c) => c.subject)).toContain('started without nice');
    expect(plain.cli('hooks', 'status')).not.toContain('problem:');
  });

  it('post-commit sources the shim in its own shell: the previous hook keeps its exit status, the event is queued', async () => {
    const h = hookedRepo({
      before: (repo) => {
        writeFileSync(join(repo.dir, '.git', 'hooks', 'post-commit'), '#!/bin/sh\nexit 3\n');
        chmodSync(join(repo.dir, '.git', 'hooks', 'post-commit'), 0o755);
      },
    });
    h.cli('init');
    await h.settle();
    const hook = join(h.repo.dir, '.git', 'hooks', 'post-commit');
    const shim = join(h.paceflowDir, 'hook.sh');
    // No subshell around the shim: that fork was ~0.2× of a bare commit (bench/README, session 16).
    expect(readFileSync(hook, 'utf8')).toContain(`\nif [ -r '${shim}' ]; then . '${shim}' </dev/null; fi\n`);
    // A live worker holds the lock (this process), so the shim queues without starting one.
    const lock = join(h.paceflowDir, 'worker.lock');
    writeFileSync(lock, `${process.pid}\n`);
    const queue = join(h.paceflowDir, 'queue');
    const queued = () => (existsSync(queue) ? readFileSync(queue, 'utf8') : '');
    const run = (args: string[], env: NodeJS.ProcessEnv = {}) =>
      spawnSync('sh', args, { cwd: h.repo.dir, env: { ...h.env, ...env }, encoding: 'utf8', input: '' });
    try {
      const sourced = run([hook]);
      expect(sourced.status, sourced.stderr).toBe(3);
      expect(queued()).toBe('post-commit \n');
      // The notes push's own hooks: nothing queued, the previous hook's status still the hook's.
      expect(run([hook], { PACEFLOW_PUSHING_NOTES: '1' }).status).toBe(3);
      expect(queued()).toBe('post-commit \n');
      // Run on its own (husky, lefthook, config hooks): status 0 whatever happened.
      expect(run([shim, 'post-merge', '0']).status).toBe(0);
      expect(run([shim, 'post-merge', '1'], { PACEFLOW_PUSHING_NOTES: '1' }).status).toBe(0);
      expect(queued()).toBe('post-commit \npost-merge 0\n');
      expect(readFileSync(lock, 'utf8')).toBe(`${process.pid}\n`);
      // The shim gone (its folder deleted): the hook says nothing and keeps the previous status.
      renameSync(shim, `${shim}.away`);
      const gone = run([hook]);
      expect({ status: gone.status, stderr: gone.stderr }).toEqual({ status: 3, stderr: '' });
      renameSync(`${shim}.away`, shim);
    } finally {
      rmSync(queue, { force: true });
      rmSync(lock, { force: true });
    }
    // Without a previous hook the hook's status is 0.
    rmSync(`${hook}.pre-paceflow`);
    writeFileSync(lock, `${process.pid}\n`);
    try {
      expect(run([hook]).status).toBe(0);
    } finally {
      rmSync(queue, { force: true });
      rmSync(lock, { force: true });
    }
  });

  it('under husky: a guarded block in .husky/<hook>, removed exactly on uninstall', async () => {
    const husky = '# husky hook of the project\necho project-hook >/dev/null\n';
    const h = hookedRepo({
      before: (repo) => {
        mkdirSync(join(repo.dir, '.husky', '_'), { recursive: true });
        for (const hook of ['post-commit', 'post-merge', 'post-rewrite', 'pre-push']) {
          // What husky 9's runner does: run the project's .husky/<hook> with sh.
          writeFileSync(join(repo.dir, '.husky', '_', hook), `#!/bin/sh\n[ -f ".husky/${hook}" ] && sh -e ".husky/${hook}" "$@"\n`);
          chmodSync(join(repo.dir, '.husky', '_', hook), 0o755);
        }
        writeFileSync(join(repo.dir, '.husky', 'post-commit'), husky);
        repo.git('config', 'core.hooksPath', '.husky/_');
      },
    });
    expect(h.cli('hooks', 'install')).toContain('paceflow hooks (husky');
    expect(readFileSync(join(h.repo.dir, '.husky', 'post-commit'), 'utf8')).toMatch(
      /^# husky hook of the project\necho project-hook >\/dev\/null\n# >>> paceflow\n/,
    );
    h.repo.write('b.ts', 'export const b = 2;\n');
    h.git('add', '-A');
    h.git('commit', '-q', '-m', 'under husky');
    await h.settle();
    expect(h.subjects().map((s) => s.subject)).toContain('under husky');
    h.cli('hooks', 'uninstall');
    expect(readFileSync(join(h.repo.dir, '.husky', 'post-commit'), 'utf8')).toBe(husky);
    expect(existsSync(join(h.repo.dir, '.husky', 'pre-push'))).toBe(false);
  });

  // The real lefthook binary (npm package lefthook-linux-x64, installed into .tools/ by .ci/run; in CI it must be there).
  const lefthookBin = fileURLToPath(new URL('../.tools/node_modules/lefthook-linux-x64/bin/', import.meta.url));
  const haveLefthook = existsSync(join(lefthookBin, 'lefthook'));
  it.skipIf(!haveLefthook && !process.env.CI)(
    'under lefthook: a paceflow command in lefthook-local.yml beside the project’s own; uninstall puts every file back',
    async () => {
      const project = 'post-commit:\n  commands:\n    project:\n      run: echo project >> .git/project-hook.log\n';
      const local = '# my own local overrides\npre-commit:\n  commands:\n    mine:\n      run: "true"\n';
      const h = hookedRepo({
        before: (repo) => {
          writeFileSync(join(repo.dir, 'lefthook.yml'), project);
          writeFileSync(join(repo.dir, 'lefthook-local.yml'), local);
        },
      });
      Object.assign(h.env, { PATH: `${lefthookBin}:${process.env.PATH ?? ''}` });
      const lefthook = spawnSync('lefthook', ['install'], { cwd: h.repo.dir, env: h.env, encoding: 'utf8' });
      expect(lefthook.status, lefthook.stderr).toBe(0);
      // A second worktree: lefthook reads lefthook-local.yml from the root of the worktree it runs in.
      const worktree = join(tempDir('paceflow-wt-'), 'second');
      h.git('worktree', 'add', '-q', '-b', 'second', worktree);
      const hooksDir = join(h.repo.dir, '.git', 'hooks');
      const before = Object.fromEntries(
        readdirSync(hooksDir)
          .filter((f) => !f.endsWith('.sample'))
          .map((f) => [f, readFileSync(join(hooksDir, f), 'utf8')]),
      );
      expect(h.cli('hooks', 'install')).toContain('paceflow hooks (lefthook');
      expect(h.cli('hooks', 'install')).toContain('already installed');
      const written = readFileSync(join(h.repo.dir, 'lefthook-local.yml'), 'utf8');
      expect(written).toMatch(/^# my own local overrides\npre-commit:\n {2}commands:\n {4}mine:/);
      expect(written).toContain('post-rewrite:\n  commands:\n    paceflow:');
      expect(readFileSync(join(worktree, 'lefthook-local.yml'), 'utf8')).toContain('post-commit:\n  commands:\n    paceflow:');
      // lefthook install ran again: the hooks the project's config lacks exist now.
      for (const hook of ['post-commit', 'post-merge', 'post-rewrite', 'pre-push'])
        expect(readFileSync(join(hooksDir, hook), 'utf8')).toContain('lefthook');
      h.repo.write('c.ts', 'export const c = 3;\n');
      h.git('add', '-A');
      h.git('commit', '-q', '-m', 'under lefthook');
      await h.settle();
      expect(h.subjects().map((s) => s.subject)).toContain('under lefthook');
      expect(readFileSync(join(h.repo.dir, '.git', 'project-hook.log'), 'utf8')).toBe('project\n');
      writeFileSync(join(worktree, 'w.ts'), 'export const w = 5;\n');
      for (const args of [
        ['add', '-A'],
        ['commit', '-q', '-m', 'in the second worktree'],
      ]) {
        const r = spawnSync('git', args, { cwd: worktree, env: h.env, encoding: 'utf8' });
        expect(r.status, r.stderr).toBe(0);
      }
      await h.settle();
      expect(h.subjects().map((s) => s.subject)).toContain('in the second worktree');
      // post-rewrite gets git's stdin through lefthook (use_stdin): the amended commit replaces the old.
      h.git('commit', '-q', '--amend', '-m', 'under lefthook, amended');
      await h.settle();
      expect(h.subjects().filter((s) => s.subject.startsWith('under lefthook'))).toEqual([
        { subject: 'under lefthook', is_unreachable: 1 },
        { subject: 'under lefthook, amended', is_unreachable: 0 },
      ]);
      expect(h.cli('hooks', 'status')).toMatch(/hooks: lefthook[\s\S]*post-rewrite: installed/);
      expect(h.cli('hooks', 'uninstall')).toContain('removed post-commit, post-merge, post-rewrite, pre-push');
      expect(readFileSync(join(h.repo.dir, 'lefthook-local.yml'), 'utf8')).toBe(local);
      expect(existsSync(join(worktree, 'lefthook-local.yml'))).toBe(false);
      const after = Object.fromEntries(
        readdirSync(hooksDir)
          .filter((f) => !f.endsWith('.sample'))
          .map((f) => [f, readFileSync(join(hooksDir, f), 'utf8')]),
      );
      expect(after).toEqual(before);
    },
  );

  it('git config-based hooks (git ≥ 2.54): one [hook "paceflow-<event>"] section per event, removed on uninstall', async () => {
    const h = hookedRepo();
    const config = join(h.repo.dir, '.git', 'config');
    const before = readFileSync(config, 'utf8');
    const out = h.cli('hooks', 'install', '--manager', 'config');
    expect(out).toContain('paceflow hooks (config');
    expect(out).toContain('installed post-commit, post-merge, post-rewrite, pre-push');
    const shim = join(h.paceflowDir, 'hook.sh');
    for (const hook of ['post-commit', 'post-merge', 'post-rewrite', 'pre-push']) {
      expect(h.git('config', '--local', '--get', `hook.paceflow-${hook}.event`)).toBe(hook);
      expect(h.git('config', '--local', '--get', `hook.paceflow-${hook}.command`)).toBe(`sh '${shim}' ${hook}`);
    }
    // The choice is kept: a second install (without --manager) and status use it.
    expect(h.cli('hooks', 'install')).toContain('already installed');
    expect(h.cli('hooks', 'status')).toMatch(/hooks: config[\s\S]*pre-push: installed/);
    // What git runs for the event is the shim with git's arguments appended; run it as git would.
    h.repo.write('d.ts', 'export const d = 4;\n');
    h.git('add', '-A');
    h.git('commit', '-q', '--no-verify', '-m', 'config hooks');
    const run = spawnSync('sh', ['-c', `${h.git('config', '--local', '--get', 'hook.paceflow-post-commit.command')} "$@"`, 'hook'], {
      cwd: h.repo.dir,
      env: h.env,
      encoding: 'utf8',
    });
    expect(run.status).toBe(0);
    await h.settle();
    expect(h.subjects().map((s) => s.subject)).toContain('config hooks');
    expect(h.cli('hooks', 'uninstall')).toContain('removed post-commit, post-merge, post-rewrite, pre-push');
    expect(readFileSync(config, 'utf8')).toBe(before);
  });

  it('rebase, cherry-pick and merges (fast-forward, no-ff, conflicted) are all recorded', async () => {
    const h = hookedRepo();
    h.cli('hooks', 'install');
    const commit = (file: string, text: string, message: string) => {
      h.repo.write(file, text);
      h.git('add', '-A');
      h.git('commit', '-q', '-m', message);
    };
    h.git('checkout', '-q', '-b', 'topic');
    commit('t1.txt', 'topic one\n', 'topic one');
    commit('t2.txt', 'topic two\n', 'topic two');
    h.git('checkout', '-q', 'main');
    commit('m1.txt', 'main one\n', 'main one');
    h.git('cherry-pick', 'topic~1');
    // A scripted interactive rebase of topic onto main that rewords its last commit.
    h.git('checkout', '-q', 'topic');
    const r = spawnSync(
      'git',
      [
        '-c',
        'sequence.editor=sed -i -e "1s/^pick/reword/"',
        '-c',
        'core.editor=sed -i -e "1s/.*/topic two, reworded/"',
        'rebase',
        '-q',
        '-i',
        'main',
      ],
      { cwd: h.repo.dir, env: h.env, encoding: 'utf8' },
    );
    expect(r.status, r.stderr).toBe(0);
    h.git('checkout', '-q', 'main');
    h.git('merge', '-q', '--ff-only', 'topic');
    h.git('checkout', '-q', '-b', 'side', 'HEAD~1');
    commit('conflict.txt', 'side version\n', 'side edits conflict');
    h.git('checkout', '-q', 'main');
    commit('conflict.txt', 'main version\n', 'main edits conflict');
    spawnSync('git', ['merge', '-q', '--no-ff', 'side'], { cwd: h.repo.dir, env: h.env });
    h.repo.write('conflict.txt', 'resolved\n');
    h.git('add', '-A');
    h.git('commit', '-q', '--no-edit');
    await h.settle();
    const recorded = h.subjects();
    const reachable = recorded.filter((s) => s.is_unreachable === 0).map((s) => s.subject);
    expect(reachable).toEqual(
      expect.arrayContaining([
        'topic one',
        'topic two, reworded',
        'main one',
        'side edits conflict',
        'main edits conflict',
        "Merge branch 'side'",
      ]),
    );
    const log = h.git('log', '--all', '--format=%s').split('\n');
    expect(reachable.sort()).toEqual(log.sort());
  });

  it('8 commits at once in 8 worktrees lose nothing', async () => {
    const h = hookedRepo();
    h.cli('hooks', 'install');
    const trees = Array.from({ length: 8 }, (_, i) => {
      const dir = join(tempDir('paceflow-wt-'), `wt${i}`);
      h.git('worktree', 'add', '-q', '-b', `wt${i}`, dir);
      writeFileSync(join(dir, `f${i}.txt`), `worktree ${i}\n`);
      return dir;
    });
    await Promise.all(
      trees.map(
        (dir, i) =>
          new Promise<void>((resolve, reject) => {
            const child = spawn('sh', ['-c', `git add -A && git commit -q -m "from worktree ${i}"`], { cwd: dir, env: h.env });
            child.on('close', (code) => (code === 0 ? resolve() : reject(new Error(`commit ${i} exit ${code}`))));
          }),
      ),
    );
    await h.settle();
    // A last trigger in case the final event raced the worker's exit.
    expect(h.subjects().filter((s) => s.subject.startsWith('from worktree')).length).toBe(8);
  });

  it('a worker killed mid-drain loses nothing: the next one takes over its claimed events', async () => {
    const h = hookedRepo();
    h.cli('hooks', 'install');
    // What a killed worker leaves: its lock with a dead pid, and the events it had claimed.
    const dead = spawnSync(process.execPath, ['-e', 'process.stdout.write(String(process.pid))'], { encoding: 'utf8' }).stdout;
    writeFileSync(join(h.paceflowDir, 'worker.lock'), dead);
    writeFileSync(join(h.paceflowDir, `queue.${dead}.0`), `1 post-commit \n`);
    h.repo.write('late.txt', 'made while the worker was dead\n');
    h.git('add', '-A');
    h.git('commit', '-q', '--no-verify', '-m', 'no-verify commit');
    h.repo.write('late2.txt', 'and one more\n');
    h.git('add', '-A');
    h.git('commit', '-q', '-m', 'next commit');
    await h.settle();
    expect(
      h
        .subjects()
        .map((s) => s.subject)
        .sort(),
    ).toEqual(['next commit', 'no-verify commit', 'root']);
    expect(readdirSync(h.paceflowDir).filter((f) => f.startsWith('queue'))).toEqual([]);
  });

  it('pre-push waits for the worker and pushes refs/notes/paceflow beside the push', async () => {
    const h = hookedRepo();
    const remote = tempDir('paceflow-remote-');
    spawnSync('git', ['init', '-q', '--bare', remote]);
    h.git('remote', 'add', 'origin', remote);
    h.cli('hooks', 'install');
    const t = new ClaudeTranscript('dddddddd-0000-4000-8000-000000000001', h.repo.dir)
      .prompt('add x')
      .write('toolu_p', join(h.repo.dir, 'x.ts'), 'export const fromAi = generated();\n');
    mkdirSync(join(h.home.claudeProjects, '-repo'), { recursive: true });
    writeFileSync(join(h.home.claudeProjects, '-repo', `${t.sessionId}.jsonl`), t.text());
    h.repo.write('x.ts', 'export const fromAi = generated();\n');
    h.git('add', '-A');
    h.git('commit', '-q', '-m', 'ai commit');
    h.git('push', '-q', 'origin', 'main');
    const notes = spawnSync('git', ['--git-dir', remote, 'notes', '--ref=paceflow', 'list'], { encoding: 'utf8' }).stdout.trim();
    expect(notes.split('\n')).toHaveLength(1);
    expect(notes).toContain(h.git('rev-parse', 'HEAD'));
  });
});

describe('git hooks: a session that goes on', () => {
  it('the worker records each commit with the lines the session wrote for it, and logs nothing (sql/023)', async () => {
    const h = hookedRepo();
    h.cli('hooks', 'install');
    const t = new ClaudeTranscript('dddddddd-0000-4000-8000-0000000000e1', h.repo.dir);
    const transcript = join(h.home.claudeProjects, '-repo', `${t.sessionId}.jsonl`);
    mkdirSync(join(h.home.claudeProjects, '-repo'), { recursive: true });
    const part = async (file: string, line: string, subject: string) => {
      // The session writes the file (its transcript grows), then the person commits it.
      t.prompt(`write ${file}`).write(`toolu_${file.replace('.', '_')}`, join(h.repo.dir, file), `${line}\n`);
      writeFileSync(transcript, t.text());
      h.repo.write(file, `${line}\n`);
      h.git('add', '-A');
      h.git('commit', '-q', '-m', subject);
      await h.settle();
    };
    await part('one.ts', 'export const partOne = computePartOne();', 'part one');
    await part('two.ts', 'export const partTwo = computePartTwo();', 'part two');
    await part('three.ts', 'export const partThree = computePartThree();', 'part three');
    // Before sql/023 the second and third runs failed on paceflow_attribution_from's key.
    expect(existsSync(join(h.paceflowDir, 'worker.log')) ? readFileSync(join(h.paceflowDir, 'worker.log'), 'utf8') : '').toBe('');
    const d = openDatabase(h.db);
    try {
      expect(
        d
          .prepare(
            `SELECT c.subject, o.ai_lines FROM event_commit_outcomes o JOIN metadata_commits c ON c.repo_id = o.repo_id AND c.sha = o.sha
             WHERE c.subject LIKE 'part %' ORDER BY c.subject`,
          )
          .all(),
      ).toEqual([
        { subject: 'part one', ai_lines: 1 },
        { subject: 'part three', ai_lines: 1 },
        { subject: 'part two', ai_lines: 1 },
      ]);
    } finally {
      d.close();
    }
  });
});

describe('git hooks: pull', () => {
  it('a pull that merges records the pulled commits (post-merge)', async () => {
    const upstream = TempRepo.create();
    upstream.write('u.txt', 'upstream start\n').commit('upstream start');
    const dir = tempDir('paceflow-clone-');
    spawnSync('git', ['clone', '-q', upstream.dir, dir]);
    const home = emptySessionHome();
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const env = { ...home.env };
    const cli = spawnSync(process.execPath, [BIN, '--db', db, 'hooks', 'install'], { cwd: dir, env, encoding: 'utf8' });
    expect(cli.status, cli.stderr).toBe(0);
    upstream.write('u2.txt', 'pulled later\n').commit('pulled commit');
    const pull = spawnSync('git', ['pull', '-q', '--no-rebase', 'origin', 'main'], { cwd: dir, env, encoding: 'utf8' });
    expect(pull.status, pull.stderr).toBe(0);
    const lock = join(dir, '.git', 'paceflow', 'worker.lock');
    for (let i = 0; i < 200 && (existsSync(lock) || existsSync(join(dir, '.git', 'paceflow', 'queue'))); i++)
      await new Promise((r) => setTimeout(r, 100));
    const d = openDatabase(db);
    const subjects = d.prepare(`SELECT subject FROM metadata_commits ORDER BY subject`).all();
    d.close();
    expect(subjects).toEqual([{ subject: 'pulled commit' }, { subject: 'upstream start' }]);
  });
});
