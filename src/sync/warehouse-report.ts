import { loadViews } from '../db/migrate.js';
import { UsageError } from '../errors.js';
import type { ReportDocument } from '../report/document.js';
import { readFiguresFrom, readRepositorySummariesFrom, type ViewReader } from '../report/figures.js';
import type { ResultTable } from '../report/render.js';
import { CONTRACT, type ContractTable } from './contract.js';
import { connectWarehouse, describeWarehouseError, quoteIdentifier, type Warehouse } from './postgres.js';
import { createViewsInRounds, latestWarehouseVersion, WAREHOUSE_SCHEMA } from './warehouse-schema.js';

/**
 * `paceflow report --from <url>`: the team report, computed by the warehouse's own views
 * (PostgreSQL runs sql/views, as SQLite does locally) and rendered by the same renderers.
 * Filters (one repository, a start date) shadow the contract tables with TEMP views of the
 * filtered rows and create the view_* again over them for this connection only: the views' SQL
 * stays the one file, and nothing in the warehouse changes.
 */
export interface WarehouseReportRequest {
  url: string;
  /** A repository's id or name (the folder name); null: every repository. */
  repo: string | null;
  /** ISO date: only commits made and sessions started since then. */
  since: string | null;
  /** view_* names to show; empty: every one. */
  views: readonly string[];
  all: boolean;
  /** The summary alone (a terminal without --all or --view): no view's table is read. */
  summaryOnly?: boolean;
  version: string;
  now: Date;
}

export async function warehouseReportDocument(request: WarehouseReportRequest): Promise<ReportDocument> {
  const warehouse = await connectWarehouse(request.url, { schema: WAREHOUSE_SCHEMA });
  try {
    return await readDocument(warehouse, request);
  } catch (error) {
    if (error instanceof UsageError) throw error;
    throw describeWarehouseError(warehouse.label, error, 'reading the team report');
  } finally {
    await warehouse.close();
  }
}

async function readDocument(warehouse: Warehouse, request: WarehouseReportRequest): Promise<ReportDocument> {
  const [{ version }] = (await warehouse
    .query<{ version: string | null }>(
      `SELECT (SELECT value FROM ${quoteIdentifier(WAREHOUSE_SCHEMA)}.paceflow_warehouse WHERE key = 'schema_version') AS version`,
    )
    .catch(() => [{ version: null }])) as [{ version: string | null }];
  if (version === null) throw new UsageError(`warehouse ${warehouse.label} has no paceflow data yet: run paceflow sync --to <it> first`);
  if (Number(version) > latestWarehouseVersion())
    throw new UsageError(
      `warehouse ${warehouse.label}: its schema is version ${version}, made by a newer paceflow; upgrade paceflow on this machine`,
    );
  const repoIds = request.repo === null ? null : await resolveRepository(warehouse, request.repo);
  if (repoIds !== null || request.since !== null) await shadowWithFilters(warehouse, repoIds, request.since);
  const reader: ViewReader = { rows: (sql, params = []) => warehouse.query(toPositional(sql), [...params]) };
  const available = loadViews().map((v) => v.name);
  const wanted = request.views.map((v) => (v.startsWith('view_') ? v : `view_${v}`));
  const unknown = wanted.filter((v) => !available.includes(v));
  if (unknown.length > 0) throw new UsageError(`unknown view ${unknown.join(', ')} (available: ${available.join(', ')})`);
  const showViews = request.all || wanted.length > 0;
  // As the local report: a summary that shows no view's table computes none.
  const views = request.summaryOnly && !showViews ? [] : wanted.length > 0 ? wanted : available;
  const one = repoIds?.length === 1 ? repoIds[0]! : null;
  const tables: ResultTable[] = [];
  for (const view of views) tables.push(await readView(warehouse, view, one));
  return {
    version: request.version,
    generatedAt: request.now.toISOString(),
    figures: one ? await readFiguresFrom(reader, one) : null,
    repositories: await readRepositorySummariesFrom(reader),
    views: tables,
    showViews,
    range: null,
    next: `Team report from ${warehouse.label}${request.since ? ` · since ${request.since.slice(0, 10)}` : ''} · --repo <name> · --view <name> · -f md | json | csv`,
  };
}

