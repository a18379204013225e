import type { PaceflowConfig } from '../config/config.js';
import type { Database, SqlValue } from '../db/driver.js';
import { isoSeconds } from './attribution-replay.js';
import { withSpillPutOff } from '../db/spill.js';
import { withCountsRecountedAfter } from '../db/count.js';
import { indexesAfterLoad } from '../db/indexes-after.js';
import { collectAfterPhase, collectIfGrown } from '../heap.js';
import { loadOutcomeContext, loadRefTips, type OutcomeContext, type RefTip } from './outcomes/context.js';
import { commitsReachableOnlyFrom } from '../git/log.js';
import type { BranchWalks } from '../git/log.js';
import { isAncestor } from '../git/mainline.js';
import { landingMark } from './outcomes/landing.js';
import { sameKeyCommits } from './outcomes/reverse-candidates.js';
import { ancestorRule, applyMainlineRules, applyRefRules, pullRequestOfRef } from './outcomes/mainline-rules.js';
import {
  diffInversionReverts,
  effectiveReverts,
  messageReverts,
  partialReverts,
  type RevertEdge,
  type RevertKind,
  type RevertLookup,
  revertTargetByMessage,
} from './outcomes/revert-rules.js';
import { allEvidenceChanged, evidenceChanged } from './evidence-changes.js';
import type { PatchStore } from '../git/patch-store.js';

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
  /** The diffs this run read so far (attribution's): the rules take theirs before asking git. */
  patches?: PatchStore;
  /** The run's branch walks (ingest's orphan check's): the rules read branches from them before asking git. */
  walks?: BranchWalks;
}): Promise<{ mainlineTip: string | null; checked: number }> {
  const { db, repoId, cwd, config } = options;
  const now = (options.now ?? new Date()).getTime() / 1000;
  const tip = mainlineTip(db, repoId);
  if (!tip) return { mainlineTip: null, checked: 0 };

  // Nothing moved since the last build (same tips, every outcome built): only the windows, which
  // depend on today's date, need refreshing.
  const refs = loadRefTips(db, repoId);
  const state: OutcomesState = {
    v: 4,
    tip,
    refs: Object.fromEntries(refs.map((r) => [r.ref_name, r.sha])),
    revertWindowDays: config.revertWindowDays,
    heavy: heavyEvidence(db, repoId),
  };
  const stateKey = outcomesStateKey(repoId);
  const stored = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([stateKey])?.value;
  const unbuilt = db
    .prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE repo_id = ? AND merged_to_mainline IS NULL`)
    .get<{ n: number }>([repoId])!.n;
  // Saved with the landing it was built against (its walk, rows and latest time), which a build
  // after mainline moved on starts from.
  const saveState = () =>
    db
      .prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
      .run([stateKey, JSON.stringify({ ...state, landing: landingMark(db, repoId) })]);
  const previous = parseState(stored);
  const sameSettings = previous?.revertWindowDays === state.revertWindowDays && previous.heavy === state.heavy;
  if (previous && sameSettings && previous.tip === tip && sameRefs(previous, state) && unbuilt === 0) {
    refreshWindows(db, repoId, config, now);
    return { mainlineTip: tip, checked: 0 };
  }

  // Mainline did not move: only the new outcomes and the commits of the refs that moved can change,
  // and that build reads mainline and commits by key. Mainline moved on: the same, and what the new
  // mainline commits can change. Else (or when a shortcut does not hold) every outcome is built,
  // over all of mainline.
  if (previous && sameSettings) {
    const ctx = loadOutcomeContext(db, repoId, cwd, tip, refs, { whole: false, patches: options.patches, walks: options.walks });
    try {
      const checked =
        previous.tip === tip
          ? await buildChangedOutcomes(ctx, previous, config, now, saveState)
          : await buildAdvancedOutcomes(ctx, previous, config, now, saveState);
      if (checked !== null) return { mainlineTip: tip, checked };
    } finally {
      ctx.close();
    }
  }
  const ctx = loadOutcomeContext(db, repoId, cwd, tip, refs, { whole: true, patches: options.patches, walks: options.walks });
  try {
    return await buildAll(ctx, config, now, saveState);
  } finally {
    // The reverse ids may still be on their way when a rule failed or diff inversion had nothing to
    // compare: they write their rows before the build returns, never into the next builder's run.
    await ctx.settled();
    ctx.close();
  }
}

/** The mainline tip the outcomes are built against (its remote-tracking branch first), or null. */
function mainlineTip(db: Database, repoId: string): string | null {
  return (
    db
      .prepare(
        `SELECT head_sha FROM metadata_branches WHERE repo_id = ? AND is_mainline = 1 AND is_present = 1 ORDER BY is_remote DESC LIMIT 1`,
      )
      .get<{ head_sha: string }>([repoId])?.head_sha ?? null
  );
}

/** Where a build saves what it saw (OutcomesState); none: the next build is a whole one. */
export const outcomesStateKey = (repoId: string) => `outcomes_state:${repoId}`;

/** The whole build: every outcome, over all of mainline. */
async function buildAll(
  ctx: OutcomeContext,
  config: OutcomeConfig,
  now: number,
  saveState: () => void,
): Promise<{ mainlineTip: string; checked: number }> {
  const { db, repoId, tip } = ctx;
  const candidates = db
    .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ?`)
    .all<{ sha: string }>([repoId])
    .map((r) => ctx.intern(r.sha));
  await applyMainlineRules(ctx, candidates);
  // The content rule's file reader (its line keys and filters, 26 MB outside V8's heap) and its
  // candidates by path are garbage once it ends, but only a full collection frees them: without
  // one the revert rules' reads stood on top of them — git's own history with its pull requests
  // peaked there (VmHWM 322 MiB, 2 s before the write; bench/README, session 69).
  collectAfterPhase();
  const reverts = await findReverts(ctx, config);
  // The rules' garbage (the content rule's candidates by path, the revert rules' reads) is let go
  // before the write holds its dirty pages (up to WHOLE_BUILD_DIRTY_PAGES): on git's own history
  // with its pull requests the two stood together, node's peak there (VmHWM 334 MiB) over anything
  // in the rules. This collection: heap 125/157 → 103/126 MB (in use/committed), RSS 304 → 275 MiB
  // as the write starts (bench/README, session 68).
  collectAfterPhase();
  // The state is saved with the rows it describes: a run killed before the commit rebuilds them.
  writeOutcomes(ctx, candidates, reverts, config, now, saveState);
  return { mainlineTip: tip, checked: candidates.length };
}

