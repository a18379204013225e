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

/** Mainline commits (ancestors of the tip) in landing order. */
export function loadMainline(db: Database, repoId: string): MainlineCommit[] {
  return db
    .prepare(
      // Times in ms from SQLite (second resolution is plenty for windows of days, and cheaper
      // than Date.parse on every mainline commit of every run).
      `SELECT sha, unixepoch(reached_mainline_at) * 1000 AS at, unixepoch(committed_at) * 1000 AS committed,
           nontrivial_added_lines AS n, ai_lines FROM event_commit_outcomes
         WHERE repo_id = ? AND mainline_via = 'ancestor' AND reached_mainline_at IS NOT NULL`,
    )
    .all<MainlineCommit>([repoId])
    .sort((a, b) => a.at - b.at || a.committed - b.committed || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
}

/** How a mainline commit's AI evidence is found, and its fingerprint (from counts alone). */
export interface EvidenceFinder {
  evidence(m: MainlineCommit): Evidence;
  fingerprint(m: MainlineCommit): string;
}

/**
 * How each mainline commit's AI evidence is found: its own transcript lines; else the lines of the
 * branch commits it is a squash or rebase copy of; else a count (a note or trailer, as in CI). The
 * kept AI lines are counted per commit for the fingerprints of every mainline commit; their text
 * is read (by commit) only for the commits a pass follows.
 */
export function evidenceFinder(
  db: Database,
  repoId: string,
  linesOf: (shas: readonly string[]) => ReadonlyMap<string, LineList>,
): EvidenceFinder {
  const counts = new Map(
    db
      .prepare(`SELECT sha, sum(n) AS n FROM paceflow_ai_lines WHERE repo_id = ? GROUP BY sha`)
      .all<{ sha: string; n: number }>([repoId])
      .map((r) => [r.sha, r.n] as const),
  );
  const copies = new Map<string, { sha: string; ai_lines: number }[]>();
  for (const c of db
    .prepare(
      `SELECT sha, mainline_sha, ai_lines FROM event_commit_outcomes
       WHERE repo_id = ? AND merged_to_mainline = 1 AND mainline_via <> 'ancestor' AND mainline_sha IS NOT NULL`,
    )
    .all<{ sha: string; mainline_sha: string; ai_lines: number }>([repoId])) {
    const list = copies.get(c.mainline_sha);
    if (list) list.push(c);
    else copies.set(c.mainline_sha, [c]);
  }
  const count = (m: MainlineCommit) => ({
    count: m.ai_lines > 0 ? m.ai_lines : (copies.get(m.sha) ?? []).reduce((n, c) => n + c.ai_lines, 0),
  });
  return {
    evidence(m) {
      if ((counts.get(m.sha) ?? 0) > 0) return { lines: [...(linesOf([m.sha]).get(m.sha) ?? [])] };
      const carried = (copies.get(m.sha) ?? []).filter((c) => (counts.get(c.sha) ?? 0) > 0);
      if (carried.length > 0) {
        const lines = linesOf(carried.map((c) => c.sha));
        return { lines: carried.flatMap((c) => lines.get(c.sha) ?? []) };
      }
      return count(m);
    },
    // A short fingerprint of a commit's evidence (a row is rebuilt when it changes): how many exact
    // lines it carries, else its count — what `evidence` would give, without reading a line.
    fingerprint(m) {
      const own = counts.get(m.sha) ?? 0;
      if (own > 0) return `l${own}`;
      const carried = (copies.get(m.sha) ?? []).reduce((n, c) => n + (counts.get(c.sha) ?? 0), 0);
      return carried > 0 ? `l${carried}` : `c${count(m).count}`;
    },
  };
}

/** A short fingerprint of a commit's evidence: a row is rebuilt when it changes (EvidenceFinder.fingerprint gives the same from counts). */
export function evidenceFingerprint(e: Evidence): string {
  return 'lines' in e ? `l${e.lines.length}` : `c${e.count}`;
}

/** What the churn pass must (re)build. */
export interface ChurnPlan {
  /** Mainline commits whose row is missing, still in its window, of another window or evidence. */
  subjects: Set<string>;
  /** A stored row's commit left mainline: mainline was rewritten, every row is rebuilt. */
  rewritten: boolean;
  /** The evidence fingerprints to store, and the ones stored (JSON). */
  evidenceNow: string;
  evidenceStored: string;
}

export const evidenceKey = (repoId: string) => `churn_evidence:${repoId}`;

/**
 * Which rows need work: rows are final once their window closed, unless the evidence behind them
 * changed or a commit new to mainline landed inside that window.
 */
export function planChurn(
  db: Database,
  repoId: string,
  mainline: readonly MainlineCommit[],
  evidence: EvidenceFinder,
  windowDays: number,
): ChurnPlan {
  const stored = new Map(
    db
      .prepare(`SELECT sha, window_days, window_closed FROM event_commit_churn WHERE repo_id = ?`)
      .all<{ sha: string; window_days: number; window_closed: number }>([repoId])
      .map((r) => [r.sha, r]),
  );
  const onMainline = new Set(mainline.map((m) => m.sha));
  const rewritten = [...stored.keys()].some((sha) => !onMainline.has(sha));
  const fingerprint = new Map(mainline.map((m) => [m.sha, evidence.fingerprint(m)] as const));
  const evidenceStored =
    db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([evidenceKey(repoId)])?.value ?? '[]';
  const previous = new Map<string, string>(JSON.parse(evidenceStored));
  // A commit new to mainline may have landed at a time inside a closed window (a fast-forward brings
  // commits with their own, earlier times): the rows whose window reaches its landing are redone.
  const windowMs = windowDays * 86400e3;
  const firstNew = mainline.reduce((min, m) => (stored.has(m.sha) ? min : Math.min(min, m.at)), Infinity);
  const subjects = new Set(
    mainline
      .filter((m) => {
        const row = stored.get(m.sha);
        return (
          rewritten ||
          !row ||
          row.window_closed === 0 ||
          m.at + windowMs >= firstNew ||
          row.window_days !== windowDays ||
          (previous.get(m.sha) ?? 'c0') !== fingerprint.get(m.sha)
        );
      })
      .map((m) => m.sha),
  );
  const evidenceNow = JSON.stringify([...fingerprint].filter(([, f]) => f !== 'c0'));
  return { subjects, rewritten, evidenceNow, evidenceStored };
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
