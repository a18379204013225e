import { withSmallPageCache } from '../../db/page-cache.js';
import { collectAfterPhase, collectIfGrown } from '../../heap.js';
import { readPatches } from '../../git/patch-store.js';
import { addedKeyedFiles } from '../../git/record-patches.js';
import type { CommitPatch } from '../../git/patches.js';
import { NORMAL_LINE_KEY } from '../line-keys.js';
import { isNontrivialRange, NONTRIVIAL_LINES } from '../lines.js';
import type { OutcomeContext, RefTip, Via } from './context.js';
import { type HeldKeys, keysInBoth, keysNotIn, type LineKeys } from './file-line-keys.js';
import { mainlineFromStore, mainlineInMemory, readMainlineLanding, storeMainlineLanding } from './landing.js';

/**
 * The mainline rules of DESIGN §4, in the order they are tried: a commit that one rule marks as
 * reached is not offered to the next. Each rule adds to ctx.reached.
 */
export interface MainlineRule {
  via: Via;
  /** Marks the commits of `pending` (not reached yet) this rule says reached mainline. */
  apply(ctx: OutcomeContext, pending: readonly string[]): Promise<void>;
}

/** `refs/.../pull/7/head`, `pr/7`, `pulls/7/merge`: a pull request's number from its ref. */
const PR_REF = /(?:^|\/)(?:pull|pulls|pr)\/(\d+)(?:\/(?:head|merge))?$/;

/** The pull request a ref names (refs/pull/N/head, pr/N, …), or null. */
export function pullRequestOfRef(refName: string): number | null {
  const m = PR_REF.exec(refName);
  return m ? Number(m[1]) : null;
}
/** The content rule's threshold: this share of a commit's non-trivial added lines on mainline. */
export const CONTENT_SHARE = 0.8;

/**
 * Ancestor: every ancestor of the mainline tip, reached when the first-parent commit that brought
 * it in landed (itself, or the merge that introduced it). Runs first and always: the later rules
 * and the revert rules need the mainline it finds.
 */
export const ancestorRule: MainlineRule = {
  via: 'ancestor',
  async apply(ctx) {
    const { walked } = await storeMainlineLanding(ctx.db, ctx.repoId, ctx.tip, ctx.cwd, (sha) => ctx.intern(sha));
    // A whole build walks every mainline commit anyway; a build of a few commits asks by key.
    ctx.mainline = ctx.whole
      ? mainlineInMemory(walked ?? readMainlineLanding(ctx.db, ctx.repoId), ctx, (sha) => ctx.intern(sha))
      : mainlineFromStore(ctx.db, ctx.repoId);
    ctx.reached.ancestor = (sha) => {
      const l = ctx.mainline.landing(sha);
      return l && { via: 'ancestor', at: l.at, copy: sha };
    };
  },
};

/** Patch-id: the same `git patch-id --stable` as a mainline commit (a rebased or cherry-picked copy). */
export const patchIdRule: MainlineRule = {
  via: 'patch-id',
  async apply(ctx, allPending) {
    // Copies are found by index over the kept patch-ids (ctx.copyOf): a whole build makes sure every
    // mainline commit has its own (computed once; the squash rule's net diffs look them up too).
    await ctx.keepMainlineIds();
    // The reverse ids the revert rules read later, computed meanwhile (a whole build only: a build
    // of a few commits has them kept).
    if (ctx.whole) void ctx.reverseMainlineIds();
    // A copy lands after its original was written: a commit written after every landing has none.
    const latest = ctx.mainline.latestLanding();
    const pending = allPending.filter((sha) => ctx.time(sha) <= latest);
    if (pending.length === 0) return;
    // (A build of a few commits follows a build that kept them all, and mainline's new commits'.)
    const candidateIds = await ctx.patchIds(pending);
    for (const sha of pending) {
      const copy = ctx.copyOf(candidateIds.get(sha), ctx.time(sha));
      if (copy) ctx.reached.set(sha, { via: 'patch-id', at: ctx.landedAt(copy), copy });
    }
  },
};

