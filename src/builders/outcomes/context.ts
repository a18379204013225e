import type { Database, Statement } from '../../db/driver.js';
import { type BranchWalks, branchesOnlyFrom, commitsReachableOnlyFrom } from '../../git/log.js';
import { isAncestor, mergeBase, netDiffPatchId, netDiffPatchIds, patchIds } from '../../git/mainline.js';
import { keepPatchIds } from '../patch-ids.js';
import { ancestorByLanding, onlyFromTipStored } from './landing.js';
import { reverseCandidates, changedPathKeys } from './reverse-candidates.js';
import { FileLineKeysReader } from './file-line-keys.js';
import { recordedBlobs } from './recorded-blobs.js';
import type { PatchStore } from '../../git/patch-store.js';
import { COMMIT_COLUMNS, CommitColumns, type CommitRow } from './commit-columns.js';

export type { CommitRow } from './commit-columns.js';

/** How a commit reached mainline: the rule that held first (DESIGN §4). */
export type Via = 'ancestor' | 'patch-id' | 'squash' | 'content';

export interface Reached {
  via: Via;
  /** Seconds. */
  at: number;
  /** The mainline commit that carries it (itself, for an ancestor). */
  copy: string;
}

export interface RefTip {
  ref_name: string;
  sha: string;
}

/**
 * Every commit known to have reached mainline, with how and when: the mainline the ancestor rule
 * found (each ancestor of the tip, as a lookup) and what later rules added. A map in use; the
 * ancestors are never copied into it, so a build that checks a few commits never loads them all.
 */
export class ReachedCommits {
  private readonly added = new Map<string, Reached>();
  /** Set by the ancestor rule. */
  ancestor: (sha: string) => Reached | undefined = () => undefined;

  get(sha: string): Reached | undefined {
    return this.added.get(sha) ?? this.ancestor(sha);
  }

  has(sha: string): boolean {
    return this.get(sha) !== undefined;
  }

  set(sha: string, reached: Reached): void {
    this.added.set(sha, reached);
  }
}

/**
 * The mainline the ancestor rule found, as the later rules ask about it. Two ways to answer: from
 * the whole landing map in memory (a whole build, which walks every mainline commit anyway), or
 * by index from paceflow_mainline_landing (a build that checks a few commits: nothing loaded whole).
 */
export interface MainlineView {
  /**
   * A commit reachable from the tip: when it landed (seconds), whether it is a mainline commit of
   * its own (not a merge, and known to the database), and its committer time (seconds) as the
   * landing keeps it.
   */
  landing(sha: string): { at: number; isMainlineCommit: boolean; committed: number } | undefined;
  /** Non-merge mainline commits committed at or after `seconds`, in landing order. */
  nonMergesSince(seconds: number): string[];
  /** The latest landing time (seconds): no copy of a commit written after it can be on mainline. */
  latestLanding(): number;
  /** The first-landed non-merge mainline commit whose subject names pull request `n`. */
  withPullRequest(n: number): string | undefined;
  /** Mainline as it stood at `seconds`: the newest first-parent commit committed by then. */
  before(seconds: number): string | null;
  /** Every non-merge mainline commit, in landing order (the revert rules of a whole build). */
  nonMerges(): string[];
}

/**
 * What the mainline and revert rules share in one build: the repository's commits, the mainline
 * tip, and what earlier rules found (`reached`, the mainline view, `mainlineIds`). Rules add to it in
 * order; the first rule that holds for a commit wins. Commits are read by key as the rules ask
 * (`commit`), or all at once for a whole build (`allCommits`).
 */
