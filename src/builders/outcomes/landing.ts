import type { Database } from '../../db/driver.js';
import { type Landing, landingOfGraph, landingSinceGraph, mainlineLanding, mainlineLandingSince } from '../../git/mainline.js';
import { ParentGraph } from '../../git/parent-graph.js';
import { ShaPlaces } from '../../git/sha-places.js';
import type { MainlineView } from './context.js';

/** The paceflow_meta key naming the tip paceflow_mainline_landing describes. */
export const landingKey = (repoId: string) => `mainline_landing:${repoId}`;

/** The tip paceflow_mainline_landing describes (undefined: none stored yet). */
function landingTip(db: Database, repoId: string): string | undefined {
  return db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([landingKey(repoId)])?.value;
}

const epochKey = (repoId: string) => `mainline_landing_epoch:${repoId}`;

/**
 * Where the stored landing stands: its walk (bumped whenever mainline is walked from scratch), how
 * many rows it has (the next sequence number) and its latest landing time (seconds).
 */
export function landingMark(db: Database, repoId: string): { epoch: string; next: number; latest: number } {
  const epoch = db.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([epochKey(repoId)])?.value ?? '0';
  // Two statements: each maximum read from the end of its index (one statement with both scans the rows).
  const next = db
    .prepare(`SELECT coalesce(max(seq) + 1, 0) AS n FROM paceflow_mainline_landing WHERE repo_id = ?`)
    .get<{ n: number }>([repoId])!.n;
  const latest = db
    .prepare(`SELECT max(landed_at) AS t FROM paceflow_mainline_landing WHERE repo_id = ?`)
    .get<{ t: number | null }>([repoId])!.t;
  return { epoch, next, latest: latest ?? Number.NEGATIVE_INFINITY };
}

/** How many commits `onlyFromTipStored` walks before it leaves the answer to git. */
export const STORED_WALK_LIMIT = 10_000;

/**
 * The commits reachable from `from` and not from `tip` — what `git rev-list --ignore-missing
 * <from> ^<tip>` lists — answered from the database when it can: walked from `from` along the
 * commits' parents (metadata_commits), stopping at every commit the stored landing holds (each
 * one reachable from the tip, paceflow_mainline_landing). After a commit on a topic branch the
 * outcome build asks this of the branch that moved: one git process less in the worker's run.
 * Null (ask git) when the landing describes another tip, when a commit on the way is not in the
 * database (an object this clone lacks, a shallow clone's cut-off parents: git's answer stands
 * there), or past STORED_WALK_LIMIT commits (a long history of its own, which git walks faster).
 * The order is the walk's, not git's: callers take the answer as a set.
 */
export function onlyFromTipStored(
  db: Database,
  repoId: string,
  tip: string,
  from: readonly string[],
  limit = STORED_WALK_LIMIT,
): string[] | null {
  const stored = landingTip(db, repoId);
  if (stored !== tip) return null;
  const landed = db.prepare(`SELECT 1 FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ?`);
  const parentsOf = db.prepare(`SELECT parent_shas, is_shallow_boundary FROM metadata_commits WHERE repo_id = ? AND sha = ?`);
  const own: string[] = [];
  const seen = new Set<string>();
  const stack = [...from];
  while (stack.length > 0) {
    const sha = stack.pop()!;
    if (seen.has(sha)) continue;
    seen.add(sha);
    if (landed.get([repoId, sha])) continue;
    const row = parentsOf.get<{ parent_shas: string; is_shallow_boundary: number }>([repoId, sha]);
    if (!row || row.is_shallow_boundary === 1 || own.length >= limit) return null;
    own.push(sha);
    if (row.parent_shas !== '') stack.push(...row.parent_shas.split(' '));
  }
  return own;
}

/**
 * Whether `a` is an ancestor of `b` — `git merge-base --is-ancestor a b` — from the stored landing,
 * for two commits that reached mainline together (the revert rules ask which of a revert and its
 * target came first: `precedes`, one git process a pair, 75 of them on git's own history's
 * first run). Null (ask git) when the landing describes another tip or cannot tell:
 * - both on the first-parent chain (each landed as itself): the older one, by landing order, is
 *   the ancestor (the chain is one line);
 * - both brought by one merge: a walk down `b`'s parents through the commits that merge brought.
 *   Every commit between an ancestor `a` and `b` was brought by it too (it descends from `a`, so it
 *   was not on mainline before the merge, and `b` reaches it), so the walk finds `a` exactly when
 *   git would;
 * - anything else (landed with different commits, a commit not recorded or at a shallow clone's
 *   cut-off, a walk past `limit`) is git's to answer.
 */
