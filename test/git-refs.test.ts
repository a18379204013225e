import { spawnSync } from 'node:child_process';
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { globToRegExp, refExcluded } from '../src/git/ref-globs.js';
import { gitText, subcommandOf } from '../src/git/run.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const BIN = fileURLToPath(new URL('../bin/paceflow.js', import.meta.url));

function cli(repo: TempRepo, db: string, ...args: string[]) {
  const r = spawnSync(process.execPath, [BIN, '--db', db, ...args], {
    cwd: repo.dir,
    encoding: 'utf8',
    env: { ...process.env, HOME: repo.dir },
  });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function rows<T>(db: string, sql: string): T[] {
  const d = openDatabase(db);
  try {
    return d.prepare(sql).all<T>();
  } finally {
    d.close();
  }
}

/** A repository whose side branch's newest commit has a blob that is not there (a damaged or partial clone). */
function damaged(): { repo: TempRepo; missing: string } {
  const repo = TempRepo.create();
  repo.write('a.py', 'def alpha():\n    return compute_alpha()\n').commit('first');
  repo.git('checkout', '-q', '-b', 'data/generated');
  repo.write('big.json', '{"generated": "a large file the clone does not have"}\n').commit('generated data');
  const missing = repo.git('rev-parse', 'HEAD:big.json');
  repo.git('checkout', '-q', 'main');
  repo.write('b.py', 'def beta():\n    return compute_beta()\n').commit('second');
  rmSync(join(repo.dir, '.git', 'objects', missing.slice(0, 2), missing.slice(2)));
  return { repo, missing };
}

describe('refs git cannot read', () => {
  it('are skipped with a warning naming the ref and the object; the rest is recorded; doctor lists them; the next run tries again', async () => {
    const { repo, missing } = damaged();
    const db = join(tempDir('paceflow-db-'), 'p.db');
    const first = cli(repo, db, 'ingest', '--no-sessions');
    expect(first.code, first.stderr).toBe(0);
    expect(first.stderr).toContain('skipped refs/heads/data/generated: git cannot read its history (git log failed (exit 128)');
    expect(first.stderr).toContain(missing);
    expect(rows<{ subject: string }>(db, `SELECT subject FROM metadata_commits ORDER BY committed_at`).map((r) => r.subject)).toEqual([
      'first',
      'second',
    ]);
    expect(rows(db, `SELECT ref_name, kind, object FROM fact_ref_problems`)).toEqual([
      { ref_name: 'refs/heads/data/generated', kind: 'unreadable', object: missing },
    ]);
    const doctor = JSON.parse(cli(repo, db, 'doctor', '-f', 'json').stdout) as { refs?: { ref: string; kind: string }[] };
    expect(doctor.refs?.map((r) => [r.ref, r.kind])).toEqual([['refs/heads/data/generated', 'unreadable']]);
    // doctor's refs section as a person reads it (the object id and the folder vary: named).
    const section = cli(repo, db, 'doctor', '-f', 'md').stdout.split('### refs')[1]!.split('\n### ')[0]!;
    await expect(`### refs${section.replaceAll(repo.dir, '<repo>').replaceAll(missing, '<object>')}`).toMatchFileSnapshot(
      '__snapshots__/doctor-refs-unreadable.md',
    );
    // Still unreadable: skipped again, never recorded as read.
    expect(cli(repo, db, 'ingest', '--no-sessions').stderr).toContain('skipped refs/heads/data/generated');
    expect(rows(db, `SELECT ref_name FROM fact_git_ref_tips WHERE ref_name = 'refs/heads/data/generated'`)).toEqual([]);
    // Left out on purpose: no warning, no problem row, the count says so.
    const excluded = cli(repo, db, 'ingest', '--no-sessions', '--exclude-ref', 'data/*');
    expect(excluded.stderr).not.toContain('skipped');
    expect(excluded.stdout).toContain('1 left out by refs.exclude');
    expect(rows(db, `SELECT * FROM fact_ref_problems`)).toEqual([]);
  });

  it('a ref that becomes readable is recorded by the next run and leaves doctor', () => {
    const { repo, missing } = damaged();
    const db = join(tempDir('paceflow-db-'), 'p.db');
    cli(repo, db, 'ingest', '--no-sessions');
    // Put the object back (what a fetch of the missing objects does).
    spawnSync('git', ['hash-object', '-w', '--stdin'], { cwd: repo.dir, input: '{"generated": "a large file the clone does not have"}\n' });
    expect(repo.git('cat-file', '-t', missing)).toBe('blob');
    const again = cli(repo, db, 'ingest', '--no-sessions');
    expect(again.stderr).not.toContain('skipped');
    expect(rows<{ subject: string }>(db, `SELECT subject FROM metadata_commits ORDER BY committed_at`).map((r) => r.subject)).toEqual([
      'first',
      'generated data',
      'second',
    ]);
    expect(rows(db, `SELECT * FROM fact_ref_problems`)).toEqual([]);
  });

  it('an orphan branch (no history in common with mainline) is read and reported in doctor', () => {
    const repo = TempRepo.create();
    repo.write('a.py', 'def alpha():\n    return 1\n').commit('first');
    repo.git('checkout', '-q', '--orphan', 'entire/checkpoints/v1');
    repo.git('rm', '-rq', '--cached', '.');
    repo.write('checkpoint.json', '{"session": 1}\n').commit('checkpoint');
    repo.git('checkout', '-q', '-f', 'main');
    // Beside it (a first run reads every branch in one walk), branches that share mainline's
    // history: one with a commit of its own, one at mainline, one that merged the orphan history in.
    repo.git('branch', 'at-main');
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('t.py', 'def topic():\n    return 3\n').commit('topic');
    repo.git('checkout', '-q', '-b', 'joined', 'main');
    repo.git('merge', '-q', '--allow-unrelated-histories', '-m', 'join', 'entire/checkpoints/v1');
    repo.git('checkout', '-q', 'main');
    const db = join(tempDir('paceflow-db-'), 'p.db');
    expect(cli(repo, db, 'ingest', '--no-sessions').code).toBe(0);
    expect(rows(db, `SELECT ref_name, kind FROM fact_ref_problems`)).toEqual([
      { ref_name: 'refs/heads/entire/checkpoints/v1', kind: 'orphan' },
    ]);
    const doctor = JSON.parse(cli(repo, db, 'doctor', '-f', 'json').stdout) as { refs?: { ref: string; kind: string; fix: string }[] };
    expect(doctor.refs?.[0]).toMatchObject({ ref: 'refs/heads/entire/checkpoints/v1', kind: 'orphan' });
    expect(doctor.refs?.[0]?.fix).toContain('refs.exclude');
    // Later runs: the orphan branch moves on (a tool adds a checkpoint), mainline gets a commit; the
    // row stays, and only new branches are checked again.
    repo.git('checkout', '-q', 'entire/checkpoints/v1');
    repo.write('checkpoint.json', '{"session": 2}\n').commit('checkpoint 2');
    repo.git('checkout', '-q', 'main');
    repo.write('b.py', 'def beta():\n    return 2\n').commit('second');
    expect(cli(repo, db, 'ingest', '--no-sessions').code).toBe(0);
    expect(rows(db, `SELECT ref_name, kind FROM fact_ref_problems`)).toEqual([
      { ref_name: 'refs/heads/entire/checkpoints/v1', kind: 'orphan' },
    ]);
    repo.git('branch', '-q', '-D', 'entire/checkpoints/v1');
    expect(cli(repo, db, 'ingest', '--no-sessions').code).toBe(0);
    expect(rows(db, `SELECT * FROM fact_ref_problems`)).toEqual([]);
  });
});

describe('ref globs', () => {
  it.each([
    ['entire/checkpoints/*', 'refs/heads/entire/checkpoints/a1', true],
    ['entire/checkpoints/*', 'refs/heads/entire/checkpoints/a1/b', false],
    ['entire/**', 'refs/heads/entire/checkpoints/a1/b', true],
    ['origin/data-?', 'refs/remotes/origin/data-1', true],
    ['refs/tags/v1.*', 'refs/tags/v1.2', true],
    ['v1.*', 'refs/tags/v1x2', false],
    ['*', 'HEAD', false],
  ] as const)('%s on %s → %s', (glob, ref, excluded) => {
    expect(refExcluded(ref, [glob])).toBe(excluded);
  });

  it('escapes every regular-expression character but * and ?', () => {
    expect(globToRegExp('a.b+(c)').test('a.b+(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });
});

describe('git errors name the subcommand', () => {
  it.each([
    [['-c', 'log.showSignature=false', 'log', '--all'], 'log'],
    [['-C', '/repo', 'rev-parse', 'HEAD'], 'rev-parse'],
    [['cat-file', '--batch'], 'cat-file'],
  ] as const)('%j → %s', (args, sub) => {
    expect(subcommandOf(args)).toBe(sub);
  });

  it('in the message of a real failure', async () => {
    const repo = TempRepo.create();
    await expect(gitText(['-c', 'log.showSignature=false', 'log', 'no-such-ref'], { cwd: repo.dir })).rejects.toThrow(
      /^git log failed \(exit 128\)/,
    );
  });
});
