import type { Database } from '../db/driver.js';

/** What the Action reports, read from the event tables and views (SQL computes every share). */
export interface PullRequestCommit {
  sha: string;
  subject: string;
  nontrivial_added_lines: number | null;
  ai_lines: number | null;
  ai_share: number | null;
  heavy_ai: number | null;
  attribution_coverage: 'tracked' | 'untracked' | null;
  attribution_source: 'transcript' | 'note' | 'trailer' | null;
  providers: string | null;
}

export interface Totals {
  commits: number;
  nontrivial_added_lines: number;
  ai_lines: number;
  ai_share: number | null;
  heavy_ai_commits: number;
  coverage: number | null;
}

export interface RepositoryFigures {
  mainline_branch: string | null;
  commits: number;
  ai_share: number | null;
  coverage: number | null;
  heavy_ai_commits: number;
  heavy_ai_merged_rate: number | null;
  heavy_ai_reverted_rate: number | null;
  merged_commits: number | null;
}

export interface ChurnFigures {
  window_days: number;
  ai_lines_reaching_mainline: number;
  ai_lines_churned: number;
  ai_churn_rate: number | null;
  nonai_lines_reaching_mainline: number;
  nonai_lines_churned: number;
  nonai_churn_rate: number | null;
  open_window_commits: number;
}

export interface MonthShare {
  month: string;
  ai_share: number | null;
  coverage: number | null;
}

export interface Figures {
  pullRequest: { commits: PullRequestCommit[]; totals: Totals } | null;
  repository: RepositoryFigures | null;
  churn: ChurnFigures | null;
  months: MonthShare[];
}

/** Reads the figures for one repository and, for a pull request, its commits (oldest first). */
export function collectFigures(
  db: Database,
  repoId: string,
  options: { prCommits?: readonly string[]; windowDays: number; months?: number },
): Figures {
  let pullRequest: Figures['pullRequest'] = null;
  if (options.prCommits) {
    db.exec(`CREATE TEMP TABLE IF NOT EXISTS paceflow_pr_commits (sha TEXT PRIMARY KEY, position INTEGER NOT NULL) WITHOUT ROWID`);
    db.exec(`DELETE FROM paceflow_pr_commits`);
    const insert = db.prepare(`INSERT OR IGNORE INTO paceflow_pr_commits (sha, position) VALUES (?, ?)`);
    db.transaction(() => {
      for (const [i, sha] of options.prCommits!.entries()) insert.run([sha, i]);
    });
    const commits = db
      .prepare(
        `SELECT c.sha, c.subject, o.nontrivial_added_lines, o.ai_lines, o.ai_share, o.heavy_ai,
           o.attribution_coverage, o.attribution_source,
           (SELECT group_concat(provider, ', ') FROM (
              SELECT DISTINCT a.provider FROM event_commit_attributions a
              WHERE a.repo_id = c.repo_id AND a.sha = c.sha ORDER BY a.provider)) AS providers
         FROM paceflow_pr_commits p
         JOIN metadata_commits c ON c.repo_id = ? AND c.sha = p.sha
         LEFT JOIN event_commit_outcomes o ON o.repo_id = c.repo_id AND o.sha = c.sha
         WHERE c.is_merge = 0
         ORDER BY p.position`,
      )
      .all<PullRequestCommit>([repoId]);
    const totals = db
      .prepare(
        `SELECT count(*) AS commits,
           coalesce(sum(o.nontrivial_added_lines), 0) AS nontrivial_added_lines,
           coalesce(sum(o.ai_lines), 0) AS ai_lines,
           round(1.0 * sum(o.ai_lines) / nullif(sum(o.nontrivial_added_lines), 0), 4) AS ai_share,
           coalesce(sum(o.heavy_ai), 0) AS heavy_ai_commits,
           round(1.0 * count(CASE WHEN o.attribution_coverage = 'tracked' THEN 1 END) / nullif(count(*), 0), 4) AS coverage
         FROM paceflow_pr_commits p
         JOIN event_commit_outcomes o ON o.repo_id = ? AND o.sha = p.sha`,
      )
      .get<Totals>([repoId])!;
    pullRequest = { commits, totals };
  }
  const repository =
    db
      .prepare(
        `SELECT mainline_branch, commits, ai_share, coverage, heavy_ai_commits, heavy_ai_merged_rate, heavy_ai_reverted_rate, merged_commits
         FROM view_repository_commit_quality WHERE repo_id = ?`,
      )
      .get<RepositoryFigures>([repoId]) ?? null;
  const churn =
    db
      .prepare(
        `SELECT window_days, ai_lines_reaching_mainline, ai_lines_churned, ai_churn_rate,
           nonai_lines_reaching_mainline, nonai_lines_churned, nonai_churn_rate, open_window_commits
         FROM view_repository_churn_totals WHERE repo_id = ? AND window_days = ?`,
      )
      .get<ChurnFigures>([repoId, options.windowDays]) ?? null;
  const months = db
    .prepare(
      `SELECT month, ai_share, coverage FROM (
         SELECT month, ai_share, coverage FROM view_repository_ai_share_by_month WHERE repo_id = ? ORDER BY month DESC LIMIT ?
       ) ORDER BY month`,
    )
    .all<MonthShare>([repoId, options.months ?? 12]);
  return { pullRequest, repository, churn, months };
}
