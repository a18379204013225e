import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import type { Command } from 'commander';
import type { ConfigOverrides } from '../../config/config.js';
import type { Database } from '../../db/driver.js';
import { NotAGitRepositoryError, UsageError } from '../../errors.js';
import { formatCount } from '../../format.js';
import { formatDuration, formatNumber, formatPercent } from '../../report/cells.js';
import type { ReportDocument } from '../../report/document.js';
import type { Format, ResultTable } from '../../report/render.js';
import type { TerminalStyle } from '../../report/terminal.js';
import {
  addConfigFlags,
  addSessionFlags,
  type ConfigFlags,
  configOverrides,
  formatOf,
  formatOption,
  type SessionFlags,
  sessionOptions,
  wantsProgress,
  where,
  stdoutStyle,
  withExamples,
  write,
  writeNotes,
} from '../flags.js';
import { type IngestSummary, ingest } from './ingest.js';

export interface ReportOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  format: Format;
  /** Only these views (names with or without the `view_` prefix); default: every view. */
  views?: string[];
  /** On a terminal: every view after the summary (`--all`), not the summary alone. */
  all?: boolean;
  /** Every repository in the database instead of the one at cwd. */
  allRepos?: boolean;
  /** Record new commits first (default true). */
  ingest?: boolean;
  config?: ConfigOverrides;
  progress?: boolean;
  providers?: string[];
  since?: string;
  sessions?: boolean;
  /** Only this task's row in views that have a task_key column. */
  taskKey?: string;
  /** `A..B`: the AI share of the lines the range added that survive at B, per provider. */
  range?: string;
  /**
   * Git pathspecs ('*.py', ':!vendor') that limit every commit figure: the views are computed on a
   * throw-away copy whose commit events count only lines in matching paths; --range uses them too.
   */
  pathspecs?: string[];
  /** The terminal's width and colours (default: 80 columns, no colour). */
  style?: TerminalStyle;
  /** What the report opens with instead of the repository summary (stats: how sessions went). */
  lead?: 'sessions';
  /** Also write the self-contained HTML page (charts and tables) to this file. */
  html?: string;
  /** The report's clock (generated_at); tests fix it. */
  now?: Date;
}

export interface ReportResult {
  output: string;
  notes: string[];
  ingest: IngestSummary | null;
}

/**
 * `paceflow report`: brings the repository at cwd up to date (unless told not to), then renders its
 * summary (and, with --all / --view or in md / json, the views). Outside a repository it reports
 * every repository in the database.
 */
export async function report(options: ReportOptions): Promise<ReportResult> {
  // The heavy modules load when a report runs, not at start-up.
  const [{ withDatabase }, { identifyRepository }] = await Promise.all([
    import('../../db/with-database.js'),
    import('../../ingest/git.js'),
  ]);
  const notes: string[] = [];
  let repoId: string | null = null;
  let ingested: IngestSummary | null = null;
  if (options.allRepos && options.ingest !== false) {
    // Every repository: read new transcripts, and the repository at cwd if there is one.
    ingested = await ingest(options);
    notes.push(...ingested.warnings);
  } else if (!options.allRepos) {
    try {
      if (options.ingest !== false) {
        ingested = await ingest(options);
        repoId = ingested.git?.repoId ?? null;
        notes.push(...ingested.warnings);
        if (!ingested.git) notes.push(`${options.cwd} is not inside a git repository: reporting every repository in the database`);
      } else {
        repoId = await withDatabase(options, async (db) => (await identifyRepository(options.cwd, db)).repoId);
      }
    } catch (error) {
      if (!(error instanceof NotAGitRepositoryError)) throw error;
      notes.push(`${options.cwd} is not inside a git repository: reporting every repository in the database`);
    }
  }
  return withDatabase(options, async (db) => {
    const doc = await readDocument(db, { ...options, ...(options.html ? { all: true } : {}) }, repoId, notes);
    if (options.html) {
      const { renderHtmlReport } = await import('../../report/html.js');
      const file = resolve(options.cwd, options.html);
      mkdirSync(dirname(file), { recursive: true });
      writeFileSync(file, renderHtmlReport(doc));
      return { output: `wrote ${file}\n`, notes, ingest: ingested };
    }
    const { renderReportDocument } = await import('../../report/document.js');
    const { PLAIN_STYLE } = await import('../../report/terminal.js');
    return { output: renderReportDocument(doc, options.format, options.style ?? PLAIN_STYLE), notes, ingest: ingested };
  });
}