/** Squash, by number: the commits only a PR head has, when a mainline subject names that PR. */
export async function squashByPullRequest(ctx: OutcomeContext, pending: ReadonlySet<string>): Promise<void> {
  const landed: { ref: RefTip; copy: string }[] = [];
  for (const ref of ctx.refs) {
    if (ctx.changedTips && !ctx.changedTips.has(ref.sha)) continue;
    const pr = pullRequestOfRef(ref.ref_name);
    const copy = pr !== null ? ctx.mainline.withPullRequest(pr) : undefined;
    if (copy) landed.push({ ref, copy });
  }
  await ctx.readBranches(landed.map(({ ref }) => ref.sha));
  for (const { ref, copy } of landed) {
    for (const sha of await ctx.onlyFrom([ref.sha], [ctx.tip])) {
      if (pending.has(sha)) ctx.reached.set(sha, { via: 'squash', at: ctx.landedAt(copy), copy });
    }
  }
}

/** Squash, by diff: a branch whose net diff (merge base → head) has a mainline commit's patch-id. */
export async function squashByNetDiff(ctx: OutcomeContext, pending: ReadonlySet<string>): Promise<void> {
  const branches = ctx.db
    .prepare(`SELECT head_sha FROM metadata_branches WHERE repo_id = ? AND is_present = 1 AND is_mainline = 0`)
    .all<{ head_sha: string }>([ctx.repoId]);
  const heads = branches.map((b) => b.head_sha).filter((head) => !ctx.changedTips || ctx.changedTips.has(head));
  await ctx.readBranches(heads);
  // The net diffs the loop below may ask for, computed together first (it then finds them kept).
  const pairs: { base: string; head: string }[] = [];
  for (const head of heads) {
    const own = (await ctx.onlyFrom([head], [ctx.tip])).filter((sha) => pending.has(sha));
    if (own.length === 0 || own.reduce((max, sha) => Math.max(max, ctx.time(sha)), -Infinity) > ctx.mainline.latestLanding()) continue;
    const base = await ctx.mergeBaseWithTip(head);
    if (base) pairs.push({ base, head });
  }
  await ctx.keepNetDiffs(pairs);
  for (const head_sha of heads) {
    const own = (await ctx.onlyFrom([head_sha], [ctx.tip])).filter((sha) => pending.has(sha) && !ctx.reached.has(sha));
    if (own.length === 0) continue;
    // The squash holds every one of the branch's commits: it lands after the last was written (a
    // branch written after every landing has no squash on mainline yet: nothing to diff).
    const written = own.reduce((max, sha) => Math.max(max, ctx.time(sha)), -Infinity);
    if (written > ctx.mainline.latestLanding()) continue;
    const base = await ctx.mergeBaseWithTip(head_sha);
    if (!base) continue;
    await ctx.keepMainlineIds();
    const copy = ctx.copyOf((await ctx.netDiff(base, head_sha)) ?? undefined, written);
    if (copy) for (const sha of own) ctx.reached.set(sha, { via: 'squash', at: ctx.landedAt(copy), copy });
  }
}

/** Squash: a pull request's head whose number a mainline subject carries, or a branch whose net diff landed as one commit. */
export const squashRule: MainlineRule = {
  via: 'squash',
  async apply(ctx, pending) {
    if (pending.length === 0) return;
    const set = new Set(pending);
    await squashByPullRequest(ctx, set);
    await squashByNetDiff(ctx, set);
  },
};

/**
 * Lines by path, each path's as its lines' keys (normalLineHash; a key as often as its line
 * stands; in no order the rule relies on): a commit's added lines, or what of them a file version lacked.
 * Kept as numbers, not a string and an object a line: git's own history with its pull requests has branch commits adding a whole
 * tree (1.1M non-trivial lines, 4,758 files), whose lines as objects took node's heap from ~130 to
 * ~500 MB while the rule compared them.
 */
export type KeyedLines = ReadonlyMap<string, LineKeys>;

/**
 * How many lines of `wanted` the file versions fed to it hold, each file line used once: fed one file
 * at a time (`file`), as FileLineKeysReader.visit lends each version's keys.
 */
export class LinesPresent {
  found = 0;
  constructor(private readonly wanted: KeyedLines) {}

  file(path: string, keys: HeldKeys): void {
    const lines = this.wanted.get(path);
    if (lines) this.found += keysInBoth(lines, keys);
  }
}

/**
 * The lines of `wanted` that the file versions fed to it do not hold (each file line used once): what
 * a commit brought that was not there. A path whose file is never fed keeps all its lines.
 */
export class LinesAbsent {
  readonly left: Map<string, LineKeys>;
  constructor(private readonly wanted: KeyedLines) {
    this.left = new Map(wanted);
  }

  file(path: string, keys: HeldKeys): void {
    const lines = this.wanted.get(path);
    if (!lines) return;
    const absent = keysNotIn(lines, keys);
    if (absent.length > 0) this.left.set(path, absent);
    else this.left.delete(path);
  }
}

