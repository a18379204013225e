import { createHash } from 'node:crypto';
import type { Database } from '../../db/driver.js';
import { aiLinesGenerationKey } from '../attribution-replay.js';

/** A mainline commit as the churn builder reads it. */
export interface MainlineCommit {
  sha: string;
  /** When it reached mainline (ms). */
  at: number;
  /** Committer time (ms), to order commits that landed together. */
  committed: number;
  /** Non-trivial added lines. */
  n: number;
  ai_lines: number;
}

export type LineList = readonly { path: string; text: string }[];

/** The AI evidence a mainline commit carries: exact lines, else a count to spread as a share. */
export type Evidence = { lines: { path: string; text: string }[] } | { count: number };

/**
 * Stages this run's mainline (the non-merge ancestors of the tip, as outcomes placed them) in
 * temp.paceflow_churn_mainline, each commit with the fingerprint of its AI evidence — one SQL set
 * operation inside SQLite; the plan and the pass then read from it only what they need. The
 * fingerprint says how many exact AI lines the commit carries ('l<n>': its own kept lines, else
 * those of the branch commits it is a squash or rebase copy of), else its count ('c<n>'): what
 * evidenceFingerprint(evidence(m)) gives, without reading a line.
 */
export function stageMainline(db: Database, repoId: string): void {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_churn_mainline (
    sha TEXT PRIMARY KEY, at INTEGER NOT NULL, committed INTEGER NOT NULL, n INTEGER NOT NULL,
    ai_lines INTEGER NOT NULL, fingerprint TEXT NOT NULL) WITHOUT ROWID`);
  db.exec(`CREATE INDEX IF NOT EXISTS temp.paceflow_churn_mainline_by_at ON paceflow_churn_mainline (at)`);
  db.exec(`DELETE FROM temp.paceflow_churn_mainline`);
  db.prepare(
    // Times in ms from SQLite (second resolution is plenty for windows of days).
    `INSERT INTO temp.paceflow_churn_mainline (sha, at, committed, n, ai_lines, fingerprint)
     WITH own AS (SELECT sha, sum(n) AS n FROM paceflow_ai_lines WHERE repo_id = @repo GROUP BY sha),
     copies AS (
       SELECT c.mainline_sha AS sha, sum(coalesce(own.n, 0)) AS carried, sum(c.ai_lines) AS ai
       FROM event_commit_outcomes c INDEXED BY event_commit_outcomes_by_copy LEFT JOIN own ON own.sha = c.sha
       WHERE c.repo_id = @repo AND c.mainline_sha IS NOT NULL AND c.merged_to_mainline = 1 AND c.mainline_via <> 'ancestor'
       GROUP BY c.mainline_sha)
     SELECT o.sha, unixepoch(o.reached_mainline_at) * 1000, unixepoch(o.committed_at) * 1000, o.nontrivial_added_lines, o.ai_lines,
       CASE WHEN coalesce(own.n, 0) > 0 THEN 'l' || own.n
            WHEN coalesce(cp.carried, 0) > 0 THEN 'l' || cp.carried
            ELSE 'c' || CASE WHEN o.ai_lines > 0 THEN o.ai_lines ELSE coalesce(cp.ai, 0) END END
     FROM event_commit_outcomes o LEFT JOIN own ON own.sha = o.sha LEFT JOIN copies cp ON cp.sha = o.sha
     WHERE o.repo_id = @repo AND o.mainline_via = 'ancestor' AND o.reached_mainline_at IS NOT NULL`,
  ).run({ repo: repoId });
}

/** The staged mainline commits that landed in [from, to] (ms), in landing order. */
export function mainlineBetween(db: Database, from: number, to: number): MainlineCommit[] {
  return db
    .prepare(
      `SELECT sha, at, committed, n, ai_lines FROM temp.paceflow_churn_mainline INDEXED BY paceflow_churn_mainline_by_at
       WHERE at BETWEEN ? AND ?`,
    )
    .all<MainlineCommit>([from, to])
    .sort((a, b) => a.at - b.at || a.committed - b.committed || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
}

/**
 * How a mainline commit's AI evidence is found: its own transcript lines; else the lines of the
 * branch commits it is a squash or rebase copy of; else a count (a note or trailer, as in CI).
 * Looked up by commit, for the commits a pass follows only.
 */
export function evidenceFinder(
  db: Database,
  repoId: string,
  linesOf: (shas: readonly string[]) => ReadonlyMap<string, LineList>,
): (m: MainlineCommit) => Evidence {
  const kept = db.prepare(`SELECT coalesce(sum(n), 0) AS n FROM paceflow_ai_lines WHERE repo_id = ? AND sha = ?`);
  const copiesOf = db.prepare(
    `SELECT sha, ai_lines FROM event_commit_outcomes INDEXED BY event_commit_outcomes_by_copy
     WHERE repo_id = ? AND mainline_sha = ? AND merged_to_mainline = 1 AND mainline_via <> 'ancestor'`,
  );
  const keptLines = (sha: string) => kept.get<{ n: number }>([repoId, sha])!.n;
  return (m) => {
    if (keptLines(m.sha) > 0) return { lines: [...(linesOf([m.sha]).get(m.sha) ?? [])] };
    const copies = copiesOf.all<{ sha: string; ai_lines: number }>([repoId, m.sha]);
    const carried = copies.filter((c) => keptLines(c.sha) > 0);
    if (carried.length > 0) {
      const lines = linesOf(carried.map((c) => c.sha));
      return { lines: carried.flatMap((c) => lines.get(c.sha) ?? []) };
    }
    return { count: m.ai_lines > 0 ? m.ai_lines : copies.reduce((n, c) => n + c.ai_lines, 0) };
  };
}

/** A short fingerprint of a commit's evidence: a row is rebuilt when it changes (stageMainline computes the same in SQL). */
export function evidenceFingerprint(e: Evidence): string {
  return 'lines' in e ? `l${e.lines.length}` : `c${e.count}`;
}

/** What the churn pass must (re)build. */
export interface ChurnPlan {
  /** Mainline commits whose row is missing, still in its window, of another window or evidence. */
  subjects: Set<string>;
  /** When the first and the last subject landed (ms); 0 without subjects. */
  firstAt: number;
  lastAt: number;
  /** A stored row's commit left mainline: mainline was rewritten, every row is rebuilt. */
  rewritten: boolean;
}

/**
 * Which rows need work (from the staged mainline, in SQL: the rows of subjects only come back):
 * rows are final once their window closed, unless the evidence behind them changed or a commit new
 * to mainline landed inside that window.
 */
export function planChurn(db: Database, repoId: string, windowDays: number): ChurnPlan {
  const rewritten =
    db
      .prepare(
        `SELECT 1 AS gone FROM event_commit_churn c WHERE c.repo_id = ?
           AND NOT EXISTS (SELECT 1 FROM temp.paceflow_churn_mainline m WHERE m.sha = c.sha) LIMIT 1`,
      )
      .get([repoId]) !== undefined;
  // A commit new to mainline may have landed at a time inside a closed window (a fast-forward brings
  // commits with their own, earlier times): the rows whose window reaches its landing are redone.
  const rows = db
    .prepare(
      `WITH first_new AS (
         SELECT min(m.at) AS at FROM temp.paceflow_churn_mainline m
         WHERE NOT EXISTS (SELECT 1 FROM event_commit_churn c WHERE c.repo_id = @repo AND c.sha = m.sha))
       SELECT m.sha, m.at FROM temp.paceflow_churn_mainline m
       LEFT JOIN event_commit_churn c ON c.repo_id = @repo AND c.sha = m.sha
       LEFT JOIN paceflow_churn_evidence e ON e.repo_id = @repo AND e.sha = m.sha
       WHERE @rewritten OR c.sha IS NULL OR c.window_closed = 0 OR c.window_days <> @days
         OR m.at + @windowMs >= (SELECT at FROM first_new)
         OR coalesce(e.fingerprint, 'c0') <> m.fingerprint`,
    )
    .all<{ sha: string; at: number }>({ repo: repoId, rewritten: rewritten ? 1 : 0, days: windowDays, windowMs: windowDays * 86400e3 });
  let firstAt = rows.length > 0 ? Infinity : 0;
  let lastAt = 0;
  for (const r of rows) {
    firstAt = Math.min(firstAt, r.at);
    lastAt = Math.max(lastAt, r.at);
  }
  return { subjects: new Set(rows.map((r) => r.sha)), firstAt, lastAt, rewritten };
}

/** Stores the staged fingerprints (those that changed; rows of commits gone from mainline leave). */
export function saveEvidence(db: Database, repoId: string): void {
  db.prepare(
    `DELETE FROM paceflow_churn_evidence WHERE repo_id = ? AND sha NOT IN (
       SELECT sha FROM temp.paceflow_churn_mainline WHERE fingerprint <> 'c0')`,
  ).run([repoId]);
  db.prepare(
    `INSERT INTO paceflow_churn_evidence (repo_id, sha, fingerprint)
     SELECT ?, sha, fingerprint FROM temp.paceflow_churn_mainline WHERE fingerprint <> 'c0'
     ON CONFLICT (repo_id, sha) DO UPDATE SET fingerprint = excluded.fingerprint WHERE fingerprint <> excluded.fingerprint`,
  ).run([repoId]);
}

export const inputsKey = (repoId: string) => `churn_inputs:${repoId}`;

/**
 * A digest of everything the churn rows depend on but the calendar: the mainline tip (its commits
 * and when they landed), the window, and generations bumped where the evidence changes — the kept
 * transcript lines (attribution), the counted AI lines of mainline commits (attribution), the
 * copies that carry branch commits' lines (outcomes) — and how many rows there are. While it stays
 * the same no commit can churn another, so a run only closes the windows that time closed, in SQL,
 * without loading mainline (after every commit off mainline, the common case).
 */
export function churnInputs(db: Database, repoId: string, windowDays: number): string {
  const hash = createHash('sha256');
  const tip = db
    .prepare(
      `SELECT head_sha FROM metadata_branches WHERE repo_id = ? AND is_mainline = 1 AND is_present = 1 ORDER BY is_remote DESC LIMIT 1`,
    )
    .get<{ head_sha: string }>([repoId])?.head_sha;
  // The transcript lines: attribution bumps this number whenever a commit's AI lines change.
  const generation = db
    .prepare(`SELECT value FROM paceflow_meta WHERE key = ?`)
    .get<{ value: string }>([aiLinesGenerationKey(repoId)])?.value;
  hash.update(`v2\0${tip ?? ''}\0${windowDays}\0${generation ?? ''}\0`);
  // The counted AI lines of mainline commits and the copies that carry branch commits' lines: by
  // generation (bumped where they change), and the number of rows (a row dropped is noticed).
  for (const key of ['mainline_ai_gen', 'mainline_copies_gen']) {
    hash.update(
      `${db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([`${key}:${repoId}`])?.value ?? ''}\0`,
    );
  }
  hash.update(`${db.prepare(`SELECT count(*) AS n FROM event_commit_churn WHERE repo_id = ?`).get<{ n: number }>([repoId])!.n}`);
  return hash.digest('hex');
}
