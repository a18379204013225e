import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { ingest } from '../src/cli/commands/ingest.js';
import { openDatabase } from '../src/db/open.js';
import { eventRows } from './helpers/event-rows.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { syntheticRepo } from './helpers/synthetic-repo.js';

afterAll(cleanupTempDirs);

/**
 * When mainline moves, the builders keep what still holds — the landing (sql/009), the content
 * checks, the partial-revert verdicts (sql/012), the branches' net diffs — and re-read only what the
 * new commits touch. Whatever they keep, the rows must be those of a database built from scratch:
 * checked on a real-shaped history (bench/synthetic-history.mjs: pull requests merged, squashed,
 * rebased, reverts, renames, sessions) as mainline moves forward in steps of different sizes, is
 * reset back (a rewrite) and moves on again.
 */

describe('mainline moving on a real-shaped history', () => {
  it('gives the rows of a build from scratch after every move', { timeout: 600_000 }, async () => {
    const { repo, env, git } = await syntheticRepo({ commits: 1_500, seed: 5 });
    // The first-parent chain, oldest first: mainline is moved along it.
    const chain = git('rev-list', '--first-parent', '--reverse', 'main').split('\n');
    const at = (n: number) => git('update-ref', 'refs/heads/main', chain[chain.length - 1 - n]!);
    const kept = join(tempDir('paceflow-db-'), 'kept.db');
    const run = (db: string) => ingest({ cwd: repo, db, env, notes: false });
    const step = async () => {
      const summary = await run(kept);
      const fresh = join(tempDir('paceflow-db-'), 'fresh.db');
      await run(fresh);
      const [a, b] = [eventRows(kept), eventRows(fresh)];
      for (const table of Object.keys(b)) {
        const only = (x: unknown[], y: unknown[]) => {
          const ys = new Set(y.map((r) => JSON.stringify(r)));
          return x.filter((r) => !ys.has(JSON.stringify(r))).slice(0, 4);
        };
        expect({ table, kept: only(a[table]!, b[table]!), fresh: only(b[table]!, a[table]!) }).toEqual({ table, kept: [], fresh: [] });
      }
      return summary.builders.find((b) => b.builder === 'outcomes')!.work;
    };
    at(80);
    await run(kept);
    const moves: number[] = [];
    // Forward by 1, 5, 20 and 14 first-parent commits; back by 30 (a rewrite of mainline); forward to the tip.
    for (const back of [79, 74, 54, 40, 70, 0]) {
      at(back);
      moves.push((await step()).diffsRead);
    }
    const reverts = openDatabase(kept);
    try {
      // The history exercises what is kept: partial and whole reverts, copies by every rule.
      const kinds = reverts
        .prepare(`SELECT DISTINCT revert_kind AS k FROM event_commit_outcomes WHERE revert_kind IS NOT NULL ORDER BY 1`)
        .all();
      const vias = reverts
        .prepare(`SELECT DISTINCT mainline_via AS v FROM event_commit_outcomes WHERE mainline_via IS NOT NULL ORDER BY 1`)
        .all();
      expect(vias.map((r) => (r as { v: string }).v)).toEqual(expect.arrayContaining(['ancestor', 'patch-id', 'squash']));
      expect(kinds.length).toBeGreaterThan(0);
    } finally {
      reverts.close();
    }
    // A move forward reads few diffs; the rewrite reads more (its partial and content checks are asked again).
    expect(moves[0]).toBeLessThan(50);
  });
});
