import { UsageError } from '../errors.js';
import type { Figures, RepositorySummary } from './figures.js';
import type { Format } from './formats.js';
import { jsonRows, type ResultTable, renderTable } from './render.js';
import { displayPath, NEXT_STEPS, renderMarkdownSummary, renderTerminalSummary, wrap } from './summary.js';
import { displayWidth, renderTerminalView, type TerminalStyle } from './terminal.js';

/**
 * Everything one `report` (or `stats`, `task-stats`) run shows, read before rendering: the
 * summary figures, the views asked for, the range. Renderers turn it into text and read nothing.
 */
export interface ReportDocument {
  version: string;
  generatedAt: string;
  /** The repository reported on, with its figures; null outside a repository. */
  figures: Figures | null;
  /** Every repository in the database (the summary outside a repository). */
  repositories: RepositorySummary[];
  /** The views to show as tables: every view for --all / md / json, the named ones for --view. */
  views: ResultTable[];
  /** On a terminal: show the views (--all, --view, stats) rather than only the summary. */
  showViews: boolean;
  /** The lead sentence(s) instead of the repository summary (stats: the session summary). */
  lead?: string;
  range: ResultTable | null;
  /** Lines under the summary: what to run next. */
  next?: string;
}

const repositoryNames = (doc: ReportDocument) => new Map(doc.repositories.map((r) => [r.repo_id, r.name]));

/** The columns of the repositories table shown outside a repository. */
const REPOSITORY_COLUMNS = ['name', 'commits', 'ai_share', 'coverage', 'heavy_ai_commits', 'sessions', 'root_path'];

function repositoriesTable(doc: ReportDocument): ResultTable {
  return {
    name: 'repositories',
    columns: REPOSITORY_COLUMNS,
    rows: doc.repositories.map((r) => ({ ...r, root_path: displayPath(r.root_path) })),
  };
}

function terminalSections(doc: ReportDocument, style: TerminalStyle): string[] {
  const names = repositoryNames(doc);
  const out: string[] = [];
  // One repository: its id in every row says nothing, so the column goes.
  const oneRepository = doc.figures !== null;
  const table = (view: ResultTable, title: string) => {
    const t = oneRepository ? { ...view, columns: view.columns.filter((c) => c !== 'repo_id') } : view;
    const rendered = renderTerminalView(t, style, names);
    const shown = t.columns.length - rendered.hidden.length;
    const compact = rendered.hidden.length > 0 ? `  (compact: ${shown} of ${t.columns.length} columns; -f md has all)` : '';
    const heading = displayWidth(`${title}${compact}`) <= style.width ? `${title}${compact}` : `${title}\n${compact.trim()}`;
    out.push(`${heading}\n\n${rendered.text}`);
  };
  if (doc.range) table(doc.range, doc.range.name);
  if (!doc.showViews) return out;
  const empty = doc.views.filter((v) => v.rows.length === 0).map((v) => v.name);
  for (const view of doc.views) if (view.rows.length > 0) table(view, view.name);
  if (empty.length > 0) out.push(wrap(`No rows yet: ${empty.join(', ')}`, style.width).join('\n'));
  return out;
}

function renderTerminal(doc: ReportDocument, style: TerminalStyle): string {
  const out: string[] = [];
  if (doc.lead) out.push(wrap(doc.lead, style.width).join('\n'));
  else if (doc.figures) out.push(renderTerminalSummary(doc.figures, style));
  else if (doc.repositories.length === 0) out.push('No repository recorded yet: run `paceflow report` inside a git repository.');
  else {
    const t = renderTerminalView(repositoriesTable(doc), style, new Map());
    out.push(
      `${doc.repositories.length === 1 ? 'One repository' : `${doc.repositories.length} repositories`} in the database:\n\n${t.text}`,
    );
  }
  out.push(...terminalSections(doc, style));
  const next = doc.next ?? (doc.figures && !doc.showViews ? NEXT_STEPS : undefined);
  if (next) out.push(wrap(next, style.width).join('\n'));
  return `${out.join('\n\n')}\n`;
}

function renderMarkdownDocument(doc: ReportDocument): string {
  const out: string[] = [];
  if (doc.lead) out.push(doc.lead);
  else if (doc.figures) out.push(renderMarkdownSummary(doc.figures));
  else if (doc.repositories.length > 0) out.push(`### repositories\n\n${renderTable(repositoriesTable(doc), 'md')}`);
  if (doc.range) out.push(`### ${doc.range.name}\n\n${renderTable(doc.range, 'md')}`);
  for (const view of doc.views) out.push(`### ${view.name}\n\n${renderTable(view, 'md')}`);
  return `${out.join('\n\n')}\n`;
}

/** The JSON shape of report (documented in docs/report.md): stable keys, every column of every view. */
export function reportJson(doc: ReportDocument): Record<string, unknown> {
  const r = doc.figures?.repository ?? null;
  // The rows themselves, not a round trip through JSON text: the document is stringified once.
  const rows = (t: ResultTable) => jsonRows(t);
  return {
    paceflow: doc.version,
    generated_at: doc.generatedAt,
    repository: r ? { id: r.repo_id, name: r.name, path: r.root_path } : null,
    summary: doc.figures
      ? {
          repository: r,
          providers: doc.figures.providers,
          months: doc.figures.months,
          session_months: doc.figures.sessionMonths,
        }
      : null,
    repositories: doc.repositories,
    ...(doc.range ? { range: { name: doc.range.name, rows: rows(doc.range) } } : {}),
    views: Object.fromEntries(doc.views.map((v) => [v.name, rows(v)])),
  };
}

export function renderReportDocument(doc: ReportDocument, format: Format, style: TerminalStyle): string {
  switch (format) {
    case 'table':
      return renderTerminal(doc, style);
    case 'md':
      return renderMarkdownDocument(doc);
    case 'json':
      return `${JSON.stringify(reportJson(doc), null, 2)}\n`;
    case 'csv': {
      const tables = doc.range ? [doc.range, ...doc.views] : doc.views;
      if (tables.length !== 1) {
        throw new UsageError(`--format csv writes one table; choose one with --view (${doc.views.map((t) => t.name).join(', ')})`);
      }
      return `${renderTable(tables[0]!, 'csv')}\n`;
    }
    default: {
      const unreachable: never = format;
      throw new Error(`unhandled format ${String(unreachable)}`);
    }
  }
}