export class OutcomeContext {
  /** The commits read by key (a build of a few commits). */
  private readonly rows = new Map<string, CommitRow | null>();
  /** Every reachable commit (a whole build). */
  private all: CommitColumns | null = null;
  private readonly commitRow;
  readonly reached = new ReachedCommits();
  /** Set by the ancestor rule, which runs first. */
  mainline: MainlineView = EMPTY_MAINLINE;
  private batch: FileLineKeysReader | null = null;
  /**
   * In a build after refs moved off an unchanged mainline: the tips of the refs that moved. The
   * squash rules then look only at those refs (only their commits are candidates). Null: every ref.
   */
  changedTips: ReadonlySet<string> | null = null;
  /** The diffs this run read before the build (attribution's), which the rules take before asking git. */
  patches: PatchStore | undefined = undefined;
  /** The run's branch walks, which readBranches reads before asking git. */
  walks: BranchWalks | undefined = undefined;

  constructor(
    readonly db: Database,
    readonly repoId: string,
    readonly cwd: string,
    readonly tip: string,
    readonly refs: readonly RefTip[],
    /** Whole: the ancestor rule loads every mainline commit; else it answers from the stored landing by index. */
    readonly whole: boolean,
  ) {
    this.commitRow = db.prepare(`SELECT ${COMMIT_COLUMNS} FROM metadata_commits WHERE repo_id = ? AND sha = ? AND is_unreachable = 0`);
  }

  /**
   * A reachable commit of the repository, by sha: in a whole build a row made when asked (the
   * accessors below read the columns without one), else read by key and kept.
   */
  commit(sha: string): CommitRow | undefined {
    if (this.all) {
      const i = this.all.indexOf(sha);
      return i === undefined ? undefined : this.all.row(i);
    }
    let row = this.rows.get(sha);
    if (row === undefined) {
      row = this.commitRow.get<CommitRow>([this.repoId, sha]) ?? null;
      this.rows.set(sha, row);
    }
    return row ?? undefined;
  }

  /** A commit's committer time in ms (NaN: unknown). */
  committedMs(sha: string): number {
    if (this.all) {
      const i = this.all.indexOf(sha);
      return i === undefined ? Number.NaN : this.all.committedMs(i);
    }
    return Date.parse(this.commit(sha)?.committed_at ?? '');
  }

  /** A commit's pull request number (null: none, or not a reachable commit). */
  prNumber(sha: string): number | null {
    if (this.all) {
      const i = this.all.indexOf(sha);
      return i === undefined ? null : this.all.prNumber(i);
    }
    return this.commit(sha)?.pr_number ?? null;
  }

  /** Whether the build holds every reachable commit (a whole build): `known` then answers without a query. */
  get holdsAll(): boolean {
    return this.all !== null;
  }

  /** Whether it is a reachable commit of the repository: from the columns in a whole build, else by key. */
  known(sha: string): boolean {
    return this.all ? this.all.indexOf(sha) !== undefined : this.commit(sha) !== undefined;
  }

  /** A held commit's line balance (undefined: not held; null: not recorded); never a query. */
  heldLineBalance(sha: string): number | null | undefined {
    if (this.all) {
      const i = this.all.indexOf(sha);
      return i === undefined ? undefined : this.all.lineBalance(i);
    }
    const row = this.rows.get(sha);
    return row ? row.line_balance : undefined;
  }

  /**
   * The string of a commit's sha this build holds (its row's), for what keeps a sha for the whole
   * build: each source — SQLite's rows, git's landing walk — hands out its own copy of the same 40
   * characters (git's own history with sessions held 501k such strings for 149k values mid-build,
   * 28 MB of a 92 MB live set). Another copy comes back as it is when the commit has no row loaded.
   */
  intern(sha: string): string {
    if (this.all) {
      const i = this.all.indexOf(sha);
      return i === undefined ? sha : this.all.sha(i);
    }
    return this.rows.get(sha)?.sha ?? sha;
  }

  /** Every reachable commit (the revert rules' lookups by subject and sha prefix), loaded once. */
  allCommits(): CommitColumns {
    if (!this.all) {
      // The diff store's strings where it keeps the commit: a first run's store keeps them all.
      const store = this.patches;
      this.all = CommitColumns.load(this.db, this.repoId, store ? (sha) => store.shaString(sha) : undefined);
      this.rows.clear();
    }
    return this.all;
  }

  /** Non-merge ancestors of the tip, in landing order. */
  get onMainline(): string[] {
    return this.mainline.nonMerges();
  }