/**
 * What a build saw: the mainline tip, every ref tip, the revert window, the heavy-AI commits the
 * partial rule reads; saved with where the stored landing stood (`landing`).
 */
interface OutcomesState {
  v: 4;
  tip: string;
  refs: Record<string, string>;
  revertWindowDays: number;
  heavy: string;
  landing?: { epoch: string; next: number; latest: number | null };
}

function parseState(text: string | undefined): OutcomesState | null {
  try {
    const state = text ? (JSON.parse(text) as Partial<OutcomesState>) : null;
    return state?.v === 4 && typeof state.tip === 'string' && state.refs ? (state as OutcomesState) : null;
  } catch {
    return null;
  }
}

function sameRefs(a: OutcomesState, b: OutcomesState): boolean {
  const [x, y] = [Object.entries(a.refs), b.refs];
  return x.length === Object.keys(y).length && x.every(([name, sha]) => y[name] === sha);
}

/**
 * Which heavy-AI mainline commits with line-level evidence there are (the partial rule's targets),
 * as a generation the attribution builder bumps when one of them changes: no read of every row.
 */
function heavyEvidence(db: Database, repoId: string): string {
  return db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([`heavy_mainline_gen:${repoId}`])?.value ?? '';
}

/**
 * The squashed commits a ref of the last build held and may no longer hold — the ref gone, or moved
 * to a commit that does not descend from its old tip (an amend, a rebase, a force-push): their
 * squash verdicts may have rested on it (a pull request's head, a branch's net diff), so they are
 * checked again against every ref. Squashed commits of other refs keep theirs: a verdict rests on
 * a ref that holds the commit. The old tips' commits off mainline come from one git process, and
 * their squashed ones by key — not every squashed commit of the history; 'all' when an old tip is
 * gone from the object store (what it held is unknown).
 */
async function squashedOnRewrittenRefs(
  ctx: OutcomeContext,
  previous: OutcomesState,
  changed: readonly RefTip[],
): Promise<Set<string> | 'all'> {
  // HEAD holds up no squash (the rules read branches and pull request heads): it moves with every checkout.
  const now = new Set(ctx.refs.map((r) => r.ref_name));
  const oldTips = new Set<string>();
  for (const [name, sha] of Object.entries(previous.refs)) if (name !== 'HEAD' && !now.has(name)) oldTips.add(sha);
  for (const ref of changed) {
    if (ref.ref_name === 'HEAD') continue;
    const old = previous.refs[ref.ref_name];
    if (!old) continue; // a new ref
    // The old tip may be gone from the object store: the walk below then says so.
    if (!(await isAncestor(old, ref.sha, ctx.cwd).catch(() => false))) oldTips.add(old);
  }
  if (oldTips.size === 0) return new Set();
  const held = await commitsReachableOnlyFrom([...oldTips], [ctx.tip], ctx.cwd, { ignoreMissing: false }).catch(() => null);
  if (!held) return 'all';
  const squashed = ctx.db.prepare(
    `SELECT 1 FROM event_commit_outcomes WHERE repo_id = ? AND sha = ? AND merged_to_mainline = 1 AND mainline_via = 'squash'`,
  );
  return new Set(held.filter((sha) => squashed.get([ctx.repoId, sha]) !== undefined));
}

/**
 * How many of the repository's commits reached mainline and were reverted later: what the
 * builder's message says (a sum over every outcome row: left out where nobody reads it).
 */
export function outcomeCounts(db: Database, repoId: string): { merged: number; reverted: number } {
  return db
    .prepare(
      `SELECT coalesce(sum(merged_to_mainline), 0) AS merged, coalesce(sum(reverted_later), 0) AS reverted FROM event_commit_outcomes WHERE repo_id = ?`,
    )
    .get<{ merged: number; reverted: number }>([repoId])!;
}

/**
 * The build after refs moved while mainline stayed (a commit on a topic branch, a new branch, an
 * amend off mainline): mainline commits, their reverts and every verdict of a commit on mainline
 * stand. The candidates are the outcomes not built yet and the unmerged commits of the refs that
 * moved; the mainline rules run for them alone, and one that lands takes its copy's revert verdict
 * (the copy is the mainline commit that carries it). Returns how many it checked, or null — no
 * outcome written — when the shortcut does not hold (a candidate turned out to be a mainline ancestor, e.g. after an
 * unshallow; a copy without its own outcome): the caller then rebuilds everything.
 */
