import { chmodSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAttribution } from '../src/builders/attribution.js';
import { ingest } from '../src/cli/commands/ingest.js';
import { defaultConfig } from '../src/config/defaults.js';
import { OutcomeContext, storedPatchIds } from '../src/builders/outcomes/context.js';
import { openDatabase } from '../src/db/open.js';
import { patchIds } from '../src/git/mainline.js';
import { type CommitPatch, readCommitPatches } from '../src/git/patches.js';
import { gitProcessCounts } from '../src/git/run.js';
import { rowsRead } from '../src/db/statement.js';
import { gitPatchIds } from './helpers/git-patch-id.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

/**
 * A history with what changes a diff's text: a rename with an edit, a path with a space and
 * non-ASCII letters, a binary file, a mode change, an empty commit, changes with lines of context
 * around them; and a configuration that would change git's diff if paceflow left it to git
 * (context, renames, quoting, prefixes).
 */
function hostileHistory(): { repo: TempRepo; commits: string[] } {
  const repo = TempRepo.create();
  const lines = (n: number, edit = -1) =>
    Array.from({ length: n }, (_, i) => (i === edit ? `edited line ${i}` : `line ${i} of text`)).join('\n');
  const commits = [
    repo
      .write('a.txt', `${lines(40)}\n`)
      .write('tool.sh', 'echo hi\n')
      .commit('start'),
    repo.write('a.txt', `${lines(40, 10)}\n`).commit('edit in the middle'),
  ];
  repo.git('mv', 'a.txt', 'moved.txt');
  commits.push(repo.write('moved.txt', `${lines(40, 30)}\n`).commit('rename with an edit'));
  commits.push(repo.write('dir/ü b.txt', 'unicode and a space\n').commit('odd path'));
  commits.push(repo.write('logo.png', Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x00, 0x01, 0x02])).commit('binary'));
  chmodSync(join(repo.dir, 'tool.sh'), 0o755);
  commits.push(repo.commit('mode only'));
  commits.push(repo.commit('nothing', { allowEmpty: true }));
  for (const [key, value] of [
    ['diff.context', '7'],
    ['diff.renames', 'false'],
    ['core.quotePath', 'true'],
    ['diff.mnemonicPrefix', 'true'],
    ['diff.noprefix', 'false'],
  ]) {
    repo.git('config', key!, value!);
  }
  return { repo, commits };
}

/** The pinned definition, by hand (helpers/git-patch-id.ts), of each of these commits. */
const referenceIds = (cwd: string, shas: readonly string[], reverse = false) => gitPatchIds(cwd, shas, { reverse });

describe('patch-ids from the diff stream attribution reads', () => {
  it('are the ids patchIds computes, of one pinned diff whatever the configuration says', async () => {
    const { repo, commits } = hostileHistory();
    const reference = referenceIds(repo.dir, commits);
    // Every commit but the empty one has an id.
    expect(reference.size).toBe(commits.length - 1);
    let fromStream = new Map<string, string | null>();
    const withIds: CommitPatch[] = [];
    for await (const patch of readCommitPatches(commits, { cwd: repo.dir, onPatchIds: (ids) => (fromStream = ids) })) withIds.push(patch);
    const plain: CommitPatch[] = [];
    for await (const patch of readCommitPatches(commits, { cwd: repo.dir })) plain.push(patch);
    expect([...fromStream]).toEqual(commits.map((sha) => [sha, reference.get(sha) ?? null]));
    expect([...(await patchIds(commits, repo.dir))].sort()).toEqual([...reference].sort());
    // Read with context for the ids, the lines parsed are the same as without.
    expect(withIds).toEqual(plain);
    expect(plain.find((p) => p.sha === commits[2])!.files).toEqual([
      { path: 'moved.txt', oldPath: 'a.txt', added: ['line 10 of text', 'edited line 30'], removed: ['edited line 10', 'line 30 of text'] },
    ]);
    expect(plain.find((p) => p.sha === commits[3])!.files.map((f) => f.path)).toEqual(['dir/ü b.txt']);
  });

  it('attribution keeps each commit’s forward id from its own stream; the outcome build then diffs only for the reversed ids', async () => {
    const { repo, commits } = hostileHistory();
    // The odd path emptied: its first commit is one a later commit could undo (the same paths, the
    // opposite net lines), so the outcome build reverses that diff — and no other here.
    commits.push(repo.write('dir/ü b.txt', '').commit('odd path emptied'));
    const undoable = commits[3]!;
    const db = join(tempDir('paceflow-db-'), 'paceflow.db');
    const env = { ...process.env, HOME: tempDir('paceflow-home-') };
    await ingest({ cwd: repo.dir, db, env, notes: false, attribution: false });
    const reference = referenceIds(repo.dir, commits);
    const d = openDatabase(db);
    const kept = () =>
      d
        .prepare(`SELECT sha, forward_id, has_reverse FROM fact_commit_patch_ids ORDER BY sha`)
        .all<{ sha: string; forward_id: string | null; has_reverse: number }>()
        .map((r) => [r.sha, r.forward_id, r.has_reverse]);
    try {
      const { repo_id } = d.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!;
      await buildAttribution({ db: d, repoId: repo_id, cwd: repo.dir, config: defaultConfig() });
      expect(kept()).toEqual([...commits].sort().map((sha) => [sha, reference.get(sha) ?? null, 0]));
      const before = new Map(gitProcessCounts);
      await ingest({ cwd: repo.dir, db, env, notes: false });
      // The whole outcome build: the rules' read of the diffs (this run's store is empty) and the one
      // reversed diff, its id hashed as it is read (no patch-id process), under the pinned
      // definition whatever the configuration says.
      const started = (name: string) => (gitProcessCounts.get(name) ?? 0) - (before.get(name) ?? 0);
      expect([started('log'), started('patch-id')]).toEqual([2, 0]);
      expect(kept()).toEqual([...commits].sort().map((sha) => [sha, reference.get(sha) ?? null, sha === undoable ? 1 : 0]));
      expect(d.prepare(`SELECT reverse_id FROM fact_commit_patch_ids WHERE sha = ?`).get([undoable])).toEqual({
        reverse_id: referenceIds(repo.dir, [undoable], true).get(undoable),
      });
    } finally {
      d.close();
    }
  });
});

