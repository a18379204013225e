import type { Warehouse } from './postgres.js';

/**
 * The warehouse's last step of a sync, in one transaction: record this machine and how new its
 * picture of each repository is, then recompute the winning machine of every group whose rows or
 * ranks changed (sync_pending_*), from every machine's latest rows — so the result never depends on
 * the order machines synced in. The rules are in sql/warehouse/001_warehouse.sql's header.
 */
export interface MachineRepository {
  repo_id: string;
  mainline_at: string | null;
  built_at: string | null;
}

export async function finishWarehouse(
  warehouse: Warehouse,
  machine: { id: string; version: string },
  repositories: readonly MachineRepository[],
): Promise<{ repositories: number; commits: number; sessions: number }> {
  return warehouse.transaction(async () => {
    // Two machines finishing at once would recompute the same winners: one at a time.
    await warehouse.query(`SELECT pg_advisory_xact_lock(hashtext('paceflow.warehouse.winners'))`);
    await warehouse.query(
      `INSERT INTO sync_machines (machine_id, paceflow_version) VALUES ($1, $2)
       ON CONFLICT (machine_id) DO UPDATE SET paceflow_version = excluded.paceflow_version, last_synced_at = now()`,
      [machine.id, machine.version],
    );
    if (repositories.length > 0) {
      // A repository whose mainline view moved on this machine may win (or lose) every commit's
      // mainline columns, sent again or not: all of its commits are recomputed. A build that moved
      // alone changes nothing visible unless its rows changed, and those were sent and marked.
      await warehouse.query(
        `WITH incoming AS (
           SELECT * FROM unnest($2::text[], $3::text[], $4::text[]) AS i(repo_id, mainline_at, built_at)
         ),
         moved AS (
           SELECT i.repo_id FROM incoming i
           LEFT JOIN sync_machine_repositories m ON m.machine_id = $1 AND m.repo_id = i.repo_id
           WHERE m.repo_id IS NULL OR m.mainline_at IS DISTINCT FROM i.mainline_at
         ),
         kept AS (
           INSERT INTO sync_machine_repositories AS m (machine_id, repo_id, mainline_at, built_at)
           SELECT $1, repo_id, mainline_at, built_at FROM incoming
           ON CONFLICT (machine_id, repo_id) DO UPDATE SET mainline_at = excluded.mainline_at, built_at = excluded.built_at
         )
         INSERT INTO sync_pending_repositories (repo_id) SELECT repo_id FROM moved ON CONFLICT DO NOTHING`,
        [machine.id, repositories.map((r) => r.repo_id), repositories.map((r) => r.mainline_at), repositories.map((r) => r.built_at)],
      );
    }
    const [{ repos, commits, sessions }] = (await warehouse.query<{ repos: number; commits: number; sessions: number }>(
      `SELECT (SELECT count(*) FROM sync_pending_repositories) AS repos, (SELECT count(*) FROM sync_pending_commits) AS commits,
         (SELECT count(*) FROM sync_pending_sessions) AS sessions`,
    )) as [{ repos: number; commits: number; sessions: number }];
    if (repos > 0) {
      await warehouse.query(`DELETE FROM sync_repository_winners WHERE repo_id IN (SELECT repo_id FROM sync_pending_repositories)`);
      await warehouse.query(REPOSITORY_WINNERS);
      await warehouse.query(`DELETE FROM sync_commit_winners WHERE repo_id IN (SELECT repo_id FROM sync_pending_repositories)`);
      await warehouse.query(
        commitWinners(`SELECT repo_id, sha FROM sync_metadata_commits WHERE repo_id IN (SELECT repo_id FROM sync_pending_repositories)`),
      );
    }
    if (commits > 0) {
      // The commits marked alone, outside the repositories just recomputed whole.
      const only = `SELECT repo_id, sha FROM sync_pending_commits WHERE repo_id NOT IN (SELECT repo_id FROM sync_pending_repositories)`;
      await warehouse.query(`DELETE FROM sync_commit_winners WHERE (repo_id, sha) IN (${only})`);
      await warehouse.query(commitWinners(only));
    }
    await warehouse.query(`DELETE FROM sync_pending_repositories; DELETE FROM sync_pending_commits`);
    if (sessions > 0) {
      await warehouse.query(`DELETE FROM sync_session_winners WHERE session_id IN (SELECT session_id FROM sync_pending_sessions)`);
      await warehouse.query(SESSION_WINNERS);
      await warehouse.query(`DELETE FROM sync_pending_sessions`);
    }
    return { repositories: repos, commits, sessions };
  });
}