  /** Whether a commit is a non-merge ancestor of the tip. */
  isOnMainline(sha: string): boolean {
    return this.mainline.landing(sha)?.isMainlineCommit === true;
  }

  /** The line keys of the files this build compares, read through one pair of cat-file processes (made when first needed). */
  files(): FileLineKeysReader {
    if (!this.batch) {
      // A version the recorded history names (sql/032) is not asked of git.
      this.batch = new FileLineKeysReader(this.cwd, undefined, recordedBlobs(this.db, this.repoId));
    }
    return this.batch;
  }

  private readonly reachable = new Map<string, Promise<string[]>>();

  /** Commits reachable from `from` but from none of `notFrom`; asked once per build for the same refs. */
  onlyFrom(from: readonly string[], notFrom: readonly string[]): Promise<string[]> {
    const key = onlyFromKey(from, notFrom);
    let found = this.reachable.get(key);
    if (!found) {
      // Off the tip: from the stored landing, when it describes the tip and holds the answer.
      const stored = notFrom.length === 1 && notFrom[0] === this.tip ? onlyFromTipStored(this.db, this.repoId, this.tip, from) : null;
      found = stored ? Promise.resolve(stored) : commitsReachableOnlyFrom(from, notFrom, this.cwd);
      this.reachable.set(key, found);
    }
    return found;
  }

  /** Merge bases with the tip found by `readBranches`, or asked of git once (null: none). */
  private readonly bases = new Map<string, string | null>();

  /**
   * What each head has off mainline (`onlyFrom([head], [tip])`) and its merge base with the tip,
   * for many branches from one `git rev-list --parents` instead of two processes per branch. The
   * merge base comes from where the head's commits leave mainline's history: when every such parent
   * is on the first-parent chain, the newest of them is the one best common ancestor; otherwise (a
   * branch forked from a merged side branch) `mergeBaseWithTip` asks git. A failed read (a missing
   * object) leaves every head to the per-branch calls.
   */
  async readBranches(heads: readonly string[]): Promise<void> {
    const wanted = [...new Set(heads)].filter((h) => !this.reachable.has(onlyFromKey([h], [this.tip])));
    if (wanted.length < 2) return; // one head: its own call costs the same
    const branches = await branchesOnlyFrom(wanted, [this.tip], this.cwd, this.walks).catch(() => null);
    if (!branches) return;
    const chainSeq = this.db.prepare(`SELECT seq FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ? AND via_sha = sha`);
    for (const [head, { own, leaves }] of branches) {
      this.reachable.set(onlyFromKey([head], [this.tip]), Promise.resolve(own));
      if (own.length === 0) {
        // An ancestor of the tip is its own merge base; a missing head is left to git.
        if (this.db.prepare(`SELECT 1 FROM paceflow_mainline_landing WHERE repo_id = ? AND sha = ?`).get([this.repoId, head]))
          this.bases.set(head, head);
        continue;
      }
      let newest: { sha: string; seq: number } | null = null;
      let onChain = true;
      for (const p of leaves) {
        const row = chainSeq.get<{ seq: number }>([this.repoId, p]);
        if (!row) {
          onChain = false;
          break;
        }
        if (!newest || row.seq > newest.seq) newest = { sha: p, seq: row.seq };
      }
      // No parent outside the branch: a history of its own (an orphan branch), no merge base.
      if (onChain) this.bases.set(head, newest?.sha ?? null);
    }
  }

  /** The merge base of `head` and the tip: from `readBranches`, else from git. */
  async mergeBaseWithTip(head: string): Promise<string | null> {
    const known = this.bases.get(head);
    if (known !== undefined) return known;
    // Kept: the rules ask again for the same head (git's own history: two heads asked twice).
    const base = await mergeBase(head, this.tip, this.cwd);
    this.bases.set(head, base);
    return base;
  }