// The stored ids a build asks for: one pass over the repository's rows (many asked) reads what a
// lookup each reads (in the table's order: the lookups keep the order asked).
describe('storedPatchIds', () => {
  it.each([false, true])('reads the same by one pass as by lookups (reversed: %s)', (reverse) => {
    const db = openDatabase(join(tempDir('paceflow-db-'), 'paceflow.db'));
    const insert = db.prepare(
      `INSERT INTO fact_commit_patch_ids (repo_id, sha, forward_id, reverse_id, has_reverse) VALUES (?, ?, ?, ?, ?)`,
    );
    insert.run(['r', 'c1', 'f1', 'r1', 1]);
    insert.run(['r', 'c2', null, null, 1]); // empty diff both ways
    insert.run(['r', 'c3', 'f3', null, 0]); // reversed id never computed
    insert.run(['r', 'c4', 'f4', 'r4', 1]);
    insert.run(['other', 'c5', 'f5', 'r5', 1]);
    const asked = ['c4', 'c5', 'c3', 'c1', 'c2', 'c6', 'c1'];
    const scanned = storedPatchIds(db, 'r', asked, reverse, true);
    const looked = storedPatchIds(db, 'r', asked, reverse, false);
    expect(new Map([...scanned.ids].sort())).toEqual(looked.ids);
    expect(scanned.missing).toEqual(looked.missing);
    expect([...looked.ids]).toEqual(
      reverse
        ? [
            ['c4', 'r4'],
            ['c1', 'r1'],
          ]
        : [
            ['c4', 'f4'],
            ['c3', 'f3'],
            ['c1', 'f1'],
          ],
    );
    expect(scanned.missing).toEqual(reverse ? ['c5', 'c3', 'c6'] : ['c5', 'c6']);
    db.close();
  });
});

// A whole build asks for most forward ids several times: the first large ask reads the repository's
// rows once, every later ask (large or small) answers from them, and an id the build computes is
// answered from them too, without git again.
describe("a build's forward patch-ids", () => {
  it('are read in one pass once, then answered without reading or computing again', async () => {
    const repo = TempRepo.create();
    const real = repo.write('a.txt', 'one\n').commit('a');
    const db = openDatabase(join(tempDir('paceflow-db-'), 'paceflow.db'));
    const insert = db.prepare(
      `INSERT INTO fact_commit_patch_ids (repo_id, sha, forward_id, reverse_id, has_reverse) VALUES (?, ?, ?, NULL, 0)`,
    );
    const fake = Array.from({ length: 2_500 }, (_, i) => `c${i}`);
    db.transaction(() => {
      for (const [i, sha] of fake.entries()) insert.run(['r', sha, i % 10 === 0 ? null : `f${i}`]);
      insert.run(['other', real, 'not this repository']);
    });
    const ctx = new OutcomeContext(db, 'r', repo.dir, real, [], true);
    const expected = (shas: readonly string[]) => storedPatchIds(db, 'r', shas, false, false).ids;
    const work = () => ({ rows: rowsRead.count, git: [...gitProcessCounts.values()].reduce((a, b) => a + b, 0) });
    const start = work();
    // Many asked, one of them not stored: the stored ones in one pass, the other from git.
    const first = await ctx.patchIds([...fake, real]);
    const afterFirst = work();
    expect(afterFirst.rows - start.rows).toBe(2_500);
    expect(afterFirst.git - start.git).toBeGreaterThan(0);
    const realId = first.get(real);
    expect(realId).toMatch(/^[0-9a-f]{40}$/);
    expect(new Map([...first].filter(([sha]) => sha !== real))).toEqual(expected(fake));
    // Asked again, many or few, the computed one among them: nothing read, nothing computed.
    const few = ['c7', 'c10', real, 'c2499'];
    expect(await ctx.patchIds(few)).toEqual(new Map([...expected(['c7', 'c10', 'c2499']), [real, realId]]));
    expect(await ctx.patchIds([...fake].reverse())).toEqual(expected([...fake].reverse()));
    expect(work().git).toBe(afterFirst.git);
    // The only rows read since are the oracle's lookups (every asked row of it found).
    expect(work().rows - afterFirst.rows).toBe(2_500 + 3 + 2_500);
    // Let go (the content rule holds none): a few asked are looked up, many read in one pass
    // again — the computed one stored, not computed twice.
    ctx.forgetForwardIds();
    const beforeForgotten = work();
    expect(await ctx.patchIds(few)).toEqual(new Map([...expected(['c7', 'c10', 'c2499']), [real, realId]]));
    expect(work().rows - beforeForgotten.rows).toBe(3 + 1 + 3);
    expect(await ctx.patchIds([...fake, real])).toEqual(new Map([...expected(fake), [real, realId]]));
    expect(work().rows - beforeForgotten.rows).toBe(3 + 1 + 3 + 2_500 + 1 + 2_500);
    expect(work().git).toBe(afterFirst.git);
    db.close();
  });
});
