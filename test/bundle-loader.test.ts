import { spawnSync } from 'node:child_process';
import {
  appendFileSync,
  chmodSync,
  cpSync,
  existsSync,
  mkdirSync,
  readdirSync,
  readFileSync,
  statSync,
  symlinkSync,
  writeFileSync,
} from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { asksForHelp, cacheFile, cacheToWrite, fingerprint, folderState, LONGEST_CACHED_RUN_MS } from '../src/cli/bundle-loader.js';
import { LAZY_BUILTINS, LOADER_WRAPPER } from '../scripts/build-cli.mjs';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { emptySessionHome } from './helpers/sessions.js';
import { runQueuedWorker } from './helpers/worker.js';

afterAll(cleanupTempDirs);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BIN = join(ROOT, 'bin', 'paceflow.js');

/** The real CLI with a cache folder of its own; stderr's `compile cache:` lines say what the cache did. */
function paceflow(bin: string, args: string[], cacheHome: string, env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], {
    cwd: tempDir(),
    env: { ...process.env, XDG_CACHE_HOME: cacheHome, PACEFLOW_COMPILE_CACHE_LOG: '1', PACEFLOW_HOME: tempDir('paceflow-home-'), ...env },
    encoding: 'utf8',
  });
  const cache = r.stderr
    .split('\n')
    .filter((l) => l.startsWith('compile cache: '))
    .map((l) => l.slice('compile cache: '.length).split(' ')[0]);
  return { status: r.status, stdout: r.stdout, cache, stderr: r.stderr };
}

const cacheFiles = (cacheHome: string) => {
  const dir = join(cacheHome, 'paceflow', 'compile');
  return existsSync(dir) ? readdirSync(dir).sort() : [];
};