  /**
   * Computes (in one pipeline) and keeps the net-diff patch-ids of these branches that are not kept
   * yet, so that `netDiff` finds each by key.
   */
  async keepNetDiffs(pairs: readonly { base: string; head: string }[]): Promise<void> {
    const known = this.db.prepare(`SELECT 1 FROM paceflow_net_diffs WHERE repo_id = ? AND base_sha = ? AND head_sha = ?`);
    const byHead = new Map<string, { base: string; head: string }>();
    for (const p of pairs) if (!known.get([this.repoId, p.base, p.head])) byHead.set(p.head, p);
    if (byHead.size < 2) return; // one: its own call costs the same
    const ids = await netDiffPatchIds([...byHead.values()], this.cwd).catch(() => null);
    if (!ids) return; // a missing object: each is asked on its own
    const save = this.db.prepare(`INSERT OR REPLACE INTO paceflow_net_diffs (repo_id, base_sha, head_sha, patch_id) VALUES (?, ?, ?, ?)`);
    this.db.transaction(() => {
      for (const { base, head } of byHead.values()) save.run([this.repoId, base, head, ids.get(head) ?? null]);
    });
  }

  /** The patch-id of a branch's net diff (null: empty), from paceflow_net_diffs or computed once and kept. */
  async netDiff(base: string, head: string): Promise<string | null> {
    const known = this.db
      .prepare(`SELECT patch_id FROM paceflow_net_diffs WHERE repo_id = ? AND base_sha = ? AND head_sha = ?`)
      .get<{ patch_id: string | null }>([this.repoId, base, head]);
    if (known) return known.patch_id;
    const id = await netDiffPatchId(base, head, this.cwd);
    this.db
      .prepare(`INSERT OR REPLACE INTO paceflow_net_diffs (repo_id, base_sha, head_sha, patch_id) VALUES (?, ?, ?, ?)`)
      .run([this.repoId, base, head, id]);
    return id;
  }

  /**
   * Ends the file reader's git processes and lets go what it holds (its ring of line keys, 18 MB,
   * its filters, 8 MB, and the names it resolved): the content rule is its only user, and what it
   * held stood under the peaks of the revert rules and the write after it on git's own history with
   * its pull requests.
   * A later ask makes a new one.
   */
  closeFiles(): void {
    this.batch?.close();
    this.batch = null;
  }

  /** Ends the processes this build started. */
  close(): void {
    this.closeFiles();
  }

  /**
   * Mainline as it stood at `seconds`: the newest first-parent commit committed by then, as
   * `git rev-list --first-parent -1 --before=<seconds> <tip>` answers, from the chain in memory.
   */
  mainlineBefore(seconds: number): string | null {
    return this.mainline.before(Math.floor(seconds));
  }

  /** A commit's committer time in seconds (NaN when unknown). */
  time(sha: string): number {
    return this.committedMs(sha) / 1000;
  }

  private copyQuery: Statement | null = null;
  private idsKept: Promise<unknown> | null = null;

  /**
   * Makes sure every mainline commit's patch-id is kept (copyOf reads them by index): in a whole
   * build, once; a build of a few commits relies on the builds before it (mainline unchanged, or
   * the new commits' ids computed as it moved on).
   */
  keepMainlineIds(): Promise<unknown> {
    this.idsKept ??= this.whole
      ? this.patchIds(this.onMainline).then((ids) => {
          this.copies = this.copiesByPatchId(ids);
        })
      : Promise.resolve();
    return this.idsKept;
  }

  private reverseKept: Promise<Map<string, string>> | null = null;

  /**
   * The reverse patch-ids diff inversion compares: of the mainline commits another mainline commit
   * could undo (reverse-candidates.ts; the others cannot match), the same map whenever asked. A whole
   * build starts it once the forward ids are kept, so that git computes it beside the mainline
   * rules' work; rows of one column each, no other lookup of these commits' ids is left to race
   * with it.
   */
  reverseMainlineIds(): Promise<Map<string, string>> {
    if (!this.reverseKept) {
      // A whole build holds every reachable commit's row, with its balance (the mainline commits are
      // among them). Only mainline's commits are candidates: the others' keys are not made (git's own
      // history with its pull requests: 146k keys, 41 MB of heap, made for the 61k read — the first
      // run's peak, at the outcome build's start).
      const keys = changedPathKeys(
        this.db,
        this.repoId,
        this.all ? (sha) => (this.isOnMainline(sha) ? this.heldLineBalance(sha) : undefined) : undefined,
      );
      const candidates = reverseCandidates(keys, this.onMainline, (sha) => this.landedAt(sha));
      const ids = this.patchIds(candidates, true);
      ids.catch(() => {}); // awaited by whoever asks for it: a failure surfaces there, never unhandled
      this.reverseKept = ids;
    }
    return this.reverseKept;
  }

