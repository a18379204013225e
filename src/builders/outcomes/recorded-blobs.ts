import type { Database } from '../../db/driver.js';

/** What recordedBlobs' lookups found (they only grow): what tests and benches count. */
export const recordedBlobsWork = { named: 0, missing: 0, unknown: 0 };

/**
 * The blob a path holds at a revision as the recorded history says without git: the revision's
 * own change of the path (sql/032's `metadata_commit_file_changes.blob`) names it, or says it is
 * not there (deleted by that commit: null). Undefined: the revision did not change the path, or
 * its change was recorded without a blob (a submodule, a row from before sql/032), and git is
 * asked.
 *
 * Why not further back: a path a non-merge commit left alone holds at it what it held at its one
 * parent, and a walk through single parents to the commit that changed it answers more — tried
 * on git's own history with its pull requests, up to sixteen steps: 19,966 more names of ~2M
 * lookups, most walks ending at a merge (whose diff is not recorded) after reading a commit's row
 * and its changes at random in a 550 MB database each step. That run took 843 s of CPU (sys 164 s),
 * alone, where the build without the walk took 503 s beside another (bench/README, session 82).
 */
export function recordedBlobs(db: Database, repoId: string): (rev: string, path: string) => string | null | undefined {
  const change = db.prepare(`SELECT blob, change_type FROM metadata_commit_file_changes WHERE repo_id = ? AND sha = ? AND path = ?`);
  return (rev, path) => {
    const own = change.get<{ blob: string | null; change_type: string }>([repoId, rev, path]);
    if (own?.change_type === 'D') {
      recordedBlobsWork.missing++;
      return null;
    }
    if (own?.blob) {
      recordedBlobsWork.named++;
      return own.blob;
    }
    recordedBlobsWork.unknown++;
    return undefined;
  };
}
