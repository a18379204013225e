import type { Database } from '../db/driver.js';
import { createTempViews } from '../db/migrate.js';

/**
 * The figures every renderer reads — terminal summary, Markdown, JSON, HTML, the PR comment and job
 * summary — read from views, never computed here (DESIGN §1: SQL owns every count, share and rate).
 * One module, so the headline a person reads is the same number in every output.
 */

/** One row of view_repository_summary (see its header for each column's meaning). */
export interface RepositorySummary {
  repo_id: string;
  name: string;
  root_path: string;
  mainline_branch: string | null;
  is_shallow: number;
  commits: number;
  tracked_commits: number;
  coverage: number | null;
  nontrivial_added_lines: number;
  ai_lines: number;
  nonai_lines: number;
  untracked_lines: number;
  ai_share: number | null;
  nonai_share: number | null;
  untracked_share: number | null;
  heavy_ai_commits: number;
  heavy_ai_judged: number;
  heavy_ai_merged: number;
  heavy_ai_merged_rate: number | null;
  heavy_ai_revert_judged: number;
  heavy_ai_reverted: number;
  heavy_ai_reverted_rate: number | null;
  heavy_ai_churn_judged: number;
  heavy_ai_churned: number;
  churn_window_days: number | null;
  ai_lines_churned: number;
  ai_lines_reaching_mainline: number;
  ai_churn_rate: number | null;
  nonai_lines_churned: number;
  nonai_lines_reaching_mainline: number;
  nonai_churn_rate: number | null;
  churn_open_window_commits: number;
  sessions: number;
  user_prompts: number;
  sessions_with_debug_loop: number;
  sessions_with_error_paste: number;
  edits_applied: number;
  edits_rejected: number;
}

/** One row of view_repository_ai_share: who wrote the AI lines, and how we know. */
export interface ProviderShare {
  provider: string;
  model: string | null;
  source: string;
  commits: number;
  sessions: number;
  ai_lines: number;
  share_of_repo: number | null;
}

export interface MonthShare {
  month: string;
  commits: number;
  nontrivial_added_lines: number;
  ai_lines: number;
  ai_share: number | null;
  coverage: number | null;
}

export interface MonthSessions {
  month: string;
  sessions: number;
  user_prompts: number;
  sessions_with_debug_loop: number;
  sessions_with_error_paste: number;
}

/** A pull request's commit, from view_commit_set_commits. */
export interface CommitSetCommit {
  position: number;
  sha: string;
  subject: string;
  committed_at: string;
  nontrivial_added_lines: number | null;
  ai_lines: number | null;
  ai_share: number | null;
  heavy_ai: number | null;
  attribution_coverage: 'tracked' | 'untracked' | null;
  attribution_source: 'transcript' | 'note' | 'trailer' | null;
  providers: string | null;
}

/** A pull request's headline, from view_commit_set_totals. */
export interface CommitSetTotals {
  commits: number;
  tracked_commits: number;
  coverage: number | null;
  nontrivial_added_lines: number;
  ai_lines: number;
  nonai_lines: number;
  untracked_lines: number;
  ai_share: number | null;
  heavy_ai_commits: number;
}

/** How the AI work behind a commit set went, from its notes: view_commit_set_work. */
export interface CommitSetWork {
  sessions: number;
  user_prompts: number;
  rejected_edits: number;
  sessions_with_debug_loop: number;
  sessions_with_error_paste: number;
}

export interface Figures {
  /** null: the repository is not in the database (no commits yet). */
  repository: RepositorySummary | null;
  providers: ProviderShare[];
  /** The last `months` months with commits, oldest first. */
  months: MonthShare[];
  sessionMonths: MonthSessions[];
  pullRequest: { commits: CommitSetCommit[]; totals: CommitSetTotals; work: CommitSetWork } | null;
}

export interface FigureOptions {
  /** A pull request's commits, oldest first: fills `pullRequest`. */
  commitSet?: readonly string[];
  /**
   * The repository's row of view_repository_summary when the caller read it already (null: none),
   * so the view is not computed again for the headline.
   */
  repository?: RepositorySummary | null;
  /** How many recent months the month series keep (default 12). */
  months?: number;
}

const REPOSITORY_SUMMARIES = `SELECT * FROM view_repository_summary ORDER BY name, root_path`;

/**
 * The figures' queries over the views, each with its parameters: the same SQL whether SQLite runs
 * it (readFigures) or the team warehouse does (readFiguresFrom, for `report --from`).
 */
