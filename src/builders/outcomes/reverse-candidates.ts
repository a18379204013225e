import type { Database } from '../../db/driver.js';
import { balancesCancel, oppositeBalance } from '../../git/line-balance.js';

/**
 * Which mainline commits need their reversed diff's patch-id: the ones some other mainline commit's
 * diff could be the inverse of (diff inversion, revert-rules.ts). Reversing every mainline diff
 * was a whole pass over the history's diffs on a first build (~5 s of git's CPU on the 20k bench
 * history) to find a few dozen reverts.
 *
 * When R's patch-id equals the patch-id of C's reversed diff, the two diffs are the same text,
 * whitespace aside — and git patch-id reads every file's `diff --git` line, even of a change that
 * shows no lines (a mode change, a rename without edits, an empty file: checked against git), so
 * both diffs name the same paths. The paths a commit's diff names are its file changes' paths and
 * old paths (metadata_commit_file_changes, from git ingest's `--raw -M` and its counts), and that set
 * does not depend on the direction: reversed, a change names the same files, and a rename that the
 * reversed diff pairs differently still names the same two paths. So C can only be undone by a
 * commit that changes exactly C's paths: a commit whose path set no other mainline commit shares
 * needs no reversed id.
 *
 * Nor can C be undone by a commit whose lines do not net out against C's. Any diff from X to Y,
 * minimal or not, adds |Y| − |X| lines more than it removes (each line of X is context or removed,
 * each of Y context or added), so C's reversed diff nets the opposite of C's own numstat over its
 * files, however git aligns it or pairs its renames; and two diffs with one patch-id have the same
 * added and removed lines. So R can undo C only when R's net is minus C's (a binary file has no
 * count: a commit with one matches any net). On git's own history that leaves 17k of the 43k
 * commits that share their paths with another (the 20k bench history: 48 of 2,484).
 *
 * Nor, last, by a commit whose line balance (src/git/line-balance.ts: the lines a diff removes less
 * those it adds, hashed) does not cancel C's: a diff's balance is old side less new side whatever
 * the alignment, so C's reversed diff balances to minus C's, and R, the same lines, to that too. A
 * commit recorded without one (NULL: before sql/026, or read without its diff) matches any. On
 * git's own history 601 commits are left of the 17,442 (git's reversed pass 9.5 → 0.6 s of CPU).
 */

/** What a commit's diff must share with one that undoes it: its paths, its net lines and its line balance negated. */
export interface UndoKey {
  /** Its paths and old paths, NUL-joined in order. */
  paths: string;
  /** Lines added less lines removed over its files (null: a binary file has no count). */
  net: number | null;
  /** Its line balance (null: not recorded, matches any). */
  balance: number | null;
}

/** Whether one of two diffs with these keys can be the other reversed. */
export function mayUndo(a: UndoKey, b: UndoKey): boolean {
  return (
    a.paths === b.paths &&
    (a.net === null || b.net === null || a.net === -b.net) &&
    (a.balance === null || b.balance === null || balancesCancel(a.balance, b.balance))
  );
}

/** A commit's key, by its key range (changedPathKeys builds every commit's the same way in one pass). */
const KEY_SQL = `
    SELECT k.sha, k.paths, n.net, c.line_balance AS balance FROM (
      SELECT sha, group_concat(path, char(0) ORDER BY path) AS paths FROM (
        SELECT sha, path FROM metadata_commit_file_changes WHERE repo_id = @repo AND sha = @sha
        UNION
        SELECT sha, old_path FROM metadata_commit_file_changes WHERE repo_id = @repo AND sha = @sha
      ) GROUP BY sha
    ) k JOIN (
      SELECT sha, CASE WHEN count(added_lines) = count(*) AND count(deleted_lines) = count(*) THEN sum(added_lines - deleted_lines) END AS net
      FROM metadata_commit_file_changes WHERE repo_id = @repo AND sha = @sha GROUP BY sha
    ) n ON n.sha = k.sha
    JOIN metadata_commits c ON c.repo_id = @repo AND c.sha = k.sha`; // (group_concat skips the NULL old paths; asking for them by index would read every rename)

