import { spawn, spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { snapshot } from './helpers/db.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { ownFixtureHome, type SessionHome } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const BIN = fileURLToPath(new URL('../bin/paceflow.js', import.meta.url));
const PHASE_FIGURES = fileURLToPath(new URL('../bench/phase-figures.mjs', import.meta.url));
const EXIT_FIGURES = fileURLToPath(new URL('../bench/exit-figures.mjs', import.meta.url));

/**
 * A kill at any moment leaves work that the next run finishes: the real CLI is killed (SIGKILL)
 * at every stage boundary and at ten moments spread over a first ingest, then run again; every
 * table must end as a never-killed run leaves it. Git history, transcripts, session events, notes
 * and every builder are in the run.
 */
const CRASH_POINTS = [
  'git-ingest',
  'transcript-batch',
  'transcripts-read',
  'session-events',
  'notes-read',
  'attribution-batch',
  'builder:attribution',
  'builder:outcomes',
  'builder:churn',
  'tasks-commits',
  'builder:tasks',
] as const;

/** When paceflow first saw something is not a figure: a killed run saw it a moment earlier. */
const WHEN_FIRST_SEEN = ['metadata_repositories.first_seen_at', 'metadata_branches.first_seen_at'];

interface Scenario {
  /** The repository, restored from `pristine` before every run so notes written by one run do not leak. */
  repo: string;
  pristine: string;
  home: SessionHome;
}

function scenario(): Scenario {
  const repo = TempRepo.create();
  repo.write('README.md', '# crash test\n').commit('root');
  repo.git('checkout', '-q', '-b', 'feature/SHOP-9-cart');
  const cart = 'def cart_total(items):\n    subtotal = sum(item.price for item in items)\n    return round(subtotal, 2)\n';
  repo.write('cart.py', cart).commit('SHOP-9 add cart_total');
  repo.write('tax.py', 'def sales_tax(amount):\n    return round(amount * 0.2, 2)\n').commit('SHOP-9 add sales_tax');
  repo.git('checkout', '-q', 'main');
  repo.at().git('merge', '-q', '--no-ff', '-m', 'Merge pull request #4 from dev/feature/SHOP-9-cart', 'feature/SHOP-9-cart');
  const b = repo.write('ship.py', 'def shipping(weight):\n    return 4.5 + weight * 1.25\n').commit('add shipping (#5)');
  repo.at().git('revert', '--no-edit', b);
  repo.write('cart.py', cart.replace('round(subtotal, 2)', 'round(subtotal, 3)')).commit('more precision', { author: 'Dev (aider)' });
  const home = ownFixtureHome();
  // A session that wrote cart.py and tax.py in this repository, before their commits.
  const t = new ClaudeTranscript('7e57c0de-0000-4000-8000-000000000001', repo.dir, 'feature/SHOP-9-cart').prompt('write the cart');
  t.write('toolu_cart', join(repo.dir, 'cart.py'), cart).write(
    'toolu_tax',
    join(repo.dir, 'tax.py'),
    'def sales_tax(amount):\n    return round(amount * 0.2, 2)\n',
  );
  const projects = join(home.claudeProjects, '-crash-test');
  mkdirSync(projects, { recursive: true });
  writeFileSync(join(projects, '7e57c0de-0000-4000-8000-000000000001.jsonl'), t.text().replaceAll('2026-02-01T10', '2026-01-05T08'));
  const pristine = tempDir('paceflow-pristine-');
  cpSync(repo.dir, pristine, { recursive: true });
  return { repo: repo.dir, pristine, home };
}

function restore(s: Scenario): void {
  rmSync(s.repo, { recursive: true, force: true });
  cpSync(s.pristine, s.repo, { recursive: true });
}

function ingestArgs(db: string): string[] {
  return [BIN, '--db', db, 'ingest', '--no-progress'];
}

function runToEnd(s: Scenario, db: string, crashAt?: string): { status: number | null; signal: NodeJS.Signals | null; stderr: string } {
  const env = { ...s.home.env, ...(crashAt ? { PACEFLOW_CRASH_AT: crashAt } : {}) };
  const r = spawnSync(process.execPath, ingestArgs(db), { cwd: s.repo, env, encoding: 'utf8' });
  return { status: r.status, signal: r.signal, stderr: r.stderr };
}

/** Every table's row count and a hash of its rows (run-time columns left out), by table. */
function tables(db: string): Record<string, { rows: number; hash: string }> {
  const d = openDatabase(db);
  try {
    return Object.fromEntries(
      Object.entries(snapshot(d, WHEN_FIRST_SEEN)).map(([table, rows]) => [
        table,
        { rows: rows.length, hash: createHash('sha256').update(JSON.stringify(rows)).digest('hex').slice(0, 16) },
      ]),
    );
  } finally {
    d.close();
  }
}

/** The database's schema as SQLite keeps it (an index a run put off and was killed before making shows here). */
function schema(db: string): { type: string; name: string; sql: string | null }[] {
  const d = openDatabase(db);
  try {
    return d
      .prepare(`SELECT type, name, sql FROM sqlite_master ORDER BY type, name`)
      .all<{ type: string; name: string; sql: string | null }>();
  } finally {
    d.close();
  }
}

/** The refs/notes/paceflow notes the run left in the repository. */
function notes(s: Scenario): string {
  return spawnSync('git', ['notes', '--ref', 'refs/notes/paceflow', 'list'], { cwd: s.repo, encoding: 'utf8' }).stdout;
}

describe('crash safety', () => {
  let s: Scenario;
  let reference: Record<string, { rows: number; hash: string }>;
  let referenceNotes: string;
  let referenceMs: number;
  let referenceSchema: ReturnType<typeof schema>;

  beforeAll(() => {
    s = scenario();
    const db = join(tempDir('paceflow-db-'), 'reference.db');
    const started = Date.now();
    const r = runToEnd(s, db);
    referenceMs = Date.now() - started;
    expect(r.status, r.stderr).toBe(0);
    reference = tables(db);
    referenceNotes = notes(s);
    referenceSchema = schema(db);
  });

  it('the reference run fills what the test is about', () => {
    for (const table of [
      'metadata_commits',
      'fact_session_records',
      'event_session_quality',
      'event_session_code_changes',
      'event_commit_attributions',
      'event_commit_outcomes',
      'event_commit_churn',
      'event_task_commits',
    ]) {
      expect(reference[table]?.rows, table).toBeGreaterThan(0);
    }
    expect(referenceNotes).not.toBe('');
  });

  it('every point passes in a whole run, in order, on the channel bench/phase-figures.mjs reads; the main thread is split from the rest', () => {
    // The points are where a run's work is measured from outside (bench/README.md): a point that
    // stopped being published, or moved, would split the figures wrongly without failing anything else.
    restore(s);
    const db = join(tempDir('paceflow-db-'), 'phases.db');
    const r = spawnSync(process.execPath, ['--import', PHASE_FIGURES, '--import', EXIT_FIGURES, ...ingestArgs(db)], {
      cwd: s.repo,
      env: s.home.env,
      encoding: 'utf8',
    });
    expect(r.status, r.stderr).toBe(0);
    const rows = r.stderr
      .split('\n')
      .filter((line) => line.startsWith('| ') && !line.startsWith('| point') && !line.startsWith('| -'))
      .map((line) => line.split('|').map((cell) => cell.trim()));
    const passed = rows.map(([, name, times]) => `${name}×${times}`);
    expect(passed).toEqual([
      'git-ingest×1',
      'transcript-batch×1',
      'transcripts-read×1',
      'session-events×1',
      'notes-read×1',
      'attribution-batch×1',
      'builder:attribution×1',
      'builder:outcomes×1',
      'builder:churn×1',
      'tasks-commits×1',
      'builder:tasks×1',
      'exit×1',
    ]);
    // Every point named by the crash tests is among them.
    for (const point of CRASH_POINTS) expect(passed.map((p) => p.split('×')[0])).toContain(point);
    // Each row's figures are numbers (node's CPU, its main thread's, its calls and bytes, its size),
    // and the main thread's CPU is part of node's (each rounded to 0.1 s; the thread's counts in 10 ms ticks).
    for (const [, , , wall, user, sys, main, reads, writes, readMb, writtenMb, rss] of rows) {
      for (const figure of [wall, user, sys, main, reads, writes, readMb, writtenMb, rss]) expect(figure).toMatch(/^\d+(\.\d)?$/);
      expect(Number(main)).toBeLessThanOrEqual(Number(user) + Number(sys) + 0.15);
    }
    // bench/exit-figures.mjs: node's whole CPU is the main thread's and the other threads' (V8's
    // helpers start with the process: the split is not all on one side).
    const exit = /node-cpu ([\d.]+) s .* main-thread ([\d.]+) s other-threads ([\d.]+) s$/m.exec(r.stderr);
    expect(exit, r.stderr).not.toBeNull();
    const [whole, mainThread, others] = exit!.slice(1).map(Number) as [number, number, number];
    expect(mainThread).toBeGreaterThan(0);
    expect(mainThread + others).toBeCloseTo(whole, 0);
  });

  it.each(CRASH_POINTS)('killed at %s, the next run ends with every row a never-killed run has', (point) => {
    restore(s);
    const db = join(tempDir('paceflow-db-'), 'crashed.db');
    const killed = runToEnd(s, db, point);
    expect(killed.signal, `${point}: ${killed.stderr}`).toBe('SIGKILL');
    const again = runToEnd(s, db);
    expect(again.status, again.stderr).toBe(0);
    expect(tables(db)).toEqual(reference);
    expect(notes(s)).toBe(referenceNotes);
    expect(schema(db)).toEqual(referenceSchema);
  });

  it('a transcript read by a run killed before its builders: the next run builds, though nothing is new to it', () => {
    // A whole run leaves its builders' state (src/pipeline/built-state.ts), which lets a run with
    // nothing new skip them. Here the first run finds no transcript; the second reads one and is
    // killed before any builder ran; the third has nothing new to read, and must still build: it
    // ends as the same two runs, never killed, do.
    const transcript = join(s.home.claudeProjects, '-crash-test', '7e57c0de-0000-4000-8000-000000000001.jsonl');
    const lateTranscript = (crashAt?: string) => {
      restore(s);
      const db = join(tempDir('paceflow-db-'), 'late-transcript.db');
      const away = join(tempDir('paceflow-away-'), 'transcript.jsonl');
      renameSync(transcript, away);
      try {
        const first = runToEnd(s, db);
        expect(first.status, first.stderr).toBe(0);
      } finally {
        renameSync(away, transcript);
      }
      const second = runToEnd(s, db, crashAt);
      if (crashAt) {
        expect(second.signal, second.stderr).toBe('SIGKILL');
        const third = runToEnd(s, db);
        expect(third.status, third.stderr).toBe(0);
      } else {
        expect(second.status, second.stderr).toBe(0);
      }
      return { tables: tables(db), notes: notes(s) };
    };
    const neverKilled = lateTranscript();
    // The transcript counted: its commits' lines are attributed (the first run had none to give).
    expect(neverKilled.notes).toBe(referenceNotes);
    expect(lateTranscript('transcripts-read')).toEqual(neverKilled);
  });

  it('killed at ten moments spread over a first run, the next run ends with every row a never-killed run has', async () => {
    for (let i = 1; i <= 10; i++) {
      restore(s);
      const db = join(tempDir('paceflow-db-'), `timed-${i}.db`);
      const child = spawn(process.execPath, ingestArgs(db), { cwd: s.repo, env: s.home.env, stdio: 'ignore' });
      const timer = setTimeout(() => child.kill('SIGKILL'), Math.round((referenceMs * i) / 11));
      await new Promise((resolve) => child.on('exit', resolve));
      clearTimeout(timer);
      const again = runToEnd(s, db);
      expect(again.status, again.stderr).toBe(0);
      expect(tables(db), `killed after ${Math.round((referenceMs * i) / 11)} ms`).toEqual(reference);
      expect(notes(s)).toBe(referenceNotes);
    }
  });
});

/**
 * A first run has read the session and a history of one commit (`before`); then 1,050 commits
 * arrive (a fetch), the session's lines in two of them: cart.py in the first batch of 500, tax.py in
 * the third.
 */
function batchesScenario(): { s: Scenario; before: string } {
  const repo = TempRepo.create();
  repo.write('README.md', '# batches\n').commit('root');
  const home = ownFixtureHome();
  const cart = 'def cart_total(items):\n    subtotal = sum(item.price for item in items)\n    return round(subtotal, 2)\n';
  const tax = 'def sales_tax(amount):\n    return round(amount * 0.2, 2)\n';
  const t = new ClaudeTranscript('7e57c0de-0000-4000-8000-000000000002', repo.dir, 'main').prompt('write the cart');
  t.write('toolu_cart', join(repo.dir, 'cart.py'), cart).write('toolu_tax', join(repo.dir, 'tax.py'), tax);
  const projects = join(home.claudeProjects, '-crash-batches');
  mkdirSync(projects, { recursive: true });
  writeFileSync(join(projects, '7e57c0de-0000-4000-8000-000000000002.jsonl'), t.text().replaceAll('2026-02-01T10', '2026-01-05T08'));
  const before = join(tempDir('paceflow-db-'), 'before.db');
  const s0: Scenario = { repo: repo.dir, pristine: repo.dir, home };
  const firstRun = runToEnd(s0, before);
  expect(firstRun.status, firstRun.stderr).toBe(0);

  const file = (path: string, text: string) => `M 100644 inline ${path}\ndata ${Buffer.byteLength(text)}\n${text}\n`;
  let stream = '';
  for (let i = 0; i < 1050; i++) {
    const message = `change ${i}`;
    // From 2026-01-06, a minute apart: after the session's writes (2026-01-05).
    stream += `commit refs/heads/main\ncommitter Dev <dev@example.com> ${1_767_657_600 + i * 60} +0000\ndata ${message.length}\n${message}\n`;
    if (i === 0) stream += 'from refs/heads/main^0\n';
    stream += file(`f${i % 40}.txt`, `version ${i}\n`);
    if (i === 100) stream += file('cart.py', cart);
    if (i === 1030) stream += file('tax.py', tax);
  }
  repo.gitRaw(['fast-import', '--quiet'], stream);
  repo.git('checkout', '-q', '-f', 'main');
  const pristine = tempDir('paceflow-pristine-');
  cpSync(repo.dir, pristine, { recursive: true });
  const s: Scenario = { repo: repo.dir, pristine, home };
  return { s, before };
}

describe('a replay killed between its batches', () => {
  it('leaves its commits queued; the next run reads them again and ends with every row a never-killed run has', () => {
    // A first run has read the session and the history; then 1,050 commits arrive (a fetch).
    // Attribution replays them 500 a batch and takes them off the queue only at the end; the
    // session's lines come in the first and third batches. The kill comes after the first batch,
    // whose commits have their outcome rows (cart.py's credit among them) and are still queued:
    // the next run reads them again, and must credit cart.py's lines to the same commit.
    const { s, before } = batchesScenario();
    const fromBefore = () => {
      const db = join(tempDir('paceflow-db-'), 'paceflow.db');
      cpSync(before, db);
      return db;
    };

    restore(s);
    const referenceDb = fromBefore();
    const whole = runToEnd(s, referenceDb);
    expect(whole.status, whole.stderr).toBe(0);
    const reference = tables(referenceDb);
    const referenceNotes = notes(s);
    expect(reference.event_commit_attributions?.rows).toBe(2); // cart.py's commit and tax.py's

    restore(s);
    const db = fromBefore();
    const killed = runToEnd(s, db, 'attribution-batch');
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    const d = openDatabase(db);
    try {
      const count = (sql: string) => (d.prepare(sql).get() as { n: number }).n;
      expect(count(`SELECT count(*) AS n FROM event_commit_outcomes`)).toBe(501);
      expect(count(`SELECT count(*) AS n FROM event_commit_attributions`)).toBe(1);
      expect(count(`SELECT count(*) AS n FROM paceflow_unattributed`)).toBe(1050);
    } finally {
      d.close();
    }
    const again = runToEnd(s, db);
    expect(again.status, again.stderr).toBe(0);
    expect(tables(db)).toEqual(reference);
    expect(notes(s)).toBe(referenceNotes);
  });

  it("a first run's attribution killed between its batches has written none of its rows and made no index it puts off; the next run ends as a run never killed", () => {
    // A replay of more than one batch onto tables with no row holds its outcome rows,
    // attributions, takings, owed notes and changed evidence in temporary tables until it ends
    // (attribution-stage.ts), and writes the takings without their index by written path and the
    // outcome rows without their indexes by state and of heavy rows, made at the end
    // (indexesAfterFirstReplay). Killed after the first batch — cart.py's lines taken in it — the
    // tables hold none of its rows, every commit is still queued and the indexes are not there.
    const { s } = batchesScenario();
    const putOff = ['event_commit_outcomes_by_state', 'event_commit_outcomes_heavy', 'paceflow_ai_lines_by_write_path'];
    const indexes = (db: string) => schema(db).filter((e) => putOff.includes(e.name));
    // As the migrations make them, in a database no replay has written.
    const migrated = indexes(join(tempDir('paceflow-db-'), 'migrated.db'));
    expect(migrated.map((e) => e.name)).toEqual(putOff);
    const referenceDb = join(tempDir('paceflow-db-'), 'reference.db');
    const whole = runToEnd(s, referenceDb);
    expect(whole.status, whole.stderr).toBe(0);
    const reference = tables(referenceDb);
    const referenceNotes = notes(s);
    expect(reference.paceflow_ai_lines?.rows).toBeGreaterThan(0);
    expect(reference.event_commit_outcomes?.rows).toBe(1051);
    expect(indexes(referenceDb)).toEqual(migrated);

    restore(s);
    const db = join(tempDir('paceflow-db-'), 'first.db');
    const killed = runToEnd(s, db, 'attribution-batch');
    expect(killed.signal, killed.stderr).toBe('SIGKILL');
    expect(indexes(db)).toEqual([]);
    const d = openDatabase(db);
    try {
      const count = (table: string) => d.prepare(`SELECT count(*) AS n FROM ${table}`).get<{ n: number }>()!.n;
      for (const table of [
        'event_commit_outcomes',
        'event_commit_attributions',
        'paceflow_ai_lines',
        'paceflow_owed_notes',
        'paceflow_churn_dirty',
      ])
        expect(count(table), table).toBe(0);
      expect(count('paceflow_unattributed')).toBe(1051);
    } finally {
      d.close();
    }
    const again = runToEnd(s, db);
    expect(again.status, again.stderr).toBe(0);
    expect(indexes(db)).toEqual(migrated);
    expect(tables(db)).toEqual(reference);
    expect(notes(s)).toBe(referenceNotes);
  });

  it("a first run's staged replay writes the rows replays onto a built repository write", () => {
    // The same 1,051 commits attributed by a first run (staged: attribution-stage.ts) and by a
    // run after a first run of the root commit alone (each row written where it goes): every row
    // of the attribution's tables alike, and the same notes in the repository.
    const { s, before } = batchesScenario();
    const attributionTables = ['event_commit_attributions', 'event_commit_outcomes', 'paceflow_ai_lines', 'paceflow_owed_notes'];
    const of = (db: string) => Object.fromEntries(Object.entries(tables(db)).filter(([table]) => attributionTables.includes(table)));
    const unstagedDb = join(tempDir('paceflow-db-'), 'unstaged.db');
    cpSync(before, unstagedDb);
    const unstaged = runToEnd(s, unstagedDb);
    expect(unstaged.status, unstaged.stderr).toBe(0);
    const unstagedNotes = notes(s);
    expect(of(unstagedDb).event_commit_attributions?.rows).toBe(2);

    restore(s);
    const stagedDb = join(tempDir('paceflow-db-'), 'staged.db');
    const staged = runToEnd(s, stagedDb);
    expect(staged.status, staged.stderr).toBe(0);
    expect(of(stagedDb)).toEqual(of(unstagedDb));
    expect(notes(s)).toBe(unstagedNotes);
  });
});