export interface TeamReportOptions {
  cwd: string;
  /** postgres://… — the warehouse `paceflow sync` fills. */
  from: string;
  format: Format;
  /** A repository's name or id; null: every repository. */
  repo: string | null;
  /** A date (2026-01-31) or a duration ago (90d): only commits made and sessions started since. */
  since: string | null;
  views: readonly string[];
  all: boolean;
  html?: string;
  style?: TerminalStyle;
  now?: Date;
}

/**
 * `paceflow report --from <url>`: the team report, computed by the warehouse's views and rendered
 * like the local one (src/sync/warehouse-report.ts). Nothing is ingested or synced.
 */
export async function teamReport(options: TeamReportOptions): Promise<string> {
  const [{ warehouseReportDocument }, { parseSince }, { packageVersion }] = await Promise.all([
    import('../../sync/warehouse-report.js'),
    import('../../pipeline/update.js'),
    import('../../version.js'),
  ]);
  const now = options.now ?? new Date();
  const since = options.since ? (parseSince(options.since, now)?.toISOString() ?? null) : null;
  const doc = await warehouseReportDocument({
    url: options.from,
    repo: options.repo,
    since,
    views: options.views,
    all: options.all || options.html !== undefined,
    summaryOnly: options.format === 'table',
    version: packageVersion(),
    now,
  });
  if (options.html) {
    const { renderHtmlReport } = await import('../../report/html.js');
    const file = resolve(options.cwd, options.html);
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, renderHtmlReport(doc));
    return `wrote ${file}\n`;
  }
  const [{ renderReportDocument }, { PLAIN_STYLE }] = await Promise.all([
    import('../../report/document.js'),
    import('../../report/terminal.js'),
  ]);
  return renderReportDocument(doc, options.format, options.style ?? PLAIN_STYLE);
}

/** What `report` would show for the repository at cwd, as the database holds it (no ingest). */
export async function reportDocument(options: ReportOptions): Promise<ReportDocument> {
  const [{ withDatabase }, { identifyRepository }] = await Promise.all([
    import('../../db/with-database.js'),
    import('../../ingest/git.js'),
  ]);
  return withDatabase(options, async (db) => {
    const { repoId } = await identifyRepository(options.cwd, db);
    return readDocument(db, options, repoId, []);
  });
}

/** The view every report reads for its list of repositories (figures.ts, readRepositorySummaries). */
const SUMMARY_VIEW = 'view_repository_summary';