/** How many lines keyed lines hold. */
export function lineCount(lines: KeyedLines): number {
  let n = 0;
  for (const keys of lines.values()) n += keys.length;
  return n;
}

/**
 * A patch's non-trivial added lines by path: the keys git's patch was read as, or from the diff
 * store's bytes where they stand (the marks it keeps for them).
 */
function addedLinesOf(patch: CommitPatch): Map<string, LineKeys> {
  const byPath = new Map<string, LineKeys>();
  for (const f of addedKeyedFiles(patch, NORMAL_LINE_KEY, isNontrivialRange)) {
    let n = 0;
    for (let i = 0; i < f.added.length; i++) if (f.addedFlags[i] === 1) n++;
    if (n === 0) continue;
    const keys = new Float64Array(n);
    n = 0;
    for (let i = 0; i < f.added.length; i++) if (f.addedFlags[i] === 1) keys[n++] = f.added[i]!;
    // A path twice in one patch (its sections joined) is one path's lines.
    const earlier = byPath.get(f.path);
    if (earlier) {
      const joined = new Float64Array(earlier.length + keys.length);
      joined.set(earlier);
      joined.set(keys, earlier.length);
      byPath.set(f.path, joined);
    } else byPath.set(f.path, keys);
  }
  return byPath;
}

/** How many mainline commits after a branch commit the content rule looks at, at the most. */
const CONTENT_CANDIDATES = 50;

/** How many candidates' files the content rule asks cat-file for ahead of the one it compares. */
const CONTENT_ASKED_AHEAD = 3;

/** How many file versions are asked of the reader between two questions to the heap pacer (pacedByPaths). */
export const PATHS_PER_PACE = 1024;

/**
 * Asks the heap pacer once every PATHS_PER_PACE file versions asked for. A commit of thousands of
 * paths asks each candidate's versions a few candidates ahead, and what each ask allocates (the
 * versions' names, the reader's requests, a count per path) came all at once before the pacer's
 * question after the first candidate: on git's own history with its pull requests a commit of
 * 2,909 paths took the heap from 80 to 105 MB in use within a second, the outcome build's top.
 */
export function pacedByPaths(pacer: () => unknown = collectIfGrown): (paths: number) => void {
  let asked = 0;
  return (paths) => {
    asked += paths;
    if (asked < PATHS_PER_PACE) return;
    asked = 0;
    pacer();
  };
}

/**
 * Content: at least CONTENT_SHARE of the lines the commit brought — its non-trivial added lines that
 * mainline did not already have when it was written — stand verbatim on mainline. The landing commit
 * is the first mainline commit after it, among those touching its files, at which they do (so lines
 * edited later still count, and an undo inside a branch that restores mainline's text brings nothing).
 */
export const contentRule: MainlineRule = {
  via: 'content',
  async apply(ctx, pending) {
    if (pending.length === 0) return;
    ctx.forgetForwardIds();
    // A whole build's checks read git's files and little of the database: the page cache the run's
    // writes filled (16 MB) is let go while they run. On git's own history with its pull requests
    // the rule's transients stood on it, the whole run's peak.
    const check = async () => {
      const { reused, toCheck, extendable } = await reusableContentChecks(ctx, pending);
      return { reused, found: await contentCopies(ctx, toCheck, extendable) };
    };
    const { reused, found } = ctx.whole ? await withSmallPageCache(ctx.db, check) : await check();
    // A whole build runs the rule once: its reader (the ring, the names) is let go before the revert
    // rules and the write, and collected then — the verdicts' write on top of it was the top of git's
    // own history with its pull requests (291 MiB). A build of a few commits may run it again
    // (applyRefRules): one pair of cat-file processes for both, and what it holds is small.
    if (ctx.whole) {
      ctx.closeFiles();
      collectAfterPhase();
    }
    for (const [sha, verdict] of found) reused.set(sha, verdict);
    for (const [sha, { copy }] of reused)
      if (copy && ctx.reached.has(copy)) ctx.reached.set(sha, { via: 'content', at: ctx.landedAt(copy), copy });
    const save = ctx.db.prepare(`
      INSERT INTO paceflow_content_checks (repo_id, sha, mainline_tip, copy_sha, candidates) VALUES (?, ?, ?, ?, ?)
      ON CONFLICT (repo_id, sha) DO UPDATE SET mainline_tip = excluded.mainline_tip, copy_sha = excluded.copy_sha, candidates = excluded.candidates`);
    ctx.db.transaction(() => {
      for (const [sha, { copy, candidates }] of reused) save.run([ctx.repoId, sha, ctx.tip, copy, candidates]);
      // A whole build has every verdict at this tip; a build of a few commits leaves the others at
      // the tips they were found against (still true there, reusableContentChecks says how far).
      if (ctx.whole)
        ctx.db.prepare(`DELETE FROM paceflow_content_checks WHERE repo_id = ? AND mainline_tip <> ?`).run([ctx.repoId, ctx.tip]);
    });
  },
};

