import type { Database } from '../../db/driver.js';

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
 * old paths (metadata_commit_file_changes, from git ingest's `--raw --numstat -M`), and that set
 * does not depend on the direction: reversed, a change names the same files, and a rename that the
 * reversed diff pairs differently still names the same two paths. So C can only be undone by a
 * commit that changes exactly C's paths: a commit whose path set no other mainline commit shares
 * needs no reversed id.
 */

/** Each commit's key (`one`: of the commit @sha alone, by its key range). */
const keySql = (one: boolean) => {
  const which = one ? 'AND sha = @sha' : '';
  return `
    SELECT sha, group_concat(path, char(0) ORDER BY path) AS paths FROM (
      SELECT sha, path FROM metadata_commit_file_changes WHERE repo_id = @repo ${which}
      UNION
      SELECT sha, old_path FROM metadata_commit_file_changes WHERE repo_id = @repo ${which}
    ) GROUP BY sha`; // (group_concat skips the NULL old paths; asking for them by index would read every rename)
};

/** Every commit's key: its paths and old paths, NUL-joined in order (a commit that changes no file has none). */
export function changedPathKeys(db: Database, repoId: string): Map<string, string> {
  const keys = new Map<string, string>();
  for (const [sha, paths] of db.prepare(keySql(false)).iterateArrays({ repo: repoId })) keys.set(sha as string, paths as string);
  return keys;
}

/** One commit's key, by key (null: it changes no file). */
export function changedPathKey(db: Database, repoId: string, sha: string): string | null {
  return db.prepare(keySql(true)).get<{ paths: string }>({ repo: repoId, sha })?.paths ?? null;
}

/**
 * Of `mainline` (non-merge commits in landing order), those whose key another of them shares, but
 * the latest to land of each key: a target lands no later than its revert, so the last one can
 * only undo (ties in landing time keep every tied commit).
 */
export function reverseCandidates(
  keys: ReadonlyMap<string, string>,
  mainline: readonly string[],
  landedAt: (sha: string) => number,
): string[] {
  const byKey = new Map<string, string[]>();
  for (const sha of mainline) {
    const key = keys.get(sha);
    if (key === undefined) continue;
    const group = byKey.get(key);
    if (group) group.push(sha);
    else byKey.set(key, [sha]);
  }
  const out: string[] = [];
  for (const group of byKey.values()) {
    if (group.length < 2) continue;
    const last = Math.max(...group.map(landedAt));
    const atLast = group.filter((sha) => landedAt(sha) === last);
    for (const sha of group) if (landedAt(sha) < last || atLast.length > 1) out.push(sha);
  }
  return out;
}

/**
 * The commits whose diff `sha`'s could undo: those with its key. Found by index from the least
 * changed of its paths (counted up to a bound: a file every commit touches is never the one read
 * when the commit changes another), then compared whole. The caller keeps the mainline ones.
 */
export function sameKeyCommits(db: Database, repoId: string, sha: string): string[] {
  const key = changedPathKey(db, repoId, sha);
  if (key === null) return [];
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
  for (const path of key.split('\0')) {
    const n = changes.get<{ n: number }>({ repo: repoId, path })!.n;
    if (n < rarest.n) rarest = { path, n };
  }
  const out: string[] = [];
  for (const [other] of touching.iterateArrays({ repo: repoId, path: rarest.path })) {
    if (other !== sha && changedPathKey(db, repoId, other as string) === key) out.push(other as string);
  }
  return out;
}

/** Past this many changes a path counts as common (the count stops there). */
const RARE_ENOUGH = 256;
