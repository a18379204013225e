import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../src/cli/commands/ingest.js';
import { defaultConfig } from '../src/config/defaults.js';
import type { Database } from '../src/db/driver.js';
import { openDatabase } from '../src/db/open.js';
import { locateRepository } from '../src/git/repository.js';
import { gitProcessCounts } from '../src/git/run.js';
import { writeNotes } from '../src/ingest/notes.js';
import { BUILDERS } from '../src/pipeline/builders.js';
import { updateRepository } from '../src/pipeline/update.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { snapshot, tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { emptySessionHome, shopWithSessionCommit } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const DAY = 86400;
const BASE_TIME = Date.parse('2026-01-05T09:00:00Z') / 1000;
/** TempRepo's clock for `seconds` before the real now (the builders judge windows by the real clock). */
const ago = (seconds: number) => Math.floor(Date.now() / 1000) - BASE_TIME - seconds;

function builtState(db: Database, root: string): { repoId: string; inputs: string; due: number | null } | null {
  const value = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([`built_state:${root}`])?.value;
  return value === undefined ? null : JSON.parse(value);
}

async function pipeline(repo: TempRepo) {
  const db = tempDatabase();
  const location = await locateRepository(repo.dir);
  const run = async (now?: Date) => {
    // Located each run, as `update` does: a location holds the commit HEAD was at.
    const summary = await updateRepository(db, await locateRepository(repo.dir), defaultConfig(), {
      providers: [],
      environment: { env: {}, home: repo.dir },
      cwd: repo.dir,
      ...(now ? { now: () => now } : {}),
    });
    return { ran: summary.builders.map((b) => b.builder), messages: summary.messages };
  };
  return { db, location, run };
}