export function ancestorByLanding(
  db: Database,
  repoId: string,
  tip: string,
  a: string,
  b: string,
  limit = STORED_WALK_LIMIT,
): boolean | null {
  const stored = landingTip(db, repoId);
  if (stored !== tip) return null;
  const landingOf = db.prepare(`SELECT via_sha, seq FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ?`);
  const of = (sha: string) => landingOf.get<{ via_sha: string; seq: number }>([repoId, sha]);
  const [la, lb] = [of(a), of(b)];
  if (!la || !lb) return null;
  if (la.via_sha === a && lb.via_sha === b) return la.seq < lb.seq;
  if (la.via_sha !== lb.via_sha) return null;
  const parentsOf = db.prepare(`SELECT parent_shas, is_shallow_boundary FROM metadata_commits WHERE repo_id = ? AND sha = ?`);
  const seen = new Set([b]);
  const stack = [b];
  while (stack.length > 0) {
    const sha = stack.pop()!;
    if (sha === a) return true;
    const row = parentsOf.get<{ parent_shas: string; is_shallow_boundary: number }>([repoId, sha]);
    if (!row || row.is_shallow_boundary === 1 || seen.size > limit) return null;
    for (const parent of row.parent_shas === '' ? [] : row.parent_shas.split(' ')) {
      if (seen.has(parent)) continue;
      seen.add(parent);
      if (of(parent)?.via_sha === lb.via_sha) stack.push(parent);
    }
  }
  return false;
}

/**
 * What `mainlineLandingSince(tip, since)` gives — the landing of the commits mainline gained — from
 * the database: the commits `tip` reaches and the stored landing (of `since`) does not, with their
 * parents and committer times (onlyFromTipStored's walk, metadata_commits). Null (git lists them)
 * where that walk is null, a commit's time is not one git would print, or `since` is not on the
 * tip's first-parent chain (then git's walk says the same, and the whole history is walked).
 */
export function landingSinceStored(db: Database, repoId: string, tip: string, since: string): Map<string, Landing> | null {
  const gained = onlyFromTipStored(db, repoId, since, [tip]);
  if (!gained || gained.length === 0) return null;
  const row = db.prepare(`SELECT parent_shas, committed_at FROM metadata_commits WHERE repo_id = ? AND sha = ?`);
  const graph = new ParentGraph();
  for (const sha of gained) {
    const commit = row.get<{ parent_shas: string; committed_at: string }>([repoId, sha]);
    const ms = commit ? Date.parse(commit.committed_at) : Number.NaN;
    if (!commit || !Number.isInteger(ms / 1000)) return null;
    graph.add(sha, parentsOf(commit.parent_shas), ms / 1000);
  }
  return landingSinceGraph(graph, tip, since);
}

/** What a build paid for the landing map: nothing (stored), the commits mainline gained, or the whole history. */
export type LandingSource = 'stored' | 'extended' | 'walked';

/**
 * Makes paceflow_mainline_landing describe `tip`: the same tip needs no git at all; a tip that
 * moved forward along first parents walks only the new commits; anything else walks the history.
 * The rows and the tip they describe are written in one transaction: a run killed halfway leaves
 * the previous, still true, map. Returns the map when it walked the whole history (the caller
 * that wants it all need not read it back).
 */
export async function storeMainlineLanding(
  db: Database,
  repoId: string,
  tip: string,
  cwd: string,
  /** The string of a sha to hold (landingStored's `intern`). */
  intern?: (sha: string) => string,
): Promise<{ source: LandingSource; walked?: Map<string, Landing> }> {
  const stored = landingTip(db, repoId);
  if (stored === tip) return { source: 'stored' };
  if (stored) {
    // The commits mainline gained, read from the database when it holds them (the pipeline's
    // ingest has just written them: a commit on mainline, a fetch); else git lists them. The old
    // tip may be gone from the object store (a rewritten, pruned mainline): walk it all.
    const gained = landingSinceStored(db, repoId, tip, stored) ?? (await mainlineLandingSince(tip, stored, cwd).catch(() => null));
    if (gained) {
      const { next } = db
        .prepare(`SELECT coalesce(max(seq) + 1, 0) AS next FROM paceflow_mainline_landing WHERE repo_id = ?`)
        .get<{ next: number }>([repoId])!;
      saveLanding(db, repoId, tip, gained, next);
      return { source: 'extended' };
    }
  }
  const walked = landingStored(db, repoId, tip, intern) ?? (await mainlineLanding(tip, cwd));
  saveLanding(db, repoId, tip, walked, 0);
  return { source: 'walked', walked };
}