function figureQueries(repoId: string, months: number) {
  return {
    repository: [`SELECT * FROM view_repository_summary WHERE repo_id = ?`, [repoId]],
    providers: [
      `SELECT provider, model, source, commits, sessions, ai_lines, share_of_repo FROM view_repository_ai_share
       WHERE repo_id = ? ORDER BY ai_lines DESC, provider, model, source`,
      [repoId],
    ],
    months: [
      `SELECT * FROM (
         SELECT month, commits, nontrivial_added_lines, ai_lines, ai_share, coverage FROM view_repository_ai_share_by_month
         WHERE repo_id = ? ORDER BY month DESC LIMIT ?
       ) recent ORDER BY month`,
      [repoId, months],
    ],
    sessionMonths: [
      `SELECT * FROM (
         SELECT month, sessions, user_prompts, sessions_with_debug_loop, sessions_with_error_paste FROM view_session_activity_by_month
         WHERE repo_id = ? ORDER BY month DESC LIMIT ?
       ) recent ORDER BY month`,
      [repoId, months],
    ],
  } satisfies Record<string, [string, (string | number)[]]>;
}

/** Rows of a query over the views, from wherever they are computed. */
export interface ViewReader {
  rows<T>(sql: string, params?: readonly (string | number)[]): Promise<T[]>;
}

/** Every repository the database holds, by name (for the report outside a repository). */
export function readRepositorySummaries(db: Database): RepositorySummary[] {
  return db.prepare(REPOSITORY_SUMMARIES).all<RepositorySummary>();
}

export function readFigures(db: Database, repoId: string, options: FigureOptions = {}): Figures {
  const q = figureQueries(repoId, options.months ?? 12);
  return {
    repository:
      options.repository !== undefined ? options.repository : (db.prepare(q.repository[0]).get<RepositorySummary>(q.repository[1]) ?? null),
    providers: db.prepare(q.providers[0]).all<ProviderShare>(q.providers[1]),
    months: db.prepare(q.months[0]).all<MonthShare>(q.months[1]),
    sessionMonths: db.prepare(q.sessionMonths[0]).all<MonthSessions>(q.sessionMonths[1]),
    pullRequest: options.commitSet ? readCommitSet(db, repoId, options.commitSet) : null,
  };
}

/** The same figures from another engine's views (the team warehouse); no pull-request figures. */
export async function readFiguresFrom(reader: ViewReader, repoId: string, options: Pick<FigureOptions, 'months'> = {}): Promise<Figures> {
  const q = figureQueries(repoId, options.months ?? 12);
  // One after another: a connection runs one query at a time.
  const repository = await reader.rows<RepositorySummary>(...q.repository);
  const providers = await reader.rows<ProviderShare>(...q.providers);
  const months = await reader.rows<MonthShare>(...q.months);
  const sessionMonths = await reader.rows<MonthSessions>(...q.sessionMonths);
  return { repository: repository[0] ?? null, providers, months, sessionMonths, pullRequest: null };
}

export function readRepositorySummariesFrom(reader: ViewReader): Promise<RepositorySummary[]> {
  return reader.rows<RepositorySummary>(REPOSITORY_SUMMARIES);
}

/** Fills temp.paceflow_commit_set and reads the commit-set views over it. */
function readCommitSet(db: Database, repoId: string, shas: readonly string[]): Figures['pullRequest'] {
  db.exec(
    `CREATE TEMP TABLE IF NOT EXISTS paceflow_commit_set (repo_id TEXT NOT NULL, sha TEXT NOT NULL, position INTEGER NOT NULL, PRIMARY KEY (repo_id, sha)) WITHOUT ROWID`,
  );
  createTempViews(db);
  db.exec(`DELETE FROM temp.paceflow_commit_set`);
  const insert = db.prepare(`INSERT OR IGNORE INTO temp.paceflow_commit_set (repo_id, sha, position) VALUES (?, ?, ?)`);
  db.transaction(() => {
    for (const [i, sha] of shas.entries()) insert.run([repoId, sha, i]);
  });
  return {
    commits: db.prepare(`SELECT * FROM view_commit_set_commits ORDER BY position`).all<CommitSetCommit>(),
    totals: db.prepare(`SELECT * FROM view_commit_set_totals`).get<CommitSetTotals>()!,
    work: db.prepare(`SELECT * FROM view_commit_set_work`).get<CommitSetWork>()!,
  };
}