  /** Waits for what the build started beside its rules (the reverse ids), so that nothing writes after it ends. */
  async settled(): Promise<void> {
    await this.reverseKept?.then(
      () => undefined,
      () => undefined,
    );
  }

  /**
   * The first mainline commit with this patch-id that landed at or after `notBefore` (seconds) and
   * was committed no earlier than a second before it: a copy never lands, nor is made, before its
   * original was written. By index over the stored landing and patch-ids (every mainline commit's
   * patch-id is kept: a whole build computes the missing ones, a build after mainline moved those
   * of the new commits); ties in landing time go by landing order.
   */
  copyOf(patchId: string | undefined, notBefore: number): string | undefined {
    if (!patchId || Number.isNaN(notBefore)) return undefined;
    const [landed, committed] = [Math.ceil(notBefore), Math.ceil(notBefore) - 1];
    if (this.copies) return this.copies.first(patchId, landed, committed);
    this.copyQuery ??= this.db.prepare(`
      SELECT p.sha FROM fact_commit_patch_ids p INDEXED BY fact_commit_patch_ids_by_forward
      CROSS JOIN paceflow_mainline_landing l ON l.repo_id = p.repo_id AND l.sha = p.sha
      CROSS JOIN metadata_commits c ON c.repo_id = p.repo_id AND c.sha = p.sha AND c.is_unreachable = 0
      WHERE p.repo_id = ? AND p.forward_id = ? AND l.is_merge = 0 AND l.landed_at >= ? AND l.committed_at >= ?
      ORDER BY l.landed_at, l.seq LIMIT 1`);
    return this.copyQuery.get<{ sha: string }>([this.repoId, patchId, landed, committed])?.sha;
  }

  /** A whole build's mainline commits by forward patch-id (MainlineCopies), once its ids are kept. */
  private copies: MainlineCopies | null = null;

  private copiesByPatchId(ids: ReadonlyMap<string, string>): MainlineCopies {
    const mainline = this.onMainline;
    return new MainlineCopies(mainline, ids, (i) => this.mainline.landing(mainline[i]!));
  }

  private readonly ancestry = new Map<string, boolean>();

  /**
   * Whether `c` comes before `r` on mainline: it landed earlier, or both landed with one merge and
   * `c` is an ancestor of `r`. A revert and its target that land together keep their direction.
   */
  async precedes(c: string, r: string): Promise<boolean> {
    const [at, rat] = [this.landedAt(c), this.landedAt(r)];
    if (at !== rat) return at < rat;
    const key = `${c}>${r}`;
    if (!this.ancestry.has(key)) {
      // From the stored landing when it can tell (no git process), else git.
      const ancestor = c !== r && (ancestorByLanding(this.db, this.repoId, this.tip, c, r) ?? (await isAncestor(c, r, this.cwd)));
      this.ancestry.set(key, ancestor);
    }
    return this.ancestry.get(key)!;
  }

  /** When the commit reached mainline (seconds); only for commits in `reached`. */
  landedAt(sha: string): number {
    return this.reached.get(sha)!.at;
  }

  /**
   * Every forward patch-id the repository keeps (null: an empty diff), read in one pass the first
   * time many are asked for, and kept up to date with the ones this build computes. A whole build
   * asks for most of them three times (the mainline commits' ids, the pending commits', the revert
   * rules'): on the 80k bench history's first run three passes of 57,367 rows, ~430 ms.
   */
  private forwardIds: Map<string, string | null> | null = null;

