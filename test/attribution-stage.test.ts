import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { buildAttribution } from '../src/builders/attribution.js';
import { AttributionStage } from '../src/builders/attribution-stage.js';
import { ingest } from '../src/cli/commands/ingest.js';
import { defaultConfig } from '../src/config/defaults.js';
import type { Database } from '../src/db/driver.js';
import { openDatabase } from '../src/db/open.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, TempRepo, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const tempTables = (db: Database) =>
  db
    .prepare(`SELECT name FROM sqlite_temp_master WHERE type = 'table' ORDER BY name`)
    .all<{ name: string }>()
    .map((r) => r.name);

/** The outcome columns a test writes: the counts, and the share computed from them as attribution does. */
const outcome = {
  columns: ['repo_id', 'sha', 'committed_at', 'nontrivial_added_lines', 'ai_lines', 'ai_share', 'heavy_ai', 'attribution_coverage'],
  values: (s: string) =>
    [`${s}.repo_id`, `${s}.sha`, `${s}.committed_at`, `${s}.nontrivial_added_lines`, `${s}.ai_lines`]
      .concat([`round(1.0 * ${s}.ai_lines / ${s}.nontrivial_added_lines, 4)`, `${s}.ai_lines >= @minLines`])
      .concat([`CASE WHEN EXISTS (SELECT 1 FROM event_commit_attributions a WHERE a.sha = ${s}.sha) THEN 'tracked' ELSE 'untracked' END`])
      .join(', '),
  params: { minLines: 3 },
};

