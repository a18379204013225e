import { createHash } from 'node:crypto';
import type { Database } from '../../db/driver.js';
import { repositoryRows } from '../../db/count.js';
import { aiLinesGenerationKey } from '../attribution-replay.js';
import { landingMark } from '../outcomes/landing.js';
import { rowsRead } from '../../db/statement.js';
import { churnStageKey } from '../evidence-changes.js';

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
 * The fingerprint of a staged commit's AI evidence, from `own` (its kept AI lines) and `carried`
 * and `copied` (the kept lines and the counted AI lines of the branch commits it is a copy of).
 */
const FINGERPRINT = `CASE WHEN coalesce(own, 0) > 0 THEN 'l' || own
  WHEN coalesce(carried, 0) > 0 THEN 'l' || carried
  ELSE 'c' || CASE WHEN o.ai_lines > 0 THEN o.ai_lines ELSE coalesce(copied, 0) END END`;

/**
 * Stages this run's mainline (the non-merge ancestors of the tip, as outcomes placed them) in
 * temp.paceflow_churn_mainline, each commit with the fingerprint of its AI evidence — one SQL set
 * operation inside SQLite; the plan and the pass then read from it only what they need. The
 * fingerprint says how many exact AI lines the commit carries ('l<n>': its own kept lines, else
 * those of the branch commits it is a squash or rebase copy of), else its count ('c<n>'): what
 * evidenceFingerprint(evidence(m)) gives, without reading a line.
 *
 * With `since` (ms), only the commits that landed then or later are staged (by index over the
 * landing, each commit's evidence by key): what a build after mainline only moved forward needs
 * (see stageSince). Without it, all of mainline. The rows staged count as rows read (the work a
 * build reports), as the rows a query returns do.
 */
