import { createHash } from 'node:crypto';
import type { CommitPatch } from '../../git/patches.js';
import { readPatches } from '../../git/patch-store.js';
import { type KeyedFile, keyedFiles, letGo } from '../../git/record-patches.js';
import { NORMAL_LINE_KEY } from '../line-keys.js';
import { isNontrivialRange } from '../lines.js';
import type { CommitRow, OutcomeContext } from './context.js';
import { collectIfGrown } from '../../heap.js';

/**
 * The revert rules of DESIGN §4, over mainline commits: the message forms, else an inverted diff,
 * else a partial revert of a heavy-AI commit. Both ends are canonicalized to their mainline copies;
 * a chain reverts its target only when its length is odd.
 */

export type RevertKind = 'message' | 'diff-inversion' | 'partial';

export interface RevertEdge {
  target: string;
  kind: RevertKind;
}

/** What resolving a revert message needs: commits by subject, by sha prefix, by pull request. */
export interface RevertLookup {
  bySubject(subject: string): readonly string[];
  bySha(prefix: string): string | undefined;
  /** The mainline commit that landed pull request N (other than `except`). */
  byPullRequest(n: number, except: string): string | undefined;
  time(sha: string): number;
}

/**
 * The commit a revert's message names: `This reverts commit <sha>`, else `Revert "<subject>"` (the
 * latest earlier commit with that subject), else `Reverts owner/repo#N`. A squash commit (a PR
 * number, not itself titled Revert) quotes its parts' messages: it reverts nothing by message.
 */
export function revertTargetByMessage(c: CommitRow, lookup: RevertLookup): string | undefined {
  const isSquash = c.pr_number !== null && !/^Revert /.test(c.subject);
  if (isSquash) return undefined;
  const byHash = /This reverts commit ([0-9a-f]{7,40})/i.exec(c.message ?? '');
  let target = byHash ? lookup.bySha(byHash[1]!) : undefined;
  const quoted = quotedSubject(c.subject);
  if (!target && quoted !== null) {
    target = lookup
      .bySubject(quoted)
      .filter((s) => s !== c.sha && lookup.time(s) <= lookup.time(c.sha))
      .sort((a, b) => lookup.time(b) - lookup.time(a))[0];
  }
  const byPr = /^Reverts [\w.-]+\/[\w.-]+#(\d+)/m.exec(c.message ?? '');
  if (!target && byPr) target = lookup.byPullRequest(Number(byPr[1]), c.sha);
  return target;
}