describe('the CLI’s compile cache', () => {
  it('is written by a command’s first run and used by the next; one V8 refuses is written anew', () => {
    const cacheHome = tempDir('paceflow-cache-');
    const home = tempDir('paceflow-home-');
    const sql = ['sql', 'SELECT 1 AS one'];
    const first = paceflow(BIN, sql, cacheHome, { PACEFLOW_HOME: home });
    expect(first.status, first.stderr).toBe(0);
    expect(first.cache).toEqual(['none', 'written']);
    const [file] = cacheFiles(cacheHome);
    expect(file).toMatch(/^paceflow-sql-[0-9a-f]{16}-[0-9a-f]{16}-[0-9a-f]{16}\.v8$/);
    const path = join(cacheHome, 'paceflow', 'compile', file!);
    expect(statSync(path).mode & 0o777).toBe(0o600);
    expect(statSync(join(cacheHome, 'paceflow', 'compile')).mode & 0o777).toBe(0o700);

    const second = paceflow(BIN, sql, cacheHome, { PACEFLOW_HOME: home });
    expect(second.cache).toEqual(['used']);
    expect(second.stdout).toBe(first.stdout);
    expect(second.stdout).toContain('| one |');

    // Another command has a cache of its own.
    expect(paceflow(BIN, ['task-stats'], cacheHome, { PACEFLOW_HOME: home }).cache).toEqual(['none', 'written']);
    expect(cacheFiles(cacheHome)).toHaveLength(2);

    // A damaged cache: refused by V8, the run the same, the file replaced.
    writeFileSync(path, Buffer.alloc(statSync(path).size, 7));
    const damaged = paceflow(BIN, sql, cacheHome, { PACEFLOW_HOME: home });
    expect(damaged.cache).toEqual(['rejected', 'written']);
    expect(damaged.stdout).toBe(first.stdout);
    expect(paceflow(BIN, sql, cacheHome, { PACEFLOW_HOME: home }).cache).toEqual(['used']);
  });

  it('is not written by a run that only asked for help or the version, or failed: it would hold little of the command', () => {
    const cacheHome = tempDir('paceflow-cache-');
    for (const args of [['report', '--help'], ['help', 'report'], ['--version'], ['report', '--no-such-option']]) {
      const run = paceflow(BIN, args, cacheHome);
      expect(run.cache, args.join(' ')).toEqual(['none']);
    }
    expect(cacheFiles(cacheHome)).toEqual([]);
  });

  it('is not written by a long run (V8 has dropped the code of the start-up functions by then); the next short run writes it', () => {
    const cacheHome = tempDir('paceflow-cache-');
    const home = tempDir('paceflow-home-');
    // Counting to 45 million in SQLite: ~6 s here, well past LONGEST_CACHED_RUN_MS (15 million
    // took 2.1–2.3 s, so one CI run ended just under the limit and wrote the cache).
    const long = ['sql', 'WITH RECURSIVE c(n) AS (SELECT 1 UNION ALL SELECT n + 1 FROM c WHERE n < 45000000) SELECT count(*) AS n FROM c'];
    const started = Date.now();
    const run = paceflow(BIN, long, cacheHome, { PACEFLOW_HOME: home });
    expect(run.status, run.stderr).toBe(0);
    expect(run.stdout).toContain('45000000');
    expect(Date.now() - started).toBeGreaterThan(LONGEST_CACHED_RUN_MS);
    expect(run.cache).toEqual(['none', 'skipped']);
    expect(cacheFiles(cacheHome)).toEqual([]);
    expect(paceflow(BIN, ['sql', 'SELECT 1 AS one'], cacheHome, { PACEFLOW_HOME: home }).cache).toEqual(['none', 'written']);
  });

  it.each([
    ['none', ['sql', 'x'], undefined, 100, 'write'],
    ['rejected', ['sql', 'x'], 0, 100, 'write'],
    ['none', ['sql', 'x'], undefined, LONGEST_CACHED_RUN_MS + 1, 'long run'],
    ['used', ['sql', 'x'], undefined, 100, 'keep'],
    ['untrusted', ['sql', 'x'], undefined, 100, 'keep'],
    ['none', ['report', '--help'], undefined, 100, 'keep'],
    ['none', ['report'], 2, 100, 'keep'],
    ['none', ['report'], 70, LONGEST_CACHED_RUN_MS + 1, 'keep'],
  ] as const)('a run with cache %s, arguments %j, exit code %j, %d ms: %s', (outcome, args, exitCode, runMs, expected) => {
    expect(cacheToWrite({ outcome, argv: ['node', 'paceflow', ...args], exitCode, runMs })).toBe(expected);
  });

  it('is neither read nor written in a folder someone else could write, nor through a link, nor when turned off', () => {
    const open = tempDir('paceflow-cache-');
    mkdirSync(join(open, 'paceflow', 'compile'), { recursive: true });
    chmodSync(join(open, 'paceflow', 'compile'), 0o777);
    const run = paceflow(BIN, ['--version'], open);
    expect(run.status).toBe(0);
    expect(run.cache).toEqual(['untrusted']);
    expect(cacheFiles(open)).toEqual([]);

    const linked = tempDir('paceflow-cache-');
    const elsewhere = tempDir('paceflow-cache-target-');
    chmodSync(elsewhere, 0o700);
    mkdirSync(join(linked, 'paceflow'));
    symlinkSync(elsewhere, join(linked, 'paceflow', 'compile'));
    expect(paceflow(BIN, ['--version'], linked).cache).toEqual(['untrusted']);
    expect(readdirSync(elsewhere)).toEqual([]);

    const off = tempDir('paceflow-cache-');
    const quiet = paceflow(BIN, ['--version'], off, { PACEFLOW_COMPILE_CACHE: '0' });
    expect(quiet.cache).toEqual(['off']);
    expect(quiet.stdout.trim()).toMatch(/^\d+\.\d+\.\d+/);
    expect(existsSync(join(off, 'paceflow'))).toBe(false);
  });

  it('keys the cache by the bundle file: a rebuilt bundle starts a new cache and removes the old build’s', () => {
    // A copy of the package's runnable parts, whose bundle this test may rewrite.
    const copy = tempDir('paceflow-package-');
    for (const part of ['bin', 'package.json', 'sql', 'dist/bundle-loader.cjs', 'dist/paceflow.cjs']) {
      cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    }
    symlinkSync(join(ROOT, 'node_modules'), join(copy, 'node_modules'));
    const bin = join(copy, 'bin', 'paceflow.js');
    const cacheHome = tempDir('paceflow-cache-');
    const env = { PACEFLOW_HOME: tempDir('paceflow-home-') };
    const sql = ['sql', 'SELECT 1 AS one'];
    expect(paceflow(bin, sql, cacheHome, env).cache).toEqual(['none', 'written']);
    expect(paceflow(bin, sql, cacheHome, env).cache).toEqual(['used']);
    const before = cacheFiles(cacheHome);
    // Caches an older paceflow named by sha256 pieces: this command's go with the next write.
    const folder = join(cacheHome, 'paceflow', 'compile');
    writeFileSync(join(folder, 'paceflow-sql-0123abcd-0123456789ab-0123abcd.v8'), '');
    writeFileSync(join(folder, 'paceflow-ingest-0123abcd-0123456789ab-0123abcd.v8'), '');
    // The same length would pass V8's own check (it compares the source's length): the key does not.
    appendFileSync(join(copy, 'dist', 'paceflow.cjs'), '\n// rebuilt\n');
    const rebuilt = paceflow(bin, sql, cacheHome, env);
    expect(rebuilt.cache).toEqual(['none', 'written']);
    expect(rebuilt.stdout).toContain('| one |');
    const after = cacheFiles(cacheHome).filter((f) => f !== 'paceflow-ingest-0123abcd-0123456789ab-0123abcd.v8');
    expect(cacheFiles(cacheHome)).toContain('paceflow-ingest-0123abcd-0123456789ab-0123abcd.v8');
    expect(after).toHaveLength(1);
    expect(after).not.toEqual(before);
    // The package's own bundle (another place) keeps its cache beside the copy's.
    expect(paceflow(BIN, sql, cacheHome, env).cache).toEqual(['none', 'written']);
    expect(cacheFiles(cacheHome)).toHaveLength(3);
  });

  it('is used by the hooks’ worker after a run that collected garbage (V8’s flags left as they were)', () => {
    const repo = TempRepo.create();
    const home = emptySessionHome();
    const cacheHome = tempDir('paceflow-cache-');
    const dir = tempDir('paceflow-worker-');
    const worker = () =>
      runQueuedWorker({
        repo: repo.dir,
        dir,
        env: { ...home.env, XDG_CACHE_HOME: cacheHome, PACEFLOW_COMPILE_CACHE_LOG: '1', PACEFLOW_DB: join(dir, 'paceflow.db') },
      })
        .filter((l) => l.startsWith('compile cache: '))
        .map((l) => l.split(' ')[2]);
    repo.write('a.ts', 'export const a = 1;\n').commit('first');
    expect(worker()).toEqual(['none', 'written']);
    repo.write('a.ts', 'export const a = 2;\n').commit('second');
    expect(worker()).toEqual(['used']);
    expect(cacheFiles(cacheHome)).toEqual([expect.stringMatching(/^paceflow-worker-hooks-/)]);
  });

  it.each([
    ['ingest', ['node', 'paceflow', 'ingest'], {}, 'paceflow-ingest-'],
    ['a command after --db and its value', ['node', 'paceflow', '--db', 'ingest.db', 'report'], {}, 'paceflow-report-'],
    ['no command', ['node', 'paceflow', '--version'], {}, 'paceflow-none-'],
    ['a word no command could be', ['node', 'paceflow', 'Ingest/../x'], {}, 'paceflow-none-'],
    ['turned off', ['node', 'paceflow', 'ingest'], { PACEFLOW_COMPILE_CACHE: '0' }, null],
  ] as const)('names the cache for %s', (_, argv, env, prefix) => {
    const file = cacheFile({ bundle: '/pkg/dist/paceflow.cjs', argv: [...argv] }, '1:2:3:4', { HOME: '/home/u', ...env });
    if (prefix === null) expect(file).toBeNull();
    else {
      expect(file!.dir).toBe('/home/u/.cache/paceflow/compile');
      expect(file!.file.slice(file!.dir.length + 1).startsWith(prefix)).toBe(true);
      expect(file!.file.startsWith(join(file!.dir, file!.build))).toBe(true);
    }
  });

  it.each([
    [['report', '--help'], true],
    [['report', '-h'], true],
    [['help', 'report'], true],
    [['--version'], true],
    [['--db', 'help', 'report'], false],
    [['sql', 'SELECT 1 -- --help'], false],
    [['report'], false],
  ] as const)('%j asks for help or the version: %s', (args, expected) => {
    expect(asksForHelp(['node', 'paceflow', ...args])).toBe(expected);
  });

  // FNV-1a's published 64-bit vectors, and a text beyond ASCII (hashed as its UTF-8 bytes).
  it.each([
    ['', 'cbf29ce484222325'],
    ['a', 'af63dc4c8601ec8c'],
    ['foobar', '85944171f73967e8'],
  ] as const)('names a cache by FNV-1a 64 of its key: %j is %s', (text, expected) => {
    expect(fingerprint(text)).toBe(expected);
  });

  it('names a cache by the UTF-8 bytes of its key, not its Latin-1 ones', () => {
    // FNV-1a 64 of c3 a9 (é in UTF-8); of e9 alone it would be af64644c8602d3a4.
    expect(fingerprint('é')).toBe('0ac21707b7181e01');
  });

  it('keys by the bundle’s place and identity, and keeps to $XDG_CACHE_HOME only when it is absolute', () => {
    const name = (bundle: string, identity: string, env: NodeJS.ProcessEnv = { HOME: '/home/u' }) =>
      cacheFile({ bundle, argv: ['node', 'paceflow', 'ingest'] }, identity, env)!.file;
    expect(name('/a/dist/paceflow.cjs', '1:2:3:4')).toBe(name('/a/dist/paceflow.cjs', '1:2:3:4'));
    expect(name('/a/dist/paceflow.cjs', '1:2:3:5')).not.toBe(name('/a/dist/paceflow.cjs', '1:2:3:4'));
    expect(name('/b/dist/paceflow.cjs', '1:2:3:4')).not.toBe(name('/a/dist/paceflow.cjs', '1:2:3:4'));
    expect(name('/a/dist/paceflow.cjs', '1', { HOME: '/home/u', XDG_CACHE_HOME: '/xdg' }).startsWith('/xdg/paceflow/compile/')).toBe(true);
    expect(name('/a/dist/paceflow.cjs', '1', { HOME: '/home/u', XDG_CACHE_HOME: 'relative' }).startsWith('/home/u/.cache/')).toBe(true);
  });

  it('trusts only a folder of this user’s that nobody else can write', () => {
    const base = tempDir('paceflow-folder-');
    const mine = join(base, 'mine');
    mkdirSync(mine, { mode: 0o700 });
    const shared = join(base, 'shared');
    mkdirSync(shared);
    chmodSync(shared, 0o775);
    symlinkSync(mine, join(base, 'link'));
    writeFileSync(join(base, 'file'), '');
    expect(folderState(mine)).toBe('trusted');
    expect(folderState(shared)).toBe('untrusted');
    expect(folderState(join(base, 'link'))).toBe('untrusted');
    expect(folderState(join(base, 'file'))).toBe('untrusted');
    expect(folderState(join(base, 'absent'))).toBe('missing');
  });
});