/**
 * Every commit's key (a commit that changes no file has none): what KEY_SQL gives for each commit,
 * from one pass over the file changes grouped in key order (by commit, then path: no sort), the old
 * paths of a commit that has any merged in after. `balanceOf`: a commit's line balance (undefined:
 * no such commit, or one the caller wants no key for) where the caller holds the rows (a whole
 * build); else one pass over the commits.
 * The same SQL for every commit at once sorted each path and old path into a UNION's and a GROUP
 * BY's temporary b-trees, then looked up each commit: 480–640 ms on the 80k bench history, 200 ms
 * so.
 */
export function changedPathKeys(
  db: Database,
  repoId: string,
  balanceOf?: (sha: string) => number | null | undefined,
): Map<string, UndoKey> {
  let balance = balanceOf;
  if (!balance) {
    const balances = new Map<string, number | null>();
    for (const [sha, b] of db.prepare(`SELECT sha, line_balance FROM metadata_commits WHERE repo_id = ?`).iterateArrays([repoId]))
      balances.set(sha as string, b as number | null);
    balance = (sha) => balances.get(sha);
  }
  const keys = new Map<string, UndoKey>();
  for (const [sha, paths, oldPaths, net] of db
    .prepare(
      `SELECT sha, group_concat(path, char(0) ORDER BY path), group_concat(old_path, char(0)),
              CASE WHEN count(added_lines) = count(*) AND count(deleted_lines) = count(*) THEN sum(added_lines - deleted_lines) END
       FROM metadata_commit_file_changes WHERE repo_id = ? GROUP BY repo_id, sha`,
    )
    .iterateArrays([repoId])) {
    const b = balance(sha as string);
    if (b === undefined) continue;
    const all =
      oldPaths === null
        ? (paths as string)
        : [...new Set([...(paths as string).split('\0'), ...(oldPaths as string).split('\0')])].sort(byCodePoint).join('\0');
    keys.set(sha as string, { paths: all, net: net as number | null, balance: b });
  }
  return keys;
}

/**
 * SQLite's order of texts (BINARY: UTF-8's bytes, which is code points') in JavaScript, whose
 * `<` compares UTF-16 units: a character past U+FFFF (a surrogate pair, D800–DFFF) sorts there
 * before U+E000–U+FFFF, in UTF-8 after them.
 */
export function byCodePoint(a: string, b: string): number {
  const n = Math.min(a.length, b.length);
  for (let i = 0; i < n; i++) {
    const x = a.charCodeAt(i);
    const y = b.charCodeAt(i);
    if (x !== y) return unitRank(x) - unitRank(y);
  }
  return a.length - b.length;
}

const unitRank = (unit: number) => (unit < 0xd800 ? unit : unit < 0xe000 ? unit + 0x2000 : unit - 0x800);

/** One commit's key, by key (null: it changes no file). */
export function changedPathKey(db: Database, repoId: string, sha: string): UndoKey | null {
  return db.prepare(KEY_SQL).get<UndoKey>({ repo: repoId, sha }) ?? null;
}

/**
 * Of `mainline` (non-merge commits in landing order), those another of them may undo (mayUndo)
 * landing no earlier: a target lands no later than its revert (ties in landing time keep every
 * tied commit).
 */
