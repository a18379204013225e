import { cpSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { defaultConfig } from '../src/config/defaults.js';
import { locateRepository } from '../src/git/repository.js';
import { updateRepository } from '../src/pipeline/update.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

describe('two clones of one repository share the database', () => {
  it('each run judges its own clone: the other clone’s own commits are out of reach, never asked of git', async () => {
    // Two copies of one repository (no remote: the id is the root commit, the same for both), each
    // with its own commits on main — as two clones of one GitHub repository are, where one fetched.
    const a = TempRepo.create();
    a.write('shop.py', 'def total(items):\n    return sum(items)\n').commit('add total');
    const b = new TempRepo(tempDir('paceflow-clone-'));
    cpSync(a.dir, b.dir, { recursive: true });
    const db = tempDatabase();
    const run = async (repo: TempRepo) =>
      updateRepository(db, await locateRepository(repo.dir), defaultConfig(), {
        providers: [],
        environment: { env: {}, home: repo.dir },
        cwd: repo.dir,
        notes: false,
      });
    await run(a);
    const onlyA = a.write('tax.py', 'def tax(amount):\n    return amount * 0.2\n').commit('add tax');
    const onlyB = b.write('ship.py', 'def ship(weight):\n    return 4 + weight\n').commit('add shipping');
    const unreachable = () =>
      Object.fromEntries(
        db
          .prepare(`SELECT sha, is_unreachable FROM metadata_commits WHERE sha IN (?, ?)`)
          .all<{ sha: string; is_unreachable: number }>([onlyA, onlyB])
          .map((r) => [r.sha === onlyA ? 'onlyA' : 'onlyB', r.is_unreachable]),
      );

    await run(b);
    expect(unreachable()).toEqual({ onlyB: 0 });
    for (let i = 0; i < 2; i++) {
      // Each run walks what the other recorded (its tips are objects git here does not have).
      const inA = await run(a);
      expect(inA.builders.map((x) => x.builder)).toEqual(['attribution', 'outcomes', 'churn', 'tasks']);
      expect(unreachable()).toEqual({ onlyA: 0, onlyB: 1 });
      // Outcomes are this clone's: every commit on its main, none of the other's.
      const onMainline = () =>
        db.prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE merged_to_mainline = 1`).get<{ n: number }>()!.n;
      expect(onMainline()).toBe(Number(a.git('rev-list', '--count', 'main')));
      const inB = await run(b);
      expect(inB.builders.map((x) => x.builder)).toEqual(['attribution', 'outcomes', 'churn', 'tasks']);
      expect(unreachable()).toEqual({ onlyA: 1, onlyB: 0 });
      expect(onMainline()).toBe(Number(b.git('rev-list', '--count', 'main')));
      // The refs' objects kept are those b's listing named, not both clones' piling up.
      expect(
        db
          .prepare(`SELECT sha FROM paceflow_ref_objects ORDER BY sha`)
          .all<{ sha: string }>()
          .map((r) => r.sha),
      ).toEqual([b.git('rev-parse', 'main')]);
      a.write('tax.py', `def tax(amount):\n    return amount * 0.${i + 3}\n`).commit(`tax ${i}`);
      b.write('ship.py', `def ship(weight):\n    return ${i + 5} + weight\n`).commit(`shipping ${i}`);
    }
    db.close();
  });
});