interface ContentVerdict {
  readonly copy: string | null;
  readonly candidates: number;
}

/** The verdict of a commit no candidate was compared with (most of them): one object for them all. */
const NOTHING_COMPARED: ContentVerdict = Object.freeze({ copy: null, candidates: 0 });

/**
 * Which stored content verdicts still hold at this tip, and which commits must be checked again.
 * Same tip: every verdict holds. A tip that moved forward (the old tip is its ancestor): a verdict
 * holds unless one of the new mainline commits touches a path of the commit and the old check was
 * not capped — a copy found before still lands first, since new commits land after it. A check
 * found nothing at the old tip (`extendable`: its tip and how many candidates it looked at) need
 * not look at those candidates again when they still come first (contentCopies decides).
 */
async function reusableContentChecks(
  ctx: OutcomeContext,
  pending: readonly string[],
): Promise<{ reused: Map<string, ContentVerdict>; toCheck: string[]; extendable: Map<string, { tip: string; looked: number }> }> {
  // The pending commits' stored verdicts, by key (not every verdict kept).
  const verdictOf = ctx.db.prepare(
    `SELECT sha, mainline_tip, copy_sha, candidates FROM paceflow_content_checks WHERE repo_id = ? AND sha = ?`,
  );
  const stored = new Map<string, { sha: string; mainline_tip: string; copy_sha: string | null; candidates: number }>();
  for (const sha of pending) {
    const row = verdictOf.get<{ sha: string; mainline_tip: string; copy_sha: string | null; candidates: number }>([ctx.repoId, sha]);
    if (row) stored.set(sha, row);
  }
  // For each older tip: the paths the mainline commits since it touched, or null when mainline was rewritten.
  const touchedSince = new Map<string, Set<string> | null>();
  for (const tip of new Set([...stored.values()].map((r) => r.mainline_tip))) {
    if (tip === ctx.tip || touchedSince.has(tip)) continue;
    touchedSince.set(tip, ctx.reached.has(tip) ? await pathsTouchedSince(ctx, tip) : null);
  }
  const pathsOf = ctx.db.prepare(`SELECT path FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ?`);
  const reused = new Map<string, ContentVerdict>();
  const toCheck: string[] = [];
  const extendable = new Map<string, { tip: string; looked: number }>();
  for (const sha of pending) {
    const row = stored.get(sha);
    const touched = row && row.mainline_tip !== ctx.tip ? touchedSince.get(row.mainline_tip) : undefined;
    const holds =
      row !== undefined &&
      (row.mainline_tip === ctx.tip ||
        (touched !== null &&
          touched !== undefined &&
          (row.copy_sha !== null ||
            row.candidates >= CONTENT_CANDIDATES ||
            !pathsOf.all<{ path: string }>([ctx.repoId, sha]).some((r) => touched.has(r.path)))));
    if (holds && (row.copy_sha === null || ctx.reached.has(row.copy_sha)))
      reused.set(sha, { copy: row.copy_sha, candidates: row.candidates });
    else {
      toCheck.push(sha);
      if (row && touched && row.copy_sha === null) extendable.set(sha, { tip: row.mainline_tip, looked: row.candidates });
    }
  }
  return { reused, toCheck, extendable };
}

/**
 * What a mainline commit brought, by the landing's index by `via_sha` (the commits one landing
 * brought: one, or a merge's). Left to itself SQLite answered max(seq) from the index by sequence,
 * newest first, until a row of that landing came: every landing since an older tip — on the 80k
 * bench history 45 ms for one of its first tips, 0.1 ms by this index.
 */
const LANDED_VIA = 'paceflow_mainline_landing INDEXED BY paceflow_mainline_landing_by_via';

/**
 * The paths the mainline commits after `oldTip` (up to the current tip) touched. An old tip on the
 * first-parent chain: the commits that landed after what it brought, from the stored landing by
 * index; else git lists them.
 */