/**
 * What `mainlineLanding(tip)` gives — every commit the tip reaches and where it landed — from the
 * database when it records them all (a first run's ingest has just written every reachable
 * commit): one read of the repository's commits, their parents and committer times, and the same
 * walk, instead of a `git rev-list --parents --timestamp` of the whole history (git's own history,
 * 85k commits: 1.0 s of git's CPU in a first run; the 80k bench history's outcome phase costs node
 * 0.1–0.2 s more for it). Null (git walks) when a commit the tip reaches is not recorded (a
 * pathspec-scoped copy, a commit the ingest has not seen yet), is at a shallow clone's cut-off
 * (a shallow clone's first run reads its few recorded commits, then asks git), or has a committer
 * time git would not print as it is.
 */
export function landingStored(
  db: Database,
  repoId: string,
  tip: string,
  /** The string of a sha to hold (the build's own, OutcomeContext.intern): each row's is a copy. */
  intern: (sha: string) => string = (sha) => sha,
): Map<string, Landing> | null {
  // A ParentGraph: each commit's parents as places, its time in a column. A Map of every sha, an
  // array of times and one of parent lists as text (a string per commit) held ~60 MB at once on
  // git's own history with its pull requests (~290k commits), all garbage after the walk: the
  // heap went 62 → 161 MB in 3 s as its outcome build began, and to 38 MB at the next collection.
  const graph = new ParentGraph();
  const cutOff = new Set<string>();
  for (const [sha, parents, committed, boundary] of db
    .prepare(`SELECT sha, parent_shas, committed_at, is_shallow_boundary FROM metadata_commits WHERE repo_id = ?`)
    .iterateArrays([repoId])) {
    const own = intern(sha as string);
    if (boundary === 1) cutOff.add(own);
    graph.add(own, parentsOf(parents as string), Date.parse(committed as string) / 1000);
  }
  // Every commit the tip reaches must be there, whole, before the walk may stand for git's.
  const start = graph.listed(tip);
  if (start === undefined) return null;
  const reached = new Uint8Array(graph.size);
  const stack = [start];
  while (stack.length > 0) {
    const at = stack.pop()!;
    if (!graph.isListed(at) || cutOff.has(graph.shaAt(at)) || !Number.isInteger(graph.timeAt(at))) return null;
    if (reached[at] === 1) continue;
    reached[at] = 1;
    for (let k = 0; k < graph.parentCountAt(at); k++) stack.push(graph.parentAt(at, k));
  }
  return landingOfGraph(graph, tip);
}

/** A commit's parents as the database writes them: space-separated, '' for a root. */
function parentsOf(text: string): readonly string[] {
  return text === '' ? NO_PARENTS : text.split(' ');
}

const NO_PARENTS: readonly string[] = [];