/** The repository ids a --repo value names: an id, or a folder name (several repositories may share one). */
async function resolveRepository(warehouse: Warehouse, repo: string): Promise<string[]> {
  const rows = await warehouse.query<{ repo_id: string }>(
    `SELECT repo_id FROM metadata_repositories WHERE repo_id = $1 OR root_path = $1 ORDER BY repo_id`,
    [repo],
  );
  if (rows.length === 0) {
    const known = await warehouse.query<{ name: string }>(`SELECT DISTINCT root_path AS name FROM metadata_repositories ORDER BY 1`);
    throw new UsageError(`no repository "${repo}" in the warehouse (known: ${known.map((k) => k.name).join(', ') || 'none'})`);
  }
  return rows.map((r) => r.repo_id);
}

const literal = (value: string) => `'${value.replaceAll("'", "''")}'`;

/** The WHERE of one contract table under the filters, over the already filtered temp tables. */
function filterOf(table: ContractTable, repos: string | null, since: string | null): string {
  const conditions: string[] = [];
  const has = (column: string) => table.columns.some((c) => c.name === column);
  if (repos && has('repo_id')) conditions.push(`t.repo_id IN (${repos})`);
  if (since) {
    if (table.name === 'metadata_commits' || table.name === 'event_commit_outcomes') conditions.push(`t.committed_at >= ${since}`);
    else if (table.name === 'metadata_sessions') conditions.push(`t.started_at >= ${since}`);
    else if (has('sha')) conditions.push(`(t.repo_id, t.sha) IN (SELECT repo_id, sha FROM pg_temp.metadata_commits)`);
  }
  // Session rows follow their session (an attribution's session_id is only a reference: '' for a trailer).
  if ((since || repos) && table.group[0] === 'session_id' && table.name !== 'metadata_sessions')
    conditions.push(`t.session_id IN (SELECT session_id FROM pg_temp.metadata_sessions)`);
  return conditions.length > 0 ? ` WHERE ${conditions.join(' AND ')}` : '';
}

async function shadowWithFilters(warehouse: Warehouse, repoIds: string[] | null, since: string | null): Promise<void> {
  const repos = repoIds ? repoIds.map(literal).join(', ') : null;
  const from = since ? literal(since) : null;
  // metadata first: the event tables' filters read the filtered commits and sessions.
  const ordered = [...CONTRACT].sort((a, b) => Number(b.name.startsWith('metadata_')) - Number(a.name.startsWith('metadata_')));
  await warehouse.transaction(async () => {
    for (const table of ordered) {
      const columns = table.columns.filter((c) => c.name !== 'evidence' && c.name !== 'transcript_read_at').map((c) => `t.${c.name}`);
      await warehouse.query(
        `CREATE TEMP VIEW ${table.name} AS SELECT ${columns.join(', ')} FROM ${quoteIdentifier(WAREHOUSE_SCHEMA)}.${table.name} t${filterOf(table, repos, from)}`,
      );
    }
    await createViewsInRounds(warehouse, loadViews(), (sql) => sql.replace(/^CREATE VIEW/m, 'CREATE TEMP VIEW'));
  });
}

async function readView(warehouse: Warehouse, view: string, repoId: string | null): Promise<ResultTable> {
  const columns = await warehouse.query<{ column_name: string }>(
    `SELECT a.attname AS column_name FROM pg_attribute a WHERE a.attrelid = $1::regclass AND a.attnum > 0 AND NOT a.attisdropped ORDER BY a.attnum`,
    [view],
  );
  const names = columns.map((c) => c.column_name);
  const filtered = repoId !== null && names.includes('repo_id');
  const rows = await warehouse.query(
    `SELECT * FROM ${quoteIdentifier(view)}${filtered ? ' WHERE repo_id = $1' : ''}`,
    filtered ? [repoId] : [],
  );
  return { name: view, columns: names, rows };
}

/** SQLite's ? placeholders as PostgreSQL's $1, $2, … (the figures' SQL has no ? elsewhere). */
function toPositional(sql: string): string {
  let n = 0;
  return sql.replace(/\?/g, () => `$${++n}`);
}