/** The newest view of mainline, then the newest build, then the larger machine id (a fixed tie-break). */
const REPOSITORY_WINNERS = `
INSERT INTO sync_repository_winners (repo_id, machine_id)
SELECT DISTINCT ON (r.repo_id) r.repo_id, r.machine_id
FROM sync_metadata_repositories r
LEFT JOIN sync_machine_repositories m ON m.machine_id = r.machine_id AND m.repo_id = r.repo_id
WHERE r.repo_id IN (SELECT repo_id FROM sync_pending_repositories)
ORDER BY r.repo_id, m.mainline_at DESC NULLS LAST, m.built_at DESC NULLS LAST, r.machine_id DESC`;

/**
 * Per commit of `scope` (a query of repo_id, sha): the evidence winner among machines with an
 * outcome row (strongest evidence, newest build); the mainline winner among machines that know the
 * commit (newest mainline view, then the strongest evidence of the lines the commit carries to
 * mainline — its own, or the branch commits it is a copy of — then the newest build).
 */
function commitWinners(scope: string): string {
  return `
INSERT INTO sync_commit_winners (repo_id, sha, evidence_machine_id, mainline_machine_id)
WITH scope AS (${scope}),
carried AS (
  SELECT machine_id, repo_id, sha, max(evidence) AS evidence FROM (
    SELECT machine_id, repo_id, sha, evidence FROM sync_event_commit_outcomes WHERE (repo_id, sha) IN (SELECT repo_id, sha FROM scope)
    UNION ALL
    SELECT machine_id, repo_id, mainline_sha, evidence FROM sync_event_commit_outcomes
    WHERE (repo_id, mainline_sha) IN (SELECT repo_id, sha FROM scope)
  ) both_ends
  GROUP BY machine_id, repo_id, sha
),
mainline AS (
  SELECT DISTINCT ON (c.repo_id, c.sha) c.repo_id, c.sha, c.machine_id
  FROM sync_metadata_commits c
  LEFT JOIN sync_machine_repositories m ON m.machine_id = c.machine_id AND m.repo_id = c.repo_id
  LEFT JOIN carried e ON e.machine_id = c.machine_id AND e.repo_id = c.repo_id AND e.sha = c.sha
  WHERE (c.repo_id, c.sha) IN (SELECT repo_id, sha FROM scope)
  ORDER BY c.repo_id, c.sha, m.mainline_at DESC NULLS LAST, e.evidence DESC NULLS LAST, m.built_at DESC NULLS LAST, c.machine_id DESC
),
evidence AS (
  SELECT DISTINCT ON (o.repo_id, o.sha) o.repo_id, o.sha, o.machine_id
  FROM sync_event_commit_outcomes o
  LEFT JOIN sync_machine_repositories m ON m.machine_id = o.machine_id AND m.repo_id = o.repo_id
  WHERE (o.repo_id, o.sha) IN (SELECT repo_id, sha FROM scope)
  ORDER BY o.repo_id, o.sha, o.evidence DESC, m.built_at DESC NULLS LAST, o.machine_id DESC
)
SELECT mainline.repo_id, mainline.sha, evidence.machine_id, mainline.machine_id
FROM mainline LEFT JOIN evidence ON evidence.repo_id = mainline.repo_id AND evidence.sha = mainline.sha`;
}

/** The newest read of the transcript, then the larger machine id. */
const SESSION_WINNERS = `
INSERT INTO sync_session_winners (session_id, machine_id)
SELECT DISTINCT ON (s.session_id) s.session_id, s.machine_id
FROM sync_metadata_sessions s
WHERE s.session_id IN (SELECT session_id FROM sync_pending_sessions)
ORDER BY s.session_id, s.transcript_read_at DESC NULLS LAST, s.machine_id DESC`;