describe('a first replay’s stage (attribution-stage.ts)', () => {
  it('is made only for a replay of more than one batch onto a repository with no outcome row, no attribution and no taking', () => {
    const db = tempDatabase();
    expect(AttributionStage.forFirstReplay(db, 'r', false)).toBeUndefined();
    const stage = AttributionStage.forFirstReplay(db, 'r', true);
    expect(stage).toBeDefined();
    expect(tempTables(db)).toEqual([
      'paceflow_staged_event_commit_attributions',
      'paceflow_staged_outcomes',
      'paceflow_staged_paceflow_ai_lines',
      'paceflow_staged_paceflow_churn_dirty',
      'paceflow_staged_paceflow_owed_notes',
    ]);
    stage!.drop();
    expect(tempTables(db)).toEqual([]);
    db.prepare(
      `INSERT INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, heavy_ai, attribution_coverage)
       VALUES ('r', 'a', '2026-01-01T00:00:00.000Z', 1, 0, 0, 'untracked')`,
    ).run();
    expect(AttributionStage.forFirstReplay(db, 'r', true)).toBeUndefined();
    // Another repository's rows do not make this one built.
    expect(AttributionStage.forFirstReplay(db, 'other', true)).toBeDefined();
    db.prepare(`DELETE FROM event_commit_outcomes`).run();
    db.prepare(
      `INSERT INTO event_commit_attributions (repo_id, sha, provider, session_id, matched_lines, source) VALUES ('r', 'a', 'claude-code', 's', 1, 'transcript')`,
    ).run();
    expect(AttributionStage.forFirstReplay(db, 'r', true)).toBeUndefined();
    db.prepare(`DELETE FROM event_commit_attributions`).run();
    expect(AttributionStage.forFirstReplay(db, 'r', true)).toBeDefined();
    db.prepare(
      `INSERT INTO paceflow_ai_lines (repo_id, sha, edit_id, write_path, path, provider, n, lines) VALUES ('r', 'a', 'e', 'p', 'p', 'claude-code', 1, '[["x",1]]')`,
    ).run();
    expect(AttributionStage.forFirstReplay(db, 'r', true)).toBeUndefined();
  });

  it('writes the last staged row of each key, over a row stored before, and the outcome rows from their counts after the attributions', () => {
    const db = tempDatabase();
    const stage = AttributionStage.forFirstReplay(db, 'r', true)!;
    // A note owed before the replay, and one staged twice: the last text of each is the one kept.
    db.prepare(`INSERT INTO paceflow_owed_notes (repo_id, sha, note_text) VALUES ('r', 'b', 'stored')`).run();
    const owe = db.prepare(`INSERT INTO ${stage.table('paceflow_owed_notes')} (repo_id, sha, note_text) VALUES ('r', ?, ?)`);
    owe.run(['b', 'first']);
    owe.run(['a', 'only']);
    owe.run(['b', 'last']);
    db.prepare(
      `INSERT INTO ${stage.table('event_commit_attributions')} (repo_id, sha, provider, session_id, model, matched_lines, share_of_commit, source)
       VALUES ('r', 'c', 'claude-code', 's', NULL, 4, 0.5, 'transcript')`,
    ).run();
    const dirty = db.prepare(`INSERT INTO ${stage.table('paceflow_churn_dirty')} (repo_id, sha) VALUES ('r', ?)`);
    dirty.run(['c']);
    dirty.run(['c']);
    const count = db.prepare(
      `INSERT INTO ${stage.outcomes} (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines) VALUES ('r', ?, '2026-01-01T00:00:00.000Z', ?, ?)`,
    );
    count.run(['c', 8, 1]);
    count.run(['a', 2, 0]);
    count.run(['c', 8, 4]);
    db.transaction(() => stage.write(outcome));
    expect(db.prepare(`SELECT sha, note_text FROM paceflow_owed_notes ORDER BY sha`).all()).toEqual([
      { sha: 'a', note_text: 'only' },
      { sha: 'b', note_text: 'last' },
    ]);
    expect(db.prepare(`SELECT sha FROM paceflow_churn_dirty`).all()).toEqual([{ sha: 'c' }]);
    expect(db.prepare(`SELECT sha, matched_lines, share_of_commit FROM event_commit_attributions`).all()).toEqual([
      { sha: 'c', matched_lines: 4, share_of_commit: 0.5 },
    ]);
    expect(
      db.prepare(`SELECT sha, ai_lines, ai_share, heavy_ai, attribution_coverage FROM event_commit_outcomes ORDER BY sha`).all(),
    ).toEqual([
      { sha: 'a', ai_lines: 0, ai_share: 0, heavy_ai: 0, attribution_coverage: 'untracked' },
      { sha: 'c', ai_lines: 4, ai_share: 0.5, heavy_ai: 1, attribution_coverage: 'tracked' },
    ]);
    expect(tempTables(db)).toEqual([]);
  });

  it('is let go when the replay fails: nothing of it written, every commit still queued, no temporary table left', async () => {
    // 520 commits: more than one batch of 500, so a first replay stages. Its diffs are asked of git
    // in a folder that is no repository: the replay fails after the stage is made.
    const repo = TempRepo.create();
    let stream = '';
    for (let i = 0; i < 520; i++) {
      const message = `change ${i}`;
      const text = `version ${i}\n`;
      stream += `commit refs/heads/main\ncommitter Dev <dev@example.com> ${1_767_657_600 + i * 60} +0000\ndata ${message.length}\n${message}\n`;
      stream += `M 100644 inline f${i % 7}.txt\ndata ${text.length}\n${text}\n`;
    }
    repo.gitRaw(['fast-import', '--quiet'], stream);
    repo.git('checkout', '-q', '-f', 'main');
    const path = join(tempDir('paceflow-db-'), 'paceflow.db');
    await ingest({ cwd: repo.dir, db: path, env: { ...process.env, HOME: tempDir('paceflow-home-') }, notes: false, attribution: false });
    const db = openDatabase(path);
    try {
      const count = (table: string) => db.prepare(`SELECT count(*) AS n FROM ${table}`).get<{ n: number }>()!.n;
      const { repo_id } = db.prepare(`SELECT repo_id FROM metadata_repositories`).get<{ repo_id: string }>()!;
      expect(count('paceflow_unattributed')).toBe(520);
      await expect(
        buildAttribution({ db, repoId: repo_id, cwd: tempDir('paceflow-not-a-repo-'), config: defaultConfig() }),
      ).rejects.toThrow();
      expect(tempTables(db).filter((t) => t.startsWith('paceflow_staged_'))).toEqual([]);
      expect(count('event_commit_outcomes')).toBe(0);
      expect(count('paceflow_unattributed')).toBe(520);
      // The same replay where git can answer: every commit's outcome row.
      await buildAttribution({ db, repoId: repo_id, cwd: repo.dir, config: defaultConfig() });
      expect(count('event_commit_outcomes')).toBe(520);
      expect(count('paceflow_unattributed')).toBe(0);
    } finally {
      db.close();
    }
  });
});