async function pathsTouchedSince(ctx: OutcomeContext, oldTip: string): Promise<Set<string>> {
  const last = ctx.db
    .prepare(
      `SELECT max(seq) AS seq FROM ${LANDED_VIA} WHERE repo_id = ? AND via_sha = ? AND ? IN (SELECT via_sha FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ?)`,
    )
    .get<{ seq: number | null }>([ctx.repoId, oldTip, oldTip, ctx.repoId, oldTip])?.seq;
  const since =
    last === null || last === undefined
      ? await ctx.onlyFrom([ctx.tip], [oldTip])
      : ctx.db
          .prepare(`SELECT sha FROM paceflow_mainline_landing WHERE repo_id = ? AND seq > ?`)
          .all<{ sha: string }>([ctx.repoId, last])
          .map((r) => r.sha);
  const fresh = since.filter((sha) => ctx.isOnMainline(sha));
  const paths = ctx.db.prepare(`SELECT path, old_path FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ?`);
  const touched = new Set<string>();
  for (const sha of fresh) {
    for (const r of paths.all<{ path: string; old_path: string | null }>([ctx.repoId, sha])) {
      touched.add(r.path);
      if (r.old_path) touched.add(r.old_path);
    }
  }
  return touched;
}

/**
 * For each commit read, the mainline commit that carries its lines by content (or null), and how
 * many were checked. A commit in `extendable` found nothing among its first `looked` candidates at
 * an older tip: when mainline before it is the same (nothing landed since that tip at or before it
 * was written) and those candidates still come first (all landed by that tip), only the rest are read.
 */
