import type { Database } from '../db/driver.js';

/** The triggers that queue every new commit for attribution and for tasks (sql/010, made again by sql/021). */
const QUEUE_TRIGGERS = ['paceflow_unattributed_insert', 'paceflow_untasked_insert'] as const;

/**
 * Puts off queueing a first ingest's commits for the builders until they are all written: inside
 * the history's transaction, the two triggers that queue each inserted commit are dropped, and the
 * returned function — called before that transaction commits — queues the repository's commits
 * in key order and makes the triggers again from their own stored SQL. Each trigger put one row
 * into a queue keyed by sha (a random place in its b-tree) per commit, amid the commits and file
 * changes, and with them the queues outgrew the page cache. Git's own history (85,361 commits),
 * first run: node's write calls 1,186k → 1,070k, its reads 1,403k → 1,307k, every row the same.
 * SQLite's DDL is transactional: a run killed before the commit leaves the triggers as they were,
 * and the rows with nothing of this run.
 *
 * Only for a repository without commits yet: the rows are queued by the triggers' own conditions
 * (`WHEN`), read from the rows as they stand at the end, which is what the triggers saw at insert
 * time when nothing in the same transaction changed those flags after — true of a first ingest,
 * which has no recorded history to find unreachable (test/git-ingest.test.ts compares both ways).
 */
export function queueCommitsAfterHistory(db: Database, repoId: string): () => void {
  const triggers = db
    .prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' AND name IN (?, ?)`)
    .all<{ name: string; sql: string }>([...QUEUE_TRIGGERS]);
  // A schema this code does not know (a later version's): leave it to its triggers.
  if (triggers.length !== QUEUE_TRIGGERS.length) return () => {};
  for (const { name } of triggers) db.exec(`DROP TRIGGER ${name}`);
  return () => {
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
    for (const { sql } of triggers) db.exec(sql);
  };
}
