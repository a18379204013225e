import type { PaceflowConfig } from '../config/config.js';
import type { Database } from '../db/driver.js';
import { loadOutcomeContext, loadRefTips, type OutcomeContext } from './outcomes/context.js';
import { applyMainlineRules } from './outcomes/mainline-rules.js';
import { diffInversionReverts, effectiveReverts, messageReverts, partialReverts, type RevertEdge } from './outcomes/revert-rules.js';

/**
 * The outcome builders (DESIGN §4): did each commit reach mainline — and how, and when — and was
 * it reverted later. They fill the mainline and revert columns of event_commit_outcomes, for every
 * commit that has an outcome row (the attribution builder makes those). The rules themselves are
 * in outcomes/mainline-rules.ts and outcomes/revert-rules.ts; this is the driver that applies them.
 */

type OutcomeConfig = Pick<PaceflowConfig, 'revertWindowDays' | 'mergedMinAgeDays'>;

export async function buildOutcomes(options: {
  db: Database;
  repoId: string;
  cwd: string;
  config: OutcomeConfig;
  now?: Date;
}): Promise<{ mainlineTip: string | null; merged: number; reverted: number }> {
  const { db, repoId, cwd, config } = options;
  const now = (options.now ?? new Date()).getTime() / 1000;
  const tip = db
    .prepare(
      `SELECT head_sha FROM metadata_branches WHERE repo_id = ? AND is_mainline = 1 AND is_present = 1 ORDER BY is_remote DESC LIMIT 1`,
    )
    .get<{ head_sha: string }>([repoId])?.head_sha;
  if (!tip) return { mainlineTip: null, merged: 0, reverted: 0 };

  // Nothing moved since the last build (same tips, same commits with outcomes): only the windows,
  // which depend on today's date, need refreshing.
  const refs = loadRefTips(db, repoId);
  const outcomeCount = db.prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE repo_id = ?`).get<{ n: number }>([repoId])!.n;
  const state = JSON.stringify([tip, refs.map((r) => `${r.ref_name}=${r.sha}`), outcomeCount, config.revertWindowDays]);
  const stateKey = `outcomes_state:${repoId}`;
  const stored = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([stateKey])?.value;
  const unbuilt = db
    .prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE repo_id = ? AND merged_to_mainline IS NULL`)
    .get<{ n: number }>([repoId])!.n;
  if (stored === state && unbuilt === 0) {
    refreshWindows(db, repoId, config, now);
    const counts = db
      .prepare(
        `SELECT coalesce(sum(merged_to_mainline), 0) AS merged, coalesce(sum(reverted_later), 0) AS reverted FROM event_commit_outcomes WHERE repo_id = ?`,
      )
      .get<{ merged: number; reverted: number }>([repoId])!;
    return { mainlineTip: tip, ...counts };
  }

  const ctx = loadOutcomeContext(db, repoId, cwd, tip, refs);
  const candidates = db
    .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ?`)
    .all<{ sha: string }>([repoId])
    .map((r) => r.sha);
  await applyMainlineRules(ctx, candidates);
  const reverts = await findReverts(ctx, config);
  // The state is saved with the rows it describes: a run killed before the commit rebuilds them.
  const counts = writeOutcomes(ctx, candidates, reverts, config, now, () =>
    db
      .prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run([stateKey, state]),
  );
  return { mainlineTip: tip, ...counts };
}

interface Reverts {
  /** revert → what it reverts, by message or by an inverted diff. */
  edges: Map<string, RevertEdge>;
  /** The effective revert of a mainline commit (one not itself reverted), or null. */
  effective: (sha: string) => string | null;
  /** `${revert}|${target}` pairs found by the partial rule. */
  partial: Set<string>;
}

/** Every revert edge among mainline commits: message and diff-inversion reverts, then partial ones. */
async function findReverts(ctx: OutcomeContext, config: OutcomeConfig): Promise<Reverts> {
  const edges = await messageReverts(ctx);
  await diffInversionReverts(ctx, edges);
  const revertsOf = new Map<string, string[]>();
  for (const [r, { target }] of edges) revertsOf.set(target, [...(revertsOf.get(target) ?? []), r]);
  const partial = new Set<string>();
  const aiCommits = ctx.db
    // Heavy-AI commits with line-level evidence: the ones the reverted-later rate is about, and
    // few enough that a blame per later commit stays affordable.
    .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ? AND heavy_ai = 1 AND attribution_source IN ('transcript', 'note')`)
    .all<{ sha: string }>([ctx.repoId])
    .map((r) => r.sha)
    .filter((sha) => ctx.reached.get(sha)?.via === 'ancestor' && !revertsOf.has(sha));
  if (aiCommits.length > 0) {
    for (const [c, r] of await partialReverts(ctx, aiCommits, config.revertWindowDays * 86400)) {
      if (edges.has(r)) continue; // already a full revert of something
      revertsOf.set(c, [...(revertsOf.get(c) ?? []), r]);
      partial.add(`${r}|${c}`);
    }
  }
  return { edges, effective: effectiveReverts(revertsOf, (sha) => ctx.landedAt(sha)), partial };
}