async function contentCopies(
  ctx: OutcomeContext,
  shas: readonly string[],
  extendable: ReadonlyMap<string, { tip: string; looked: number }> = new Map(),
): Promise<Map<string, ContentVerdict>> {
  const found = new Map<string, ContentVerdict>();
  if (shas.length === 0) return found;
  // The landing sequence number of a mainline commit; the last one an older tip brought; the
  // earliest landing after it (by the landing's indexes, sql/009).
  const seqOf = ctx.db.prepare(`SELECT seq FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ?`);
  // Asked once a commit: a mainline commit touching several of the paths checked is in each path's list.
  const seqs = new Map<string, number>();
  const landingSeq = (sha: string) => {
    let seq = seqs.get(sha);
    if (seq === undefined) {
      seq = seqOf.get<{ seq: number }>([ctx.repoId, sha])?.seq ?? Number.POSITIVE_INFINITY;
      seqs.set(sha, seq);
    }
    return seq;
  };
  const lastOf = ctx.db.prepare(`SELECT max(seq) AS seq FROM ${LANDED_VIA} WHERE repo_id = ? AND via_sha = ?`);
  const firstAfter = ctx.db.prepare(
    `SELECT min(landed_at) AS at FROM paceflow_mainline_landing INDEXED BY paceflow_mainline_landing_by_seq WHERE repo_id = ? AND seq > ?`,
  );
  const since = new Map<string, { last: number; next: number } | null>();
  const boundary = (tip: string) => {
    if (!since.has(tip)) {
      const last = lastOf.get<{ seq: number | null }>([ctx.repoId, tip])?.seq ?? null;
      const next = last === null ? null : firstAfter.get<{ at: number | null }>([ctx.repoId, last])?.at;
      since.set(tip, last === null ? null : { last, next: next ?? Number.POSITIVE_INFINITY });
    }
    return since.get(tip)!;
  };
  // From the oldest commit checked on: a build of one new commit reads only what came after it.
  let oldest = Number.POSITIVE_INFINITY;
  for (const sha of shas) {
    const ms = ctx.committedMs(sha);
    // A commit of unknown time: every commit touching its paths may follow it.
    oldest = Math.min(oldest, Number.isNaN(ms) ? Number.NEGATIVE_INFINITY : ms);
  }
  const touches = new TouchColumns();
  const mainlineTouching = mainlineTouchingPaths(ctx, oldest, landingSeq, touches);
  // Oldest first: commits written about the same time have mostly the same candidates, so the
  // file versions the reader holds are the ones the next commit compares. In the order they came
  // (by sha in a whole build), git's own history with its pull requests hashed ~9 of every 30 s
  // sampled, the same versions evicted and read again.
  const byTime = shas
    .map((sha) => ({ sha, at: ctx.time(sha) }))
    .sort((x, y) => (Number.isNaN(x.at) ? 1 : Number.isNaN(y.at) ? -1 : x.at - y.at))
    .map((c) => c.sha);
  // Git's patches are read as their added lines' keys (nothing else is compared): no record of
  // their lines is held, not even while one is read (nothing lent, nothing to let go). The store's
  // are keyed where they stand.
  const keyed = { key: NORMAL_LINE_KEY, counted: NONTRIVIAL_LINES };
  const pace = pacedByPaths();
  for await (const patch of readPatches(ctx.patches, byTime, { cwd: ctx.cwd, keyed })) {
    // Each commit's candidates' files are garbage once compared: collected as they pile up, not
    // only after the rule (git's own history with sessions: the heap grew 85 → 170 MB over its
    // 3,000 checks, node's peak 290–325 MB).
    collectIfGrown();
    // The build's own string of the sha as the verdict's key: the patch's is a copy (48k of them,
    // 2.7 MB, held through the rule on git's own history with its pull requests).
    const sha = ctx.intern(patch.sha);
    found.set(sha, NOTHING_COMPARED);
    const added = addedLinesOf(patch);
    if (added.size === 0) continue;
    const paths = [...added.keys()];
    const since = ctx.committedMs(sha);
    const written = since / 1000;
    // The first CONTENT_CANDIDATES of the mainline commits touching its paths, committed since it
    // and landed after it was written: the first that many of each path's, merged, hold them.
    const picked = new Map<string, MainlineTouch>();
    if (!Number.isNaN(written))
      for (const path of paths) {
        const list = mainlineTouching(path);
        let taken = 0;
        for (let i = list.firstLandedFrom(written); i < list.end && taken < CONTENT_CANDIDATES; i++) {
          const touching = touches.sha[i]!;
          if (touching === sha || touches.committedMs[i]! < since) continue;
          taken++;
          if (!picked.has(touching)) picked.set(touching, touches.at(i));
        }
      }
    const candidates = [...picked.values()]
      .sort(byLanding)
      .slice(0, CONTENT_CANDIDATES)
      .map((t) => t.sha);
    // No candidate: nothing to compare, whatever mainline had before it — its files are not read
    // (1,327 of the 80k bench history's 1,842 checks had none: cat-file's reads 5,194 → 2,995).
    if (candidates.length === 0) continue;
    const brought = await linesBrought(ctx, ctx.mainlineBefore(written), added, pace);
    const broughtCount = lineCount(brought);
    // Nothing it brought: nothing to find (the verdict stays as set above: no candidate looked at).
    if (broughtCount === 0) continue;
    found.set(sha, { copy: null, candidates: candidates.length });
    // Candidates an older check already found wanting: skipped when they are still the first ones.
    const older = extendable.get(sha);
    const b = older ? boundary(older.tip) : null;
    const skip =
      older && b && written < b.next && candidates.slice(0, older.looked).every((c) => landingSeq(c) <= b.last) ? older.looked : 0;
    const copy = await firstCarrying(ctx, candidates.slice(skip), brought, broughtCount, pace);
    if (copy) found.set(sha, { copy, candidates: candidates.length });
  }
  return found;
}

/**
 * What a commit brought: its added lines that mainline's files did not hold before it was written
 * (`before`, null: no mainline then, and every line is brought).
 */
async function linesBrought(
  ctx: OutcomeContext,
  before: string | null,
  added: KeyedLines,
  pace: (paths: number) => void,
): Promise<KeyedLines> {
  if (!before) return added;
  const paths = [...added.keys()];
  pace(paths.length);
  const absent = new LinesAbsent(added);
  await ctx.files().visit(before, paths, (i, keys) => absent.file(paths[i]!, keys));
  return absent.left;
}

/**
 * The first of `candidates` whose files hold CONTENT_SHARE of the `count` lines brought, or null.
 * Each candidate's files are asked for a few candidates ahead: cat-file answers the next while this
 * one's lines are compared, instead of a round trip each, one after the other. The first that holds
 * ends the look; what was asked past it is dropped. Only the files of paths with lines it brought are
 * compared: a path whose every line mainline had already counts for nothing (a branch commit adding a
 * whole tree, 4,758 files on git's own history with its pull requests, brought a few of them; each
 * candidate named every file). Each candidate's lines are counted as its files come (the reader lends
 * each version's keys for the call): nothing of a candidate's files is kept past its count.
 */