/** The subject a `Revert "<subject>"` names (a squash's ` (#N)` after it left out), or null. */
function quotedSubject(subject: string): string | null {
  return /^Revert "(.+)"$/.exec(subject.replace(/ \(#\d+\)$/, ''))?.[1] ?? null;
}

function lookupOf(ctx: OutcomeContext): RevertLookup {
  const commits = ctx.allCommits();
  // Only the subjects a mainline commit's `Revert "…"` names are ever looked up: the commits with
  // those alone are listed (every subject listed was 201k lists on git's own history with its pull
  // requests, ~17 MB reckoned).
  const subjects = new Map<string, string[]>();
  for (const sha of ctx.onMainline) {
    const i = commits.indexOf(sha);
    const quoted = i === undefined ? null : quotedSubject(commits.subject(i));
    if (quoted !== null) subjects.set(quoted, []);
  }
  const sorted: string[] = [];
  for (let i = 0; i < commits.size; i++) {
    const sha = commits.sha(i);
    subjects.get(commits.subject(i))?.push(sha);
    sorted.push(sha);
  }
  // Sorted once: a sha prefix is found by binary search, not by a scan of every commit per revert.
  sorted.sort();
  const bySha = (prefix: string) => {
    const p = prefix.toLowerCase();
    let lo = 0;
    let hi = sorted.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (sorted[mid]! < p) lo = mid + 1;
      else hi = mid;
    }
    return sorted[lo]?.startsWith(p) ? sorted[lo] : undefined;
  };
  return {
    bySubject: (subject) => subjects.get(subject) ?? [],
    bySha,
    byPullRequest: (n, except) => ctx.onMainline.find((s) => ctx.prNumber(s) === n && s !== except),
    time: (sha) => ctx.time(sha),
  };
}

/** Message reverts on mainline: revert → the mainline copy of what its message names, which must come before it. */
export async function messageReverts(ctx: OutcomeContext): Promise<Map<string, RevertEdge>> {
  const lookup = lookupOf(ctx);
  // Both message forms say "revert" (SQLite's LIKE ignores ASCII case): only those messages are read.
  const messages = new Map(
    ctx.db
      .prepare(`SELECT sha, message FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 0 AND message LIKE '%revert%'`)
      .all<{ sha: string; message: string }>([ctx.repoId])
      .map((r) => [r.sha, r.message]),
  );
  const edges = new Map<string, RevertEdge>();
  for (const sha of ctx.onMainline) {
    const target = revertTargetByMessage({ ...ctx.commit(sha)!, message: messages.get(sha) ?? '' }, lookup);
    const canonical = target ? ctx.reached.get(target)?.copy : undefined;
    if (canonical && canonical !== sha && (await ctx.precedes(canonical, sha))) edges.set(sha, { target: canonical, kind: 'message' });
  }
  return edges;
}

/**
 * Diff inversion: R's patch-id equals the patch-id of C's reversed diff, and C comes before R. The
 * match is symmetric (C's diff is R's reversed too): only ancestry says which is the undo.
 */
export async function diffInversionReverts(ctx: OutcomeContext, edges: Map<string, RevertEdge>): Promise<void> {
  const withoutMessage = ctx.onMainline.filter((sha) => !edges.has(sha));
  if (withoutMessage.length <= 1) return;
  const forward = await ctx.patchIds(withoutMessage);
  const reverse = await ctx.reverseMainlineIds();
  const byReverse = new Map<string, string[]>();
  for (const [sha, id] of reverse) byReverse.set(id, [...(byReverse.get(id) ?? []), sha]);
  for (const sha of withoutMessage) {
    const candidates = (byReverse.get(forward.get(sha) ?? '') ?? []).filter((c) => c !== sha && ctx.landedAt(c) <= ctx.landedAt(sha));
    const before: string[] = [];
    for (const c of candidates) if (await ctx.precedes(c, sha)) before.push(c);
    const target = before.sort((a, b) => ctx.landedAt(b) - ctx.landedAt(a))[0];
    if (target) edges.set(sha, { target, kind: 'diff-inversion' });
  }
}

/** A multiset of lines, by path and normal line (normalLineHash, as churn keys its lines). */
type Lines = Map<string, Map<number, number>>;

/**
 * A commit's patch as the partial rule holds it between batches: its files' lines keyed where they
 * stand in the patch's record (keyedFiles, as churn keys its lines), its added ones flagged
 * non-trivial by the marks the store put on them. Decoded into a string per line first, the rule
 * allocated ~280 MB in the 80k bench history's first outcome build (V8's sampling heap profile,
 * objects collected included); holding the patches themselves, it held each one's bytes — on git's
 * own history with its pull requests a whole-tree commit's 49 MB, where its keys are 14 MB.
 */
type KeyedPatch = KeyedFile[];

function keyedPatch(patch: CommitPatch): KeyedPatch {
  const keyed = keyedFiles(patch, NORMAL_LINE_KEY, isNontrivialRange);
  letGo(patch);
  return keyed;
}

/** C's non-trivial added lines, by path and normal line. */
function addedLines(c: KeyedPatch): Lines {
  const lines: Lines = new Map();
  for (const f of c) {
    let inPath = lines.get(f.path);
    for (let i = 0; i < f.added.length; i++) {
      if (f.addedFlags[i] === 0) continue;
      if (!inPath) {
        inPath = new Map();
        lines.set(f.path, inPath);
      }
      const key = f.added[i]!;
      inPath.set(key, (inPath.get(key) ?? 0) + 1);
    }
  }
  return lines;
}

/**
 * A later commit's added lines as a set, made once: one commit is applied to every target whose
 * window holds it (applying them took 0.78 s of the 20k bench history's first run, normalizing the
 * same lines again; 0.49 s with each commit's lines normalized once).
 */
const readdedOf = new WeakMap<KeyedPatch, Set<number>>();
function readded(r: KeyedPatch): Set<number> {
  let lines = readdedOf.get(r);
  if (!lines) {
    lines = new Set<number>();
    for (const f of r) for (const key of f.added) lines.add(key);
    readdedOf.set(r, lines);
  }
  return lines;
}

/**
 * What R does to C's lines still present: how many it deletes without adding the same text back,
 * and (applied to `present`) the lines left after it — a rename carries them to the new path, a
 * line removed and added back (moved, re-indented) stays.
 */
function applyLater(r: KeyedPatch, present: Lines): number {
  const addedBack = readded(r);
  let deleted = 0;
  for (const f of r) {
    const from = f.oldPath ?? f.path;
    const inPath = present.get(from);
    if (inPath)
      for (const key of f.removed) {
        const n = inPath.get(key) ?? 0;
        if (n === 0 || addedBack.has(key)) continue;
        if (n === 1) inPath.delete(key);
        else inPath.set(key, n - 1);
        deleted++;
      }
    if (f.oldPath && f.oldPath !== f.path && inPath) {
      present.delete(f.oldPath);
      const into = present.get(f.path);
      if (!into) present.set(f.path, inPath);
      else for (const [key, n] of inPath) into.set(key, (into.get(key) ?? 0) + n);
    }
  }
  return deleted;
}

const total = (lines: Lines) => {
  let n = 0;
  for (const inPath of lines.values()) for (const v of inPath.values()) n += v;
  return n;
};

/** Heavy-AI commits checked per batch of the partial rule (each with up to 20 later commits). */
const PARTIAL_BATCH = 100;

/**
 * How partialReverts finds each commit's later commits: `each` asks the landing window of every
 * path of every commit; `whole` reads each path's touching mainline commits once (all of them, in
 * landing order) and cuts each commit's window out of that. One window's rows come from a walk of
 * all the path's changes anyway (the index is by path, not time): a first run asked it once per
 * commit and path — git's Makefile, cache.h… thousands of changes walked for each of hundreds of
 * commits (0.9 s of the first run on git's own history with 392 sessions).
 */
export type LaterLookUp = 'each' | 'whole';

/** Past this many commits to check, each path's touching commits are read once (`whole`). */
const WHOLE_LATER_FROM = 50;

export function laterLookUpFor(commits: number): LaterLookUp {
  return commits >= WHOLE_LATER_FROM ? 'whole' : 'each';
}

/**
 * For a commit C: the first 20 mainline commits, in landing order, that landed in C's window and
 * delete lines in C's files or rename one (its lines move to the new path).
 */
export function laterCommitsOf(ctx: OutcomeContext, windowSeconds: number, lookUp: LaterLookUp): (c: string) => string[] {
  const filesOf = ctx.db.prepare(`SELECT path FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ? AND added_lines > 0`);
  const renamedTo = renamesOf(ctx, lookUp);
  // By index, joined to the stored landing (sql/009). INDEXED BY and CROSS JOIN, here and below: the
  // path's changes first, then their landing. Without statistics the planner walked every file
  // change of the repository (DISTINCT in path order: 89 of a 127 s build on a 20k-commit history),
  // or every landing in the window.
  const touching = (window: boolean) => `
    SELECT f.sha, l.landed_at FROM metadata_commit_file_changes f INDEXED BY metadata_commit_file_changes_by_path
    CROSS JOIN paceflow_mainline_landing l ON l.repo_id = f.repo_id AND l.sha = f.sha${window ? ' AND l.landed_at > @at AND l.landed_at <= @until' : ''}
    WHERE f.repo_id = @repo AND f.path = @path AND f.deleted_lines > 0
    UNION
    SELECT f.sha, l.landed_at FROM metadata_commit_file_changes f INDEXED BY metadata_commit_file_changes_by_old_path
    CROSS JOIN paceflow_mainline_landing l ON l.repo_id = f.repo_id AND l.sha = f.sha${window ? ' AND l.landed_at > @at AND l.landed_at <= @until' : ''}
    WHERE f.repo_id = @repo AND f.old_path = @path`;
  type Touch = { sha: string; landed_at: number };
  let inWindow: (path: string, at: number, until: number) => string[];
  if (lookUp === 'each') {
    const touchers = ctx.db.prepare(touching(true));
    inWindow = (path, at, until) => touchers.all<Touch>({ repo: ctx.repoId, path, at, until }).map((r) => r.sha);
  } else {
    const touchersOf = touchersByPath(ctx, touching);
    const byPath = new Map<string, Touch[]>();
    inWindow = (path, at, until) => {
      let list = byPath.get(path);
      if (!list) {
        // Landed together (one merge): by sha, as the stored landing's UNION gave them.
        list = touchersOf(path).sort((a, b) => a.landed_at - b.landed_at || (a.sha < b.sha ? -1 : a.sha > b.sha ? 1 : 0));
        byPath.set(path, list);
      }
      const out: string[] = [];
      for (let i = firstLandedAfter(list, at); i < list.length && list[i]!.landed_at <= until; i++) out.push(list[i]!.sha);
      return out;
    };
  }
  return (c) => {
    const at = ctx.landedAt(c);
    // C's files, and the paths they were renamed to (the lines travel with them).
    const paths = filesOf.all<{ path: string }>([ctx.repoId, c]).map((r) => r.path);
    for (let i = 0; i < paths.length && paths.length < 100; i++) {
      for (const path of renamedTo(paths[i]!)) if (!paths.includes(path)) paths.push(path);
    }
    return [...new Set(paths.flatMap((path) => inWindow(path, at, at + windowSeconds)))]
      .filter((r) => r !== c && ctx.isOnMainline(r))
      .sort((a, b) => ctx.landedAt(a) - ctx.landedAt(b))
      .slice(0, 20);
  };
}

/**
 * Every mainline landing of a path's changes that delete lines there or rename it away, in no
 * order, for `whole` look-ups. A whole build holds the landing in memory (ctx.mainline): the path's
 * changes are read by index alone, in two statements, and their landing taken from there — joined
 * to the stored landing, with the UNION's sort, the 80k bench history's first run spent 788 ms on
 * 6,573 paths. A build of a few commits asks the stored landing (its view is by index anyway).
 */
function touchersByPath(
  ctx: OutcomeContext,
  touching: (window: boolean) => string,
): (path: string) => { sha: string; landed_at: number }[] {
  if (!ctx.whole) {
    const touchers = ctx.db.prepare(touching(false));
    return (path) => touchers.all<{ sha: string; landed_at: number }>({ repo: ctx.repoId, path });
  }
  const deleting = ctx.db.prepare(
    `SELECT sha FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_path
     WHERE repo_id = ? AND path = ? AND deleted_lines > 0`,
  );
  const renamedAway = ctx.db.prepare(
    `SELECT sha FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_old_path WHERE repo_id = ? AND old_path = ?`,
  );
  return (path) => {
    const out = new Map<string, number>();
    for (const statement of [deleting, renamedAway])
      for (const [sha] of statement.allArrays([ctx.repoId, path])) {
        const landing = ctx.mainline.landing(sha as string);
        if (landing) out.set(ctx.intern(sha as string), landing.at);
      }
    return [...out].map(([sha, at]) => ({ sha, landed_at: at }));
  };
}

/**
 * The paths a path was renamed to, each once, in the order the old-path index lists them (by the
 * renaming commit): asked by key (`each`), or — for `whole` look-ups, which ask of every path of
 * every commit checked (13,302 statements on the 80k bench history's first run) — read from the
 * index whole once, renames being few.
 */
function renamesOf(ctx: OutcomeContext, lookUp: LaterLookUp): (path: string) => readonly string[] {
  const byKey = ctx.db.prepare(
    `SELECT DISTINCT path FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_old_path WHERE repo_id = ? AND old_path = ?`,
  );
  if (lookUp === 'each') return (path) => byKey.all<{ path: string }>([ctx.repoId, path]).map((r) => r.path);
  const renames = new Map<string, string[]>();
  for (const [from, to] of ctx.db
    .prepare(
      `SELECT old_path, path FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_old_path
       WHERE repo_id = ? AND old_path IS NOT NULL ORDER BY repo_id, old_path, sha`,
    )
    .iterateArrays([ctx.repoId])) {
    const list = renames.get(from as string);
    if (!list) renames.set(from as string, [to as string]);
    else if (!list.includes(to as string)) list.push(to as string);
  }
  return (path) => renames.get(path) ?? [];
}

/** The first index of a list in landing order whose commit landed after `seconds`. */
function firstLandedAfter(list: readonly { landed_at: number }[], seconds: number): number {
  let [lo, hi] = [0, list.length];
  while (lo < hi) {
    const mid = (lo + hi) >> 1;
    if (list[mid]!.landed_at <= seconds) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Partial reverts: for each of `commits`, the first later mainline commit (within the window) that
 * deletes at least half of the commit's non-trivial lines still present just before it, and adds
 * none of them back. C's lines are followed forward by text through the later mainline commits that
 * delete lines in its files, in landing order (as churn follows lines): every diff comes from one
 * `git log -p` stream per batch of commits — no blame, no process per commit. A verdict is kept
 * (paceflow_partial_checks) and reused while C's later commits are the same: a build after mainline
 * moved reads the diffs of the commits whose windows it touched, not of every target.
 * Returns target → revert.
 */
export async function partialReverts(
  ctx: OutcomeContext,
  commits: readonly string[],
  windowSeconds: number,
  batchSize = PARTIAL_BATCH,
): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const laterOf = laterCommitsOf(ctx, windowSeconds, laterLookUpFor(commits.length));
  const kept = ctx.db.prepare(`SELECT revert_sha, later_digest FROM paceflow_partial_checks WHERE repo_id = ? AND sha = ?`);
  const digestOf = (later: readonly string[]) => createHash('sha1').update(later.join(' ')).digest('hex');
  const toCheck: { c: string; later: string[]; digest: string }[] = [];
  for (const c of commits) {
    const later = laterOf(c);
    const digest = digestOf(later);
    const row = kept.get<{ revert_sha: string | null; later_digest: string }>([ctx.repoId, c]);
    // The same later commits (the window and mainline in it unchanged): the same verdict.
    if (row?.later_digest === digest) {
      if (row.revert_sha) found.set(c, row.revert_sha);
    } else toCheck.push({ c, later, digest });
  }
  const save = ctx.db.prepare(`
    INSERT INTO paceflow_partial_checks (repo_id, sha, revert_sha, later_digest) VALUES (?, ?, ?, ?)
    ON CONFLICT (repo_id, sha) DO UPDATE SET revert_sha = excluded.revert_sha, later_digest = excluded.later_digest`);
  // Batches bound the patches held in memory. In landing order, consecutive batches share most of
  // their later commits (windows of weeks overlap): a patch one batch read is kept for the next one
  // that needs it, so each diff is read about once — not once per batch whose window holds it
  // (~3.5× the history's diffs on a 20k-commit first run, in 44 git processes, before).
  toCheck.sort((a, b) => ctx.landedAt(a.c) - ctx.landedAt(b.c));
  let patches = new Map<string, KeyedPatch>();
  // The verdicts are saved once, in key order, when every batch is done: saved a batch at a time,
  // each batch's transaction put its verdicts on random pages of the table (keyed by sha) — on the
  // 80k bench history's first run 6,181 WAL frames for its 270 pages. A run killed before then
  // checks those commits again: the verdicts are what the checks give, kept to be reused.
  const verdicts: [string, string | null, string][] = [];
  for (let i = 0; i < toCheck.length; i += batchSize) {
    const batch = toCheck.slice(i, i + batchSize);
    const wanted = new Set(batch.flatMap(({ c, later }) => (later.length > 0 ? [c, ...later] : [])));
    const kept = new Map<string, KeyedPatch>();
    for (const sha of wanted) {
      const patch = patches.get(sha);
      if (patch) kept.set(sha, patch);
    }
    patches = kept;
    const unread = [...wanted].filter((sha) => !patches.has(sha));
    // Each patch is keyed as it comes and let go: git's are lent, not copied.
    if (unread.length > 0)
      for await (const patch of readPatches(ctx.patches, unread, { cwd: ctx.cwd, lend: true })) patches.set(patch.sha, keyedPatch(patch));
    for (const { c, later, digest } of batch) {
      let revert: string | null = null;
      const own = patches.get(c);
      if (own) {
        const present = addedLines(own);
        for (const r of later) {
          const count = total(present);
          if (count === 0) break;
          const patch = patches.get(r);
          if (!patch) continue;
          if (applyLater(patch, present) * 2 >= count) {
            revert = r;
            break;
          }
        }
      }
      if (revert) found.set(c, revert);
      // A diff that could not be read (a missing object) keeps nothing: asked again next time.
      if (later.length === 0 || (own && later.every((r) => patches.has(r)))) verdicts.push([c, revert, digest]);
    }
    collectIfGrown();
  }
  verdicts.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0));
  ctx.db.transaction(() => {
    for (const [c, revert, digest] of verdicts) save.run([ctx.repoId, c, revert, digest]);
  });
  return found;
}

/**
 * The effective revert of each commit: its earliest-landed revert that is not itself reverted
 * (a chain of odd length reverts; of even length, it does not). Chains deeper than 50 stop.
 * `revertsOf`: a map, or anything that answers by key (the kept edges, by index).
 */
export function effectiveReverts(
  revertsOf: { get(sha: string): readonly string[] | undefined },
  landedAt: (sha: string) => number,
): (sha: string) => string | null {
  const memo = new Map<string, string | null>();
  const effective = (sha: string, depth = 0): string | null => {
    if (memo.has(sha)) return memo.get(sha)!;
    if (depth > 50) return null;
    // Reverts that landed together (one merge) go by sha: the same answer however the edges were listed.
    const by = (revertsOf.get(sha) ?? [])
      .filter((r) => effective(r, depth + 1) === null)
      .sort((a, b) => landedAt(a) - landedAt(b) || (a < b ? -1 : a > b ? 1 : 0))[0];
    memo.set(sha, by ?? null);
    return by ?? null;
  };
  return (sha) => effective(sha);
}