  /** Patch-ids from fact_commit_patch_ids, computing (and storing) only the missing ones. */
  async patchIds(shas: readonly string[], reverse = false): Promise<Map<string, string>> {
    const { db, repoId } = this;
    if (!reverse && this.forwardIds === null && shas.length >= SCAN_IDS_FROM) this.forwardIds = this.allForwardIds();
    const { ids, missing } = !reverse && this.forwardIds ? idsFrom(this.forwardIds, shas) : storedPatchIds(db, repoId, shas, reverse);
    if (missing.length === 0) return ids;
    const computed = await patchIds(missing, this.cwd, { reverse });
    const found = new Map(missing.map((sha) => [sha, computed.get(sha) ?? null]));
    keepPatchIds(db, this.repoId, found, reverse);
    if (!reverse) for (const [sha, id] of found) this.forwardIds?.set(sha, id);
    for (const [sha, id] of computed) ids.set(sha, id);
    return ids;
  }

  /**
   * Lets the forward ids read in one pass go (the next many asked read them again), and the
   * mainline commits by id (copyOf then asks the index, which answers the same): the content rule
   * asks for none, and what they hold is the build's largest (git's own history with its pull
   * requests: a 7 MB table and ~140k ids beside its file versions, the run's peak; the copies by id
   * another 60k ids, ~5 MB).
   */
  forgetForwardIds(): void {
    this.forwardIds = null;
    this.copies = null;
  }

  /** The forward ids stored, keyed by this build's own strings of the shas where it has them. */
  private allForwardIds(): Map<string, string | null> {
    const all = new Map<string, string | null>();
    for (const [sha, id] of this.db
      .prepare(`SELECT sha, forward_id FROM fact_commit_patch_ids WHERE repo_id = ?`)
      .iterateArrays([this.repoId]))
      all.set(this.intern(sha as string), id as string | null);
    return all;
  }
}

/**
 * The mainline commits by forward patch-id, each id's in landing order (by time, then as they
 * landed: copyOf's query's ORDER BY), from what a whole build holds: the landing, every mainline
 * commit's id and the reachable commits. Asked by index instead, the patch-id rule's look-ups were
 * 15,422 queries (0.31 s of a profiled first run of the 80k bench history). A commit is its place
 * in the mainline list; its times are in typed arrays, and an id of one commit (nearly all) maps to
 * that place alone: objects per commit put ~12 MB on git's own history's first run.
 */
class MainlineCopies {
  private readonly at: Float64Array;
  private readonly committed: Float64Array;
  private readonly byId = new Map<string, number | number[]>();

  constructor(
    private readonly mainline: readonly string[],
    ids: ReadonlyMap<string, string>,
    landing: (i: number) => { at: number; committed: number } | undefined,
  ) {
    this.at = new Float64Array(mainline.length);
    this.committed = new Float64Array(mainline.length);
    for (let i = 0; i < mainline.length; i++) {
      const id = ids.get(mainline[i]!);
      const l = landing(i);
      // An empty diff has no id: the query finds no copy of it either.
      if (!id || !l) continue;
      this.at[i] = l.at;
      this.committed[i] = l.committed;
      const known = this.byId.get(id);
      if (known === undefined) this.byId.set(id, i);
      else if (typeof known === 'number') this.byId.set(id, [known, i]);
      else known.push(i);
    }
    for (const list of this.byId.values()) if (typeof list !== 'number') list.sort((a, b) => this.at[a]! - this.at[b]! || a - b);
  }

  /** The first commit with this id, in landing order, that landed at or after `landed` and was committed at or after `committed`. */
  first(id: string, landed: number, committed: number): string | undefined {
    const known = this.byId.get(id);
    if (known === undefined) return undefined;
    for (const i of typeof known === 'number' ? [known] : known)
      if (this.at[i]! >= landed && this.committed[i]! >= committed) return this.mainline[i];
    return undefined;
  }
}