/** Reads what the report shows: the figures and views (on a path-scoped copy with pathspecs), the range. */
async function readDocument(db: Database, options: ReportOptions, repoId: string | null, notes: string[]): Promise<ReportDocument> {
  const [{ identifyRepository }, { listViews, readView, viewTable }, { withPathScope }, { loadConfig }, figures, { packageVersion }] =
    await Promise.all([
      import('../../ingest/git.js'),
      import('../../report/views.js'),
      import('../../pipeline/path-scope.js'),
      import('../../config/config.js'),
      import('../../report/figures.js'),
      import('../../version.js'),
    ]);
  const available = listViews(db);
  const wanted = (options.views ?? []).map((v) => (v.startsWith('view_') ? v : `view_${v}`));
  const unknown = wanted.filter((v) => !available.includes(v));
  if (unknown.length > 0) {
    throw new UsageError(`unknown view ${unknown.join(', ')} (available: ${available.join(', ')})`);
  }
  const showViews = options.all === true || wanted.length > 0;
  // The terminal's summary shows no view's table, so none is computed: each is a pass over its
  // events, and the twelve took ~0.5 s of a report over a million event rows. Markdown, JSON and
  // CSV hold the views always.
  const views = options.format === 'table' && !showViews ? [] : wanted.length > 0 ? wanted : available;
  const pathspecs = options.pathspecs ?? [];
  const read = (from: Database) => {
    // view_repository_summary once: the repository list, the view's own table (its grain is a row
    // per repository: every repository's row in the list's order, or in a repository its own row)
    // and a repository's headline. It was computed two or three times a report: ~110 ms each on
    // git's own history, ~75 ms in bench/report.mjs's million event rows.
    const repositories = figures.readRepositorySummaries(from);
    const own = repoId ? repositories.filter((r) => r.repo_id === repoId) : null;
    return {
      tables: views.map((view) =>
        view === SUMMARY_VIEW
          ? viewTable(
              from,
              view,
              (own ?? repositories).map((r) => ({ ...r })),
            )
          : readView(from, view, repoId),
      ),
      figures: repoId ? figures.readFigures(from, repoId, { repository: own?.[0] ?? null }) : null,
      repositories,
    };
  };
  let found: ReturnType<typeof read>;
  if (pathspecs.length > 0 && repoId) {
    const root = (await identifyRepository(options.cwd)).location.root;
    const { config } = await loadConfig(root, options.config);
    found = await withPathScope(db, { repoId, cwd: options.cwd, root, pathspecs, config }, async (scoped, paths) => {
      notes.push(
        `-- ${pathspecs.join(' ')}: commit figures count only lines in the ${formatCount(paths)} matching paths; session views are not limited by path`,
      );
      return read(scoped);
    });
  } else {
    if (pathspecs.length > 0) notes.push('pathspecs need a repository: they were ignored');
    found = read(db);
  }
  if (options.taskKey) {
    for (const table of found.tables) {
      if (table.columns.includes('task_key')) table.rows = table.rows.filter((r) => r.task_key === options.taskKey!.toUpperCase());
    }
  }
  return {
    version: packageVersion(),
    generatedAt: (options.now ?? new Date()).toISOString(),
    figures: found.figures,
    repositories: found.repositories,
    views: found.tables,
    showViews,
    ...(options.lead === 'sessions' ? { lead: sessionLead(db) } : {}),
    range: options.range ? await rangeTable(db, options, repoId) : null,
    ...(showViews ? { next: 'More: paceflow report (the summary) · --view <name> · -f md | json | csv (every column)' } : {}),
  };
}

/** stats opens with how sessions went, from view_global_session_quality's 'all' row. */
function sessionLead(db: Database): string {
  const all = db
    .prepare(
      `SELECT sessions, avg_user_prompts, repeated_debug_loop_rate, error_paste_rate, avg_duration_s FROM view_global_session_quality WHERE scope = 'all'`,
    )
    .get<{
      sessions: number;
      avg_user_prompts: number | null;
      repeated_debug_loop_rate: number | null;
      error_paste_rate: number | null;
      avg_duration_s: number | null;
    }>();
  if (!all || all.sessions === 0)
    return 'No sessions recorded yet: paceflow reads Claude Code, Codex, Gemini, Cursor, Copilot, Amp, Aider and OpenCode transcripts where they keep them.';
  return (
    `Sessions: ${formatCount(all.sessions)} · ${formatNumber(all.avg_user_prompts)} prompts each on average · ` +
    `${formatPercent(all.repeated_debug_loop_rate)} with a repeated debug loop · ${formatPercent(all.error_paste_rate)} with a pasted error · ` +
    `${formatDuration(all.avg_duration_s)} long on average`
  );
}