async function firstCarrying(
  ctx: OutcomeContext,
  candidates: readonly string[],
  brought: KeyedLines,
  count: number,
  pace: (paths: number) => void,
): Promise<string | null> {
  const paths = [...brought.keys()];
  // A count now when every file of the candidate was at hand (held, or named missing), else its
  // promise: most candidates' versions are held — git's own history with its pull requests asked
  // 4.2M versions of 77k — and a promise chain per candidate was the outcome build's largest
  // allocation (3.0 of 9.5 GB sampled), carried across waits for git into the old generation.
  const asked = new Map<number, number | Promise<number>>();
  const enough = CONTENT_SHARE * count;
  const ask = (i: number) => {
    let present = asked.get(i);
    if (present === undefined) {
      pace(paths.length);
      // Most candidates hold few of the lines: the filters of versions hashed before say so
      // without reading them again (an upper bound, below the share: this candidate is no copy).
      const bound = ctx.files().presentAtMost(candidates[i]!, paths, brought, enough);
      if (bound / count < CONTENT_SHARE) {
        asked.set(i, bound);
        return bound;
      }
      const lines = new LinesPresent(brought);
      const waiting = ctx.files().visit(candidates[i]!, paths, (k, keys) => lines.file(paths[k]!, keys));
      if (waiting === undefined) present = lines.found;
      else {
        present = waiting.then(() => lines.found);
        present.catch(() => undefined); // one not awaited (dropped) fails nowhere; an awaited one throws there
      }
      asked.set(i, present);
    }
    return present;
  };
  for (let i = 0; i < candidates.length; i++) {
    for (let k = i + 1; k < Math.min(candidates.length, i + 1 + CONTENT_ASKED_AHEAD); k++) ask(k);
    const asking = ask(i);
    const present = typeof asking === 'number' ? asking : await asking;
    asked.delete(i);
    // Paced per candidate too: a commit of many paths reads thousands of file versions over its 50
    // candidates, and the garbage of them all was node's peak (heap 130 → 350 MB in use on git's
    // own history with its pull requests, the pacer asked only between commits).
    collectIfGrown();
    if (present / count >= CONTENT_SHARE) return candidates[i]!;
  }
  return null;
}

/**
 * The mainline commits touching a path and committed since `since` (ms), in the order the content rule
 * tries candidates, read once a path per build: asked per commit checked, a path such as git's
 * Makefile or cache.h gave thousands of rows for each of the commits touching it (the first run on
 * git's own history spent ~30 s of this process's time there, and its heap grew by 100 MB). Each
 * path's list is a stretch of `touches`.
 */
function mainlineTouchingPaths(
  ctx: OutcomeContext,
  since: number,
  landingSeq: (sha: string) => number,
  touches: TouchColumns,
): (path: string) => TouchList {
  let touchingPath: (path: string) => { sha: string; committedMs: number }[];
  if (ctx.holdsAll) {
    // A whole build holds every reachable commit: the path's commits from the index alone (it ends
    // in the sha), their times from what the build holds. Joined to metadata_commits, a lookup per
    // row, this was 440 ms for 2,199 paths of the 80k bench history's first run.
    const shasOf = ctx.db.prepare(
      `SELECT sha FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_path WHERE repo_id = ? AND path = ?`,
    );
    touchingPath = (path) => {
      const out: { sha: string; committedMs: number }[] = [];
      for (const [sha] of shasOf.allArrays([ctx.repoId, path])) {
        if (!ctx.known(sha as string)) continue;
        const committedMs = ctx.committedMs(sha as string);
        // The build's own string of the sha, not the row's copy (kept for the whole rule).
        if (committedMs >= since) out.push({ sha: ctx.intern(sha as string), committedMs });
      }
      return out;
    };
  } else {
    // CROSS JOIN: the path's changes first (by index), then their commits; the planner, without
    // statistics, walked every commit since the time instead.
    const joined = ctx.db.prepare(`
      SELECT DISTINCT c.sha, c.committed_at FROM metadata_commit_file_changes f CROSS JOIN metadata_commits c ON c.repo_id = f.repo_id AND c.sha = f.sha
      WHERE f.repo_id = ? AND f.path = ? AND c.committed_at >= ?`);
    // As text, the form metadata_commits keeps (an unknown oldest time: every commit).
    const from = Number.isFinite(since) ? new Date(since).toISOString() : '';
    touchingPath = (path) =>
      joined
        .all<{ sha: string; committed_at: string }>([ctx.repoId, path, from])
        .map((r) => ({ sha: ctx.intern(r.sha), committedMs: Date.parse(r.committed_at) }));
  }
  const byPath = new Map<string, TouchList>();
  return (path) => {
    let list = byPath.get(path);
    if (!list) {
      const sorted = touchingPath(path)
        .filter((r) => ctx.isOnMainline(r.sha))
        .map((r) => ({
          sha: r.sha,
          committedMs: r.committedMs,
          landed: ctx.landedAt(r.sha),
          seq: landingSeq(r.sha),
        }))
        .sort(byLanding);
      list = touches.add(sorted);
      byPath.set(path, list);
    }
    return list;
  };
}