/** Appends `rows` from sequence number `from` (0: replaces every row) and records the tip. */
function saveLanding(db: Database, repoId: string, tip: string, rows: ReadonlyMap<string, Landing>, from: number): void {
  const insert = db.prepare(`
    INSERT OR REPLACE INTO paceflow_mainline_landing (repo_id, sha, via_sha, landed_at, committed_at, is_merge, seq)
    VALUES (?, ?, ?, ?, ?, ?, ?)`);
  db.transaction(() => {
    if (from === 0) {
      db.prepare(`DELETE FROM paceflow_mainline_landing WHERE repo_id = ?`).run([repoId]);
      // A new walk renumbers the landing: what was kept against its numbers (the outcome state) knows by this.
      db.prepare(
        `INSERT INTO paceflow_meta (key, value) VALUES (?, '1') ON CONFLICT (key) DO UPDATE SET value = CAST(value AS INTEGER) + 1`,
      ).run([epochKey(repoId)]);
    }
    let seq = from;
    for (const [sha, l] of rows) insert.run([repoId, sha, l.via, l.time, l.committed, l.isMerge ? 1 : 0, seq++]);
    db.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`).run([
      landingKey(repoId),
      tip,
    ]);
  });
}

/** Every stored landing of the repository, in landing order. */
export function readMainlineLanding(db: Database, repoId: string): Map<string, Landing> {
  const landing = new Map<string, Landing>();
  for (const [sha, via, time, committed, merge] of db
    .prepare(`SELECT sha, via_sha, landed_at, committed_at, is_merge FROM paceflow_mainline_landing WHERE repo_id = ? ORDER BY seq`)
    .iterateArrays([repoId])) {
    landing.set(sha as string, { via: via as string, time: time as number, committed: committed as number, isMerge: merge === 1 });
  }
  return landing;
}

/**
 * The mainline view of a whole build: the landing map in memory. Mainline commits are the non-merge
 * ancestors the database knows (a pathspec-scoped copy drops the commits outside its paths).
 */
export function mainlineInMemory(
  walked: ReadonlyMap<string, Landing>,
  /** The repository's reachable commits: which it holds, and each one's pull request number (OutcomeContext answers both). */
  commits: { known(sha: string): boolean; prNumber(sha: string): number | null },
  /** The string of a sha to hold (the build's own; OutcomeContext.intern): the walk's are copies. */
  intern: (sha: string) => string = (sha) => sha,
): MainlineView {
  // In columns, by each commit's place in the landing (ShaPlaces): an object per landing (two
  // boxed times each) in a Map, with a Set beside it, was ~12 MB of the content rule's live heap on
  // git's own history with its pull requests (82k landings), which V8's limit carries at 1.5×
  // (src/heap.ts).
  const n = walked.size;
  const shas = new Array<string>(n);
  const place = new ShaPlaces(n, shas);
  const time = new Float64Array(n);
  const committed = new Float64Array(n);
  /** NON_MERGE: a mainline commit of its own (not a merge, known to the database); CHAIN: on the first-parent chain. */
  const kind = new Uint8Array(n);
  let nonMergeCount = 0;
  let chainCount = 0;
  let latest = Number.NEGATIVE_INFINITY;
  let i = 0;
  for (const [walkedSha, l] of walked) {
    const sha = intern(walkedSha);
    shas[i] = sha;
    place.add(i);
    time[i] = l.time;
    committed[i] = l.committed;
    const bits = (!l.isMerge && commits.known(sha) ? NON_MERGE : 0) | (l.via === walkedSha ? CHAIN : 0);
    kind[i] = bits;
    if (bits & NON_MERGE) nonMergeCount++;
    if (bits & CHAIN) chainCount++;
    if (l.time > latest) latest = l.time;
    i++;
  }
  const nonMerges = new Array<string>(nonMergeCount);
  // The first-parent chain, newest first, by place.
  const chain = new Int32Array(chainCount);
  for (let k = 0, m = 0, c = chainCount; k < n; k++) {
    if (kind[k]! & NON_MERGE) nonMerges[m++] = shas[k]!;
    if (kind[k]! & CHAIN) chain[--c] = k;
  }
  // Each chain commit's time and the newer ones': the newest commit committed by a time is the
  // first whose running minimum is at or before it (a chain's times need not fall steadily: clocks
  // skew, commits are backdated), found by halving instead of a walk down the chain per question
  // (the content rule asks once per commit it checks: 0.5 s of git's own history's first run).
  const chainMin = new Float64Array(chainCount);
  for (let k = 0; k < chainCount; k++) chainMin[k] = k === 0 ? time[chain[0]!]! : Math.min(chainMin[k - 1]!, time[chain[k]!]!);
  let byPr: Map<number, string> | null = null;
  return {
    landing: (sha) => {
      const k = place.find(sha);
      return k === undefined ? undefined : { at: time[k]!, isMainlineCommit: (kind[k]! & NON_MERGE) !== 0, committed: committed[k]! };
    },
    nonMergesSince: (seconds) => nonMerges.filter((sha) => committed[place.find(sha)!]! >= seconds),
    latestLanding: () => latest,
    withPullRequest: (pr) => {
      if (!byPr) {
        byPr = new Map();
        for (const sha of nonMerges) {
          const number = commits.prNumber(sha);
          if (number && !byPr.has(number)) byPr.set(number, sha);
        }
      }
      return byPr.get(pr);
    },
    before: (seconds) => {
      let [lo, hi] = [0, chainCount];
      while (lo < hi) {
        const mid = (lo + hi) >>> 1;
        if (chainMin[mid]! <= seconds) hi = mid;
        else lo = mid + 1;
      }
      return lo < chainCount ? shas[chain[lo]!]! : null;
    },
    nonMerges: () => nonMerges,
  };
}

/** mainlineInMemory's kinds of landing, as bits. */
const NON_MERGE = 1;
const CHAIN = 2;

/** The mainline view of a build that checks a few commits: paceflow_mainline_landing by key and by index. */
export function mainlineFromStore(db: Database, repoId: string): MainlineView {
  const sql = {
    landing: db.prepare(`
      SELECT l.landed_at, l.committed_at, l.is_merge = 0 AND c.sha IS NOT NULL AS commit_known FROM paceflow_mainline_landing l
      LEFT JOIN metadata_commits c ON c.repo_id = l.repo_id AND c.sha = l.sha AND c.is_unreachable = 0
      WHERE l.repo_id = ? AND l.sha = ?`),
    since: db.prepare(`
      SELECT l.sha FROM paceflow_mainline_landing l
      JOIN metadata_commits c ON c.repo_id = l.repo_id AND c.sha = l.sha AND c.is_unreachable = 0
      WHERE l.repo_id = ? AND l.is_merge = 0 AND l.committed_at >= ? ORDER BY l.seq`),
    // The pull request's commits by the index, then their landings (CROSS JOIN keeps that order):
    // left to itself, SQLite read the landing in sequence for ORDER BY … LIMIT 1 and looked each
    // one up in metadata_commits — every landing of the repository for a number no mainline
    // commit carries. A move of mainline onto commits already recorded asks once per pull
    // request's ref: on the 80k bench history (2,923 of them) ~125 ms each, 286 s of one run.
    pr: db.prepare(`
      SELECT l.sha FROM metadata_commits c INDEXED BY metadata_commits_by_pr
      CROSS JOIN paceflow_mainline_landing l ON l.repo_id = c.repo_id AND l.sha = c.sha
      WHERE c.repo_id = ? AND c.pr_number = ? AND c.is_unreachable = 0 AND l.is_merge = 0 ORDER BY l.seq LIMIT 1`),
    latest: db.prepare(`SELECT max(landed_at) AS at FROM paceflow_mainline_landing WHERE repo_id = ?`),
    // Newest first: the chain's commits land as themselves.
    before: db.prepare(
      // By sequence, newest first: the chain's newest commits come first (an index by time would read every older landing).
      `SELECT sha FROM paceflow_mainline_landing INDEXED BY paceflow_mainline_landing_by_seq
       WHERE repo_id = ? AND via_sha = sha AND landed_at <= ? ORDER BY seq DESC LIMIT 1`,
    ),
  };
  const cache = new Map<string, { at: number; isMainlineCommit: boolean; committed: number } | null>();
  let all: string[] | null = null;
  let latest: number | null = null;
  return {
    landing: (sha) => {
      let l = cache.get(sha);
      if (l === undefined) {
        const row = sql.landing.get<{ landed_at: number; committed_at: number; commit_known: number }>([repoId, sha]);
        l = row ? { at: row.landed_at, isMainlineCommit: row.commit_known === 1, committed: row.committed_at } : null;
        cache.set(sha, l);
      }
      return l ?? undefined;
    },
    nonMergesSince: (seconds) => (Number.isNaN(seconds) ? [] : sql.since.all<{ sha: string }>([repoId, seconds]).map((r) => r.sha)),
    latestLanding: () => {
      latest ??= sql.latest.get<{ at: number | null }>([repoId])?.at ?? Number.NEGATIVE_INFINITY;
      return latest;
    },
    withPullRequest: (n) => sql.pr.get<{ sha: string }>([repoId, n])?.sha,
    before: (seconds) => sql.before.get<{ sha: string }>([repoId, seconds])?.sha ?? null,
    nonMerges: () => {
      all ??= db
        .prepare(`
          SELECT l.sha FROM paceflow_mainline_landing l
          JOIN metadata_commits c ON c.repo_id = l.repo_id AND c.sha = l.sha AND c.is_unreachable = 0
          WHERE l.repo_id = ? AND l.is_merge = 0 ORDER BY l.seq`)
        .all<{ sha: string }>([repoId])
        .map((r) => r.sha);
      return all;
    },
  };
}
