import type { Database } from '../db/driver.js';

/**
 * Keeps computed patch-ids in fact_commit_patch_ids (null: an empty diff), one direction's column
 * each: attribution keeps the forward ids of the commits its own stream read, the outcome build
 * those it had git compute (other commits', and the reversed diffs). One transaction.
 */
export function keepPatchIds(db: Database, repoId: string, ids: ReadonlyMap<string, string | null>, reverse = false): void {
  if (ids.size === 0) return;
  const save = reverse
    ? db.prepare(`INSERT INTO fact_commit_patch_ids (repo_id, sha, reverse_id, has_reverse) VALUES (?, ?, ?, 1)
                  ON CONFLICT (repo_id, sha) DO UPDATE SET reverse_id = excluded.reverse_id, has_reverse = 1`)
    : db.prepare(`INSERT INTO fact_commit_patch_ids (repo_id, sha, forward_id) VALUES (?, ?, ?)
                  ON CONFLICT (repo_id, sha) DO UPDATE SET forward_id = excluded.forward_id`);
  db.transaction(() => {
    for (const [sha, id] of ids) save.run([repoId, sha, id]);
  });
}
