import { afterAll, describe, expect, it } from 'vitest';
import { join } from 'node:path';
import {
  attributableCommits,
  COUNTED_ROWS,
  type CountedRows,
  countsRecountedLater,
  repositoryRows,
  withCountsRecountedAfter,
} from '../src/db/count.js';
import { BetterSqliteDatabase } from '../src/db/better-sqlite3.js';
import { loadMigrations, migrate } from '../src/db/migrate.js';
import type { Database } from '../src/db/driver.js';
import { windowsDue } from '../src/pipeline/built-state.js';
import { defaultConfig } from '../src/config/defaults.js';
import { expectRowCountsKept, tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
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
  const note = db.prepare(`INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) VALUES (?, ?, ?, 'n', 'now')`);
  const churn = db.prepare(`INSERT INTO event_commit_churn (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned,
      nonai_lines_reaching_mainline, nonai_lines_churned, window_closed) VALUES (?, ?, 14, 0, 0, 1, 0, ?)`);
  db.transaction(() => {
    for (const { id, commits } of REPOS) {
      for (let i = 0; i < commits; i++) {
        const sha = `${id}:${i}`;
        const flag = (p: number) => (random() < p ? 1 : 0);
        commit.run([id, sha, flag(0.2), flag(0.1), flag(0.15)]);
        if (random() < 0.8) outcome.run([id, sha]);
        if (random() < 0.6) churn.run([id, sha, flag(0.3)]);
        if (random() < 0.3) note.run([id, sha, 'refs/notes/paceflow']);
        if (random() < 0.2) note.run([id, sha, 'refs/notes/ai']);
      }
    }
  });
}

