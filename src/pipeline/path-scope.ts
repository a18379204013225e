import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { openDatabase } from '../db/open.js';
import { pathsMatching } from '../git/pathspec.js';
import { runBuilders } from './builders.js';
import { churnStageKey } from '../builders/evidence-changes.js';
import { outcomesStateKey } from '../builders/outcomes.js';

export interface PathScopeOptions {
  repoId: string;
  /** Where the pathspecs are read from (git matches them relative to it). */
  cwd: string;
  /** The repository's top level. */
  root: string;
  pathspecs: readonly string[];
  config: PaceflowConfig;
}

/**
 * Runs `fn` on a throw-away copy of the database whose commit events (attribution, outcomes,
 * churn) were rebuilt from only the lines in paths the pathspecs match, so every commit view reads
 * as if the rest of the repository did not exist. The real database is not written.
 */
export async function withPathScope<T>(
  db: Database,
  options: PathScopeOptions,
  fn: (scoped: Database, paths: number) => Promise<T>,
): Promise<T> {
  const dir = mkdtempSync(join(tmpdir(), 'paceflow-scope-'));
  try {
    const copy = join(dir, 'scoped.db');
    db.exec(`VACUUM INTO '${copy.replaceAll("'", "''")}'`);
    const scoped = openDatabase(copy);
    try {
      const pathScope = await pathsMatching(options.pathspecs, options.cwd);
      const { repoId, root, config } = options;
      scoped.exec(`CREATE TEMP TABLE paceflow_scope_paths (path TEXT PRIMARY KEY) WITHOUT ROWID`);
      const insertPath = scoped.prepare(`INSERT INTO paceflow_scope_paths (path) VALUES (?)`);
      scoped.transaction(() => {
        for (const path of pathScope) insertPath.run([path]);
        // Commits that touch no matching path leave the copy: counts of commits, markers and
        // tasks then read as if they never happened. Merges stay (they carry the history).
        scoped
          .prepare(
            `DELETE FROM metadata_commit_file_changes WHERE repo_id = ?
               AND path NOT IN (SELECT path FROM paceflow_scope_paths)
               AND (old_path IS NULL OR old_path NOT IN (SELECT path FROM paceflow_scope_paths))`,
          )
          .run([repoId]);
        scoped
          .prepare(
            `DELETE FROM metadata_commits WHERE repo_id = ? AND is_merge = 0
               AND NOT EXISTS (SELECT 1 FROM metadata_commit_file_changes f WHERE f.repo_id = metadata_commits.repo_id AND f.sha = metadata_commits.sha)`,
          )
          .run([repoId]);
        for (const table of ['event_commit_attributions', 'event_commit_outcomes', 'event_commit_churn', 'event_task_commits']) {
          scoped.prepare(`DELETE FROM ${table} WHERE repo_id = ?`).run([repoId]);
        }
        // Every in-scope commit is attributed again, counting only its in-scope lines, in one whole replay.
        scoped.prepare(`DELETE FROM paceflow_ai_lines WHERE repo_id = ?`).run([repoId]);
        scoped.prepare(`DELETE FROM paceflow_churn_evidence WHERE repo_id = ?`).run([repoId]);
        scoped.prepare(`INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at) VALUES (?, 0)`).run([repoId]);
        scoped
          .prepare(
            `INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha) SELECT repo_id, sha FROM metadata_commits
             WHERE repo_id = ? AND is_merge = 0 AND is_shallow_boundary = 0 AND is_unreachable = 0`,
          )
          .run([repoId]);
        scoped
          .prepare(`DELETE FROM paceflow_meta WHERE key IN (?, ?, ?)`)
          .run([outcomesStateKey(repoId), `churn_inputs:${repoId}`, churnStageKey(repoId)]);
      });
      // Every builder, on the copy, counting only in-scope lines; no notes (the copy is thrown away).
      await runBuilders({ db: scoped, repoId, root, config, pathScope, writeNotes: false, notesRead: 0 });
      return await fn(scoped, pathScope.size);
    } finally {
      scoped.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