async function rangeTable(db: Database, options: ReportOptions, repoId: string | null): Promise<ResultTable> {
  const [{ identifyRepository }, { resolveCommit }, { mergeBase }, { loadConfig }, { collectRangeLines, rangeSummary }] = await Promise.all(
    [
      import('../../ingest/git.js'),
      import('../../git/blame.js'),
      import('../../git/mainline.js'),
      import('../../config/config.js'),
      import('../../builders/range.js'),
    ],
  );
  // A..B: what B has that A has not. A...B: the same from the merge base of A and B (what B's side
  // of the fork added), as git reads it.
  const m = /^(.+?)(\.\.\.?)(.+)$/.exec(options.range ?? '');
  if (!m) throw new UsageError(`--range takes A..B or A...B (two revisions), got "${options.range}"`);
  if (!repoId) throw new UsageError('--range needs a repository: run it inside one (or with --repo)');
  const [a, dots, b] = [m[1]!, m[2]!, m[3]!];
  const identity = await identifyRepository(options.cwd);
  const root = identity.location.root;
  const [resolvedA, to] = await Promise.all([resolveCommit(a, root), resolveCommit(b, root)]);
  if (!resolvedA || !to) throw new UsageError(`--range: not a revision here: ${!resolvedA ? a : b}`);
  const from = dots === '...' ? await mergeBase(resolvedA, to, root) : resolvedA;
  if (!from) throw new UsageError(`--range: ${a} and ${b} have no common history, so ${a}...${b} has no start`);
  const { config } = await loadConfig(root, options.config);
  // Pathspecs are read from the person's directory, as git reads them there.
  await collectRangeLines({ db, repoId, cwd: root, pathspecCwd: options.cwd, from, to, pathspecs: options.pathspecs ?? [], config });
  const summary = rangeSummary(db);
  return { name: `range ${a}${dots}${b}`, ...summary };
}

export function register(program: Command): void {
  const command = program
    .command('report')
    .description('bring the repository up to date, then print its summary: how much AI wrote, how sure, what became of it')
    .addOption(formatOption())
    .option('--all', 'on a terminal, every view_* table after the summary (md and json always hold them)')
    .option(
      '--html <file>',
      'write one self-contained HTML page: charts (AI share by month, providers, churn, heavy-AI outcomes, sessions) and every table',
    )
    .option('--view <name...>', 'only these views (e.g. repository_commit_quality)')
    .option('--all-repos', 'every repository in the database, not only the current one')
    .option('--range <A..B>', 'also: the AI share of the non-trivial lines A..B added that survive at B, per provider')
    .argument(
      '[pathspec...]',
      'git pathspecs after -- that limit every commit figure and --range to matching paths (e.g. -- "*.py" ":!vendor")',
    )
    .option('--no-ingest', 'report what the database holds without recording new commits first')
    .option('--no-progress', 'no progress bar on stderr')
    .option(
      '--from <url>',
      'the team report from a warehouse (postgres://…) that paceflow sync fills; with it, --repo names a repository (its name or id) and --since a start date',
    );
  type Flags = ConfigFlags &
    SessionFlags & {
      format?: string;
      view?: string[];
      all?: boolean;
      html?: string;
      allRepos?: boolean;
      ingest: boolean;
      progress: boolean;
      range?: string;
      from?: string;
    };
  withExamples(addSessionFlags(addConfigFlags(command)), [
    ['paceflow report', 'update this repository, then print its summary'],
    ['paceflow report --all', 'the summary, then every view as a table'],
    ['paceflow report --html report.html', 'one page with charts, to open in a browser'],
    ['paceflow report --view repository_ai_share -f json', 'one view, as JSON for scripts'],
    ['paceflow report --range v1.0..v1.1 -- "*.py"', 'the AI share of a release, Python files only'],
    ['paceflow report --from "$PACEFLOW_WAREHOUSE_URL" --since 90d', 'the team: every machine that syncs, the last 90 days'],
  ]).action(async (pathspecs: string[], flags: Flags, cmd: Command) => {
    if (flags.from) {
      const globals = cmd.optsWithGlobals<{ repo?: string }>();
      const team = await teamReport({
        cwd: where(cmd).cwd,
        from: flags.from,
        format: formatOf(flags),
        repo: globals.repo ?? null,
        since: flags.since ?? null,
        views: flags.view ?? [],
        all: flags.all === true,
        ...(flags.html ? { html: flags.html } : {}),
        style: stdoutStyle(),
      });
      write(team);
      return;
    }
    const result = await report({
      ...where(cmd),
      format: formatOf(flags),
      ...(flags.view ? { views: flags.view } : {}),
      all: flags.all === true,
      ...(flags.html ? { html: flags.html } : {}),
      allRepos: flags.allRepos === true,
      style: stdoutStyle(),
      ingest: flags.ingest,
      ...sessionOptions(flags),
      ...(flags.range ? { range: flags.range } : {}),
      pathspecs,
      config: configOverrides(flags),
      progress: wantsProgress(flags),
    });
    writeNotes(result.notes);
    write(result.output);
  });
}