describe('the rows a repository has, kept by triggers as they come and go (sql/029, db/count.ts)', () => {
  const sets: CountedRows[] = [
    'metadata_commits:attributable',
    'metadata_commits:merge',
    'event_commit_outcomes',
    'event_commit_outcomes:ancestor',
    'event_commit_churn',
    ...['refs/notes/paceflow', 'refs/notes/ai', 'refs/notes/none'].map((ref) => `fact_commit_notes:${ref}` as const),
  ];
  const cases = [...REPOS.map((r) => r.id), 'absent', 'github.com/acme/app/'];
  /** Every set's kept count against the same rows counted by a query, for every repository asked. */
  const expectKept = (db: Database, step: string) => {
    for (const repo of cases) {
      for (const set of sets) {
        // The rows whose set, as COUNTED_ROWS names it, is this one.
        let plain = 0;
        for (const { counted, table, where } of COUNTED_ROWS) {
          plain += db
            .prepare(`SELECT count(*) AS n FROM ${table} WHERE repo_id = ? AND (${where}) AND ${counted} = ?`)
            .get<{ n: number }>([repo, set])!.n;
        }
        expect(repositoryRows(db, set, repo), `${step}: ${set} of ${repo}`).toBe(plain);
      }
      expect(attributableCommits(db, repo), `${step}: attributable commits of ${repo}`).toBe(
        repositoryRows(db, 'metadata_commits:attributable', repo),
      );
    }
    // A set whose rows are all gone keeps no row: a database that dropped and rebuilt rows holds what one built once does.
    expect(db.prepare(`SELECT count(*) AS n FROM paceflow_row_counts WHERE row_count <= 0`).get(), step).toEqual({ n: 0 });
    // And no row for a set or repository the list above does not ask about: the whole table against the counts.
    expectRowCountsKept(db);
  };
  /** Every m-th row of a repository (the number after the ':' of the rows' made-up shas). */
  const nth = (m: number, r: number) => `CAST(substr(sha, instr(sha, ':') + 1) AS INTEGER) % ${m} = ${r}`;
  // What the builders, the ingest and the migrations do to these tables, one after the other.
  const steps: [string, string][] = [
    [
      'commits made unreachable, merges flagged',
      `UPDATE metadata_commits SET is_unreachable = 1 WHERE ${nth(5, 0)}; UPDATE metadata_commits SET is_merge = 1 - is_merge WHERE ${nth(7, 0)}`,
    ],
    [
      'a shallow boundary filled in, commits reachable again',
      `UPDATE metadata_commits SET is_shallow_boundary = 0, is_unreachable = 0 WHERE ${nth(3, 0)}`,
    ],
    [
      'outcomes placed on mainline, some by a copy',
      `UPDATE event_commit_outcomes SET merged_to_mainline = 1, mainline_via = CASE WHEN ${nth(4, 0)} THEN 'patch-id' ELSE 'ancestor' END WHERE ${nth(2, 0)}`,
    ],
    [
      'placements taken back, one column at a time',
      `UPDATE event_commit_outcomes SET mainline_via = NULL WHERE ${nth(6, 0)}; UPDATE event_commit_outcomes SET merged_to_mainline = 0 WHERE ${nth(10, 0)}`,
    ],
    [
      'an upsert that updates (no insert counted)',
      `INSERT INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, heavy_ai, attribution_coverage, merged_to_mainline, mainline_via)
       SELECT repo_id, sha, committed_at, 2, 0, 0, 'untracked', 1, 'ancestor' FROM event_commit_outcomes WHERE ${nth(3, 1)}
       ON CONFLICT (repo_id, sha) DO UPDATE SET merged_to_mainline = excluded.merged_to_mainline, mainline_via = excluded.mainline_via;
       INSERT INTO fact_commit_notes (repo_id, sha, notes_ref, note_text, read_at) SELECT repo_id, sha, notes_ref, 'changed', 'later'
       FROM fact_commit_notes WHERE ${nth(2, 1)} ON CONFLICT (repo_id, sha, notes_ref) DO UPDATE SET note_text = excluded.note_text`,
    ],
    [
      'INSERT OR IGNORE of commits, most already there',
      `CREATE TEMP TABLE again AS SELECT * FROM metadata_commits WHERE ${nth(2, 0)}; UPDATE temp.again SET sha = sha || 'x' WHERE ${nth(8, 0)};
       INSERT OR IGNORE INTO metadata_commits SELECT * FROM temp.again; DROP TABLE temp.again`,
    ],
    [
      'rows moved to another repository',
      `UPDATE metadata_commits SET repo_id = 'zz' WHERE repo_id = '0f3c9e2a' AND ${nth(2, 0)};
       UPDATE event_commit_outcomes SET repo_id = 'zz-moved' WHERE repo_id = 'zz' AND ${nth(3, 0)};
       UPDATE event_commit_churn SET repo_id = 'github.com/acme/ap' WHERE repo_id = 'github.com/acme/app' AND ${nth(10, 1)};
       UPDATE OR IGNORE fact_commit_notes SET notes_ref = 'refs/notes/ai' WHERE notes_ref = 'refs/notes/paceflow' AND ${nth(4, 0)};
       UPDATE OR IGNORE fact_commit_notes SET repo_id = 'zz' WHERE repo_id = '0f3c9e2a'`,
    ],
    [
      'some rows dropped to be rebuilt',
      `DELETE FROM event_commit_outcomes WHERE ${nth(4, 1)}; DELETE FROM event_commit_churn WHERE window_closed = 1; DELETE FROM metadata_commits WHERE ${nth(9, 0)};
       DELETE FROM fact_commit_notes WHERE ${nth(3, 0)}`,
    ],
    [
      'a repository’s rows all dropped',
      `DELETE FROM event_commit_churn WHERE repo_id = 'zz'; DELETE FROM event_commit_outcomes WHERE repo_id = 'github.com/acme/app-two';
       DELETE FROM fact_commit_notes WHERE repo_id = 'zz' AND notes_ref = 'refs/notes/ai'`,
    ],
    ['a table emptied (a migration that recounts from the diffs)', `DELETE FROM event_commit_churn`],
  ];
  const db = tempDatabase();
  fill(db);
  it('after the rows are written', () => expectKept(db, 'written'));
  // Steps run in order on one database: each starts from what the ones before left.
  it.each(steps)('%s', (step, sql) => {
    const changes = db.prepare(`SELECT total_changes() AS n`).get<{ n: number }>()!.n;
    db.exec(sql);
    expect(db.prepare(`SELECT total_changes() AS n`).get<{ n: number }>()!.n, 'the step changed rows').toBeGreaterThan(changes);
    expectKept(db, step);
  });
  it('the history is not trivial: each repository with commits has some of every kind', () => {
    const fresh = tempDatabase();
    fill(fresh);
    const kinds = fresh
      .prepare(
        `SELECT count(DISTINCT repo_id) AS repos, sum(is_merge) AS merges, sum(is_shallow_boundary) AS cut, sum(is_unreachable) AS gone
         FROM metadata_commits`,
      )
      .get<{ repos: number; merges: number; cut: number; gone: number }>()!;
    expect(kinds.repos).toBe(4);
    expect(Math.min(kinds.merges, kinds.cut, kinds.gone)).toBeGreaterThan(0);
  });
  it('a database of version 28 is counted by the migration that adds the counts', () => {
    const path = join(tempDir(), 'v28.db');
    const old = new BetterSqliteDatabase(path);
    old.pragma('foreign_keys = ON');
    migrate(old, loadMigrations().slice(0, 28), []);
    fill(old);
    old.exec(
      steps
        .map(([, sql]) => sql)
        .slice(0, 4)
        .join(';'),
    );
    migrate(old, loadMigrations(), []);
    expectKept(old, 'migrated');
    expect(old.prepare(`SELECT count(*) AS n FROM paceflow_row_counts`).get<{ n: number }>()!.n).toBeGreaterThan(8);
    old.close();
  });
});