export function reverseCandidates(
  keys: ReadonlyMap<string, UndoKey>,
  mainline: readonly string[],
  landedAt: (sha: string) => number,
): string[] {
  const byPaths = new Map<string, { sha: string; net: string | null; balance: string | null; at: number }[]>();
  for (const sha of mainline) {
    const key = keys.get(sha);
    if (key === undefined) continue;
    const entry = {
      sha,
      net: key.net === null ? null : String(key.net),
      balance: key.balance === null ? null : String(key.balance),
      at: landedAt(sha),
    };
    const group = byPaths.get(key.paths);
    if (group) group.push(entry);
    else byPaths.set(key.paths, [entry]);
  }
  const out: string[] = [];
  for (const group of byPaths.values()) {
    if (group.length < 2) continue;
    // The latest landings per net and balance, per net, per balance and of all: a commit whose net
    // or balance is unknown matches any, so it is looked for among all of the other part's.
    const both = new LatestTwo();
    const byNet = new LatestTwo();
    const byBalance = new LatestTwo();
    const all = new LatestTwo();
    for (const { net, balance, at } of group) {
      both.add(`${net}|${balance}`, at);
      byNet.add(`${net}`, at);
      byBalance.add(`${balance}`, at);
      all.add('', at);
    }
    for (const { sha, net, balance, at } of group) {
      // The nets and balances an undo of this commit may have (null: any).
      const nets = net === null ? null : [String(-Number(net)), 'null'];
      const balances = balance === null ? null : [String(oppositeBalance(Number(balance))), 'null'];
      let undoable: boolean;
      if (nets && balances) {
        undoable = nets.some((n) => balances.some((b) => both.laterThan(`${n}|${b}`, at, n === `${net}` && b === `${balance}`)));
      } else if (nets) undoable = nets.some((n) => byNet.laterThan(n, at, n === `${net}`));
      else if (balances) undoable = balances.some((b) => byBalance.laterThan(b, at, b === `${balance}`));
      else undoable = all.laterThan('', at, true);
      if (undoable) out.push(sha);
    }
  }
  return out;
}

/** Per bucket, the two latest landing times of the commits in it. */
class LatestTwo {
  private readonly top = new Map<string, [number, number]>();

  add(bucket: string, at: number): void {
    const top = this.top.get(bucket) ?? [Number.NEGATIVE_INFINITY, Number.NEGATIVE_INFINITY];
    this.top.set(bucket, at >= top[0] ? [at, top[0]] : [top[0], Math.max(top[1], at)]);
  }

  /**
   * Whether a commit of `bucket` lands at `at` or later — other than the asking commit, which
   * lands at `at` and is in it when `own` (so it may be the latest itself).
   */
  laterThan(bucket: string, at: number, own: boolean): boolean {
    const top = this.top.get(bucket);
    if (!top) return false;
    return own && top[0] === at ? top[1] >= at : top[0] >= at;
  }
}

/**
 * The commits whose diff `sha`'s could undo: those whose key mayUndo allows. Found by index from the least
 * changed of its paths (counted up to a bound: a file every commit touches is never the one read
 * when the commit changes another), then compared whole. The caller keeps the mainline ones.
 */
export function sameKeyCommits(db: Database, repoId: string, sha: string): string[] {
  const key = changedPathKey(db, repoId, sha);
  if (key === null) return [];
  const paths = key.paths;
  const touching = db.prepare(`
    SELECT sha FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_path
    WHERE repo_id = @repo AND path = @path
    UNION
    SELECT sha FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_old_path
    WHERE repo_id = @repo AND old_path = @path`);
  const changes = db.prepare(`
    SELECT count(*) AS n FROM (SELECT 1 FROM metadata_commit_file_changes INDEXED BY metadata_commit_file_changes_by_path
                               WHERE repo_id = @repo AND path = @path LIMIT ${RARE_ENOUGH})`);
  let rarest = { path: '', n: Number.POSITIVE_INFINITY };
  for (const path of paths.split('\0')) {
    const n = changes.get<{ n: number }>({ repo: repoId, path })!.n;
    if (n < rarest.n) rarest = { path, n };
  }
  const out: string[] = [];
  for (const [other] of touching.iterateArrays({ repo: repoId, path: rarest.path })) {
    if (other === sha) continue;
    const theirs = changedPathKey(db, repoId, other as string);
    if (theirs && mayUndo(key, theirs)) out.push(other as string);
  }
  return out;
}

/** Past this many changes a path counts as common (the count stops there). */
const RARE_ENOUGH = 256;
