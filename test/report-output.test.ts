import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { type ReportOptions, report, reportDocument } from '../src/cli/commands/report.js';
import { listViews } from '../src/report/views.js';
import { withDatabase } from '../src/db/with-database.js';
import { displayWidth, PLAIN_STYLE, renderTerminalView, terminalStyle, truncate } from '../src/report/terminal.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { type SampleRepository, sampleRepository, stable } from './helpers/sample-repository.js';
import { emptySessionHome } from './helpers/sessions.js';

const NOW = new Date('2026-11-28T12:00:00Z');
const CLI = join(import.meta.dirname, '..', 'bin', 'paceflow.js');
let sample: SampleRepository;

beforeAll(async () => {
  sample = sampleRepository();
  await report({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, format: 'json', now: NOW });
});
afterAll(cleanupTempDirs);

const run = (extra: Partial<Parameters<typeof report>[0]> & { format: Parameters<typeof report>[0]['format'] }) =>
  report({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, ingest: false, now: NOW, ...extra }).then((r) =>
    stable(r.output, sample),
  );

describe('report: what a person reads (fixed repository and dates)', () => {
  it('the summary at 80 columns, whole', async () => {
    const text = await run({ format: 'table', style: PLAIN_STYLE });
    for (const line of text.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(80);
    expect(text.split('\n')[2]).toMatch(/^AI wrote 44\.4% of the non-trivial lines \(8 of 18\)/);
    await expect(text).toMatchFileSnapshot('__snapshots__/report-80.txt');
  });

  // The terminal's summary shows no view's table, so it computes none (each is a pass over its
  // events); Markdown and JSON hold every view, --all and --view show them on a terminal.
  it.each<[string, Pick<ReportOptions, 'format' | 'all' | 'views'>, string]>([
    ['the terminal summary', { format: 'table' }, 'none'],
    ['--all', { format: 'table', all: true }, 'every'],
    ['--view', { format: 'table', views: ['repository_ai_share'] }, 'view_repository_ai_share'],
    ['Markdown', { format: 'md' }, 'every'],
    ['JSON', { format: 'json' }, 'every'],
  ])('%s computes %s views', async (_, options, expected) => {
    const doc = await reportDocument({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, now: NOW, ...options });
    const every = await withDatabase({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env }, async (db) => listViews(db));
    const names = doc.views.map((v) => v.name);
    expect(names).toEqual(expected === 'none' ? [] : expected === 'every' ? every : [expected]);
    expect(doc.figures?.repository).toMatchObject({ ai_lines: 8, nontrivial_added_lines: 18 });
  });

  it('the summary and every view at 120 columns (--all), whole', async () => {
    const text = await run({ format: 'table', all: true, style: { width: 120, color: false, unicode: true } });
    for (const line of text.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(120);
    // A narrow terminal gets fewer columns and says so.
    expect(text).toContain('view_repository_commit_quality  (compact:');
    await expect(text).toMatchFileSnapshot('__snapshots__/report-120-all.txt');
  });

  it('Markdown keeps every column of every view', async () => {
    const text = await run({ format: 'md' });
    expect(text).toContain('| repo_id ');
    expect(text).toContain('heavy_ai_reverted_rate');
    await expect(text).toMatchFileSnapshot('__snapshots__/report.md');
  });

  it('-f json: the envelope with version, repository, generated_at, summary and views', async () => {
    const json = JSON.parse(await run({ format: 'json' })) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(['paceflow', 'generated_at', 'repository', 'summary', 'repositories', 'views']);
    expect(json.generated_at).toBe('2026-11-28T12:00:00.000Z');
    expect(json.repository).toMatchObject({ name: 'sample', path: '<repo>' });
    const summary = json.summary as { repository: Record<string, unknown>; providers: unknown[]; months: unknown[] };
    expect(summary.repository).toMatchObject({ ai_lines: 8, nontrivial_added_lines: 18, ai_share: 0.4444, tracked_commits: 3, commits: 8 });
    expect(summary.providers).toHaveLength(3);
    expect(Object.keys(json.views as object)).toContain('view_repository_summary');
  });

  it('stats opens with its own summary', async () => {
    const text = await run({
      format: 'table',
      style: PLAIN_STYLE,
      allRepos: true,
      lead: 'sessions',
      views: ['view_global_session_quality'],
    });
    expect(text.split('\n').slice(0, 2)).toEqual([
      'Sessions: 1 · 2 prompts each on average · 100.0% with a repeated debug loop',
      '  100.0% with a pasted error · 11s long on average',
    ]);
    await expect(text).toMatchFileSnapshot('__snapshots__/stats-80.txt');
  });
});

describe('report: bad input renders sensibly', () => {
  it.each([
    ['a width of 0 reads as 80', { isTTY: true, columns: 0 }, {}, { width: 80, color: true, unicode: true }],
    ['no width at all reads as 80', { isTTY: true }, {}, { width: 80, color: true, unicode: true }],
    ['COLUMNS when the stream has none', {}, { COLUMNS: '132' }, { width: 132, color: false, unicode: true }],
    ['a pipe: no colour', { isTTY: false, columns: 100 }, {}, { width: 100, color: false, unicode: true }],
    ['NO_COLOR', { isTTY: true, columns: 100 }, { NO_COLOR: '1' }, { width: 100, color: false, unicode: true }],
    ['TERM=dumb: no colour, ASCII', { isTTY: true, columns: 100 }, { TERM: 'dumb' }, { width: 100, color: false, unicode: false }],
    ['a tiny terminal is treated as 40 wide', { isTTY: true, columns: 12 }, {}, { width: 40, color: true, unicode: true }],
  ])('%s', (_, stream, env, expected) => {
    expect(terminalStyle(stream, env)).toEqual(expected);
  });

  it('TERM=dumb draws the bar in ASCII; colour only on a terminal', async () => {
    const dumb = await run({ format: 'table', style: { width: 80, color: false, unicode: false } });
    expect(dumb).toMatch(/^ {2}#+=+\.+ {2}AI 44\.4%/m);
    expect(dumb).not.toMatch(/[█▒░─]/);
    const colour = await run({ format: 'table', style: { width: 80, color: true, unicode: true } });
    expect(colour).toContain('\x1b[35m█');
    expect(await run({ format: 'table', style: PLAIN_STYLE })).not.toContain('\x1b[');
  });

  it('non-ASCII text is measured by its terminal width', () => {
    expect(displayWidth('日本語')).toBe(6);
    expect(displayWidth('Grüße')).toBe(5);
    expect(truncate('日本語の挨拶を追加', 9)).toBe('日本語の…');
    const t = renderTerminalView(
      {
        name: 'v',
        columns: ['subject', 'n'],
        rows: [
          { subject: '日本語', n: 1 },
          { subject: 'abc', n: 12 },
        ],
      },
      PLAIN_STYLE,
      new Map(),
    );
    expect(t.text.split('\n')).toEqual(['subject   n', '───────  ──', '日本語    1', 'abc      12']);
  });

  it('a repository whose name is not ASCII: named in the summary, every line within the width', async () => {
    const { mkdirSync } = await import('node:fs');
    const dir = join(tempDir('paceflow-names-'), 'データ-ünï');
    mkdirSync(dir);
    const repo = TempRepo.create({ dir });
    repo.write('a.py', 'def alpha():\n    return compute_alpha_value()\n').commit('最初のコミット');
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const home = emptySessionHome();
    const r = await report({
      cwd: repo.dir,
      db,
      env: home.env,
      format: 'table',
      now: NOW,
      style: { width: 60, color: false, unicode: true },
    });
    expect(r.output.split('\n')[0]).toBe('paceflow · データ-ünï');
    expect(r.output).toContain('No attribution evidence yet: the one commit is untracked');
    const all = await report({
      cwd: repo.dir,
      db,
      env: home.env,
      format: 'table',
      all: true,
      ingest: false,
      now: NOW,
      style: { width: 60, color: false, unicode: true },
    });
    for (const line of all.output.split('\n').filter((l) => !l.includes(repo.dir)))
      expect(displayWidth(line), line).toBeLessThanOrEqual(60);
  });

  it('a repository with no commits, and a database with no repository yet', async () => {
    const empty = TempRepo.create();
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const home = emptySessionHome();
    const r = await report({ cwd: empty.dir, db, env: home.env, format: 'table', now: NOW, style: PLAIN_STYLE });
    expect(r.output).toBe('No repository recorded yet: run `paceflow report` inside a git repository.\n');
    const outside = tempDir('paceflow-outside-');
    const all = await report({ cwd: outside, db, env: home.env, format: 'json', now: NOW });
    expect(JSON.parse(all.output)).toMatchObject({ repository: null, summary: null, repositories: [] });
  });

  it('the real CLI on a pipe writes Markdown; NO_COLOR and TERM=dumb with -f table write no escapes', () => {
    const env = { ...sample.home.env, NO_COLOR: '1', TERM: 'dumb' };
    const piped = spawnSync(process.execPath, [CLI, '--db', sample.db, 'report', '--no-ingest'], {
      cwd: sample.repo.dir,
      env,
      encoding: 'utf8',
    });
    expect(piped.status, piped.stderr).toBe(0);
    expect(piped.stdout).toMatch(/^## paceflow · /);
    const table = spawnSync(process.execPath, [CLI, '--db', sample.db, 'report', '--no-ingest', '-f', 'table'], {
      cwd: sample.repo.dir,
      env,
      encoding: 'utf8',
    });
    expect(table.stdout).not.toContain('\x1b[');
    expect(table.stdout).toMatch(/#+=+\.+ {2}AI 44\.4%/);
  });
});

describe('doctor and init: what a person reads', () => {
  it('doctor opens with a verdict per check and the command that fixes each problem', async () => {
    const { doctor } = await import('../src/cli/commands/doctor.js');
    const text = stable(await doctor({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, format: 'table' }), sample);
    const checks = text.split('\n\n')[0]!;
    expect(checks).toMatch(/^✓ database: schema \d+, 1 repository, 1 session, 9 commits$/m);
    expect(checks).toContain('! hooks: not installed: commits are recorded only when you run paceflow\n    fix: paceflow init');
    await expect(checks).toMatchFileSnapshot('__snapshots__/doctor-checks.txt');
    const ascii = await doctor({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, format: 'table', unicode: false });
    expect(ascii.split('\n')[0]).toMatch(/^ok database: /);
    const json = JSON.parse(await doctor({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, format: 'json' })) as {
      checks: { verdict: string; check: string; fix: string | null }[];
    };
    expect(json.checks.find((c) => c.check === 'hooks')).toEqual({
      verdict: 'warn',
      check: 'hooks',
      detail: expect.any(String),
      fix: 'paceflow init',
    });
  });

  it('init says in three lines what it did and what to run next', async () => {
    const fresh = sampleRepository();
    const { hooksInstall } = await import('../src/cli/commands/hooks.js');
    const lines = await hooksInstall({ cwd: fresh.repo.dir, db: fresh.db, env: fresh.home.env, ingestFirst: true, manager: 'plain' });
    const text = stable(lines.join('\n'), fresh);
    expect(lines).toHaveLength(3);
    await expect(text).toMatchFileSnapshot('__snapshots__/init.txt');
  });
});

describe('the README is true', () => {
  it('its sample of `paceflow report` is the summary the fixed repository prints', async () => {
    const { readFileSync } = await import('node:fs');
    const readme = readFileSync(join(import.meta.dirname, '..', 'README.md'), 'utf8');
    const block = /## What `paceflow report` prints\n\n```\n([\s\S]*?)```/.exec(readme)?.[1];
    const text = await run({ format: 'table', style: PLAIN_STYLE });
    expect(block).toBe(text.replace('<repo>', '~/src/sample'));
  });
});

describe('show: what a person reads', () => {
  it('a headline, the sessions, then each line grouped by file with who wrote it (80 columns), whole', async () => {
    const { show } = await import('../src/cli/commands/show.js');
    const text = stable(
      await show({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, commit: sample.commits.login, format: 'table' }),
      sample,
    );
    for (const line of text.split('\n')) expect(displayWidth(line), line).toBeLessThanOrEqual(80);
    expect(text.split('\n').slice(1, 3)).toEqual(['AI wrote 66.7% of its non-trivial lines (4 of 6) · evidence: transcript', '  heavy-AI']);
    await expect(text).toMatchFileSnapshot('__snapshots__/show-80.txt');
    const unicode = await show({
      cwd: sample.repo.dir,
      db: sample.db,
      env: sample.home.env,
      commit: sample.commits.unicode,
      format: 'table',
    });
    expect(unicode.split('\n')[0]).toBe(`${sample.commits.unicode.slice(0, 7)}  Grüße: 日本語の挨拶を追加`);
    expect(unicode.split('\n')[1]).toBe('untracked: no transcript, note or trailer evidence for its 2 non-trivial lines');
  });
});
