import type { Database } from '../../db/driver.js';
import { CatFileBatch } from '../../git/cat-file.js';
import { isAncestor, patchIds } from '../../git/mainline.js';

/** How a commit reached mainline: the rule that held first (DESIGN §4). */
export type Via = 'ancestor' | 'patch-id' | 'squash' | 'content';

export interface Reached {
  via: Via;
  /** Seconds. */
  at: number;
  /** The mainline commit that carries it (itself, for an ancestor). */
  copy: string;
}

export interface CommitRow {
  sha: string;
  committed_at: string;
  subject: string;
  /** Loaded by the revert rules, which alone read it (and only where it mentions a revert). */
  message?: string;
  pr_number: number | null;
  is_merge: number;
}

export interface RefTip {
  ref_name: string;
  sha: string;
}

/**
 * What the mainline and revert rules share in one build: the repository's commits, the mainline
 * tip, and what earlier rules found (`reached`, `onMainline`, `mainlineIds`). Rules add to it in
 * order; the first rule that holds for a commit wins.
 */
export class OutcomeContext {
  readonly bySha: ReadonlyMap<string, CommitRow>;
  /** Every commit known to have reached mainline so far, with how and when. */
  readonly reached = new Map<string, Reached>();
  /** Non-merge ancestors of the tip (set by the ancestor rule, which runs first). */
  onMainline: string[] = [];
  /** The tip's first-parent chain, newest first, with committer times in seconds (set by the ancestor rule). */
  firstParent: { sha: string; time: number }[] = [];
  private batch: CatFileBatch | null = null;
  /** patch-id → the mainline commits with it, earliest landed first (filled by the patch-id and squash rules). */
  readonly mainlineIds = new Map<string, string[]>();
  /**
   * In a build after refs moved off an unchanged mainline: the tips of the refs that moved. The
   * squash rules then look only at those refs (only their commits are candidates). Null: every ref.
   */
  changedTips: ReadonlySet<string> | null = null;

  constructor(
    readonly db: Database,
    readonly repoId: string,
    readonly cwd: string,
    readonly tip: string,
    readonly refs: readonly RefTip[],
    readonly commits: readonly CommitRow[],
  ) {
    this.bySha = new Map(commits.map((c) => [c.sha, c]));
  }

  /** One `git cat-file --batch` process for every file this build reads (made when first needed). */
  files(): CatFileBatch {
    this.batch ??= new CatFileBatch(this.cwd);
    return this.batch;
  }

  /** Ends the processes this build started. */
  close(): void {
    this.batch?.close();
    this.batch = null;
  }

  /**
   * Mainline as it stood at `seconds`: the newest first-parent commit committed by then, as
   * `git rev-list --first-parent -1 --before=<seconds> <tip>` answers, from the chain in memory.
   */
  mainlineBefore(seconds: number): string | null {
    const limit = Math.floor(seconds);
    return this.firstParent.find((c) => c.time <= limit)?.sha ?? null;
  }

  /** A commit's committer time in seconds (NaN when unknown). */
  time(sha: string): number {
    return Date.parse(this.bySha.get(sha)?.committed_at ?? '') / 1000;
  }

  /** Adds mainline commits to `mainlineIds` by patch-id, keeping each list in landing order. */
  addMainlineIds(ids: ReadonlyMap<string, string>): void {
    for (const [sha, id] of ids) {
      const list = this.mainlineIds.get(id);
      if (!list) this.mainlineIds.set(id, [sha]);
      else if (!list.includes(sha)) list.push(sha);
    }
    for (const list of this.mainlineIds.values()) list.sort((a, b) => this.landedAt(a) - this.landedAt(b));
  }

  /**
   * The first mainline commit with this patch-id that landed at or after `notBefore` (seconds): a
   * copy never lands before its original was written.
   */
  copyOf(patchId: string | undefined, notBefore: number): string | undefined {
    return (this.mainlineIds.get(patchId ?? '') ?? []).find((sha) => this.landedAt(sha) >= notBefore);
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
    if (!this.ancestry.has(key)) this.ancestry.set(key, c !== r && (await isAncestor(c, r, this.cwd)));
    return this.ancestry.get(key)!;
  }

  /** When the commit reached mainline (seconds); only for commits in `reached`. */
  landedAt(sha: string): number {
    return this.reached.get(sha)!.at;
  }

  /** Patch-ids from fact_commit_patch_ids, computing (and storing) only the missing ones. */
  async patchIds(shas: readonly string[], reverse = false): Promise<Map<string, string>> {
    const { db, repoId } = this;
    const column = reverse ? 'reverse_id' : 'forward_id';
    const known = db.prepare(`SELECT sha, ${column} AS id, has_reverse FROM fact_commit_patch_ids WHERE repo_id = ? AND sha = ?`);
    const ids = new Map<string, string>();
    const missing: string[] = [];
    for (const sha of shas) {
      const row = known.get<{ sha: string; id: string | null; has_reverse: number }>([repoId, sha]);
      if (!row || (reverse && row.has_reverse === 0)) missing.push(sha);
      else if (row.id) ids.set(sha, row.id);
    }
    if (missing.length === 0) return ids;
    const computed = await patchIds(missing, this.cwd, { reverse });
    const save = reverse
      ? db.prepare(`INSERT INTO fact_commit_patch_ids (repo_id, sha, reverse_id, has_reverse) VALUES (?, ?, ?, 1)
                    ON CONFLICT (repo_id, sha) DO UPDATE SET reverse_id = excluded.reverse_id, has_reverse = 1`)
      : db.prepare(`INSERT INTO fact_commit_patch_ids (repo_id, sha, forward_id) VALUES (?, ?, ?)
                    ON CONFLICT (repo_id, sha) DO UPDATE SET forward_id = excluded.forward_id`);
    db.transaction(() => {
      for (const sha of missing) {
        const id = computed.get(sha) ?? null;
        save.run([repoId, sha, id]);
        if (id) ids.set(sha, id);
      }
    });
    return ids;
  }
}

export function loadRefTips(db: Database, repoId: string): RefTip[] {
  return db.prepare(`SELECT ref_name, sha FROM fact_git_ref_tips WHERE repo_id = ? ORDER BY ref_name`).all<RefTip>([repoId]);
}

/** The repository's reachable commits, as the rules read them. */
export function loadOutcomeContext(db: Database, repoId: string, cwd: string, tip: string, refs: readonly RefTip[]): OutcomeContext {
  const commits = db
    .prepare(
      // No message: 85k of them cost a build 0.4 s and their memory; the revert rules load the few they read.
      `SELECT sha, committed_at, subject, pr_number, is_merge FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 0`,
    )
    .all<CommitRow>([repoId]);
  return new OutcomeContext(db, repoId, cwd, tip, refs, commits);
}
