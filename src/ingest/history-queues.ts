import type { Database } from '../db/driver.js';
import { countsRecountedLater } from '../db/count.js';
import { indexesAfterLoad } from '../db/indexes-after.js';
import { triggersPutOff } from '../db/triggers-after.js';

/** The triggers that queue every new commit for attribution and for tasks (sql/010, made again by sql/021). */
const QUEUE_TRIGGERS = ['paceflow_unattributed_insert', 'paceflow_untasked_insert'] as const;

/** The tables a history's pass writes a row of per commit and per changed file. */
const HISTORY_TABLES = ['metadata_commits', 'metadata_commit_file_changes'] as const;

/**
 * What a first ingest puts off until its commits are all written, inside the history's transaction
 * (SQLite's DDL is transactional: a run killed before the commit leaves the schema as it was, and
 * the rows with nothing of this run). Only for a repository without commits yet.
 *
 * - **The builders' queues.** The two triggers that queue each inserted commit are dropped, and
 *   the returned function queues the repository's commits in key order and makes the triggers
 *   again from their own stored SQL. Each trigger put one row into a queue keyed by sha (a random
 *   place in its b-tree) per commit, amid the commits and file changes, and with them the queues
 *   outgrew the page cache (git's own history: node's write calls 1,186k → 1,070k). The rows are
 *   queued by the triggers' own conditions (`WHEN`), read from the rows as they stand at the end,
 *   which is what the triggers saw at insert time when nothing in the same transaction changed
 *   those flags after — true of a first ingest, which has no recorded history to find unreachable
 *   (test/git-ingest.test.ts compares both ways).
 * - **The commits' and file changes' secondary indexes** (indexesAfterLoad): the history's pass asks
 *   nothing through them, it inserts and updates by key. Git's own history, first run: node wrote
 *   3.39 → 3.06 GB (write calls ~1,066k → ~1,008k), the same peak.
 *
 * - **The commits' counts** (sql/029's triggers on insert, countsRecountedLater): counted once at
 *   the end: the 80k bench history's 62,273 commits, 1.22–1.50 s of inserts with the triggers,
 *   0.71–0.99 s without.
 *
 * Not put off: the file changes themselves (keyed by sha, a random page each). Inserting them into a
 * temporary table and copying it in key order at the end wrote 4 % fewer bytes on git's own history
 * and put ~30 MB on the first run's peak (the temporary database's own page cache).
 */
export function deferForFirstHistory(db: Database, repoId: string): () => void {
  const indexes = indexesAfterLoad(db, HISTORY_TABLES);
  const counts = countsRecountedLater(db, 'metadata_commits', repoId, ['INSERT']);
  // A schema this code does not know (a later version's): leave the queues to its triggers.
  const triggers = triggersPutOff(db, QUEUE_TRIGGERS);
  return () => {
    indexes();
    // By the state index just made: the counts read no row of the table.
    counts();
    if (!triggers) return;
    // Through the unique (repo_id, sha) index: the rows come in key order, and each queue is
    // appended to. (Reading the table in arrival order and sorting in JavaScript read ~19k fewer
    // pages on git's own history, and put ~15 MB of shas on the run's peak.)
    db.prepare(
      `INSERT OR IGNORE INTO paceflow_unattributed (repo_id, sha)
         SELECT repo_id, sha FROM metadata_commits
         WHERE repo_id = ? AND is_merge = 0 AND is_shallow_boundary = 0 AND is_unreachable = 0 ORDER BY repo_id, sha`,
    ).run([repoId]);
    db.prepare(
      `INSERT OR IGNORE INTO paceflow_untasked (repo_id, sha)
         SELECT repo_id, sha FROM metadata_commits WHERE repo_id = ? AND is_unreachable = 0 ORDER BY repo_id, sha`,
    ).run([repoId]);
    triggers();
  };
}