describe('bin/paceflow.js before a build', () => {
  it.each([
    ['no loader', ['bin', 'package.json']],
    ['a loader, no bundle', ['bin', 'package.json', 'dist/bundle-loader.cjs']],
  ])('%s: says to build, exit 70', (_, parts) => {
    const copy = tempDir('paceflow-package-');
    for (const part of parts) cpSync(join(ROOT, part), join(copy, part), { recursive: true });
    const r = spawnSync(process.execPath, [join(copy, 'bin', 'paceflow.js'), '--version'], { encoding: 'utf8' });
    expect(r.status).toBe(70);
    expect(r.stderr).toBe('paceflow: not built yet; run `npm install` (or `npm run build`) in the paceflow checkout\n');
  });
});

// V8 doubles its young generation up to two 16 MB semi-spaces while young objects survive, and a
// busy run never gets it back: every bundle the loader runs keeps it at its starting size.
describe('a bundle the loader runs', () => {
  it('keeps V8’s young generation at its starting size while its young objects survive', () => {
    const dir = tempDir('paceflow-bundle-');
    const work = `
      const v8 = require('node:v8');
      const keep = [];
      for (let i = 0; i < 3e6; i++) {
        const o = { a: i, b: 'x' + i };
        if (i % 10 === 0) keep.push(o);
      }
      process.stdout.write(String(v8.getHeapSpaceStatistics().find((s) => s.space_name === 'new_space').space_size));`;
    // As the build writes the bundles the loader runs: one function expression of CommonJS's arguments.
    writeFileSync(join(dir, 'bundle.cjs'), `${LOADER_WRAPPER.head}module.exports.main = async () => {${work}\n};\n${LOADER_WRAPPER.tail}`);
    const newSpace = (script: string) => {
      const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, PACEFLOW_COMPILE_CACHE: '0' }, encoding: 'utf8' });
      expect(r.stderr).toBe('');
      return Number(r.stdout);
    };
    const loaded = newSpace(
      `require(${JSON.stringify(join(ROOT, 'dist', 'bundle-loader.cjs'))}).runBundle({ bundle: ${JSON.stringify(join(dir, 'bundle.cjs'))}, argv: ['node', 'paceflow', 'ingest'] })`,
    );
    // The same work without the loader: V8 grows it.
    expect(newSpace(work)).toBeGreaterThan(16 << 20);
    expect(loaded).toBeLessThanOrEqual(4 << 20);
  });
});

