import { afterAll, describe, expect, it } from 'vitest';
import { attributableCommits, type RepositoryKeyedTable, repositoryRows } from '../src/db/count.js';
import type { Database } from '../src/db/driver.js';
import { windowsDue } from '../src/pipeline/built-state.js';
import { defaultConfig } from '../src/config/defaults.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs } from './helpers/git-repo.js';
import { prng } from './helpers/prng.js';

afterAll(cleanupTempDirs);

/**
 * Repositories whose ids sort around each other (a prefix of another, one with a slash, one that
 * sorts last), each with its own number of commits and flags — what the counts by key range must
 * tell apart.
 */
const REPOS = [
  { id: 'github.com/acme/app', commits: 57 },
  { id: 'github.com/acme/app-two', commits: 31 },
  { id: 'github.com/acme/ap', commits: 0 },
  { id: '0f3c9e2a', commits: 12 },
  { id: 'zz', commits: 44 },
];

function fill(db: Database): void {
  const random = prng(20);
  const commit = db.prepare(`INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at,
      author_tz, committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root,
      is_shallow_boundary, is_unreachable) VALUES (?, ?, '', 1, 'a', 'a@x', '2026-01-01T00:00:00Z', '+00:00', 'a', 'a@x',
      '2026-01-01T00:00:00Z', '+00:00', 's', 's', ?, 0, ?, ?)`);
  const outcome = db.prepare(`INSERT INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, heavy_ai,
      attribution_coverage) VALUES (?, ?, '2026-01-01T00:00:00Z', 1, 0, 0, 'untracked')`);
  const churn = db.prepare(`INSERT INTO event_commit_churn (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned,
      nonai_lines_reaching_mainline, nonai_lines_churned, window_closed) VALUES (?, ?, 14, 0, 0, 1, 0, ?)`);
  db.transaction(() => {
    for (const { id, commits } of REPOS) {
      for (let i = 0; i < commits; i++) {
        const sha = `${id}-${i}`;
        const flag = (p: number) => (random() < p ? 1 : 0);
        commit.run([id, sha, flag(0.2), flag(0.1), flag(0.15)]);
        if (random() < 0.8) outcome.run([id, sha]);
        if (random() < 0.6) churn.run([id, sha, flag(0.3)]);
      }
    }
  });
}

describe('counting one repository’s rows without reading them (db/count.ts)', () => {
  const db = tempDatabase();
  fill(db);
  const tables: RepositoryKeyedTable[] = ['event_commit_outcomes', 'event_commit_churn', 'metadata_commits'];
  const cases = [...REPOS.map((r) => r.id), 'absent', 'github.com/acme/app/'];
  it.each(cases)('%s: every table’s rows and attributable commits, as WHERE counts them', (repo) => {
    for (const table of tables) {
      const plain = db.prepare(`SELECT count(*) AS n FROM ${table} WHERE repo_id = ?`).get<{ n: number }>([repo])!.n;
      expect(repositoryRows(db, table, repo), table).toBe(plain);
    }
    const attributable = db
      .prepare(
        `SELECT count(*) AS n FROM metadata_commits WHERE repo_id = ? AND is_merge = 0 AND is_shallow_boundary = 0 AND is_unreachable = 0`,
      )
      .get<{ n: number }>([repo])!.n;
    expect(attributableCommits(db, repo)).toBe(attributable);
  });
  it('the history is not trivial: each repository with commits has some of every kind', () => {
    const kinds = db
      .prepare(
        `SELECT count(DISTINCT repo_id) AS repos, sum(is_merge) AS merges, sum(is_shallow_boundary) AS cut, sum(is_unreachable) AS gone
         FROM metadata_commits`,
      )
      .get<{ repos: number; merges: number; cut: number; gone: number }>()!;
    expect(kinds.repos).toBe(4);
    expect(Math.min(kinds.merges, kinds.cut, kinds.gone)).toBeGreaterThan(0);
  });
});

describe('the open churn windows are found by their index', () => {
  it('windowsDue reads the open rows by index, never a range holding every row of the repository', () => {
    const db = tempDatabase();
    fill(db);
    const repo = 'zz';
    // Ask SQLite what the statement reads: every table it opens, and how.
    const plan = (sql: string) =>
      db
        .prepare(`EXPLAIN QUERY PLAN ${sql}`)
        .all<{ detail: string }>({ repo, mergedAge: 0, revertWindow: 0, churnWindow: 0 })
        .map((r) => r.detail);
    const seen: string[] = [];
    const prepare = db.prepare.bind(db);
    db.prepare = (sql: string) => {
      if (sql.includes('event_commit_churn')) seen.push(sql);
      return prepare(sql);
    };
    windowsDue(db, repo, defaultConfig());
    db.prepare = prepare;
    expect(seen).toHaveLength(1);
    // Every table it reads is read by an open-window index or by whole key: none by a range that
    // holds every row of the repository (`(repo_id=?)` alone on a table's key or another index).
    const wide = plan(seen[0]!).filter((d) => /^(SCAN|SEARCH) (?!\(subquery)/.test(d) && !/_open_windows \(|\(repo_id=\? AND /.test(d));
    expect(wide).toEqual([]);
    expect(plan(seen[0]!).join('\n')).toContain('event_commit_churn_open_windows');
  });
});