async function buildChangedOutcomes(
  ctx: OutcomeContext,
  previous: OutcomesState,
  config: OutcomeConfig,
  now: number,
  saveState: () => void,
): Promise<number | null> {
  const { db, repoId } = ctx;
  const changed = ctx.refs.filter((r) => previous.refs[r.ref_name] !== r.sha);
  const shas = (where: string) =>
    new Set(
      db
        .prepare(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ? AND ${where}`)
        .all<{ sha: string }>([repoId])
        .map((r) => r.sha),
    );
  const fresh = shas('merged_to_mainline IS NULL');
  // Commits with a verdict whose refs moved: mainline stayed, so only the ref-based rule (squash)
  // can change it — and content, where a squash no longer holds.
  const recheck = new Set<string>();
  // A squash verdict rests on refs (a PR head, a branch's net diff): when a ref went away or was
  // rewritten, the squashed commits it held are checked again against every ref; a ref that moved
  // on re-checks the squashed commits it holds.
  const squash = `merged_to_mainline = 1 AND mainline_via = 'squash'`;
  const anySquashed = db.prepare(`SELECT 1 FROM event_commit_outcomes WHERE repo_id = ? AND ${squash} LIMIT 1`).get([repoId]) !== undefined;
  const again = anySquashed ? await squashedOnRewrittenRefs(ctx, previous, changed) : new Set<string>();
  for (const sha of again === 'all' ? shas(squash) : again) recheck.add(sha);
  const rewritten = again === 'all' || again.size > 0;
  if (changed.length > 0) {
    // The moved refs' own commits, each looked up by key: not every unmerged outcome of the history.
    const verdict = db.prepare(`SELECT merged_to_mainline, mainline_via FROM event_commit_outcomes WHERE repo_id = ? AND sha = ?`);
    for (const sha of await ctx.onlyFrom([...new Set(changed.map((r) => r.sha))], [ctx.tip])) {
      const row = verdict.get<{ merged_to_mainline: number | null; mainline_via: string | null }>([repoId, sha]);
      if (row && (row.merged_to_mainline === 0 || row.mainline_via === 'squash')) recheck.add(sha);
    }
  }
  for (const sha of fresh) recheck.delete(sha);
  ctx.changedTips = rewritten ? null : new Set(changed.map((r) => r.sha));
  const list = [...fresh, ...recheck];
  await applyMainlineRules(ctx, [...fresh]);
  await applyRefRules(ctx, [...recheck]);
  const copyRow = db.prepare(
    `SELECT reverted_later, reverted_by, revert_kind FROM event_commit_outcomes WHERE repo_id = ? AND sha = ? AND merged_to_mainline = 1`,
  );
  const rows: Record<string, SqlValue>[] = [];
  for (const sha of list) {
    const r = ctx.reached.get(sha);
    if (r?.via === 'ancestor') return null;
    const copy = r
      ? copyRow.get<{ reverted_later: number | null; reverted_by: string | null; revert_kind: string | null }>([repoId, r.copy])
      : undefined;
    if (r && !copy) return null;
    rows.push(
      outcomeRow(ctx, config, now, sha, r, copy && { reverted: copy.reverted_later ?? 0, by: copy.reverted_by, kind: copy.revert_kind }),
    );
  }
  db.transaction(() => {
    writeRows(db, repoId, rows);
    refreshWindows(db, repoId, config, now);
    saveState();
  });
  return list.length;
}

/**
 * The build after mainline moved on along its first parents (a fetch, a merge, a push), refs
 * perhaps moving too. What the new mainline commits can change, read by key and by index:
 *
 * - mainline verdicts: the outcomes not built yet; the commits that landed; the commits off
 *   mainline of the refs the move can squash (headsTheMoveCanSquash: a ref that moved, a pull
 *   request a new subject names, a branch whose net diff is new or has a new patch-id); commits
 *   with a new commit's patch-id; unmerged commits written between the last build's latest landing and this one's;
 *   unmerged commits touching a path the new commits touch (their content verdicts); and, when a ref
 *   was rewritten or deleted, the squashed commits it held — all through every mainline rule, as a whole
 *   build runs them;
 * - revert verdicts: the new commits' edges (a new commit reverts, it is never reverted by an
 *   older one: landing times only grew), partial reverts re-checked for the heavy-AI commits whose
 *   window reaches the new landings, and the effective revert of every target those edges reach,
 *   from the kept edges (paceflow_revert_edges) — then the outcome rows of those targets' copies.
 *
 * Returns how many outcomes it checked, or null when the shortcut does not hold (mainline was
 * walked again, or a new landing is earlier than one before it): the caller builds them all.
 */
async function buildAdvancedOutcomes(
  ctx: OutcomeContext,
  previous: OutcomesState,
  config: OutcomeConfig,
  now: number,
  saveState: () => void,
): Promise<number | null> {
  const moved = await mainlineMovedOn(ctx, previous);
  if (!moved) return null;
  const candidates = await advancedCandidates(ctx, previous, moved);
  const list = [...candidates];
  await applyMainlineRules(ctx, list);
  /** A commit's copy on mainline after this build: its verdict now, or the kept one (not a candidate: unchanged). */
  const storedCopy = ctx.db.prepare(
    `SELECT mainline_sha FROM event_commit_outcomes WHERE repo_id = ? AND sha = ? AND merged_to_mainline = 1`,
  );
  const copyOf = (sha: string): string | undefined =>
    candidates.has(sha)
      ? ctx.reached.get(sha)?.copy
      : (ctx.reached.get(sha)?.copy ?? storedCopy.get<{ mainline_sha: string }>([ctx.repoId, sha])?.mainline_sha);
  const newEdges = await newRevertEdges(ctx, moved, copyOf);
  const window = config.revertWindowDays * 86400;
  const partials = await advancedPartials(ctx, moved, newEdges, window);
  ctx.db.transaction(() => {
    const affected = keepEdges(ctx, newEdges, partials);
    writeRows(ctx.db, ctx.repoId, advancedRows(ctx, list, affected, config, now));
    refreshWindows(ctx.db, ctx.repoId, config, now);
    saveState();
  });
  return list.length;
}

/** What mainline gained since the last build, when it moved on (else null: build everything). */
interface MovedOn {
  /** The new landings, in landing order. */
  landed: { sha: string; landed_at: number }[];
  /** The new mainline commits (non-merges the database knows). */
  fresh: string[];
  /** Their patch-ids. */
  forward: Map<string, string>;
  /** The latest landing before them (seconds). */
  latestBefore: number;
}

/**
 * The landing extended along first parents from the last build's (same walk), no new landing
 * earlier than the ones before — so a new commit reverts, it is never reverted by an older one, and
 * kept verdicts keep their order. The new commits' patch-ids are kept both ways: copies of them,
 * and reverts of them by later commits, are found by index (this build and the next).
 */
async function mainlineMovedOn(ctx: OutcomeContext, previous: OutcomesState): Promise<MovedOn | null> {
  const before = previous.landing;
  if (!before || before.latest === null) return null;
  await ancestorRule.apply(ctx, []);
  if (landingMark(ctx.db, ctx.repoId).epoch !== before.epoch) return null;
  const landed = ctx.db
    .prepare(
      `SELECT sha, landed_at FROM paceflow_mainline_landing INDEXED BY paceflow_mainline_landing_by_seq WHERE repo_id = ? AND seq >= ? ORDER BY seq`,
    )
    .all<{ sha: string; landed_at: number }>([ctx.repoId, before.next]);
  // A landing in the same second as the latest one is fine (scripted merges land several a second):
  // ties go by landing order (copies), by ancestry (reverts) or are checked afresh (kept verdicts).
  if (landed.length === 0 || landed.some((l) => l.landed_at < before.latest!)) return null;
  const fresh = landed.map((l) => l.sha).filter((sha) => ctx.isOnMainline(sha));
  // Forward only: a new commit's reversed diff is computed when a later commit could undo it
  // (newRevertEdges, reverse-candidates.ts).
  const forward = await ctx.patchIds(fresh);
  return { landed, fresh, forward, latestBefore: before.latest };
}

/** The commits whose mainline verdict the move can change (see buildAdvancedOutcomes). */
async function advancedCandidates(ctx: OutcomeContext, previous: OutcomesState, moved: MovedOn): Promise<Set<string>> {
  const { db, repoId } = ctx;
  const verdictOf = db.prepare(
    `SELECT merged_to_mainline AS merged, mainline_via AS via FROM event_commit_outcomes WHERE repo_id = ? AND sha = ?`,
  );
  const candidates = new Set<string>();
  const consider = (sha: string, when: (v: { merged: number | null; via: string | null }) => boolean = () => true) => {
    if (candidates.has(sha)) return;
    const v = verdictOf.get<{ merged: number | null; via: string | null }>([repoId, sha]);
    if (v && when(v)) candidates.add(sha);
  };
  const shas = (sql: string, params: SqlValue[]) =>
    db
      .prepare(sql)
      .all<{ sha: string }>(params)
      .map((r) => r.sha);
  for (const sha of shas(`SELECT sha FROM event_commit_outcomes WHERE repo_id = ? AND merged_to_mainline IS NULL`, [repoId]))
    candidates.add(sha);
  // Outcomes not built yet are commits this build is the first to see (the rows are written after).
  const newToBuild = new Set(candidates);
  for (const { sha } of moved.landed) consider(sha);
  const squashable = await headsTheMoveCanSquash(ctx, previous, moved, newToBuild);
  await ctx.readBranches([...squashable.heads]);
  for (const head of squashable.heads) for (const sha of await ctx.onlyFrom([head], [ctx.tip])) consider(sha);
  const notCopied = (v: { merged: number | null; via: string | null }) => v.merged === 0 || v.via === 'squash' || v.via === 'content';
  const withId = `SELECT sha FROM fact_commit_patch_ids INDEXED BY fact_commit_patch_ids_by_forward WHERE repo_id = ? AND forward_id = ?`;
  // A squashed commit with a new commit's patch-id whose copy cannot count (it landed before the
  // commit was written) falls back to the squash rule, which then needs every branch.
  let squashedAgain = false;
  const copyOrSquashed = (v: { merged: number | null; via: string | null }) => {
    if (!notCopied(v)) return false;
    if (v.via === 'squash') squashedAgain = true;
    return true;
  };
  for (const id of new Set(moved.forward.values())) for (const sha of shas(withId, [repoId, id])) consider(sha, copyOrSquashed);
  // Unmerged commits written between the last build's latest landing and this one's: no rule read
  // them against mainline yet (a copy lands after its original was written). Whether their patch-id
  // is kept says nothing: attribution keeps every commit's it reads.
  const writtenSinceLanding = `
    SELECT o.sha FROM event_commit_outcomes o INDEXED BY event_commit_outcomes_unmerged_by_time
    WHERE o.repo_id = ? AND o.merged_to_mainline = 0 AND o.committed_at > ? AND o.committed_at <= ?`;
  for (const sha of shas(writtenSinceLanding, [repoId, isoSeconds(moved.latestBefore), isoSeconds(ctx.mainline.latestLanding())]))
    candidates.add(sha);
  const pathsOf = db.prepare(`SELECT path, old_path FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ?`);
  const touched = new Set<string>();
  for (const sha of moved.fresh)
    for (const r of pathsOf.all<{ path: string; old_path: string | null }>([repoId, sha])) {
      touched.add(r.path);
      if (r.old_path) touched.add(r.old_path);
    }
  const unmergedTouching = `
    SELECT DISTINCT f.sha FROM metadata_commit_file_changes f INDEXED BY metadata_commit_file_changes_by_path
    CROSS JOIN event_commit_outcomes o ON o.repo_id = f.repo_id AND o.sha = f.sha AND o.merged_to_mainline = 0
    WHERE f.repo_id = ? AND f.path = ?`;
  for (const path of touched) for (const sha of shas(unmergedTouching, [repoId, path])) candidates.add(sha);
  const changed = ctx.refs.filter((r) => previous.refs[r.ref_name] !== r.sha);
  const squashed = `SELECT sha FROM event_commit_outcomes WHERE repo_id = ? AND merged_to_mainline = 1 AND mainline_via = 'squash'`;
  const anySquashed = db.prepare(`${squashed} LIMIT 1`).get([repoId]) !== undefined;
  const again = anySquashed ? await squashedOnRewrittenRefs(ctx, previous, changed) : new Set<string>();
  for (const sha of again === 'all' ? shas(squashed, [repoId]) : again) candidates.add(sha);
  const rewritten = again === 'all' || again.size > 0;
  // The squash rule reads only the heads the move can squash when no other branch's net diff was
  // left unread (see headsTheMoveCanSquash) and no squashed commit is checked again.
  ctx.changedTips = squashable.onlyThese && !squashedAgain && !rewritten ? squashable.heads : null;
  return candidates;
}

/**
 * The branch heads whose commits the move can squash onto mainline (the squash rule's two ways): a
 * ref that moved itself; a pull request a new mainline commit's subject names; a branch whose kept
 * net diff from its merge base with the new tip is missing (its base moved, or it was never diffed:
 * written after every landing so far) or has a new mainline commit's patch-id. Every other branch's
 * net diff was compared with every earlier mainline commit by the build that kept it, and the new
 * ones carry other patch-ids: its commits keep their verdicts (the open branches' commits are no
 * longer read on every move).
 *
 * When every new landing is a commit this build is the first to see (a commit straight to
 * mainline, a squash merge, a fetch of others' work), no branch that stayed holds one: its merge
 * base with the tip, its own commits and so its net diff stayed, and the one net diff kept for its
 * head is the one to compare — found by key, without walking every branch's history from the tip
 * (0.4 s on an 80k-commit history). Then `onlyThese`: the squash rule need read no other head.
 */
async function headsTheMoveCanSquash(
  ctx: OutcomeContext,
  previous: OutcomesState,
  moved: MovedOn,
  newToBuild: ReadonlySet<string>,
): Promise<{ heads: Set<string>; onlyThese: boolean }> {
  const wanted = new Set(ctx.refs.filter((r) => previous.refs[r.ref_name] !== r.sha).map((r) => r.sha));
  const named = new Set(moved.fresh.map((sha) => ctx.commit(sha)?.pr_number).filter((n) => n != null));
  for (const r of ctx.refs) {
    const pr = pullRequestOfRef(r.ref_name);
    if (pr !== null && named.has(pr)) wanted.add(r.sha);
  }
  const freshIds = new Set(moved.forward.values());
  const kept = ctx.db.prepare(`SELECT patch_id FROM paceflow_net_diffs WHERE repo_id = ? AND base_sha = ? AND head_sha = ?`);
  // A merge (it has no outcome) is new when a parent is: a merge the database knew had every
  // ancestor known too. A merge of two known commits counts as known (the shortcut is then not taken).
  // A parent that did not land now was on mainline already: known.
  const landedNow = new Set(moved.landed.map((l) => l.sha));
  const parentsOf = ctx.db.prepare(`SELECT parent_shas FROM metadata_commits WHERE repo_id = ? AND sha = ? AND is_merge = 1`);
  const judged = new Map<string, boolean>();
  const isNewCommit = (sha: string): boolean => {
    if (newToBuild.has(sha)) return true;
    const known = judged.get(sha);
    if (known !== undefined) return known;
    judged.set(sha, false); // (a cycle cannot happen; this only stops a bad row from looping)
    const parents = parentsOf.get<{ parent_shas: string }>([ctx.repoId, sha])?.parent_shas.split(' ').filter(Boolean) ?? [];
    const isNew = parents.some((p) => landedNow.has(p) && isNewCommit(p));
    judged.set(sha, isNew);
    return isNew;
  };
  // The branches the net-diff rule reads (squashByNetDiff): not pull-request refs, which go by number.
  const branches = ctx.db
    .prepare(`SELECT DISTINCT head_sha FROM metadata_branches WHERE repo_id = ? AND is_present = 1 AND is_mainline = 0`)
    .all<{ head_sha: string }>([ctx.repoId])
    .map((b) => b.head_sha)
    .filter((head) => !wanted.has(head));
  const stayed = moved.landed.every((l) => isNewCommit(l.sha));
  let toRead = branches;
  if (stayed) {
    const onMainline = ctx.db.prepare(`SELECT 1 FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ?`);
    const keptForHead = ctx.db.prepare(
      `SELECT patch_id FROM paceflow_net_diffs INDEXED BY paceflow_net_diffs_by_head WHERE repo_id = ? AND head_sha = ?`,
    );
    toRead = [];
    for (const head of branches) {
      if (onMainline.get([ctx.repoId, head])) continue; // an ancestor of the tip: nothing of its own
      const diffs = keptForHead.all<{ patch_id: string | null }>([ctx.repoId, head]);
      // Several kept (the head outlived a base): which is the base now is for the walk to say.
      if (diffs.length !== 1) toRead.push(head);
      else if (diffs[0]!.patch_id !== null && freshIds.has(diffs[0]!.patch_id)) wanted.add(head);
    }
  }
  // One walk: of the heads left to read, or (when the move may hold branch commits) of every ref.
  await ctx.readBranches(stayed ? toRead : [...new Set(ctx.refs.map((r) => r.sha))]);
  for (const head of toRead) {
    if ((await ctx.onlyFrom([head], [ctx.tip])).length === 0) continue;
    const base = await ctx.mergeBaseWithTip(head);
    if (!base) continue; // no merge base: no net diff, nothing the squash rule can find
    const diff = kept.get<{ patch_id: string | null }>([ctx.repoId, base, head]);
    if (!diff || (diff.patch_id !== null && freshIds.has(diff.patch_id))) wanted.add(head);
  }
  return { heads: wanted, onlyThese: stayed };
}

/** The new mainline commits' revert edges: by message, else by an inverted diff (a target comes before its revert). */
async function newRevertEdges(
  ctx: OutcomeContext,
  moved: MovedOn,
  copyOf: (sha: string) => string | undefined,
): Promise<Map<string, RevertEdge>> {
  const { db, repoId } = ctx;
  const edges = new Map<string, RevertEdge>();
  const lookup = revertLookupByIndex(ctx);
  const message = db.prepare(`SELECT message FROM metadata_commits WHERE repo_id = ? AND sha = ? AND message LIKE '%revert%'`);
  for (const sha of moved.fresh) {
    const c = ctx.commit(sha)!;
    const target = revertTargetByMessage({ ...c, message: message.get<{ message: string }>([repoId, sha])?.message ?? '' }, lookup);
    const canonical = target ? copyOf(target) : undefined;
    if (canonical && canonical !== sha && (await ctx.precedes(canonical, sha))) edges.set(sha, { target: canonical, kind: 'message' });
  }
  // What a new commit could undo has its reversed id kept: the mainline commits that change its
  // paths (reverse-candidates.ts), computed now where no build needed them before.
  const undoable = new Set<string>();
  for (const sha of moved.fresh) {
    if (edges.has(sha) || !moved.forward.get(sha)) continue;
    for (const c of sameKeyCommits(db, repoId, sha)) if (ctx.isOnMainline(c) && ctx.landedAt(c) <= ctx.landedAt(sha)) undoable.add(c);
  }
  if (undoable.size > 0) await ctx.patchIds([...undoable], true);
  // In landing order, as the whole build lists them.
  const byReverse = db.prepare(`
    SELECT p.sha FROM fact_commit_patch_ids p INDEXED BY fact_commit_patch_ids_by_reverse
    CROSS JOIN paceflow_mainline_landing l ON l.repo_id = p.repo_id AND l.sha = p.sha
    WHERE p.repo_id = ? AND p.reverse_id = ? ORDER BY l.seq`);
  for (const sha of moved.fresh) {
    const id = moved.forward.get(sha);
    if (edges.has(sha) || !id) continue;
    const found: string[] = [];
    for (const { sha: c } of byReverse.all<{ sha: string }>([repoId, id])) {
      if (c !== sha && ctx.isOnMainline(c) && ctx.landedAt(c) <= ctx.landedAt(sha) && (await ctx.precedes(c, sha))) found.push(c);
    }
    const target = found.sort((a, b) => ctx.landedAt(b) - ctx.landedAt(a))[0];
    if (target) edges.set(sha, { target, kind: 'diff-inversion' });
  }
  return edges;
}

/** Partial reverts re-checked: the heavy-AI commits whose window reaches the new landings. */
interface Partials {
  /** The commits checked (their partial edges are replaced) and those now fully reverted (theirs go). */
  cleared: string[];
  /** revert → target. */
  edges: [string, string][];
}

/**
 * The revert edges read by their target. Left to itself SQLite reads them by the primary key
 * (repo_id, revert_sha, target_sha) on repo_id alone — every edge of the repository for each
 * question — wherever the statement needs a column the index by target lacks (kind): it prices the
 * lookup from that index into the table above a walk of the key. Asked once per commit a move
 * re-checks.
 */
const EDGES_BY_TARGET = 'paceflow_revert_edges INDEXED BY paceflow_revert_edges_by_target';

async function advancedPartials(
  ctx: OutcomeContext,
  moved: MovedOn,
  newEdges: ReadonlyMap<string, RevertEdge>,
  window: number,
): Promise<Partials> {
  const { db, repoId } = ctx;
  const fullEdgeTo = db.prepare(`SELECT 1 FROM ${EDGES_BY_TARGET} WHERE repo_id = ? AND target_sha = ? AND kind <> 'partial' LIMIT 1`);
  const fullEdgeFrom = db.prepare(`SELECT 1 FROM paceflow_revert_edges WHERE repo_id = ? AND revert_sha = ? AND kind <> 'partial' LIMIT 1`);
  const newTargets = new Set([...newEdges.values()].map((e) => e.target));
  const earliest = Math.min(...moved.landed.map((l) => l.landed_at));
  const targets = db
    .prepare(`
      SELECT o.sha FROM paceflow_mainline_landing l INDEXED BY paceflow_mainline_landing_by_landed
      CROSS JOIN event_commit_outcomes o ON o.repo_id = l.repo_id AND o.sha = l.sha
      WHERE l.repo_id = ? AND l.landed_at >= ? AND o.heavy_ai = 1 AND o.attribution_source IN ('transcript', 'note')`)
    .all<{ sha: string }>([repoId, earliest - window])
    .map((r) => r.sha)
    .filter((sha) => ctx.reached.get(sha)?.via === 'ancestor' && !newTargets.has(sha) && !fullEdgeTo.get([repoId, sha]));
  const edges: [string, string][] = [];
  // A revert that is a full revert of something reverts nothing partly (as the whole build rules).
  for (const [c, r] of await partialReverts(ctx, targets, window))
    if (!newEdges.has(r) && !fullEdgeFrom.get([repoId, r])) edges.push([r, c]);
  return { cleared: [...targets, ...newTargets], edges };
}

/**
 * Writes the new edges and the re-checked partial ones; returns every target whose effective revert
 * may have changed: those of new edges, those whose partial edge changed, and up the chains (a
 * revert whose own effective revert changed changes what it reverts).
 */
function keepEdges(ctx: OutcomeContext, newEdges: ReadonlyMap<string, RevertEdge>, partials: Partials): Set<string> {
  const { db, repoId } = ctx;
  const partialOf = db.prepare(`SELECT revert_sha FROM ${EDGES_BY_TARGET} WHERE repo_id = ? AND target_sha = ? AND kind = 'partial'`);
  const was = new Map(
    partials.cleared.map((sha) => [
      sha,
      partialOf
        .all<{ revert_sha: string }>([repoId, sha])
        .map((r) => r.revert_sha)
        .join(' '),
    ]),
  );
  const drop = db.prepare(`DELETE FROM ${EDGES_BY_TARGET} WHERE repo_id = ? AND target_sha = ? AND kind = 'partial'`);
  const put = db.prepare(`INSERT OR REPLACE INTO paceflow_revert_edges (repo_id, revert_sha, target_sha, kind) VALUES (?, ?, ?, ?)`);
  for (const sha of partials.cleared) drop.run([repoId, sha]);
  for (const [revert, { target, kind }] of newEdges) put.run([repoId, revert, target, kind]);
  for (const [revert, target] of partials.edges) put.run([repoId, revert, target, 'partial']);
  const now = new Map(partials.edges.map(([r, c]) => [c, r]));
  const affected = new Set([...newEdges.values()].map((e) => e.target));
  for (const [sha, before] of was) if (before !== (now.get(sha) ?? '')) affected.add(sha);
  const targetsOf = db.prepare(`SELECT target_sha FROM paceflow_revert_edges WHERE repo_id = ? AND revert_sha = ?`);
  const queue = [...affected];
  while (queue.length > 0) {
    for (const { target_sha } of targetsOf.all<{ target_sha: string }>([repoId, queue.pop()!]))
      if (!affected.has(target_sha)) {
        affected.add(target_sha);
        queue.push(target_sha);
      }
  }
  return affected;
}

const NOT_REVERTED = { reverted: 0, by: null, kind: null } as const;

/**
 * One outcome row as writeRows takes it: the commit's mainline verdict (`r`; none: not merged, and
 * no revert columns) and, when merged, the revert verdict of the copy that carries it.
 */
function outcomeRow(
  ctx: OutcomeContext,
  config: OutcomeConfig,
  now: number,
  sha: string,
  r: { via: string; copy: string; at: number } | undefined,
  revert: { reverted: number; by: string | null; kind: string | null } | undefined,
): Record<string, SqlValue> {
  return {
    repo: ctx.repoId,
    sha,
    merged: r ? 1 : 0,
    via: r?.via ?? null,
    copy: r?.copy ?? null,
    reachedAt: r ? new Date(r.at * 1000).toISOString() : null,
    mergeClosed: now - ctx.time(sha) >= config.mergedMinAgeDays * 86400 ? 1 : 0,
    reverted: r ? (revert?.reverted ?? 0) : null,
    revertedBy: r ? (revert?.by ?? null) : null,
    revertKind: r ? (revert?.kind ?? null) : null,
    revertClosed: r ? (now - r.at >= config.revertWindowDays * 86400 ? 1 : 0) : null,
  };
}

/** The outcome rows to write: the candidates, and the rows whose copy is an affected target (their revert columns). */
function advancedRows(
  ctx: OutcomeContext,
  list: readonly string[],
  affected: ReadonlySet<string>,
  config: OutcomeConfig,
  now: number,
): Record<string, SqlValue>[] {
  const { db, repoId } = ctx;
  const window = config.revertWindowDays * 86400;
  const revertsOf = db.prepare(`SELECT revert_sha, kind FROM ${EDGES_BY_TARGET} WHERE repo_id = ? AND target_sha = ?`);
  const edgesTo = (sha: string) => revertsOf.all<{ revert_sha: string; kind: RevertKind }>([repoId, sha]);
  const effective = effectiveReverts({ get: (sha: string) => edgesTo(sha).map((e) => e.revert_sha) }, (sha) => ctx.landedAt(sha));
  const rows: Record<string, SqlValue>[] = [];
  const written = new Set<string>();
  const row = (sha: string, r: { via: string; copy: string; at: number } | undefined) => {
    const revert = r ? effective(r.copy) : null;
    const inWindow = revert !== null && r !== undefined && ctx.landedAt(revert) - r.at <= window;
    rows.push(
      outcomeRow(
        ctx,
        config,
        now,
        sha,
        r,
        inWindow ? { reverted: 1, by: revert, kind: edgesTo(r!.copy).find((e) => e.revert_sha === revert)!.kind } : NOT_REVERTED,
      ),
    );
    written.add(sha);
  };
  for (const sha of list) row(sha, ctx.reached.get(sha));
  const copyRows = db.prepare(`
    SELECT sha, mainline_via, mainline_sha, reached_mainline_at FROM event_commit_outcomes INDEXED BY event_commit_outcomes_by_copy
    WHERE repo_id = ? AND mainline_sha = ?`);
  for (const target of affected)
    for (const c of copyRows.all<{ sha: string; mainline_via: string; mainline_sha: string; reached_mainline_at: string }>([
      repoId,
      target,
    ]))
      if (!written.has(c.sha)) row(c.sha, { via: c.mainline_via, copy: c.mainline_sha, at: Date.parse(c.reached_mainline_at) / 1000 });
  return rows;
}

/**
 * Writes outcome rows' mainline and revert columns; churn follows the lines copies carry, so a copy
 * verdict that changed bumps the generation it reads.
 */
function writeRows(db: Database, repoId: string, rows: readonly Record<string, SqlValue>[]): void {
  const update = db.prepare(UPDATE_OUTCOME);
  const verdictOf = db.prepare(
    `SELECT merged_to_mainline, mainline_via, mainline_sha FROM event_commit_outcomes WHERE repo_id = ? AND sha = ?`,
  );
  const isCopy = (v: { merged_to_mainline: number | null; mainline_via: string | null } | undefined) =>
    v?.merged_to_mainline === 1 && v.mainline_via !== 'ancestor';
  let copies = false;
  for (const row of rows) {
    type V = { merged_to_mainline: number | null; mainline_via: string | null; mainline_sha: string | null };
    const before = verdictOf.get<V>([repoId, row.sha as string]);
    update.run(row);
    const after = verdictOf.get<V>([repoId, row.sha as string]);
    if ((isCopy(before) || isCopy(after)) && JSON.stringify(before) !== JSON.stringify(after)) {
      copies = true;
      // The mainline commits that carried its lines, and carry them now.
      evidenceChanged(db, repoId, [before?.mainline_sha, after?.mainline_sha]);
    }
  }
  if (copies) bumpCopies(db, repoId);
}

/** What resolving a revert message needs, asked by index (a build of a few commits loads no commit list). */
function revertLookupByIndex(ctx: OutcomeContext): RevertLookup {
  const { db, repoId } = ctx;
  const bySubject = db.prepare(
    `SELECT sha FROM metadata_commits INDEXED BY metadata_commits_by_subject WHERE repo_id = ? AND subject = ? AND is_unreachable = 0`,
  );
  const bySha = db.prepare(`SELECT sha FROM metadata_commits WHERE repo_id = ? AND sha >= ? AND is_unreachable = 0 ORDER BY sha LIMIT 1`);
  const byPr = db.prepare(`
    SELECT l.sha FROM metadata_commits c INDEXED BY metadata_commits_by_pr
    CROSS JOIN paceflow_mainline_landing l ON l.repo_id = c.repo_id AND l.sha = c.sha
    WHERE c.repo_id = ? AND c.pr_number = ? AND c.is_unreachable = 0 AND l.is_merge = 0 AND l.sha <> ? ORDER BY l.seq LIMIT 1`);
  return {
    bySubject: (subject) => bySubject.all<{ sha: string }>([repoId, subject]).map((r) => r.sha),
    bySha: (prefix) => {
      const p = prefix.toLowerCase();
      const sha = bySha.get<{ sha: string }>([repoId, p])?.sha;
      return sha?.startsWith(p) ? sha : undefined;
    },
    byPullRequest: (n, except) => byPr.get<{ sha: string }>([repoId, n, except])?.sha,
    time: (sha) => ctx.time(sha),
  };
}

/** Bumps the generation of copy verdicts (paceflow_meta 'mainline_copies_gen'), which churn reads. */
function bumpCopies(db: Database, repoId: string): void {
  db.prepare(
    `INSERT INTO paceflow_meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
  ).run([`mainline_copies_gen:${repoId}`]);
}

/** The mainline and revert columns of one commit's outcome row (the shortcut and the whole build write the same). */
const UPDATE_OUTCOME = `
    UPDATE event_commit_outcomes SET
      merged_to_mainline = @merged, mainline_via = @via, mainline_sha = @copy, reached_mainline_at = @reachedAt,
      merge_window_closed = @mergeClosed,
      reverted_later = @reverted, reverted_by = @revertedBy, revert_kind = @revertKind,
      revert_window_closed = @revertClosed
    WHERE repo_id = @repo AND sha = @sha`;

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
  // Between the rules, the heap is let go of what the last one read (every commit's subject, the
  // reversed ids): on git's own history the first run's peak came in this step.
  collectIfGrown();
  const edges = await messageReverts(ctx);
  collectIfGrown();
  await diffInversionReverts(ctx, edges);
  collectIfGrown();
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

/** Writes the mainline and revert columns of every candidate's outcome row. */
function writeOutcomes(
  ctx: OutcomeContext,
  candidates: readonly string[],
  reverts: Reverts,
  config: OutcomeConfig,
  now: number,
  alsoInTransaction: () => void,
): void {
  const update = ctx.db.prepare(UPDATE_OUTCOME);
  const window = config.revertWindowDays * 86400;
  const updateEvery = () => {
    for (const sha of candidates) {
      const r = ctx.reached.get(sha);
      const copy = r?.copy ?? null;
      const revert = copy ? reverts.effective(copy) : null;
      const revertedInWindow = revert !== null && r !== undefined && ctx.landedAt(revert) - r.at <= window;
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
  };
  // Every outcome row in one transaction, so that the state saved with them describes them all:
  // its dirty pages outgrow the page cache (db/spill.ts).
  withSpillPutOff(ctx.db, WHOLE_BUILD_DIRTY_PAGES, () =>
    ctx.db.transaction(() => {
      const indexesMade = updatesMostRows(ctx, candidates)
        ? indexesAfterLoad(ctx.db, ['event_commit_outcomes'], UPDATED_INDEXES)
        : () => {};
      // Every row of the repository: its ancestor count is counted once after, not kept row by row.
      withCountsRecountedAfter(ctx.db, 'event_commit_outcomes', ctx.repoId, updateEvery);
      indexesMade();
      // Every row's flags were just computed at `now`; the copies may all have changed.
      recordWindows(ctx.db, ctx.repoId, config, now);
      // The edges, kept for the next build after mainline moves on.
      ctx.db.prepare(`DELETE FROM paceflow_revert_edges WHERE repo_id = ?`).run([ctx.repoId]);
      const edge = ctx.db.prepare(
        `INSERT OR REPLACE INTO paceflow_revert_edges (repo_id, revert_sha, target_sha, kind) VALUES (?, ?, ?, ?)`,
      );
      for (const [revert, { target, kind }] of reverts.edges) edge.run([ctx.repoId, revert, target, kind]);
      for (const pair of reverts.partial) {
        const [revert, target] = pair.split('|');
        edge.run([ctx.repoId, revert!, target!, 'partial']);
      }
      bumpCopies(ctx.db, ctx.repoId);
      allEvidenceChanged(ctx.db, ctx.repoId);
      alsoInTransaction();
    }),
  );
}

/**
 * The outcome rows' indexes whose keys or conditions hold a column UPDATE_OUTCOME sets (sql/010,
 * sql/012, sql/017); the heavy rows' index holds none of them. An update that moves a row
 * in each of them removes and puts back four entries at random places of four b-trees.
 */
const UPDATED_INDEXES = [
  'event_commit_outcomes_by_copy',
  'event_commit_outcomes_by_state',
  'event_commit_outcomes_open_windows',
  'event_commit_outcomes_unmerged_by_time',
] as const;

/** Below this many rows updated, the indexes are kept row by row whatever the table's size. */
const FEW_UPDATES = 1_000;

/**
 * Whether an update of `candidates`' rows is most of the outcome table (a whole build of the only
 * repository, say): then its indexes are dropped for the update and made again after it, one sort
 * each, inside the same transaction (indexesAfterLoad). The 80k bench history's whole build updates
 * 57,367 rows: its write took 852 / 1,270 / 742 ms this way against 963 / 1,278 / 1,450 ms with the
 * indexes kept (first runs alternated, bench/README session 54). Not for a few rows among many,
 * which would sort the whole table for them.
 */
function updatesMostRows(ctx: OutcomeContext, candidates: readonly string[]): boolean {
  if (candidates.length < FEW_UPDATES) return false;
  const rows = ctx.db.prepare(`SELECT count(*) AS n FROM event_commit_outcomes`).get<{ n: number }>()?.n ?? 0;
  return candidates.length * 2 >= rows;
}

/** The dirty pages a whole build's write keeps in memory before spilling: 64 MB of 4 KiB pages. */
const WHOLE_BUILD_DIRTY_PAGES = 16_384;

/**
 * The window flags, which move with the calendar, recomputed in SQL from the stored times. A window
 * only closes as time passes: when the clock moved forward since the rows were last computed (and
 * the window settings stayed), only the rows with an open window are looked at, by index.
 */
function refreshWindows(
  db: Database,
  repoId: string,
  config: Pick<PaceflowConfig, 'revertWindowDays' | 'mergedMinAgeDays'>,
  now: number,
): void {
  const params = {
    now: Math.floor(now),
    mergedAge: config.mergedMinAgeDays * 86400,
    revertWindow: config.revertWindowDays * 86400,
    repo: repoId,
  };
  const last = parseWindows(
    db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([windowsKey(repoId)])?.value,
  );
  const onlyOpen =
    last !== null && last.mergedAge === params.mergedAge && last.revertWindow === params.revertWindow && params.now >= last.now;
  db.transaction(() => {
    db.prepare(`
      UPDATE event_commit_outcomes${onlyOpen ? ' INDEXED BY event_commit_outcomes_open_windows' : ''} SET
        merge_window_closed = (@now - unixepoch(committed_at)) >= @mergedAge,
        revert_window_closed = CASE WHEN reached_mainline_at IS NULL THEN NULL
                                    ELSE (@now - unixepoch(reached_mainline_at)) >= @revertWindow END
      WHERE repo_id = @repo${onlyOpen ? ' AND (merge_window_closed = 0 OR revert_window_closed = 0)' : ''}`).run(params);
    recordWindows(db, repoId, config, now);
  });
}

const windowsKey = (repoId: string) => `outcome_windows:${repoId}`;

/** Records the clock and settings the window flags of every row now reflect. */
function recordWindows(
  db: Database,
  repoId: string,
  config: Pick<PaceflowConfig, 'revertWindowDays' | 'mergedMinAgeDays'>,
  now: number,
): void {
  const value = JSON.stringify({
    now: Math.floor(now),
    mergedAge: config.mergedMinAgeDays * 86400,
    revertWindow: config.revertWindowDays * 86400,
  });
  db.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run([
    windowsKey(repoId),
    value,
  ]);
}

function parseWindows(text: string | undefined): { now: number; mergedAge: number; revertWindow: number } | null {
  try {
    const v = text ? (JSON.parse(text) as { now?: unknown; mergedAge?: unknown; revertWindow?: unknown }) : null;
    return v && typeof v.now === 'number' && typeof v.mergedAge === 'number' && typeof v.revertWindow === 'number'
      ? { now: v.now, mergedAge: v.mergedAge, revertWindow: v.revertWindow }
      : null;
  } catch {
    return null;
  }
}