export function stageMainline(db: Database, repoId: string, since?: number): void {
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_churn_mainline (
    sha TEXT PRIMARY KEY, at INTEGER NOT NULL, committed INTEGER NOT NULL, n INTEGER NOT NULL,
    ai_lines INTEGER NOT NULL, fingerprint TEXT NOT NULL) WITHOUT ROWID`);
  db.exec(`CREATE INDEX IF NOT EXISTS temp.paceflow_churn_mainline_by_at ON paceflow_churn_mainline (at)`);
  db.exec(`DELETE FROM temp.paceflow_churn_mainline`);
  // Times in ms from SQLite (second resolution is plenty for windows of days).
  const columns = `o.sha, unixepoch(o.reached_mainline_at) * 1000, unixepoch(o.committed_at) * 1000, o.nontrivial_added_lines, o.ai_lines`;
  const isCopy = `c.merged_to_mainline = 1 AND c.mainline_via <> 'ancestor'`;
  if (since === undefined) {
    // All of mainline: every commit's kept lines summed in one scan, not looked up one by one.
    const staged = db
      .prepare(
        `INSERT INTO temp.paceflow_churn_mainline (sha, at, committed, n, ai_lines, fingerprint)
       WITH kept AS (SELECT sha, sum(n) AS n FROM paceflow_ai_lines WHERE repo_id = @repo GROUP BY sha),
       copies AS (
         SELECT c.mainline_sha AS sha, sum(coalesce(kept.n, 0)) AS carried, sum(c.ai_lines) AS copied
         FROM event_commit_outcomes c INDEXED BY event_commit_outcomes_by_copy LEFT JOIN kept ON kept.sha = c.sha
         WHERE c.repo_id = @repo AND c.mainline_sha IS NOT NULL AND ${isCopy}
         GROUP BY c.mainline_sha)
       SELECT ${columns}, ${FINGERPRINT} FROM (
         SELECT o.*, kept.n AS own, cp.carried, cp.copied
         FROM event_commit_outcomes o LEFT JOIN kept ON kept.sha = o.sha LEFT JOIN copies cp ON cp.sha = o.sha
         WHERE o.repo_id = @repo AND o.mainline_via = 'ancestor' AND o.reached_mainline_at IS NOT NULL) o`,
      )
      .run({ repo: repoId });
    rowsRead.count += staged.changes;
    return;
  }
  // reached_mainline_at of an ancestor is its landing time (paceflow_mainline_landing.landed_at).
  const keptLines = (sha: string) => `(SELECT sum(a.n) FROM paceflow_ai_lines a WHERE a.repo_id = @repo AND a.sha = ${sha})`;
  const staged = db
    .prepare(
      `INSERT INTO temp.paceflow_churn_mainline (sha, at, committed, n, ai_lines, fingerprint)
     SELECT ${columns}, ${FINGERPRINT} FROM (
       SELECT o.*, ${keptLines('o.sha')} AS own,
         (SELECT sum(coalesce(${keptLines('c.sha')}, 0)) FROM event_commit_outcomes c INDEXED BY event_commit_outcomes_by_copy
          WHERE c.repo_id = @repo AND c.mainline_sha = o.sha AND ${isCopy}) AS carried,
         (SELECT sum(c.ai_lines) FROM event_commit_outcomes c INDEXED BY event_commit_outcomes_by_copy
          WHERE c.repo_id = @repo AND c.mainline_sha = o.sha AND ${isCopy}) AS copied
       FROM paceflow_mainline_landing l INDEXED BY paceflow_mainline_landing_by_landed
       CROSS JOIN event_commit_outcomes o ON o.repo_id = l.repo_id AND o.sha = l.sha
       WHERE l.repo_id = @repo AND l.landed_at >= @since AND o.mainline_via = 'ancestor' AND o.reached_mainline_at IS NOT NULL) o`,
    )
    .run({ repo: repoId, since: Math.floor(since / 1000) });
  rowsRead.count += staged.changes;
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
 * `lookUp`: 'each' asks two indexed queries per commit, for a pass that follows few (the worker's);
 * 'whole' reads which commits have kept lines and every copy once, for a pass over most of
 * mainline (a first run: git's own history asked two for each of 60,751 commits, ~2 s of the main
 * thread).
 */
export function evidenceFinder(
  db: Database,
  repoId: string,
  linesOf: (shas: readonly string[]) => ReadonlyMap<string, LineList>,
  lookUp: 'each' | 'whole' = 'each',
): (m: MainlineCommit) => Evidence {
  const { hasKeptLines, copiesOf } = lookUp === 'whole' ? wholeLookUp(db, repoId) : eachLookUp(db, repoId);
  return (m) => {
    if (hasKeptLines(m.sha)) return { lines: [...(linesOf([m.sha]).get(m.sha) ?? [])] };
    const copies = copiesOf(m.sha);
    const carried = copies.filter((c) => hasKeptLines(c.sha));
    if (carried.length > 0) {
      const lines = linesOf(carried.map((c) => c.sha));
      return { lines: carried.flatMap((c) => lines.get(c.sha) ?? []) };
    }
    return { count: m.ai_lines > 0 ? m.ai_lines : copies.reduce((n, c) => n + c.ai_lines, 0) };
  };
}

/** How a pass that builds `subjects` commits' rows should read their evidence (evidenceFinder's `lookUp`). */
export function evidenceLookUpFor(subjects: number): 'each' | 'whole' {
  return subjects >= WHOLE_LOOKUP_FROM ? 'whole' : 'each';
}

/** Two queries a commit cost more than reading them all past a few thousand commits. */
const WHOLE_LOOKUP_FROM = 2000;

type Copy = { sha: string; ai_lines: number };
type EvidenceLookUp = { hasKeptLines: (sha: string) => boolean; copiesOf: (mainlineSha: string) => readonly Copy[] };

function eachLookUp(db: Database, repoId: string): EvidenceLookUp {
  const kept = db.prepare(`SELECT coalesce(sum(n), 0) AS n FROM paceflow_ai_lines WHERE repo_id = ? AND sha = ?`);
  const copies = db.prepare(
    `SELECT sha, ai_lines FROM event_commit_outcomes INDEXED BY event_commit_outcomes_by_copy
     WHERE repo_id = ? AND mainline_sha = ? AND merged_to_mainline = 1 AND mainline_via <> 'ancestor'`,
  );
  return {
    hasKeptLines: (sha) => kept.get<{ n: number }>([repoId, sha])!.n > 0,
    copiesOf: (mainlineSha) => copies.all<Copy>([repoId, mainlineSha]),
  };
}

/** The same answers as eachLookUp, from two reads (the copies in the index's order, as it gives them). */
function wholeLookUp(db: Database, repoId: string): EvidenceLookUp {
  const withLines = new Set(
    db
      .prepare(`SELECT sha FROM paceflow_ai_lines WHERE repo_id = ? GROUP BY sha HAVING sum(n) > 0`)
      .all<{ sha: string }>([repoId])
      .map((r) => r.sha),
  );
  const copies = new Map<string, Copy[]>();
  for (const r of db
    .prepare(
      `SELECT mainline_sha, sha, ai_lines FROM event_commit_outcomes INDEXED BY event_commit_outcomes_by_copy
       WHERE repo_id = ? AND mainline_sha IS NOT NULL AND merged_to_mainline = 1 AND mainline_via <> 'ancestor'`,
    )
    .all<Copy & { mainline_sha: string }>([repoId])) {
    const list = copies.get(r.mainline_sha);
    const copy = { sha: r.sha, ai_lines: r.ai_lines };
    if (list) list.push(copy);
    else copies.set(r.mainline_sha, [copy]);
  }
  return { hasKeptLines: (sha) => withLines.has(sha), copiesOf: (mainlineSha) => copies.get(mainlineSha) ?? [] };
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
export function planChurn(db: Database, repoId: string, windowDays: number, staged: 'all' | 'since'): ChurnPlan {
  // Staged since a time, mainline only moved forward (stageSince): no stored row's commit left it.
  const rewritten =
    staged === 'all' &&
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

/**
 * Stores the staged fingerprints (those that changed; with all of mainline staged, the rows of
 * commits gone from it leave), and what the next build can stage from (stageSince).
 */
export function saveEvidence(db: Database, repoId: string, staged: 'all' | 'since', windowDays: number, now: number): void {
  db.prepare(
    staged === 'all'
      ? `DELETE FROM paceflow_churn_evidence WHERE repo_id = ? AND sha NOT IN (
           SELECT sha FROM temp.paceflow_churn_mainline WHERE fingerprint <> 'c0')`
      : `DELETE FROM paceflow_churn_evidence WHERE repo_id = ? AND sha IN (
           SELECT sha FROM temp.paceflow_churn_mainline WHERE fingerprint = 'c0')`,
  ).run([repoId]);
  db.prepare(
    `INSERT INTO paceflow_churn_evidence (repo_id, sha, fingerprint)
     SELECT ?, sha, fingerprint FROM temp.paceflow_churn_mainline WHERE fingerprint <> 'c0'
     ON CONFLICT (repo_id, sha) DO UPDATE SET fingerprint = excluded.fingerprint WHERE fingerprint <> excluded.fingerprint`,
  ).run([repoId]);
  db.prepare(`DELETE FROM paceflow_churn_dirty WHERE repo_id = ?`).run([repoId]);
  const { epoch, next } = landingMark(db, repoId);
  const mark = { epoch, next, windowDays, now, rows: churnRows(db, repoId), ancestors: ancestorRows(db, repoId) } satisfies StageMark;
  db.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run([
    churnStageKey(repoId),
    JSON.stringify(mark),
  ]);
}

/** What the last churn build staged from (paceflow_meta 'churn_stage:<repo>'). */
interface StageMark {
  /** The landing it saw: its walk and its next sequence number (outcomes/landing.ts). */
  epoch: string;
  next: number;
  /** The window its rows were built with. */
  windowDays: number;
  /** The build's time (ms): every row it left open landed after now − window. */
  now: number;
  /** How many churn rows it left. */
  rows: number;
  /** How many mainline commits outcomes had placed (an outcome row for an old landing — history
   * learned late, as after an unshallow — is noticed: all of mainline is staged). */
  ancestors: number;
}

const churnRows = (db: Database, repoId: string) => repositoryRows(db, 'event_commit_churn', repoId);

const ancestorRows = (db: Database, repoId: string) => repositoryRows(db, 'event_commit_outcomes:ancestor', repoId);

/** A stored mark, or null when it is not one (then all of mainline is staged). */
function parseMark(value: string): StageMark | null {
  try {
    const m: unknown = JSON.parse(value);
    if (typeof m !== 'object' || m === null) return null;
    const { epoch, next, windowDays, now, rows, ancestors } = m as Record<string, unknown>;
    if (typeof epoch !== 'string' || typeof windowDays !== 'number' || typeof ancestors !== 'number') return null;
    if (typeof next !== 'number' || typeof now !== 'number' || typeof rows !== 'number') return null;
    return { epoch, next, windowDays, now, rows, ancestors };
  } catch {
    return null;
  }
}

/**
 * Where this build's staging can start (ms), or null for all of mainline. When mainline only moved
 * forward since the last build, or not at all (the same landing walk, extended or not), with the
 * same window and its rows all there, a stored row changes only if a new commit lands inside its
 * window, its own window is still open, or its AI evidence changed (paceflow_churn_dirty: the
 * commit, or the branch commit whose lines its copy carries). So only commits landed since the
 * earliest of the new landings, the last build's time and the changed commits' landings, less one
 * window, need staging — whatever the length of the history.
 */
export function stageSince(db: Database, repoId: string, windowDays: number): number | null {
  const value = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([churnStageKey(repoId)])?.value;
  const mark = value ? parseMark(value) : null;
  if (!mark || mark.windowDays !== windowDays || mark.epoch !== landingMark(db, repoId).epoch || mark.rows !== churnRows(db, repoId))
    return null;
  // The new landings: when they landed first, and how many are mainline commits outcomes placed —
  // every other mainline commit must be one the last build staged from.
  const landed = db
    .prepare(
      `SELECT min(l.landed_at) AS at, count(o.sha) AS placed FROM paceflow_mainline_landing l INDEXED BY paceflow_mainline_landing_by_seq
       LEFT JOIN event_commit_outcomes o ON o.repo_id = l.repo_id AND o.sha = l.sha AND o.merged_to_mainline = 1 AND o.mainline_via = 'ancestor'
       WHERE l.repo_id = ? AND l.seq >= ?`,
    )
    .get<{ at: number | null; placed: number }>([repoId, mark.next])!;
  // None landed (mainline stands where it stood; a commit off it, or a transcript, changed some
  // evidence): the rows to redo are the open windows and the changed commits' own. All of mainline
  // was staged here before — 42k rows, a third of a second, after each AI-written commit on a branch.
  const first = landed.at ?? Infinity;
  if (ancestorRows(db, repoId) !== mark.ancestors + landed.placed) return null;
  // A changed commit's landing: its own on mainline, else its copy's (a squash or rebase carries it).
  const changed = db
    .prepare(
      `SELECT min(l.landed_at) AS at FROM paceflow_churn_dirty d
       LEFT JOIN event_commit_outcomes o ON o.repo_id = d.repo_id AND o.sha = d.sha
       CROSS JOIN paceflow_mainline_landing l ON l.repo_id = d.repo_id AND l.sha = coalesce(o.mainline_sha, d.sha)
       WHERE d.repo_id = ?`,
    )
    .get<{ at: number | null }>([repoId])!.at;
  return Math.min(first * 1000, mark.now, changed === null ? Infinity : changed * 1000) - windowDays * 86400e3;
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
  hash.update(`${churnRows(db, repoId)}`);
  return hash.digest('hex');
}