/** The ids `known` holds for `shas` (an empty diff's null left out), and the shas it holds none for. */
function idsFrom(known: ReadonlyMap<string, string | null>, shas: readonly string[]): { ids: Map<string, string>; missing: string[] } {
  const ids = new Map<string, string>();
  const missing: string[] = [];
  for (const sha of shas) {
    const id = known.get(sha);
    if (id === undefined) missing.push(sha);
    else if (id !== null) ids.set(sha, id);
  }
  return { ids, missing };
}

/** From this many forward ids asked, storedPatchIds reads the repository's stored ids in one pass. */
const SCAN_IDS_FROM = 2_000;

/**
 * The patch-ids fact_commit_patch_ids holds for `shas` (an empty diff's null left out), and the
 * commits it holds none for (a reversed one not computed counts as none). Many forward ids asked
 * (`scan`, by default from SCAN_IDS_FROM): one pass over the repository's rows, quicker than a
 * lookup each (a whole build asks for every mainline commit's: 60k lookups, 0.3 s, on git's own
 * history, twice a build); the ids then come in the table's order. Reversed ids are always looked
 * up, in the order asked: diff inversion lists its candidates in that order, and few are asked.
 */
export function storedPatchIds(
  db: Database,
  repoId: string,
  shas: readonly string[],
  reverse: boolean,
  scan = !reverse && shas.length >= SCAN_IDS_FROM,
): { ids: Map<string, string>; missing: string[] } {
  const column = reverse ? 'reverse_id' : 'forward_id';
  const ids = new Map<string, string>();
  const missing: string[] = [];
  if (scan) {
    // Keyed by the caller's strings, not the rows' copies of them (a whole build keeps the map).
    const unread = new Map(shas.map((sha) => [sha, sha]));
    for (const [sha, id, hasReverse] of db
      .prepare(`SELECT sha, ${column}, has_reverse FROM fact_commit_patch_ids WHERE repo_id = ?`)
      .iterateArrays([repoId])) {
      const own = unread.get(sha as string);
      if ((reverse && hasReverse !== 1) || own === undefined) continue;
      unread.delete(own);
      if (id) ids.set(own, id as string);
    }
    for (const sha of shas) if (unread.has(sha)) missing.push(sha);
    return { ids, missing };
  }
  const known = db.prepare(`SELECT sha, ${column} AS id, has_reverse FROM fact_commit_patch_ids WHERE repo_id = ? AND sha = ?`);
  for (const sha of shas) {
    const row = known.get<{ sha: string; id: string | null; has_reverse: number }>([repoId, sha]);
    if (!row || (reverse && row.has_reverse === 0)) missing.push(sha);
    else if (row.id) ids.set(sha, row.id);
  }
  return { ids, missing };
}

const onlyFromKey = (from: readonly string[], notFrom: readonly string[]) => `${from.join(',')}^${notFrom.join(',')}`;

export function loadRefTips(db: Database, repoId: string): RefTip[] {
  return db.prepare(`SELECT ref_name, sha FROM fact_git_ref_tips WHERE repo_id = ? ORDER BY ref_name`).all<RefTip>([repoId]);
}

const EMPTY_MAINLINE: MainlineView = {
  landing: () => undefined,
  nonMergesSince: () => [],
  latestLanding: () => Number.NEGATIVE_INFINITY,
  withPullRequest: () => undefined,
  before: () => null,
  nonMerges: () => [],
};

/**
 * A context for one build. `whole`: a build of every outcome (the rules walk all of mainline);
 * else a build of a few commits, which reads mainline and commits by key.
 */
export function loadOutcomeContext(
  db: Database,
  repoId: string,
  cwd: string,
  tip: string,
  refs: readonly RefTip[],
  options: { whole: boolean; patches?: PatchStore | undefined; walks?: BranchWalks | undefined } = { whole: true },
): OutcomeContext {
  const ctx = new OutcomeContext(db, repoId, cwd, tip, refs, options.whole);
  ctx.patches = options.patches;
  ctx.walks = options.walks;
  if (options.whole) ctx.allCommits();
  return ctx;
}
