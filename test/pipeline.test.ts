import { chmodSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/defaults.js';
import { locateRepository } from '../src/git/repository.js';
import { gitProcessCounts, runGit } from '../src/git/run.js';
import { PatchStore } from '../src/git/patch-store.js';
import { BUILDERS, type Builder, runBuilders } from '../src/pipeline/builders.js';
import { updateRepository } from '../src/pipeline/update.js';
import { selectProviders } from '../src/providers/index.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';
import { emptySessionHome, shopWithSessionCommit } from './helpers/sessions.js';
import { snapshot, tempDatabase } from './helpers/db.js';

afterAll(cleanupTempDirs);

/**
 * A commit of lines a Claude Code session wrote, its history and the session recorded, no builder
 * run: attribution owes the commit a note.
 */
async function sessionCommitRecorded({ attribution = false } = {}) {
  const { repo, home } = shopWithSessionCommit('7e57c0de-0000-4000-8000-00000000be51');
  const db = tempDatabase();
  const location = await locateRepository(repo.dir);
  const processes = new Map(gitProcessCounts);
  const summary = await updateRepository(db, location, defaultConfig(), {
    providers: selectProviders(['claude-code']),
    environment: { env: home.env, home: home.home },
    cwd: repo.dir,
    attribution,
  });
  /** The git processes of that run, by subcommand. */
  const started = (sub: string) => (gitProcessCounts.get(sub) ?? 0) - (processes.get(sub) ?? 0);
  const repoId = db.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!.repo_id;
  const count = (sql: string) => db.prepare(sql).get<{ n: number }>()!.n;
  return {
    repo,
    db,
    ctx: { db, repoId, root: location.root, config: defaultConfig(), writeNotes: true, notesRead: 0, tool: 'paceflow test' },
    owed: () => count(`SELECT count(*) AS n FROM paceflow_owed_notes`),
    recorded: () => count(`SELECT count(*) AS n FROM fact_commit_notes WHERE notes_ref = 'refs/notes/paceflow'`),
    notesInGit: () => repo.git('notes', '--ref', 'refs/notes/paceflow', 'list'),
    summary,
    started,
  };
}

const gitProcessesSoFar = () => [...gitProcessCounts.values()].reduce((a, b) => a + b, 0);

/** Resolves once git's `fast-import` has started more than `before` times (the notes write's own process). */
async function fastImportStarted(before: number): Promise<void> {
  for (let turn = 0; (gitProcessCounts.get('fast-import') ?? 0) <= before; turn++) {
    if (turn > 2_000) throw new Error('the notes write never started fast-import');
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

function repoWithTwoCommits(): TempRepo {
  const repo = TempRepo.create();
  repo.write('a.py', 'def alpha():\n    return compute_alpha()\n').commit('add alpha');
  repo.write('b.py', 'def beta():\n    return compute_beta()\n').commit('add beta', { author: 'Dev (aider)', committer: 'Dev (aider)' });
  return repo;
}

/**
 * The repository's history recorded, no builder run yet; `update` records what was committed since.
 * Without attribution unless asked (with it, the history's pass reads each diff: the line balances).
 */
async function recordedHistory(repo: TempRepo, { attribution = false } = {}) {
  const db = tempDatabase();
  const location = await locateRepository(repo.dir);
  // Located each run, as `update` does: a location holds the commit HEAD was at.
  const update = async () =>
    updateRepository(db, await locateRepository(repo.dir), defaultConfig(), {
      providers: [],
      environment: { env: {}, home: repo.dir },
      cwd: repo.dir,
      attribution,
    });
  await update();
  const repoId = db.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!.repo_id;
  return { db, location, repoId, update };
}

describe('the update pipeline', () => {
  it('runs git ingest, then every builder of BUILDERS in order, and reports each', async () => {
    const repo = repoWithTwoCommits();
    const db = tempDatabase();
    const location = await locateRepository(repo.dir);
    const summary = await updateRepository(db, location, defaultConfig(), {
      providers: [],
      environment: { env: {}, home: repo.dir },
      cwd: repo.dir,
    });
    expect(summary.git?.commitsAdded).toBe(2);
    expect(summary.builders.map((b) => b.builder)).toEqual(BUILDERS.map((b) => b.name));
    expect(summary.builders.map((b) => b.builder)).toEqual(['attribution', 'outcomes', 'churn', 'tasks']);
    // The builders wrote their events: one outcome row per commit, both on mainline.
    const outcomes = db
      .prepare(`SELECT count(*) AS n, sum(merged_to_mainline) AS merged FROM event_commit_outcomes`)
      .get<{ n: number; merged: number }>();
    expect(outcomes).toEqual({ n: 2, merged: 2 });
    db.close();
  });

  it('quiet (the hooks’ worker) builds the same rows and leaves the totals out of the messages', async () => {
    const repo = repoWithTwoCommits();
    const run = async (quiet: boolean) => {
      const db = tempDatabase();
      const summary = await updateRepository(db, await locateRepository(repo.dir), defaultConfig(), {
        providers: [],
        environment: { env: {}, home: repo.dir },
        cwd: repo.dir,
        quiet,
      });
      const rows = snapshot(db, [
        'metadata_repositories.first_seen_at',
        'metadata_repositories.last_ingested_at',
        'metadata_branches.first_seen_at',
      ]);
      db.close();
      return { rows, messages: summary.builders.map((b) => b.message.replace(/^[^:]+: /, '')) };
    };
    const told = await run(false);
    const quiet = await run(true);
    expect(quiet.rows).toEqual(told.rows);
    expect(told.messages.slice(1)).toEqual([
      'outcomes: 2 commits on mainline, 0 reverted later (2 checked)',
      'churn: 2 mainline commits updated; within 14 days 0 of their AI lines and 0 other lines churned',
      'tasks: 0 commit links, 0 session links',
    ]);
    expect(quiet.messages.slice(1)).toEqual(['outcomes: 2 checked', told.messages[2]!, 'tasks: linked']);
  });

  // Switching to the rollback journal and back is a checkpoint each way (~13 ms on git's own
  // history): a repository whose machine has no transcripts paid it on every run, a CI job's too.
  it.each([
    { found: 'no transcript', transcripts: 0, switched: false },
    { found: 'one transcript', transcripts: 1, switched: true },
  ])(
    'a first transcript ingest writes without the WAL only when there is a transcript to read: $found',
    async ({ transcripts, switched }) => {
      const repo = repoWithTwoCommits();
      const home = emptySessionHome();
      if (transcripts > 0) {
        const t = new ClaudeTranscript('7e57c0de-0000-4000-8000-0000000000aa', repo.dir).prompt('write alpha');
        mkdirSync(join(home.claudeProjects, '-journal'), { recursive: true });
        writeFileSync(join(home.claudeProjects, '-journal', `${t.sessionId}.jsonl`), t.text());
      }
      const db = tempDatabase();
      const pragmas: string[] = [];
      const pragma = db.pragma.bind(db);
      db.pragma = (sql: string) => {
        pragmas.push(sql);
        return pragma(sql);
      };
      const summary = await updateRepository(db, await locateRepository(repo.dir), defaultConfig(), {
        providers: selectProviders(['claude-code']),
        environment: { env: home.env, home: home.home },
        cwd: repo.dir,
        attribution: false,
      });
      expect(summary.sessions[0]!.filesRead).toBe(transcripts);
      expect(pragmas.includes('journal_mode = delete')).toBe(switched);
      expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
      db.close();
    },
  );

  it('without attribution it records history and runs no builder', async () => {
    const repo = repoWithTwoCommits();
    const db = tempDatabase();
    const summary = await updateRepository(db, await locateRepository(repo.dir), defaultConfig(), {
      providers: [],
      environment: { env: {}, home: repo.dir },
      cwd: repo.dir,
      attribution: false,
    });
    expect(summary.builders).toEqual([]);
    expect(db.prepare(`SELECT count(*) AS n FROM event_commit_outcomes`).get<{ n: number }>()!.n).toBe(0);
    db.close();
  });

  it('a builder list is data: one more entry runs after the others and sees what they handed on', async () => {
    const repo = repoWithTwoCommits();
    const { db, location, repoId } = await recordedHistory(repo);
    const seen: string[] = [];
    const counter: Builder = {
      name: 'counter',
      async run(ctx) {
        const n = ctx.db.prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE repo_id = ?`).get<{ n: number }>([ctx.repoId])!.n;
        seen.push(`${n} outcomes in ${ctx.repoId === repoId ? 'this' : 'another'} repository`);
        return { builder: this.name, message: `${n} outcome rows` };
      },
    };
    const summaries = await runBuilders({ db, repoId, root: location.root, config: defaultConfig(), writeNotes: false, notesRead: 0 }, [
      ...BUILDERS,
      counter,
    ]);
    expect(summaries.map((s) => s.builder)).toEqual(['attribution', 'outcomes', 'churn', 'tasks', 'counter']);
    expect(summaries.at(-1)!.message).toBe('2 outcome rows');
    expect(seen).toEqual(['2 outcomes in this repository']);
    // Each builder's work is counted: attribution read the two new commits' diffs.
    expect(summaries[0]!.work.diffsRead).toBe(2);
    expect(summaries.at(-1)!.work).toEqual({ rowsRead: 1, diffsRead: 0, diffsKept: 0, filesRead: 0, gitProcesses: 0 });
    db.close();
  });

  it('attribution’s notes write runs beside the builders after it, recorded after the last, its processes counted to attribution', async () => {
    const s = await sessionCommitRecorded();
    const during: { owed: number; recorded: number }[] = [];
    // A builder after attribution that starts a git process of its own while the notes write runs.
    const beside: Builder = {
      name: 'beside',
      async run(ctx) {
        const fastImports = gitProcessCounts.get('fast-import') ?? 0;
        during.push({ owed: s.owed(), recorded: s.recorded() });
        await fastImportStarted(fastImports);
        await runGit(['rev-parse', 'HEAD'], { cwd: ctx.root });
        during.push({ owed: s.owed(), recorded: s.recorded() });
        return { builder: this.name, message: 'ran beside the notes write' };
      },
    };
    const before = gitProcessesSoFar();
    const summaries = await runBuilders(s.ctx, [BUILDERS[0]!, beside]);
    // The write touched no row while the next builder ran; its record came after the last.
    expect(during).toEqual([
      { owed: 1, recorded: 0 },
      { owed: 1, recorded: 0 },
    ]);
    expect(s.owed()).toBe(0);
    expect(s.recorded()).toBe(1);
    expect(s.notesInGit()).not.toBe('');
    expect(summaries.map((b) => b.builder)).toEqual(['attribution', 'beside']);
    expect(summaries[0]!.message).toMatch(/1 with lines from sessions; notes: 0 read, 1 written$/);
    // Each builder's processes are its own: the one `beside` started, and every other process of
    // the run (the write's config, var and fast-import among them) attribution's.
    expect(summaries[1]!.work.gitProcesses).toBe(1);
    expect(summaries[0]!.work.gitProcesses).toBe(gitProcessesSoFar() - before - 1);
    expect(summaries[0]!.work.gitProcesses).toBeGreaterThanOrEqual(3);
    s.db.close();
  });

  it('a run that writes a note reads the repository’s settings once: no `git var`, no config of the write’s own', async () => {
    const s = await sessionCommitRecorded({ attribution: true });
    expect(s.summary.builders[0]!.message).toMatch(/notes: 0 read, 1 written$/);
    expect({ config: s.started('config'), var: s.started('var'), fastImport: s.started('fast-import') }).toEqual({
      config: 2, // the settings, and `config --add notes.rewriteRef` (none was set)
      var: 0,
      fastImport: 1,
    });
    // The notes commit names the committer git would have: the tests' global user.
    expect(s.repo.git('log', '-1', '--format=%cn <%ce>', 'refs/notes/paceflow')).toBe('Test Person <test@example.com>');
    expect(s.repo.git('config', '--get-all', 'notes.rewriteRef')).toBe('refs/notes/paceflow');
    s.db.close();
  });

  it('a notes write git refuses fails the run after the builders ran, and leaves the notes owed to the next run', async () => {
    const s = await sessionCommitRecorded();
    // Another writer holds the ref's lock: fast-import cannot move it.
    const lock = join(s.repo.dir, '.git', 'refs', 'notes', 'paceflow.lock');
    mkdirSync(join(s.repo.dir, '.git', 'refs', 'notes'), { recursive: true });
    writeFileSync(lock, '');
    const ran: string[] = [];
    const after: Builder = {
      name: 'after',
      async run() {
        ran.push('after');
        return { builder: this.name, message: '' };
      },
    };
    await expect(runBuilders(s.ctx, [BUILDERS[0]!, after])).rejects.toThrow(/git fast-import failed/);
    expect(ran).toEqual(['after']);
    expect({ owed: s.owed(), recorded: s.recorded() }).toEqual({ owed: 1, recorded: 0 });
    rmSync(lock);
    const summaries = await runBuilders(s.ctx, [BUILDERS[0]!, after]);
    expect(summaries[0]!.message).toMatch(/notes: 0 read, 1 written$/);
    expect({ owed: s.owed(), recorded: s.recorded() }).toEqual({ owed: 0, recorded: 1 });
    expect(s.notesInGit()).not.toBe('');
    s.db.close();
  });

  it('a whole outcome build reverses only the diffs another mainline commit could undo (the same paths, the opposite net lines and line balance)', async () => {
    const repo = TempRepo.create();
    const body = 'def alpha():\n    return compute_alpha()\n';
    repo.write('a.py', body).commit('add alpha');
    repo.write('b.py', 'def beta():\n    return compute_beta()\n').commit('add beta');
    repo.write('a.py', `${body}def more():\n    return compute_more()\n`).commit('more alpha');
    // A mode change names its file (git patch-id reads its header): it shares beta's key; the
    // rename names two paths, a key of its own.
    chmodSync(join(repo.dir, 'b.py'), 0o755);
    repo.commit('executable beta');
    repo.git('mv', 'b.py', 'c.py');
    repo.commit('rename beta');
    // Undone by hand, without a revert message: the inverted diff of `more alpha`.
    const undo = repo.write('a.py', body).commit('back to alpha alone');
    const { db, repoId, location } = await recordedHistory(repo, { attribution: true });
    await runBuilders({ db, repoId, root: location.root, config: defaultConfig(), writeNotes: false, notesRead: 0 });
    const reversed = db
      .prepare(
        `SELECT c.subject FROM fact_commit_patch_ids p JOIN metadata_commits c USING (repo_id, sha) WHERE p.has_reverse = 1 ORDER BY 1`,
      )
      .all<{ subject: string }>()
      .map((r) => r.subject);
    // The last of each key to land can only undo: of a.py's three commits only `more alpha` is
    // reversed — `add alpha` nets +2 lines too, the last -2, but the lines it takes out are more's,
    // not alpha's (their line balances do not cancel). Beta's mode change shares beta's key, but
    // nets 0 lines where undoing beta would net -2: beta is not reversed.
    expect(reversed).toEqual(['more alpha']);
    expect(
      db
        .prepare(
          `SELECT reverted_by, revert_kind FROM event_commit_outcomes o JOIN metadata_commits c USING (repo_id, sha) WHERE c.subject = 'more alpha'`,
        )
        .get(),
    ).toEqual({
      reverted_by: undo,
      revert_kind: 'diff-inversion',
    });
    db.close();
  });

  it('builds the same rows whether churn and the outcome rules take their diffs from the run’s store or from git', async () => {
    // Lines edited and deleted later on mainline (churn, a partial revert), a merged branch, a
    // revert, a rename: what every diff-reading builder step sees.
    const repo = TempRepo.create();
    const lines = (n: number) => Array.from({ length: 8 }, (_, i) => `export const value${i} = computeValue(${i}, ${n});\n`);
    const body = (n: number) => lines(n).join('');
    repo.write('a.ts', body(1)).commit('add a');
    repo.write('b.ts', body(2)).commit('add b');
    repo.git('checkout', '-q', '-b', 'topic');
    repo.write('c.ts', body(3)).commit('add c on a branch');
    repo.git('checkout', '-q', 'main');
    repo.git('merge', '-q', '--no-ff', '-m', 'merge topic', 'topic');
    const edit = repo.write('a.ts', body(4)).commit('rewrite a');
    repo.git('revert', '--no-edit', edit);
    repo.git('mv', 'b.ts', 'b2.ts');
    repo.write('b2.ts', lines(2).slice(0, 3).join('')).commit('move b, keep three lines');
    // A branch commit whose lines land on mainline in another commit (the content rule reads it).
    repo.git('checkout', '-q', '-b', 'copied', 'main~1');
    repo.write('d.ts', body(5)).commit('add d on a branch');
    repo.git('checkout', '-q', 'main');
    repo.write('d.ts', `${body(5)}export const extra = computeExtra();\n`).commit('add d, with one line more');
    const build = async (patches?: PatchStore) => {
      const { db, repoId } = await recordedHistory(repo);
      const summaries = await runBuilders({
        db,
        repoId,
        root: repo.dir,
        config: defaultConfig(),
        writeNotes: false,
        notesRead: 0,
        ...(patches ? { patches } : {}),
      });
      const rows = snapshot(db, [
        'metadata_repositories.first_seen_at',
        'metadata_repositories.last_ingested_at',
        'metadata_branches.first_seen_at',
      ]);
      db.close();
      return {
        rows,
        diffs: Object.fromEntries(summaries.map((s) => [s.builder, s.work.diffsRead])),
        kept: Object.fromEntries(summaries.map((s) => [s.builder, s.work.diffsKept])),
      };
    };
    /** A store that keeps nothing: every builder reads its diffs from git, as a later run does. */
    class KeepsNothing extends PatchStore {
      override keep(): void {}
    }
    const stored = await build();
    const fromGit = await build(new KeepsNothing(tempDir('paceflow-store-')));
    expect(stored.diffs).toMatchObject({ attribution: 8, churn: 0, outcomes: 0 });
    expect(fromGit.diffs.churn).toBeGreaterThan(0);
    expect(fromGit.diffs.outcomes).toBeGreaterThan(0);
    // What git read for the second build, the first took from the store.
    expect(stored.kept).toEqual({ attribution: 0, outcomes: fromGit.diffs.outcomes, churn: fromGit.diffs.churn, tasks: 0 });
    expect(fromGit.kept).toEqual({ attribution: 0, outcomes: 0, churn: 0, tasks: 0 });
    expect(stored.rows).toEqual(fromGit.rows);
    expect((stored.rows.event_commit_churn ?? []).length).toBeGreaterThan(0);
    const outcomes = (stored.rows.event_commit_outcomes ?? []) as { reverted_later: number | null; mainline_via: string | null }[];
    expect(outcomes.some((r) => r.reverted_later === 1)).toBe(true);
    expect(outcomes.some((r) => r.mainline_via === 'content')).toBe(true);
  });
});
