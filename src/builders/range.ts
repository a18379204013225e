import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { blameFile, filesTouchedInRange, revListRange } from '../git/blame.js';
import { buildAttribution } from './attribution.js';
import { isNontrivialLine, normalizeLine } from './lines.js';

/**
 * Who wrote the code a range added that is still there at its end: the non-trivial lines that
 * `git blame` at B credits to commits of A..B, each marked AI (per provider) when attribution
 * matched it to a session's line. Commits attributed by a note or a trailer give their share to
 * each surviving line; untracked commits give none. Rows go to the temp table
 * paceflow_range_lines; SQL sums them (view-style query in rangeSummary).
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
  const attribution = await buildAttribution({ db, repoId, cwd, config: options.config, readOnly: true });
  const inRange = await revListRange(options.from, options.to, cwd);
  const files = await filesTouchedInRange(options.from, options.to, options.pathspecs, options.pathspecCwd ?? cwd);
  // Per commit: the AI lines still to be claimed, by path and normalized text.
  const aiLeft = new Map<string, Map<string, { provider: string; n: number }[]>>();
  for (const [sha, lines] of attribution.aiLines) {
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
        `SELECT o.sha, o.ai_share, o.attribution_source, (SELECT a.provider FROM event_commit_attributions a WHERE a.repo_id = o.repo_id AND a.sha = o.sha ORDER BY a.matched_lines DESC LIMIT 1) AS provider
         FROM event_commit_outcomes o WHERE o.repo_id = ? AND o.attribution_source IN ('note', 'trailer')`,
      )
      .all<{ sha: string; ai_share: number | null; attribution_source: string; provider: string | null }>([repoId])
      .map((r) => [r.sha, r]),
  );
  const tracked = new Set(
    db
      .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ? AND attribution_coverage = 'tracked'`)
      .all<{ sha: string }>([repoId])
      .map((r) => r.sha),
  );
  db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_range_lines (path TEXT, sha TEXT, provider TEXT, ai_weight REAL, tracked INTEGER)`);
  db.exec(`DELETE FROM paceflow_range_lines`);
  const insert = db.prepare(`INSERT INTO paceflow_range_lines (path, sha, provider, ai_weight, tracked) VALUES (?, ?, ?, ?, ?)`);
  let lines = 0;
  for (const path of files) {
    const blamed = await blameFile(options.to, path, cwd, { moves: true });
    db.transaction(() => {
      for (const line of blamed) {
        if (!inRange.has(line.sha) || !isNontrivialLine(line.text)) continue;
        lines++;
        const candidates = aiLeft.get(line.sha)?.get(`${line.path}\0${normalizeLine(line.text)}`);
        const hit = candidates?.find((c) => c.n > 0);
        if (hit) {
          hit.n--;
          insert.run([path, line.sha, hit.provider, 1, 1]);
          continue;
        }
        const other = fallback.get(line.sha);
        if (other?.provider) insert.run([path, line.sha, other.provider, other.ai_share ?? 0, 1]);
        else insert.run([path, line.sha, null, 0, tracked.has(line.sha) ? 1 : 0]);
      }
    });
  }
  return lines;
}

/** The range's figures, in SQL over the collected lines: one row per provider plus a total. */
export function rangeSummary(db: Database): { columns: string[]; rows: Record<string, unknown>[] } {
  const stmt = db.prepare(`
    WITH totals AS (SELECT count(*) AS lines, sum(tracked) AS tracked FROM paceflow_range_lines)
    SELECT coalesce(provider, '(all AI)') AS provider,
      round(sum(ai_weight), 1) AS ai_lines,
      (SELECT lines FROM totals) AS surviving_nontrivial_lines,
      round(sum(ai_weight) / nullif((SELECT lines FROM totals), 0), 4) AS ai_share,
      round(1.0 * (SELECT tracked FROM totals) / nullif((SELECT lines FROM totals), 0), 4) AS coverage
    FROM paceflow_range_lines WHERE ai_weight > 0
    GROUP BY provider ORDER BY sum(ai_weight) DESC`);
  const byProvider = stmt.all();
  const total = db
    .prepare(`
    SELECT '(all AI)' AS provider, round(coalesce(sum(ai_weight), 0), 1) AS ai_lines, count(*) AS surviving_nontrivial_lines,
      round(sum(ai_weight) / nullif(count(*), 0), 4) AS ai_share, round(1.0 * sum(tracked) / nullif(count(*), 0), 4) AS coverage
    FROM paceflow_range_lines`)
    .all();
  return { columns: ['provider', 'ai_lines', 'surviving_nontrivial_lines', 'ai_share', 'coverage'], rows: [...byProvider, ...total] };
}