describe('withCountsRecountedAfter: a whole build’s updates counted once after, not row by row', () => {
  const triggers = (db: Database) =>
    db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all<{ name: string; sql: string }>();
  const ancestors = (db: Database, repo: string) => repositoryRows(db, 'event_commit_outcomes:ancestor', repo);
  // One repository's outcome rows placed on mainline (some by a copy), then some taken back: what
  // the outcome build's whole write does to the sets the triggers keep.
  const place = (db: Database, repo: string) => {
    db.exec(`UPDATE event_commit_outcomes SET merged_to_mainline = 1, mainline_via = 'ancestor' WHERE repo_id = '${repo}'`);
    db.exec(
      `UPDATE event_commit_outcomes SET mainline_via = 'squash' WHERE repo_id = '${repo}' AND CAST(substr(sha, instr(sha, ':') + 1) AS INTEGER) % 3 = 0`,
    );
  };

  it('leaves the counts a row-by-row trigger would have kept, and the triggers as they were', () => {
    const db = tempDatabase();
    fill(db);
    const before = triggers(db);
    const other = ancestors(db, 'zz');
    db.transaction(() =>
      withCountsRecountedAfter(db, 'event_commit_outcomes', 'github.com/acme/app', () => {
        // The UPDATE triggers are gone while it runs; the INSERT and DELETE ones stay.
        const names = triggers(db).map((t) => t.name);
        expect(names).not.toContain('paceflow_row_counts_outcomes_ancestor_update');
        expect(names).toContain('paceflow_row_counts_outcomes_ancestor_insert');
        place(db, 'github.com/acme/app');
        expect(ancestors(db, 'github.com/acme/app'), 'not kept while put off').toBe(0);
      }),
    );
    expect(ancestors(db, 'github.com/acme/app')).toBeGreaterThan(10);
    expect(ancestors(db, 'zz'), 'another repository untouched').toBe(other);
    expectRowCountsKept(db);
    expect(triggers(db)).toEqual(before);
    // The triggers work again afterwards.
    db.exec(`UPDATE event_commit_outcomes SET merged_to_mainline = 0 WHERE repo_id = 'github.com/acme/app' AND mainline_via = 'ancestor'`);
    expect(ancestors(db, 'github.com/acme/app')).toBe(0);
    expectRowCountsKept(db);
  });

  it('a throw inside gets the triggers back; the transaction rolls back to the counts before', () => {
    const db = tempDatabase();
    fill(db);
    const before = triggers(db);
    const counts = db.prepare(`SELECT * FROM paceflow_row_counts ORDER BY counted, repo_id`).all();
    expect(() =>
      db.transaction(() =>
        withCountsRecountedAfter(db, 'event_commit_outcomes', 'github.com/acme/app', () => {
          place(db, 'github.com/acme/app');
          throw new Error('killed halfway');
        }),
      ),
    ).toThrow('killed halfway');
    expect(triggers(db)).toEqual(before);
    expect(db.prepare(`SELECT * FROM paceflow_row_counts ORDER BY counted, repo_id`).all()).toEqual(counts);
    expectRowCountsKept(db);
  });

  it('puts off the INSERT triggers for a bulk load: the rows inserted counted once, the triggers made again', () => {
    const db = tempDatabase();
    fill(db);
    const before = triggers(db);
    const other = attributableCommits(db, 'zz');
    const repo = 'github.com/acme/app-three';
    const insert = db.prepare(`INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email,
        authored_at, author_tz, committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root,
        is_shallow_boundary, is_unreachable) VALUES (?, ?, '', 1, 'a', 'a@x', '2026-01-01T00:00:00Z', '+00:00', 'a', 'a@x',
        '2026-01-01T00:00:00Z', '+00:00', 's', 's', ?, 0, ?, 0)`);
    db.transaction(() => {
      const recount = countsRecountedLater(db, 'metadata_commits', repo, ['INSERT']);
      const names = triggers(db).map((t) => t.name);
      expect(names).not.toContain('paceflow_row_counts_commits_attributable_insert');
      expect(names, 'only the events asked for').toContain('paceflow_row_counts_commits_attributable_update');
      // 12 commits: every third a merge, every fourth a shallow cut-off (12 and 0 both) — 6 attributable, 4 merges.
      for (let i = 1; i <= 12; i++) insert.run([repo, `${repo}:${i}`, i % 3 === 0 ? 1 : 0, i % 4 === 0 ? 1 : 0]);
      expect(attributableCommits(db, repo), 'not kept while put off').toBe(0);
      recount();
    });
    expect([attributableCommits(db, repo), repositoryRows(db, 'metadata_commits:merge', repo)]).toEqual([6, 4]);
    expect(attributableCommits(db, 'zz'), 'another repository untouched').toBe(other);
    expectRowCountsKept(db);
    expect(triggers(db)).toEqual(before);
  });

  it('refuses a table whose sets are named by its rows (a set per notes ref)', () => {
    const db = tempDatabase();
    expect(() => withCountsRecountedAfter(db, 'fact_commit_notes', 'zz', () => 0)).toThrow('not fixed names');
    expect(() => withCountsRecountedAfter(db, 'no_such_table', 'zz', () => 0)).toThrow('not fixed names');
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
