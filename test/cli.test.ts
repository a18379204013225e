import { reportSections } from './helpers/report-json.js';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { fixtureSessionHome, itShared } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const BIN = fileURLToPath(new URL('../bin/paceflow.js', import.meta.url));
const VERSION = (JSON.parse(readFileSync(new URL('../package.json', import.meta.url), 'utf8')) as { version: string }).version;

interface Run {
  code: number | null;
  stdout: string;
  stderr: string;
}

function paceflow(args: string[], options: { cwd?: string; home?: string; env?: NodeJS.ProcessEnv } = {}): Run {
  const home = options.home ?? tempDir('paceflow-home-');
  const result = spawnSync(process.execPath, [BIN, ...args], {
    cwd: options.cwd ?? tempDir(),
    env: { ...process.env, ...options.env, PACEFLOW_HOME: home },
    encoding: 'utf8',
  });
  return { code: result.status, stdout: result.stdout, stderr: result.stderr };
}

function sampleRepo(): TempRepo {
  const repo = TempRepo.create();
  repo.write('a.ts', 'export const answer = 42;\n').commit('first');
  repo.write('b.ts', 'export const other = 7;\n').commit('Add b (#3)\n\nCo-authored-by: Claude <noreply@anthropic.com>');
  return repo;
}

describe('paceflow CLI', () => {
  it('prints its version and help for every command', () => {
    expect(paceflow(['--version']).stdout.trim()).toBe(VERSION);
    const help = paceflow(['--help']);
    expect(help.code).toBe(0);
    for (const command of ['ingest', 'report', 'stats', 'task-stats', 'show', 'doctor', 'sql']) {
      expect(help.stdout).toContain(command);
      const sub = paceflow([command, '--help']);
      expect(sub.code, command).toBe(0);
      expect(sub.stdout).toContain(`Usage: paceflow ${command}`);
    }
    expect(paceflow(['report', '--help']).stdout).toMatch(/--format[\s\S]*--view[\s\S]*--all-repos[\s\S]*--no-ingest/);
  });

  it('report ingests the repository and renders the views (Markdown when piped, JSON on request)', () => {
    const repo = sampleRepo();
    const home = tempDir('paceflow-home-');
    const md = paceflow(['report'], { cwd: repo.dir, home });
    expect(md.code).toBe(0);
    expect(md.stdout).toContain('### view_repository_commit_quality');
    expect(md.stdout).toContain('### view_repository_commits_by_provider');
    expect(existsSync(join(home, 'paceflow.db'))).toBe(true);

    const json = paceflow(['report', '--format', 'json', '--no-ingest'], { cwd: repo.dir, home });
    const parsed = reportSections(json.stdout) as Record<string, Record<string, unknown>[]>;
    expect(parsed.view_repository_commit_quality).toEqual([
      expect.objectContaining({ commits: 2, non_merge_commits: 2, ai_marked_commits: 1, ai_marked_share: 0.5, mainline_branch: 'main' }),
    ]);
    expect(parsed.view_repository_commits_by_provider).toEqual([
      expect.objectContaining({ provider: 'claude', ai_marked_commits: 1, by_trailer: 1 }),
    ]);

    const csv = paceflow(['report', '-f', 'csv', '--view', 'repository_commits_by_provider', '--no-ingest'], { cwd: repo.dir, home });
    expect(csv.stdout.split('\r\n')[0]).toMatch(/^repo_id,provider,ai_marked_commits,/);
    const csvAll = paceflow(['report', '-f', 'csv', '--no-ingest'], { cwd: repo.dir, home });
    expect(csvAll.code).toBe(2);
    expect(csvAll.stderr).toMatch(/--format csv writes one table; choose one with --view/);
  });

  it('report outside a repository covers every repository in the database', () => {
    const home = tempDir('paceflow-home-');
    const a = sampleRepo();
    // A different root commit: two clones of one history are one repository by design.
    const b = TempRepo.create();
    b.write('x.ts', 'export const x = 1;\n').commit('another project');
    b.write('c.ts', 'export const third = 3;\n').commit('third');
    paceflow(['ingest'], { cwd: a.dir, home });
    paceflow(['ingest', '--repo', b.dir], { home });
    const out = paceflow(['report', '-f', 'json'], { cwd: tempDir(), home });
    expect(out.code).toBe(0);
    expect(out.stderr).toContain('not inside a git repository: reporting every repository');
    const rows = (reportSections(out.stdout) as unknown as Record<string, { commits: number }[]>).view_repository_commit_quality!;
    expect(rows.map((r) => r.commits).sort()).toEqual([2, 2]);
    const onlyA = reportSections(paceflow(['report', '-f', 'json', '--no-ingest'], { cwd: a.dir, home }).stdout) as Record<
      string,
      unknown[]
    >;
    expect(onlyA.view_repository_commit_quality).toHaveLength(1);
  });

  it('ingest says what it recorded, then that it is up to date', () => {
    const repo = sampleRepo();
    const home = tempDir('paceflow-home-');
    const first = paceflow(['ingest'], { cwd: repo.dir, home });
    expect(first.code).toBe(0);
    expect(first.stdout).toMatch(/: 2 new commits, 2 file changes; 2 refs; mainline main \(main\)/);
    expect(paceflow(['ingest'], { cwd: repo.dir, home }).stdout).toMatch(/: up to date;/);
  });

  it('sql runs read-only queries in every format and refuses writes', () => {
    const repo = sampleRepo();
    const home = tempDir('paceflow-home-');
    paceflow(['ingest'], { cwd: repo.dir, home });
    const json = paceflow(['sql', 'SELECT subject, ai_marker FROM metadata_commits ORDER BY committed_at', '-f', 'json'], { home });
    expect(JSON.parse(json.stdout)).toEqual([
      { subject: 'first', ai_marker: null },
      { subject: 'Add b (#3)', ai_marker: 'claude' },
    ]);
    expect(paceflow(['sql', 'SELECT count(*) AS n FROM metadata_commits', '-f', 'csv'], { home }).stdout).toBe('n\r\n2\n');
    for (const write of ['DELETE FROM metadata_commits', 'DROP TABLE metadata_commits', "UPDATE metadata_commits SET subject = 'x'"]) {
      const refused = paceflow(['sql', write], { home });
      expect(refused.code, write).toBe(2);
      expect(refused.stderr).toContain('read-only');
    }
    const twoStatements = paceflow(['sql', 'SELECT 1; DELETE FROM metadata_commits'], { home });
    expect(twoStatements.code).toBe(2);
    expect(paceflow(['sql', 'SELECT count(*) AS n FROM metadata_commits', '-f', 'json'], { home }).stdout).toContain('"n": 2');
    const typo = paceflow(['sql', 'SELEC 1'], { home });
    expect(typo).toMatchObject({ code: 2, stderr: expect.stringMatching(/^paceflow: query failed: near "SELEC": syntax error\n$/) });
  });

  itShared('stats reads the transcripts and prints the session views; --provider narrows, a bad one is refused', () => {
    const sessions = fixtureSessionHome();
    const home = tempDir('paceflow-home-');
    const codexOnly = paceflow(['ingest', '--provider', 'codex'], { home, env: sessions.env });
    expect(codexOnly.code).toBe(0);
    expect(codexOnly.stdout).toMatch(/codex: 1 transcripts, 1 read \(0\.7 MB\), 0 unchanged; 335 new records, 3 edits, 1 sessions updated/);
    expect(codexOnly.stdout).not.toContain('claude-code:');
    const stats = paceflow(['stats', '-f', 'json', '--sessions-list'], { home, env: sessions.env });
    expect(stats.code).toBe(0);
    const parsed = reportSections(stats.stdout) as Record<string, Record<string, unknown>[]>;
    expect(parsed.view_global_session_quality![0]).toMatchObject({ scope: 'all', sessions: 7 });
    expect(parsed.view_session_productivity).toHaveLength(7);
    expect(paceflow(['stats', '--no-ingest', '-f', 'json'], { home, env: sessions.env }).code).toBe(0);
    const bad = paceflow(['ingest', '--provider', 'vim'], { home, env: sessions.env });
    expect(bad).toMatchObject({ code: 2, stderr: expect.stringContaining('unknown provider "vim"') });
    const doctor = JSON.parse(paceflow(['doctor', '-f', 'json'], { home, env: sessions.env }).stdout) as Record<
      string,
      Record<string, unknown>[]
    >;
    expect(doctor.providers!.map((p) => [p.provider, p.files_found, p.files_read, p.sessions])).toEqual([
      ['claude-code', 8, 8, 7],
      ['codex', 1, 1, 1],
      ['gemini-cli', 0, 0, 0],
      ['amp', 0, 0, 0],
      ['copilot', 0, 0, 0],
      ['cursor', 0, 0, 0],
      ['aider', 0, 0, 0],
      ['opencode', 0, 0, 0],
    ]);
    expect(doctor.providers![2]!.looked_in).toMatch(/\.gemini\/tmp \(missing\)$/);
    const badSince = paceflow(['ingest', '--since', 'yesterday-ish'], { home, env: sessions.env });
    expect(badSince).toMatchObject({ code: 2, stderr: expect.stringContaining('--since: not a date or a duration') });
  });

  itShared('warns about Claude transcripts due for deletion that were left unread', async () => {
    const sessions = fixtureSessionHome();
    const { utimesSync } = await import('node:fs');
    const old = new Date(Date.now() - 28 * 86400e3);
    const file = join(sessions.claudeProjects, 'v2.0.69_gitai_thinking', 'dac34307-159f-4fcd-9c21-35210246ad38.jsonl');
    utimesSync(file, old, old);
    const run = paceflow(['ingest', '--since', '7d'], { env: sessions.env });
    expect(run.code).toBe(0);
    expect(run.stderr).toMatch(
      /claude-code: 1 transcripts are not fully read and Claude deletes them after 30 days \(cleanupPeriodDays\): .*dac34307/,
    );
  });

  it('task-stats prints one task or all of them', () => {
    const repo = TempRepo.create();
    repo.write('a.ts', 'export const a = 1;\n').commit('ABC-12 first part');
    repo.write('b.ts', 'export const b = 2;\n').commit('unrelated');
    const home = tempDir('paceflow-home-');
    const all = reportSections(paceflow(['task-stats', '-f', 'json'], { cwd: repo.dir, home }).stdout) as Record<
      string,
      { task_key: string; commits: number }[]
    >;
    expect(all.view_task_execution_quality!.map((r) => [r.task_key, r.commits])).toEqual([
      ['ABC-12', 1],
      ['(no task key)', 1],
    ]);
    const one = reportSections(paceflow(['task-stats', 'abc-12', '-f', 'json', '--no-ingest'], { cwd: repo.dir, home }).stdout) as Record<
      string,
      unknown[]
    >;
    expect(one.view_task_execution_quality).toHaveLength(1);
  });

  it('honours --db over PACEFLOW_HOME', () => {
    const repo = sampleRepo();
    const home = tempDir('paceflow-home-');
    const db = join(tempDir(), 'custom.db');
    expect(paceflow(['--db', db, 'ingest'], { cwd: repo.dir, home }).code).toBe(0);
    expect(existsSync(db)).toBe(true);
    expect(existsSync(join(home, 'paceflow.db'))).toBe(false);
  });

  describe('bad input: one line naming the cause, a non-zero exit, nothing half-written', () => {
    const oneLine = (run: Run) => {
      expect(run.code).not.toBe(0);
      expect(run.stderr.trim().split('\n')).toHaveLength(1);
      expect(run.stderr).toMatch(/^paceflow: /);
    };

    it('not a git repository', () => {
      const dir = tempDir();
      const home = tempDir('paceflow-home-');
      const run = paceflow(['ingest', '--no-sessions'], { cwd: dir, home });
      oneLine(run);
      expect(run.stderr).toContain(`not inside a git repository: ${dir}`);
      expect(existsSync(join(home, 'paceflow.db'))).toBe(false);
      // With transcripts to read, outside a repository is not an error: sessions only.
      const sessionsOnly = paceflow(['ingest'], { cwd: dir, home });
      expect(sessionsOnly.code).toBe(0);
      expect(sessionsOnly.stdout).toContain(`${dir} is not inside a git repository: reading session transcripts only`);
    });

    it('a repository path that does not exist', () => {
      const run = paceflow(['ingest', '--repo', '/nonexistent/place']);
      oneLine(run);
      expect(run.stderr).toContain('directory does not exist: /nonexistent/place');
    });

    it('a corrupt database', () => {
      const repo = sampleRepo();
      const db = join(tempDir(), 'corrupt.db');
      writeFileSync(db, 'this is not a database, just text that happens to be long enough '.repeat(100));
      const before = readFileSync(db);
      const run = paceflow(['--db', db, 'ingest'], { cwd: repo.dir });
      oneLine(run);
      expect(run.stderr).toContain(`database ${db}: not a SQLite database, or corrupt`);
      expect(readFileSync(db)).toEqual(before);
    });

    it('a database path that cannot be created', () => {
      const repo = sampleRepo();
      const file = join(tempDir(), 'plain-file');
      writeFileSync(file, 'x');
      const run = paceflow(['--db', join(file, 'paceflow.db'), 'ingest'], { cwd: repo.dir });
      oneLine(run);
      expect(run.stderr).toContain(`database ${join(file, 'paceflow.db')}:`);
    });

    it('a bad configuration file', () => {
      const repo = sampleRepo();
      repo.write('paceflow.config.json', '{"heavyAiThreshold": "lots"}');
      const home = tempDir('paceflow-home-');
      const run = paceflow(['ingest'], { cwd: repo.dir, home });
      oneLine(run);
      expect(run.stderr).toMatch(/paceflow\.config\.json: "heavyAiThreshold" /);
      expect(existsSync(join(home, 'paceflow.db'))).toBe(false);
    });

    it('a bad flag value', () => {
      const repo = sampleRepo();
      const run = paceflow(['ingest', '--heavy-ai-threshold', '7'], { cwd: repo.dir });
      oneLine(run);
      expect(run.stderr).toContain('command-line flags: "heavyAiThreshold"');
      const notNumber = paceflow(['ingest', '--churn-window', 'soon'], { cwd: repo.dir });
      expect(notNumber.code).not.toBe(0);
      expect(notNumber.stderr).toContain('not a number');
    });

    it('a database locked by another writer (after the 5 s busy timeout)', async () => {
      const repo = sampleRepo();
      const home = tempDir('paceflow-home-');
      expect(paceflow(['ingest'], { cwd: repo.dir, home }).code).toBe(0);
      const dbPath = join(home, 'paceflow.db');
      const holder = spawn(
        process.execPath,
        [
          '-e',
          `const D = require('better-sqlite3'); const db = new D(${JSON.stringify(dbPath)});
           db.exec('BEGIN EXCLUSIVE'); console.log('locked'); setTimeout(() => db.exec('ROLLBACK'), 9000);`,
        ],
        { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: ['ignore', 'pipe', 'inherit'] },
      );
      await new Promise<void>((resolve) => holder.stdout.once('data', () => resolve()));
      repo.write('c.ts', 'export const more = 1;\n').commit('more');
      const started = Date.now();
      const run = await new Promise<Run>((resolve) => {
        const child = spawn(process.execPath, [BIN, 'ingest'], { cwd: repo.dir, env: { ...process.env, PACEFLOW_HOME: home } });
        let stdout = '';
        let stderr = '';
        child.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
        child.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
        child.on('close', (code) => resolve({ code, stdout, stderr }));
      });
      holder.kill();
      oneLine(run);
      expect(run.stderr).toContain(`database ${dbPath}: locked by another process`);
      expect(Date.now() - started).toBeGreaterThanOrEqual(4900);
      const after = paceflow(['sql', 'SELECT count(*) AS n FROM metadata_commits', '-f', 'csv'], { home });
      expect(after.stdout).toBe('n\r\n2\n');
    }, 30_000);
  });
});
