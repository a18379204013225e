import { spawnSync } from 'node:child_process';
import { chmodSync, closeSync, existsSync, mkdirSync, openSync, readdirSync, writeFileSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { readErrorReason } from '../src/ingest/sessions.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { ownFixtureHome } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const BIN = fileURLToPath(new URL('../bin/paceflow.js', import.meta.url));

/** A repository with one commit, an empty HOME, and a corrupt database file beside a fresh one. */
function setup() {
  const repo = TempRepo.create();
  repo.write('a.txt', 'alpha\n').commit('first');
  const dir = tempDir('paceflow-errors-');
  const corrupt = join(dir, 'corrupt.db');
  writeFileSync(corrupt, Buffer.from(Array.from({ length: 8192 }, (_, i) => (i * 7919) % 251)));
  const home = tempDir('paceflow-home-');
  const run = (args: string[], cwd = repo.dir) => {
    const r = spawnSync(process.execPath, [BIN, ...args], {
      cwd,
      env: { ...process.env, HOME: home, PACEFLOW_HOME: join(home, 'pf') },
      encoding: 'utf8',
    });
    return { code: r.status, stderr: r.stderr, stdout: r.stdout };
  };
  return { repo, dir, corrupt, run, fresh: join(dir, 'fresh.db') };
}

/** The README's "Exit codes and errors" table, one row per case. */
describe('exit codes', () => {
  const s = setup();
  it.each([
    ['an unknown option', ['report', '--bogus'], 2, /^paceflow: unknown option '--bogus'/],
    ['a bad --format', ['report', '-f', 'xml'], 2, /^paceflow: option '-f, --format <format>' argument 'xml' is invalid/],
    ['an unknown command', ['nosuch'], 2, /^paceflow: unknown command 'nosuch'/],
    ['a missing argument', ['show'], 2, /^paceflow: missing required argument 'commit'/],
    ['a query that is not SQL', ['--db', 'DB', 'sql', 'SELEC 1'], 2, /^paceflow: query failed: near "SELEC"/],
    ['a write through sql', ['--db', 'DB', 'sql', 'DELETE FROM metadata_commits'], 2, /^paceflow: paceflow sql runs read-only queries/],
    [
      '--db in a folder that does not exist',
      ['--db', 'MISSING', 'report', '--no-ingest'],
      1,
      /^paceflow: database .*: the folder .* does not exist/,
    ],
    ['--version', ['--version'], 0, /^$/],
    ['--help', ['--help'], 0, /^$/],
  ] as const)('%s → %i', (_name, args, code, stderr) => {
    const missing = join(s.dir, 'no', 'such', 'folder', 'x.db');
    const r = s.run(args.map((a) => (a === 'DB' ? s.fresh : a === 'MISSING' ? missing : a)));
    expect(r.code, r.stderr).toBe(code);
    expect(r.stderr).toMatch(stderr);
    expect(existsSync(join(s.dir, 'no')), 'no folder is made for --db').toBe(false);
  });

  it.each([['ingest'], ['report'], ['stats'], ['task-stats'], ['show', 'HEAD'], ['doctor'], ['sql', 'SELECT 1']])(
    'a corrupt database: `%s` → 1, naming the file',
    (...args) => {
      const r = s.run(['--db', s.corrupt, ...args]);
      expect(r.code, r.stderr).toBe(1);
      expect(r.stderr).toBe(`paceflow: database ${s.corrupt}: not a SQLite database, or corrupt\n`);
    },
  );

  it('a database whose pages are damaged: sql → 1 (a database error, not a usage error)', () => {
    const db = join(s.dir, 'damaged.db');
    expect(s.run(['--db', db, 'ingest', '--no-sessions']).code).toBe(0);
    // Overwrite the root page of one table (not sqlite_master): the database opens, the query hits it.
    const d = openDatabase(db);
    const page = d
      .prepare(`SELECT rootpage FROM sqlite_master WHERE name = 'metadata_commit_file_changes'`)
      .get<{ rootpage: number }>()!.rootpage;
    const pageSize = Number((d.pragma('page_size') as { page_size: number }[])[0]!.page_size);
    d.pragma('wal_checkpoint(TRUNCATE)');
    d.close();
    const fd = openSync(db, 'r+');
    writeSync(fd, Buffer.alloc(pageSize, 0x5a), 0, pageSize, (page - 1) * pageSize);
    closeSync(fd);
    // A column no index holds, so the query must read the damaged table itself.
    const r = s.run(['--db', db, 'sql', 'SELECT sum(added_lines) FROM metadata_commit_file_changes']);
    expect(r.stderr).toMatch(/^paceflow: database .*damaged\.db: not a SQLite database, or corrupt/);
    expect(r.code).toBe(1);
  });
});

describe('an unreadable transcript', () => {
  it.each([
    [Object.assign(new Error("EACCES: permission denied, open '/x/y.jsonl'"), { code: 'EACCES' }), 'permission denied (EACCES)'],
    [
      Object.assign(new Error("ENOENT: no such file or directory, open '/x/y.jsonl'"), { code: 'ENOENT' }),
      'no such file or directory (ENOENT)',
    ],
    [new Error('something else'), 'something else'],
  ])('%s → %s', (error, reason) => {
    expect(readErrorReason(error)).toBe(reason);
  });

  it('is skipped with one clean line, and doctor lists it with the reason until it can be read', () => {
    const home = ownFixtureHome();
    const transcript = join(home.claudeProjects, '-home-dev-shop', '5d1c0a7e-3f41-4b8e-9c2a-6e0f1b2c3d4e.jsonl');
    const dbDir = tempDir('paceflow-db-');
    const db = join(dbDir, 'p.db');
    // As root, a file's mode does not stop a read: run paceflow as nobody then (everything else readable to it).
    const asRoot = process.getuid?.() === 0;
    if (asRoot) {
      for (const dir of [home.home, dbDir]) {
        chmodSync(dir, 0o777);
        const open = (d: string) => {
          for (const e of readdirSync(d, { withFileTypes: true })) {
            if (e.isDirectory()) {
              chmodSync(join(d, e.name), 0o777);
              open(join(d, e.name));
            }
          }
        };
        open(dir);
      }
      mkdirSync(join(home.home, '.local', 'share'), { recursive: true });
    }
    chmodSync(transcript, 0o000);
    const run = (...args: string[]) =>
      spawnSync(process.execPath, [BIN, '--db', db, ...args], {
        cwd: home.home,
        env: home.env,
        encoding: 'utf8',
        ...(asRoot ? { uid: 65534, gid: 65534 } : {}),
      });
    const ingest = run('ingest', '--provider', 'claude');
    expect(ingest.status, ingest.stderr).toBe(0);
    expect(ingest.stderr).toContain(`paceflow: warning: claude-code: skipped ${transcript}: permission denied (EACCES)\n`);
    expect(ingest.stderr).not.toMatch(/EACCES: EACCES|open '/);
    const doctor = JSON.parse(run('doctor', '-f', 'json').stdout) as { providers: { provider: string; skipped_files: string | null }[] };
    expect(doctor.providers.find((p) => p.provider === 'claude-code')?.skipped_files).toBe(`${transcript}: permission denied (EACCES)`);
    chmodSync(transcript, 0o644);
    expect(run('ingest', '--provider', 'claude').status).toBe(0);
    const after = JSON.parse(run('doctor', '-f', 'json').stdout) as { providers: { provider: string; skipped_files: string | null }[] };
    expect(after.providers.find((p) => p.provider === 'claude-code')?.skipped_files).toBeNull();
  });
});