describe('a run with nothing new skips the builders (src/pipeline/built-state.ts)', () => {
  it('starts three git processes: the repository with HEAD, origin, and one listing of refs, origin/HEAD and notes', async () => {
    const repo = TempRepo.create();
    repo.write('a.py', 'def alpha():\n    return 1\n').commit('add alpha', { at: ago(40 * DAY) });
    repo.git('remote', 'add', 'origin', 'https://example.com/team/app.git');
    repo.git('update-ref', 'refs/remotes/origin/trunk', 'HEAD');
    repo.git('symbolic-ref', 'refs/remotes/origin/HEAD', 'refs/remotes/origin/trunk');
    repo.git('notes', '--ref=refs/notes/ai', 'add', '-m', '{}', 'HEAD');
    // Annotated tags, one of a blob: their types come from the last run, not from git again.
    repo.git('tag', '-a', '-m', 'v1', 'v1');
    repo.git('tag', '-a', '-m', 'a key', 'key', repo.git('rev-parse', 'HEAD:a.py'));
    const { db, run } = await pipeline(repo);
    await run();
    const before = new Map(gitProcessCounts);
    const { ran } = await run();
    const started = Object.fromEntries(
      [...gitProcessCounts].flatMap(([sub, n]) => (n > (before.get(sub) ?? 0) ? [[sub, n - (before.get(sub) ?? 0)]] : [])),
    );
    expect(ran).toEqual([]);
    expect(started).toEqual({ 'rev-parse': 1, config: 1, 'for-each-ref': 1 });
    // What the one listing found: origin/HEAD's branch is mainline; the notes ref was read.
    expect(db.prepare(`SELECT mainline_branch, mainline_source FROM metadata_repositories`).get()).toEqual({
      mainline_branch: 'trunk',
      mainline_source: 'origin_head',
    });
    expect(db.prepare(`SELECT notes_ref FROM fact_commit_notes`).all()).toEqual([{ notes_ref: 'refs/notes/ai' }]);
  });

  it('skips them only while nothing a build reads changed: commits, refs, the calendar', async () => {
    const repo = TempRepo.create();
    repo.write('a.py', 'def alpha():\n    return 1\n').commit('add alpha', { at: ago(40 * DAY) });
    repo.write('b.py', 'def beta():\n    return 2\n').commit('add beta', { at: ago(2 * DAY) });
    const { db, location, run } = await pipeline(repo);
    const all = BUILDERS.map((b) => b.name);

    expect((await run()).ran).toEqual(all);
    const events = snapshot(db);
    const second = await run();
    expect(second.ran).toEqual([]);
    expect(second.messages.at(-1)).toMatch(/builders: nothing new since the last build$/);
    expect(snapshot(db)).toEqual(events);

    // A branch made at a commit already recorded: no commit to read, but a ref the builders read.
    repo.git('branch', 'topic');
    expect((await run()).ran).toEqual(all);
    expect((await run()).ran).toEqual([]);
    // A new commit.
    repo.write('c.py', 'def gamma():\n    return 3\n').commit('add gamma', { at: ago(DAY) });
    expect((await run()).ran).toEqual(all);
    expect((await run()).ran).toEqual([]);

    // The state holds until the first open window closes: beta's merge window (14 days after its
    // commit; alpha's closed long ago), before its revert and churn windows (30 and 14 days after
    // it reached mainline, which is its commit time here).
    const state = builtState(db, location.root)!;
    const beta =
      Date.parse(
        db.prepare(`SELECT committed_at FROM metadata_commits WHERE subject = 'add beta'`).get<{ committed_at: string }>()!.committed_at,
      ) / 1000;
    expect(state.due).toBe(beta + 14 * DAY);
    expect((await run(new Date((state.due! - 1) * 1000))).ran).toEqual([]);
    expect((await run(new Date(state.due! * 1000))).ran).toEqual(all);
    db.close();
  });

  it.each([
    ['https://example.com/team/shop.git', 'example.com/team/shop'],
    [null, 'its root commit'],
  ])('a transcript in the repository just ingested costs no git process to name it (origin %s)', async (origin, id) => {
    const repo = TempRepo.create();
    const root = repo.write('README.md', '# shop\n').commit('root');
    if (origin) repo.git('remote', 'add', 'origin', origin);
    // A second work tree of the same repository: the same id, found from the same .git.
    const linked = join(tempDir('paceflow-linked-'), 'shop-topic');
    repo.git('worktree', 'add', '-q', '-b', 'topic', linked);
    const home = emptySessionHome();
    const projects = join(home.claudeProjects, '-shop');
    mkdirSync(projects, { recursive: true });
    for (const [id, dir] of [
      ['7e57c0de-0000-4000-8000-00000000c001', repo.dir],
      ['7e57c0de-0000-4000-8000-00000000c002', linked],
    ] as const) {
      const t = new ClaudeTranscript(id, dir).prompt('write the cart');
      t.write('toolu_cart', join(dir, 'cart.py'), 'def cart_total(items):\n    return sum(items)\n');
      writeFileSync(join(projects, `${id}.jsonl`), t.text());
    }
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const configs = gitProcessCounts.get('config') ?? 0;
    await ingest({ cwd: repo.dir, db, env: home.env, notes: false });
    // The origin's URL asked once, by git's ingest; the transcripts' repository taken from it.
    expect((gitProcessCounts.get('config') ?? 0) - configs).toBe(1);
    const d = openDatabase(db);
    try {
      const repoId = origin ? id : root;
      expect(d.prepare(`SELECT repo_id FROM metadata_repositories`).all()).toEqual([{ repo_id: repoId }]);
      expect(d.prepare(`SELECT DISTINCT repo_id FROM metadata_sessions ORDER BY repo_id`).all()).toEqual([{ repo_id: repoId }]);
      expect(d.prepare(`SELECT count(*) AS n FROM metadata_sessions`).get()).toEqual({ n: 2 });
    } finally {
      d.close();
    }
  });

  it('the notes a build wrote do not make the next run build again (read back, they change no row)', async () => {
    const { repo, home } = shopWithSessionCommit('7e57c0de-0000-4000-8000-00000000b117');
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const run = async () => (await ingest({ cwd: repo.dir, db, env: home.env })).builders.map((b) => b.builder);

    expect(await run()).toEqual(BUILDERS.map((b) => b.name));
    // The build wrote the commit's note, which moved refs/notes/paceflow, and recorded the new tip
    // as read: the next run does not read the ref again (no `git notes list`, no blobs).
    expect(repo.git('notes', '--ref', 'refs/notes/paceflow', 'list')).not.toBe('');
    const notesListed = gitProcessCounts.get('notes') ?? 0;
    expect(await run()).toEqual([]);
    expect(gitProcessCounts.get('notes') ?? 0).toBe(notesListed);
    // A note someone else wrote (a changed row) is new evidence.
    repo.git('notes', '--ref', 'refs/notes/ai', 'add', '-m', 'cart.py\n  someone 1-3', 'HEAD');
    expect(await run()).toEqual(BUILDERS.map((b) => b.name));
    expect(await run()).toEqual([]);
    // A fact written outside an ingest (the Action carries a merged pull request's note to the
    // squash commit): its commit is queued for attribution, and the next run builds.
    const d = openDatabase(db);
    try {
      const repoId = d.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!.repo_id;
      await writeNotes(d, repoId, repo.dir, [{ sha: repo.git('rev-parse', 'HEAD~1'), text: 'carried by a test' }]);
    } finally {
      d.close();
    }
    expect(await run()).toEqual(BUILDERS.map((b) => b.name));
    expect(await run()).toEqual([]);
  });

  it('a notes write counts as read only when the database held the tip it built on', async () => {
    const repo = TempRepo.create();
    const first = repo.write('a.py', 'def alpha():\n    return 1\n').commit('add alpha');
    const second = repo.write('b.py', 'def beta():\n    return 2\n').commit('add beta');
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const run = () => ingest({ cwd: repo.dir, db, env: emptySessionHome().env, notes: false });
    const notesOf = () => {
      const d = openDatabase(db);
      try {
        return d.prepare(`SELECT sha, note_text FROM fact_commit_notes WHERE notes_ref = 'refs/notes/paceflow' ORDER BY note_text`).all();
      } finally {
        d.close();
      }
    };
    const write = async (sha: string, text: string) => {
      const d = openDatabase(db);
      try {
        const repoId = d.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!.repo_id;
        await writeNotes(d, repoId, repo.dir, [{ sha, text }]);
      } finally {
        d.close();
      }
    };
    await run();
    // Someone writes a note after the run; then a write of paceflow's (the Action's) builds on it:
    // its fast-import on the tip the database holds leaves the moved ref alone (nothing of the
    // other writer's lost), and the write goes again on the tip it finds.
    const handTip = () => repo.git('rev-parse', 'refs/notes/paceflow');
    repo.git('notes', '--ref', 'refs/notes/paceflow', 'add', '-m', 'by hand', first);
    const byHand = handTip();
    const imports = gitProcessCounts.get('fast-import') ?? 0;
    await write(second, 'carried');
    expect(gitProcessCounts.get('fast-import') ?? 0).toBe(imports + 2);
    expect(repo.git('rev-parse', 'refs/notes/paceflow^')).toBe(byHand);
    const listed = gitProcessCounts.get('notes') ?? 0;
    await run();
    // The ref is read again, and the note written by hand is there.
    expect(gitProcessCounts.get('notes') ?? 0).toBe(listed + 1);
    expect(notesOf()).toEqual([
      { sha: first, note_text: 'by hand\n' },
      { sha: second, note_text: 'carried\n' },
    ]);
    // A write on the tip the database holds: one git process writes it (no rev-parse before, no
    // rev-list after), and the next run leaves the ref unread.
    const counts = () => ['fast-import', 'rev-parse', 'rev-list'].map((sub) => gitProcessCounts.get(sub) ?? 0);
    const before = counts();
    const held = handTip();
    await write(first, 'replaced');
    expect(counts()).toEqual([before[0]! + 1, before[1], before[2]]);
    expect(repo.git('rev-parse', 'refs/notes/paceflow^')).toBe(held);
    await run();
    expect(gitProcessCounts.get('notes') ?? 0).toBe(listed + 1);
    expect(notesOf()).toEqual([
      { sha: second, note_text: 'carried\n' },
      { sha: first, note_text: 'replaced\n' },
    ]);
    // The mark names a tip this clone does not have (a database restored beside another clone):
    // fast-import cannot build on it, and the write goes on the tip the ref has.
    const d = openDatabase(db);
    try {
      d.prepare(`UPDATE paceflow_meta SET value = ? || substr(value, 41) WHERE key LIKE 'notes_seen:%:refs/notes/paceflow'`).run([
        'f'.repeat(40),
      ]);
    } finally {
      d.close();
    }
    const tip = handTip();
    await write(second, 'carried again');
    expect(repo.git('rev-parse', 'refs/notes/paceflow^')).toBe(tip);
    expect(repo.git('notes', '--ref', 'refs/notes/paceflow', 'show', second)).toBe('carried again');
    expect(repo.git('notes', '--ref', 'refs/notes/paceflow', 'show', first)).toBe('replaced');
  });

  it('the state is due when the first window of any kind closes: merge, revert or churn', async () => {
    // A branch commit written 40 days ago (its merge window closed) that reached mainline 2 days
    // ago: its churn window (14 days) closes before its revert window (30 days).
    const repo = TempRepo.create();
    repo.write('a.py', 'def alpha():\n    return 1\n').commit('add alpha', { at: ago(60 * DAY) });
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('b.py', 'def beta():\n    return 2\n').commit('add beta', { at: ago(40 * DAY) });
    repo.git('checkout', '-q', 'main');
    repo.at(ago(2 * DAY)).git('merge', '-q', '--no-ff', '-m', 'Merge topic', 'topic');
    const merged = Number(repo.git('log', '-1', '--format=%ct', 'main'));
    const location = await locateRepository(repo.dir);
    const dueWith = async (churnWindowDays: number) => {
      const db = tempDatabase();
      await updateRepository(
        db,
        location,
        { ...defaultConfig(), churnWindowDays },
        {
          providers: [],
          environment: { env: {}, home: repo.dir },
          cwd: repo.dir,
        },
      );
      const due = builtState(db, location.root)!.due;
      db.close();
      return due;
    };
    expect(await dueWith(14)).toBe(merged + 14 * DAY);
    // A churn window longer than the revert window: the revert window is first.
    expect(await dueWith(40)).toBe(merged + 30 * DAY);
  });

  it('with every window closed nothing is due, and the settings are part of what a build read', async () => {
    const repo = TempRepo.create();
    repo.write('a.py', 'def alpha():\n    return 1\n').commit('add alpha');
    const { db, location, run } = await pipeline(repo);
    await run();
    expect(builtState(db, location.root)?.due).toBeNull();
    expect((await run(new Date('2099-01-01T00:00:00Z'))).ran).toEqual([]);
    // Another churn window: the builders run again.
    const summary = await updateRepository(
      db,
      location,
      { ...defaultConfig(), churnWindowDays: 7 },
      {
        providers: [],
        environment: { env: {}, home: repo.dir },
        cwd: repo.dir,
      },
    );
    expect(summary.builders.map((b) => b.builder)).toEqual(BUILDERS.map((b) => b.name));
    db.close();
  });

  it('any update takes every work tree’s state first: a run elsewhere (transcripts are shared) makes this one build', async () => {
    const repo = TempRepo.create();
    repo.write('a.py', 'def alpha():\n    return 1\n').commit('add alpha');
    const { db, location, run } = await pipeline(repo);
    await run();
    expect(builtState(db, location.root)).not.toBeNull();
    // An update outside any repository (it could have read transcripts of this one).
    await updateRepository(db, null, defaultConfig(), { providers: [], environment: { env: {}, home: repo.dir }, cwd: repo.dir });
    expect(builtState(db, location.root)).toBeNull();
    expect((await run()).ran).toEqual(BUILDERS.map((b) => b.name));
    // A run without the builders leaves none either.
    await updateRepository(db, location, defaultConfig(), {
      providers: [],
      environment: { env: {}, home: repo.dir },
      cwd: repo.dir,
      attribution: false,
    });
    expect(builtState(db, location.root)).toBeNull();
    expect((await run()).ran).toEqual(BUILDERS.map((b) => b.name));
    db.close();
  });
});