/** A mainline commit touching a path, with what the content rule orders candidates by. */
export interface MainlineTouch {
  sha: string;
  /** Its committer time, ms. */
  committedMs: number;
  /** When it landed on mainline (seconds), its place in the landing. */
  landed: number;
  seq: number;
}

/** By landing; commits one merge brings share its time: the earlier written first, then as they landed. */
function byLanding(x: MainlineTouch, y: MainlineTouch): number {
  return x.landed - y.landed || x.committedMs - y.committedMs || x.seq - y.seq;
}

/**
 * Every path's mainline commits for one run of the content rule, in columns, each path's list a
 * stretch of them in landing order. Held as an object each (two boxed times apiece) in an array per
 * path they were ~8 MB of the rule's live heap on git's own history with its pull requests (113k),
 * carried at 1.5× by V8's limit (src/heap.ts); in columns ~28 bytes each.
 */
export class TouchColumns {
  sha: string[] = [];
  committedMs = new Float64Array(1024);
  landed = new Float64Array(1024);
  seq = new Float64Array(1024);

  /** Appends a path's list (in landing order) and returns its stretch. */
  add(sorted: readonly MainlineTouch[]): TouchList {
    const start = this.sha.length;
    const end = start + sorted.length;
    if (end > this.landed.length) {
      let size = this.landed.length;
      while (size < end) size *= 2;
      const grown = (old: Float64Array) => {
        const next = new Float64Array(size);
        next.set(old.subarray(0, start));
        return next;
      };
      this.committedMs = grown(this.committedMs);
      this.landed = grown(this.landed);
      this.seq = grown(this.seq);
    }
    for (let k = 0; k < sorted.length; k++) {
      const t = sorted[k]!;
      this.sha.push(t.sha);
      this.committedMs[start + k] = t.committedMs;
      this.landed[start + k] = t.landed;
      this.seq[start + k] = t.seq;
    }
    return new TouchList(this, start, end);
  }

  /** The touch at `i`, as an object (for the few a commit picks). */
  at(i: number): MainlineTouch {
    return { sha: this.sha[i]!, committedMs: this.committedMs[i]!, landed: this.landed[i]!, seq: this.seq[i]! };
  }
}

/** One path's mainline commits: [start, end) of its TouchColumns, in landing order. */
export class TouchList {
  constructor(
    private readonly columns: TouchColumns,
    readonly start: number,
    readonly end: number,
  ) {}

  /** The first place in the list whose commit landed at or after `seconds` (`end`: none). */
  firstLandedFrom(seconds: number): number {
    const { landed } = this.columns;
    let [lo, hi] = [this.start, this.end];
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (landed[mid]! < seconds) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }
}

/** The rules in the order they are tried: the first that holds for a commit wins. */
export const MAINLINE_RULES: readonly MainlineRule[] = [ancestorRule, patchIdRule, squashRule, contentRule];

/** Applies every rule in order to the candidates; returns the candidates no rule reached. */
export async function applyMainlineRules(ctx: OutcomeContext, candidates: readonly string[]): Promise<string[]> {
  let pending = [...candidates];
  for (const rule of MAINLINE_RULES) {
    pending = pending.filter((sha) => !ctx.reached.has(sha));
    await rule.apply(ctx, pending);
    collectIfGrown();
  }
  return pending.filter((sha) => !ctx.reached.has(sha));
}

/**
 * For commits that already have a verdict, after refs moved off an unchanged mainline: ancestry,
 * patch-ids and content against mainline cannot have changed, so the squash rule (which reads refs)
 * decides, and content (kept per tip) for those it no longer holds. The ancestor rule has run.
 */
export async function applyRefRules(ctx: OutcomeContext, candidates: readonly string[]): Promise<void> {
  await squashRule.apply(
    ctx,
    candidates.filter((sha) => !ctx.reached.has(sha)),
  );
  await contentRule.apply(
    ctx,
    candidates.filter((sha) => !ctx.reached.has(sha)),
  );
}
