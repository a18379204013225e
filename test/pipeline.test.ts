import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/defaults.js';
import { locateRepository } from '../src/git/repository.js';
import { BUILDERS, type Builder, runBuilders } from '../src/pipeline/builders.js';
import { updateRepository } from '../src/pipeline/update.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';
import { snapshot, tempDatabase } from './helpers/db.js';

afterAll(cleanupTempDirs);

function repoWithTwoCommits(): TempRepo {
  const repo = TempRepo.create();
  repo.write('a.py', 'def alpha():\n    return compute_alpha()\n').commit('add alpha');
  repo.write('b.py', 'def beta():\n    return compute_beta()\n').commit('add beta', { author: 'Dev (aider)', committer: 'Dev (aider)' });
  return repo;
}

/** The repository's history recorded, no builder run yet; `update` records what was committed since. */
async function recordedHistory(repo: TempRepo) {
  const db = tempDatabase();
  const location = await locateRepository(repo.dir);
  // Located each run, as `update` does: a location holds the commit HEAD was at.
  const update = async () =>
    updateRepository(db, await locateRepository(repo.dir), defaultConfig(), {
      providers: [],
      environment: { env: {}, home: repo.dir },
      cwd: repo.dir,
      attribution: false,
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
    expect(summaries.at(-1)!.work).toEqual({ rowsRead: 1, diffsRead: 0, gitProcesses: 0 });
    db.close();
  });

  it('a whole outcome build reverses only the diffs another mainline commit could undo (one changing the same paths)', async () => {
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
    const { db, repoId, location } = await recordedHistory(repo);
    await runBuilders({ db, repoId, root: location.root, config: defaultConfig(), writeNotes: false, notesRead: 0 });
    const reversed = db
      .prepare(
        `SELECT c.subject FROM fact_commit_patch_ids p JOIN metadata_commits c USING (repo_id, sha) WHERE p.has_reverse = 1 ORDER BY 1`,
      )
      .all<{ subject: string }>()
      .map((r) => r.subject);
    // The last of each key to land can only undo: of a.py's three commits, two are reversed.
    expect(reversed).toEqual(['add alpha', 'add beta', 'more alpha']);
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
});
