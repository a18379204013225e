import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { createTempViews } from '../db/migrate.js';
import { blameFile, filesTouchedInRange, revListRange } from '../git/blame.js';
import { storedAiLines } from './attribution-replay.js';
import { isNontrivialLine, normalizeLine } from './lines.js';

/**
 * Who wrote the code a range added that is still there at its end: the non-trivial lines that
 * `git blame` at B credits to commits of A..B, each marked AI (per provider) when attribution
 * matched it to a session's line. Commits attributed by a note or a trailer give their share to
 * each surviving line; untracked commits give none. Rows go to the temp table
 * paceflow_range_lines; SQL sums them (sql/temp-views/view_range_summary.sql).
 */
export async function collectRangeLines(options: {
  db: Database;
  repoId: string;
  cwd: string;
  /** Where the pathspecs are read from (the person's directory); default: the top. */
  pathspecCwd?: string;
  from: string;
  to: string;
  pathspecs: readonly string[];
  config: Pick<PaceflowConfig, 'heavyAiThreshold' | 'heavyAiMinLines'>;
}): Promise<number> {
  const { db, repoId, cwd } = options;
  const inRange = await revListRange(options.from, options.to, cwd);
  const files = await filesTouchedInRange(options.from, options.to, options.pathspecs, options.pathspecCwd ?? cwd);
  // Per commit: the AI lines still to be claimed, by path and normalized text.
  const aiLeft = new Map<string, Map<string, { provider: string; n: number }[]>>();
  // The AI lines attribution kept per commit (paceflow_ai_lines): no replay of every commit here.
  for (const [sha, lines] of storedAiLines(db, repoId)) {
    const byKey = new Map<string, { provider: string; n: number }[]>();
    for (const l of lines) {
      const key = `${l.path}\0${l.text}`;
      const list = byKey.get(key) ?? [];
      const entry = list.find((e) => e.provider === l.provider);
      if (entry) entry.n++;
      else list.push({ provider: l.provider, n: 1 });
      byKey.set(key, list);
    }
    aiLeft.set(sha, byKey);
  }
  const fallback = new Map(
    db
      .prepare(
        // The kind of evidence, named as show names it: a note, or the marker's kind.
        `SELECT o.sha, o.ai_share,
           CASE WHEN o.attribution_source = 'note' THEN 'note'
                WHEN c.ai_marker_source = 'author' THEN 'author-marker'
                WHEN c.ai_marker_source = 'trailer' THEN 'trailer' ELSE 'message' END AS source,
           (SELECT a.provider FROM event_commit_attributions a WHERE a.repo_id = o.repo_id AND a.sha = o.sha ORDER BY a.matched_lines DESC LIMIT 1) AS provider
         FROM event_commit_outcomes o JOIN metadata_commits c ON c.repo_id = o.repo_id AND c.sha = o.sha
         WHERE o.repo_id = ? AND o.attribution_source IN ('note', 'trailer')`,
      )
      .all<{ sha: string; ai_share: number | null; source: string; provider: string | null }>([repoId])
      .map((r) => [r.sha, r]),
  );
  const tracked = new Set(
    db
      .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ? AND attribution_coverage = 'tracked'`)
      .all<{ sha: string }>([repoId])
      .map((r) => r.sha),
  );
  // One row per line of B that blame credits to the range: trivial lines too (nontrivial = 0), for
  // the figure over all lines that other tools quote; only non-trivial lines carry AI weight.
  db.exec(`DROP TABLE IF EXISTS temp.paceflow_range_lines`);
  db.exec(
    `CREATE TEMP TABLE paceflow_range_lines (path TEXT, sha TEXT, provider TEXT, source TEXT, ai_weight REAL, tracked INTEGER, nontrivial INTEGER)`,
  );
  const insert = db.prepare(
    `INSERT INTO paceflow_range_lines (path, sha, provider, source, ai_weight, tracked, nontrivial) VALUES (?, ?, ?, ?, ?, ?, ?)`,
  );
  let lines = 0;
  for (const path of files) {
    const blamed = await blameFile(options.to, path, cwd, { moves: true });
    db.transaction(() => {
      for (const line of blamed) {
        if (!inRange.has(line.sha)) continue;
        if (!isNontrivialLine(line.text)) {
          insert.run([path, line.sha, null, null, 0, tracked.has(line.sha) ? 1 : 0, 0]);
          continue;
        }
        lines++;
        const candidates = aiLeft.get(line.sha)?.get(`${line.path}\0${normalizeLine(line.text)}`);
        const hit = candidates?.find((c) => c.n > 0);
        if (hit) {
          hit.n--;
          insert.run([path, line.sha, hit.provider, 'transcript', 1, 1, 1]);
          continue;
        }
        const other = fallback.get(line.sha);
        if (other?.provider) insert.run([path, line.sha, other.provider, other.source, other.ai_share ?? 0, 1, 1]);
        else insert.run([path, line.sha, null, null, 0, tracked.has(line.sha) ? 1 : 0, 1]);
      }
    });
  }
  return lines;
}

/** The range's figures: sql/temp-views/view_range_summary.sql over the collected lines. */
export function rangeSummary(db: Database): { columns: string[]; rows: Record<string, unknown>[] } {
  createTempViews(db);
  const stmt = db.prepare(`SELECT * FROM view_range_summary`);
  return { columns: stmt.columns(), rows: stmt.all() };
}