/** Writes the mainline and revert columns of every candidate's outcome row; returns the counts. */
function writeOutcomes(
  ctx: OutcomeContext,
  candidates: readonly string[],
  reverts: Reverts,
  config: OutcomeConfig,
  now: number,
  alsoInTransaction: () => void,
): { merged: number; reverted: number } {
  const update = ctx.db.prepare(`
    UPDATE event_commit_outcomes SET
      merged_to_mainline = @merged, mainline_via = @via, mainline_sha = @copy, reached_mainline_at = @reachedAt,
      merge_window_closed = @mergeClosed,
      reverted_later = @reverted, reverted_by = @revertedBy, revert_kind = @revertKind,
      revert_window_closed = @revertClosed
    WHERE repo_id = @repo AND sha = @sha`);
  let merged = 0;
  let reverted = 0;
  const window = config.revertWindowDays * 86400;
  ctx.db.transaction(() => {
    for (const sha of candidates) {
      const r = ctx.reached.get(sha);
      const copy = r?.copy ?? null;
      const revert = copy ? reverts.effective(copy) : null;
      const revertedInWindow = revert !== null && r !== undefined && ctx.landedAt(revert) - r.at <= window;
      if (r) merged++;
      if (revertedInWindow) reverted++;
      update.run({
        repo: ctx.repoId,
        sha,
        merged: r ? 1 : 0,
        via: r?.via ?? null,
        copy,
        reachedAt: r ? new Date(r.at * 1000).toISOString() : null,
        mergeClosed: now - ctx.time(sha) >= config.mergedMinAgeDays * 86400 ? 1 : 0,
        reverted: r ? (revertedInWindow ? 1 : 0) : null,
        revertedBy: revertedInWindow ? revert : null,
        revertKind: revertedInWindow ? (reverts.partial.has(`${revert}|${copy}`) ? 'partial' : reverts.edges.get(revert!)!.kind) : null,
        revertClosed: r ? (now - r.at >= window ? 1 : 0) : null,
      });
    }
    alsoInTransaction();
  });
  return { merged, reverted };
}

/** The window flags, which move with the calendar, recomputed in SQL from the stored times. */
function refreshWindows(
  db: Database,
  repoId: string,
  config: Pick<PaceflowConfig, 'revertWindowDays' | 'mergedMinAgeDays'>,
  now: number,
): void {
  db.prepare(`
    UPDATE event_commit_outcomes SET
      merge_window_closed = (@now - unixepoch(committed_at)) >= @mergedAge,
      revert_window_closed = CASE WHEN reached_mainline_at IS NULL THEN NULL
                                  ELSE (@now - unixepoch(reached_mainline_at)) >= @revertWindow END
    WHERE repo_id = @repo`).run({
    now: Math.floor(now),
    mergedAge: config.mergedMinAgeDays * 86400,
    revertWindow: config.revertWindowDays * 86400,
    repo: repoId,
  });
}
