import { blameFile } from '../../git/blame.js';
import { readCommitPatches } from '../../git/patches.js';
import { isNontrivialLine, normalizeLine } from '../lines.js';
import type { CommitRow, OutcomeContext } from './context.js';

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
  const bySubject = /^Revert "(.+)"$/.exec(c.subject.replace(/ \(#\d+\)$/, ''));
  if (!target && bySubject) {
    target = lookup
      .bySubject(bySubject[1]!)
      .filter((s) => s !== c.sha && lookup.time(s) <= lookup.time(c.sha))
      .sort((a, b) => lookup.time(b) - lookup.time(a))[0];
  }
  const byPr = /^Reverts [\w.-]+\/[\w.-]+#(\d+)/m.exec(c.message ?? '');
  if (!target && byPr) target = lookup.byPullRequest(Number(byPr[1]), c.sha);
  return target;
}

function lookupOf(ctx: OutcomeContext): RevertLookup {
  const subjects = new Map<string, string[]>();
  const commits = ctx.allCommits();
  for (const c of commits) {
    const list = subjects.get(c.subject);
    if (list) list.push(c.sha);
    else subjects.set(c.subject, [c.sha]);
  }
  // Sorted once: a sha prefix is found by binary search, not by a scan of every commit per revert.
  const sorted = commits.map((c) => c.sha).sort();
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
    byPullRequest: (n, except) => ctx.onMainline.find((s) => ctx.commit(s)?.pr_number === n && s !== except),
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
  const reverse = await ctx.patchIds(ctx.onMainline, true);
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

/** C's non-trivial lines as they stand at `rev`, by path and normalized text (git blame says which are C's). */
async function linesOfCommitAt(
  rev: string,
  c: string,
  paths: readonly string[],
  cwd: string,
): Promise<{ present: Map<string, number>; count: number }> {
  const present = new Map<string, number>();
  let count = 0;
  for (const path of paths) {
    for (const line of await blameFile(rev, path, cwd)) {
      if (line.sha !== c || !isNontrivialLine(line.text)) continue;
      const key = `${path}\0${normalizeLine(line.text)}`;
      present.set(key, (present.get(key) ?? 0) + 1);
      count++;
    }
  }
  return { present, count };
}

/** How many of `present` commit R deletes without adding the same text back. */
async function linesDeletedBy(r: string, present: Map<string, number>, cwd: string): Promise<number> {
  let deleted = 0;
  for await (const patch of readCommitPatches([r], { cwd })) {
    const readded = new Set(patch.files.flatMap((f) => f.added.map(normalizeLine)));
    for (const f of patch.files) {
      for (const text of f.removed) {
        const norm = normalizeLine(text);
        const key = `${f.oldPath ?? f.path}\0${norm}`;
        const n = present.get(key) ?? 0;
        if (n > 0 && !readded.has(norm)) {
          present.set(key, n - 1);
          deleted++;
        }
      }
    }
  }
  return deleted;
}

/**
 * Partial reverts: for each of `commits`, the first later mainline commit (within the window) that
 * deletes at least half of the commit's non-trivial lines still present just before it, and adds
 * none of them back. Returns target → revert.
 */
export async function partialReverts(ctx: OutcomeContext, commits: readonly string[], windowSeconds: number): Promise<Map<string, string>> {
  const found = new Map<string, string>();
  const filesOf = ctx.db.prepare(`SELECT path FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ? AND added_lines > 0`);
  const touchers = ctx.db.prepare(`SELECT sha FROM metadata_commit_file_changes WHERE repo_id = ? AND path = ? AND deleted_lines > 0`);
  for (const c of commits) {
    const at = ctx.landedAt(c);
    const paths = filesOf.all<{ path: string }>([ctx.repoId, c]).map((r) => r.path);
    const later = [...new Set(paths.flatMap((p) => touchers.all<{ sha: string }>([ctx.repoId, p]).map((r) => r.sha)))]
      .filter((r) => r !== c && ctx.isOnMainline(r) && ctx.landedAt(r) > at && ctx.landedAt(r) - at <= windowSeconds)
      .sort((a, b) => ctx.landedAt(a) - ctx.landedAt(b))
      .slice(0, 20);
    for (const r of later) {
      const { present, count } = await linesOfCommitAt(`${r}^`, c, paths, ctx.cwd);
      if (count === 0) break;
      if ((await linesDeletedBy(r, present, ctx.cwd)) * 2 >= count) {
        found.set(c, r);
        break;
      }
    }
  }
  return found;
}

/**
 * The effective revert of each commit: its earliest-landed revert that is not itself reverted
 * (a chain of odd length reverts; of even length, it does not). Chains deeper than 50 stop.
 */
export function effectiveReverts(
  revertsOf: ReadonlyMap<string, readonly string[]>,
  landedAt: (sha: string) => number,
): (sha: string) => string | null {
  const memo = new Map<string, string | null>();
  const effective = (sha: string, depth = 0): string | null => {
    if (memo.has(sha)) return memo.get(sha)!;
    if (depth > 50) return null;
    const by = (revertsOf.get(sha) ?? []).filter((r) => effective(r, depth + 1) === null).sort((a, b) => landedAt(a) - landedAt(b))[0];
    memo.set(sha, by ?? null);
    return by ?? null;
  };
  return (sha) => effective(sha);
}
