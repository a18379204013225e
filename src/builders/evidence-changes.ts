import type { Database } from '../db/driver.js';

/**
 * Changes to the AI evidence of commits (their kept AI lines, their counted AI lines, the copies
 * that carry them), recorded for the churn builder, which reads only the part of mainline they can
 * reach (churn/evidence.ts, stageSince): one commit's change is a row of paceflow_churn_dirty
 * (churn restages from its landing on); a change to every commit's at once forgets churn's stage
 * mark (churn restages all of mainline). Attribution and outcomes write; churn reads and empties.
 */

/** The paceflow_meta key of what the last churn build staged from. */
export const churnStageKey = (repoId: string) => `churn_stage:${repoId}`;

/** These commits' AI evidence changed. */
export function evidenceChanged(
  db: Database,
  repoId: string,
  shas: Iterable<string | null | undefined>,
  /** Where to record them: paceflow_churn_dirty, or a staged replay's table of its rows. */
  table = 'paceflow_churn_dirty',
): void {
  const insert = db.prepare(`INSERT OR IGNORE INTO ${table} (repo_id, sha) VALUES (?, ?)`);
  for (const sha of shas) if (sha) insert.run([repoId, sha]);
}

/** Every commit's AI evidence may have changed. */
export function allEvidenceChanged(db: Database, repoId: string): void {
  db.prepare(`DELETE FROM paceflow_meta WHERE key = ?`).run([churnStageKey(repoId)]);
}