describe('the CLI’s bundles', () => {
  // What a start costs is mostly what it loads and touches: node's child_process, zlib,
  // worker_threads and crypto were ~15 ms of a run with nothing new (bench/README, session 72).
  it('load node’s child_process, zlib, worker_threads and crypto only when a run uses them', () => {
    const home = emptySessionHome();
    const loaded = (args: string[], cwd: string) => {
      const r = spawnSync(process.execPath, ['-r', join(ROOT, 'test', 'helpers', 'print-loaded-modules.cjs'), BIN, ...args], {
        cwd,
        env: { ...process.env, HOME: home.home, PACEFLOW_HOME: tempDir('paceflow-home-'), PACEFLOW_COMPILE_CACHE: '0' },
        encoding: 'utf8',
      });
      expect(r.status, r.stderr).toBe(0);
      const line = r.stderr.split('\n').find((l) => l.startsWith('loaded modules: '))!;
      return line
        .slice('loaded modules: '.length)
        .split(' ')
        .filter((m) => LAZY_BUILTINS.includes(m));
    };
    const db = join(tempDir('paceflow-db-'), 'p.db');
    expect(loaded(['--version'], tempDir())).toEqual([]);
    // The database opened, its views checked: nothing of the four.
    expect(loaded(['--db', db, 'sql', 'SELECT 1'], tempDir())).toEqual([]);
    expect(loaded(['--db', db, 'sql', 'SELECT 1'], tempDir())).toEqual([]);
    // Outside any repository: the walk for transcripts, and crypto for the digest of what it found.
    expect(loaded(['--db', db, 'ingest', '--no-progress'], tempDir())).toEqual(['crypto']);
    expect(loaded(['--db', db, 'ingest', '--no-progress'], tempDir())).toEqual(['crypto']);
    // In a repository git runs: child_process is loaded when it is first used (the list can fail).
    const repo = TempRepo.create();
    repo.write('a.ts', 'export const a = 1;\n').commit('first');
    expect(loaded(['--db', db, 'ingest', '--no-progress'], repo.dir)).toContain('child_process');
  });

  it('are ASCII (read without decoding) and run no import() a vm.Script could not', () => {
    for (const bundle of ['paceflow.cjs', 'paceflow-worker.cjs', 'bundle-loader.cjs']) {
      const bytes = readFileSync(join(ROOT, 'dist', bundle));
      expect(bytes.every((b) => b < 0x80)).toBe(true);
      expect(bytes.toString('latin1')).not.toMatch(/\bimport\(\s*["'`]/);
    }
  });
});
