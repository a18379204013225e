import { existsSync, statSync } from 'node:fs';
import { homedir } from 'node:os';
import type { Command } from 'commander';
import type { Database } from '../../db/driver.js';
import { plural } from '../../report/cells.js';
import type { Format, ResultTable } from '../../report/render.js';
import { formatOf, formatOption, where, withExamples, write } from '../flags.js';

export interface DoctorOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  format: Format;
  /** false on TERM=dumb: ok / x / ! instead of ✓ / ✗ / !. */
  unicode?: boolean;
}

/**
 * `paceflow doctor`: what paceflow sees — the database, and for every provider where it looked,
 * what it found, how much of it is read, and what was skipped and why.
 */
export async function doctor(options: DoctorOptions): Promise<string> {
  const [{ resolveDatabasePath }, { renderSections }, { withDatabase }] = await Promise.all([
    import('../../db/path.js'),
    import('../../report/render.js'),
    import('../../db/with-database.js'),
  ]);
  const env = options.env ?? process.env;
  const dbPath = resolveDatabasePath(options.db, options.cwd, env);
  return withDatabase(options, async (db) => {
    const sections = [await databaseSection(db, dbPath), await providersSection(db, env)];
    const refs = refProblemsSection(db);
    if (refs.rows.length > 0) sections.push(refs);
    const hooks = await hooksSection(options.cwd);
    if (hooks) sections.push(hooks);
    const warehouses = warehouseSection(db);
    if (warehouses.rows.length > 0) sections.push(warehouses);
    const checks = verdicts(sections);
    if (options.format === 'json' || options.format === 'csv') return renderSections([checksTable(checks), ...sections], options.format);
    const mark = options.unicode === false ? { ok: 'ok', fail: 'x', warn: '!' } : { ok: '✓', fail: '✗', warn: '!' };
    const lines = checks.map((c) => `${mark[c.verdict]} ${c.check}: ${c.detail}${c.fix ? `\n    fix: ${c.fix}` : ''}`);
    const text = options.format === 'md' ? lines.map((l) => `- ${l.replace('\n    ', ' — ')}`).join('\n') : lines.join('\n');
    return `${text}\n\n${renderSections(sections, options.format)}`;
  });
}

/** One check's verdict: ✓ fine, ✗ broken (with the command that fixes it), ! worth a look. */
export interface Check {
  verdict: 'ok' | 'fail' | 'warn';
  check: string;
  detail: string;
  fix: string | null;
}

function checksTable(checks: Check[]): ResultTable {
  return { name: 'checks', columns: ['verdict', 'check', 'detail', 'fix'], rows: checks.map((c) => ({ ...c })) };
}

/** The verdicts, read off the sections (they hold every fact the verdicts need). */
function verdicts(sections: ResultTable[]): Check[] {
  const out: Check[] = [];
  const by = (name: string) => sections.find((s) => s.name === name);
  const db = by('database')!.rows[0]!;
  const [version, latest] = String(db.schema_version).split(' of ');
  out.push(
    version === latest
      ? {
          verdict: 'ok',
          check: 'database',
          detail: `schema ${version}, ${plural(Number(db.repositories), 'repository', 'repositories')}, ${plural(Number(db.sessions), 'session')}, ${plural(Number(db.commits), 'commit')}`,
          fix: null,
        }
      : {
          verdict: 'fail',
          check: 'database',
          detail: `schema ${version} of ${latest}`,
          fix: 'paceflow ingest (brings the schema up to date)',
        },
  );
  const idle: string[] = [];
  for (const p of by('providers')!.rows) {
    const name = String(p.provider);
    const skipped = Number(p.skipped_lines ?? 0);
    if (Number(p.files_found) === 0 && Number(p.sessions) === 0) idle.push(name);
    else if (skipped > 0 || p.skipped_files)
      out.push({
        verdict: 'warn',
        check: name,
        detail: `${p.sessions} sessions; ${skipped} lines skipped${p.skipped_files ? ', some files skipped' : ''}`,
        fix: `paceflow doctor -f md (each skip, with its file and reason)`,
      });
    else
      out.push({
        verdict: 'ok',
        check: name,
        detail: `${plural(Number(p.sessions), 'session')} from ${plural(Number(p.files_found), 'file')}`,
        fix: null,
      });
  }
  if (idle.length > 0) out.push({ verdict: 'ok', check: 'no transcripts found for', detail: idle.join(', '), fix: null });
  for (const r of by('refs')?.rows ?? [])
    out.push({ verdict: 'warn', check: `ref ${r.ref}`, detail: `${r.kind}: ${r.reason}`, fix: String(r.fix) });
  const hooks = by('hooks')?.rows[0];
  if (hooks) {
    if (hooks.problems) out.push({ verdict: 'fail', check: 'hooks', detail: String(hooks.problems), fix: 'paceflow hooks install' });
    else if (hooks.notes) out.push({ verdict: 'warn', check: 'hooks', detail: String(hooks.notes), fix: 'paceflow hooks install' });
    else if (hooks.installed === 'none')
      out.push({
        verdict: 'warn',
        check: 'hooks',
        detail: 'not installed: commits are recorded only when you run paceflow',
        fix: 'paceflow init',
      });
    else out.push({ verdict: 'ok', check: 'hooks', detail: `${hooks.installed} (${hooks.manager})`, fix: null });
    if (hooks.worker_errors)
      out.push({
        verdict: 'warn',
        check: 'hook worker',
        detail: String(hooks.worker_errors),
        fix: 'paceflow doctor -f md (the log), then paceflow ingest',
      });
  }
  for (const w of by('warehouse')?.rows ?? [])
    out.push({
      verdict: 'ok',
      check: `warehouse ${w.warehouse}`,
      detail: `last synced ${w.last_sync_at ?? 'never (a sync was cut short)'}; ${plural(Number(w.groups_written_since), 'group')} written since`,
      fix: null,
    });
  return out;
}

/** Each warehouse this database syncs to: when it last did, and how much was written since (paceflow sync sends what differs). */
function warehouseSection(db: Database): ResultTable {
  const rows = db
    .prepare(
      `SELECT t.label AS warehouse, t.last_sync_at,
         (SELECT count(*) FROM paceflow_sync_changes c WHERE c.seq >= coalesce(t.synced_through, 0)) AS groups_written_since
       FROM paceflow_sync_targets t ORDER BY t.label`,
    )
    .all();
  return { name: 'warehouse', columns: ['warehouse', 'last_sync_at', 'groups_written_since'], rows };
}

async function databaseSection(db: Database, dbPath: string): Promise<ResultTable> {
  const { latestSchemaVersion } = await import('../../db/migrate.js');
  const version = Number(db.prepare('PRAGMA user_version').get<{ user_version: number }>()?.user_version ?? 0);
  const count = (table: string) => db.prepare(`SELECT count(*) AS n FROM ${table}`).get<{ n: number }>()!.n;
  return {
    name: 'database',
    columns: ['path', 'size_mb', 'schema_version', 'repositories', 'sessions', 'commits'],
    rows: [
      {
        path: dbPath,
        size_mb: existsSync(dbPath) ? Math.round((statSync(dbPath).size / 1048576) * 10) / 10 : 0,
        schema_version: `${version} of ${latestSchemaVersion()}`,
        repositories: count('metadata_repositories'),
        sessions: count('metadata_sessions'),
        commits: count('metadata_commits'),
      },
    ],
  };
}

/** Per provider: where it looked, what it found, read and skipped. */
async function providersSection(db: Database, env: NodeJS.ProcessEnv): Promise<ResultTable> {
  const [{ ALL_PROVIDERS }, { PROVIDERS }, { allWorktreeRoots }] = await Promise.all([
    import('../../providers/index.js'),
    import('../../providers/types.js'),
    import('../../git/worktrees.js'),
  ]);
  // Every work tree of every known repository, as the ingest looks (aider writes into the one it ran in).
  const knownRoots = allWorktreeRoots(
    db
      .prepare(`SELECT root_path FROM metadata_repositories`)
      .all<{ root_path: string }>()
      .map((r) => r.root_path),
  );
  const environment = { env, home: env.HOME || homedir(), knownRoots };
  const stats = db.prepare(`
    SELECT count(*) AS files_read, max(updated_at) AS last_ingested_at, coalesce(sum(skipped_lines), 0) AS skipped_lines,
      count(CASE WHEN byte_offset < size THEN 1 END) AS files_partly_read,
      (SELECT last_skip FROM fact_ingest_watermarks w2 WHERE w2.provider = w.provider AND w2.last_skip IS NOT NULL ORDER BY w2.updated_at DESC LIMIT 1) AS last_skip,
      (SELECT source_path FROM fact_ingest_watermarks w2 WHERE w2.provider = w.provider AND w2.last_skip IS NOT NULL ORDER BY w2.updated_at DESC LIMIT 1) AS last_skip_file
    FROM fact_ingest_watermarks w WHERE provider = ?`);
  const sessions = db.prepare(`SELECT count(*) AS n FROM metadata_sessions WHERE provider = ?`);
  // Files found but not read (no permission, cannot decompress), kept by the last run that tried.
  const unreadable = db.prepare(`SELECT source_path AS path, reason FROM fact_unreadable_sources WHERE provider = ? ORDER BY source_path`);
  const rows: Record<string, unknown>[] = [];
  for (const name of PROVIDERS) {
    const discovery = await ALL_PROVIDERS[name].discover(environment);
    const s = stats.get<Record<string, unknown>>([name]) ?? {};
    rows.push({
      provider: name,
      looked_in: discovery.locations.map((l) => `${l}${existsSync(l) ? '' : ' (missing)'}`).join('; '),
      files_found: discovery.files.length + discovery.skipped.length,
      files_read: s.files_read ?? 0,
      files_partly_read: s.files_partly_read ?? 0,
      sessions: sessions.get<{ n: number }>([name])!.n,
      last_ingested_at: s.last_ingested_at ?? null,
      skipped_lines: s.skipped_lines ?? 0,
      last_skip: s.last_skip ? `${s.last_skip_file}: ${s.last_skip}` : null,
      skipped_files:
        [...discovery.skipped, ...unreadable.all<{ path: string; reason: string }>([name])]
          .map((f) => `${f.path}: ${f.reason}`)
          .join('; ') || null,
    });
  }
  const columns = [
    'provider',
    'looked_in',
    'files_found',
    'files_read',
    'files_partly_read',
    'sessions',
    'last_ingested_at',
    'skipped_lines',
    'last_skip',
    'skipped_files',
  ];
  return { name: 'providers', columns, rows };
}

/** Refs whose history could not be read (skipped, retried every run) and orphan branches. */
function refProblemsSection(db: Database): ResultTable {
  const rows = db
    .prepare(
      `SELECT r.root_path AS repository, p.ref_name AS ref, p.kind, p.object, p.reason,
         CASE p.kind WHEN 'unreadable' THEN 'fetch the missing objects (git fetch), or add the ref to refs.exclude'
                     ELSE 'if it is not code history: refs.exclude in paceflow.config.json, or --exclude-ref' END AS fix
       FROM fact_ref_problems p JOIN metadata_repositories r USING (repo_id) ORDER BY r.root_path, p.ref_name`,
    )
    .all();
  return { name: 'refs', columns: ['repository', 'ref', 'kind', 'object', 'reason', 'fix'], rows };
}

/** The hooks of the repository at cwd; null outside a repository. */
async function hooksSection(cwd: string): Promise<ResultTable | null> {
  const { hookStatus } = await import('../../hooks/install.js');
  let status: Awaited<ReturnType<typeof hookStatus>>;
  try {
    status = await hookStatus(cwd);
  } catch {
    return null; // not inside a repository: no hooks to show
  }
  return {
    name: 'hooks',
    columns: ['manager', 'hooks_dir', 'installed', 'problems', 'notes', 'queued_events', 'worker_running', 'worker_errors'],
    rows: [
      {
        manager: status.manager,
        hooks_dir: status.hooksDir,
        installed:
          status.hooks
            .filter((h) => h.installed)
            .map((h) => h.hook)
            .join(', ') || 'none',
        problems: status.problems.join(' | ') || null,
        notes: status.notes.join(' | ') || null,
        queued_events: status.queued,
        worker_running: status.workerRunning ? 1 : 0,
        worker_errors: status.lastErrors.join(' | ') || null,
      },
    ],
  };
}

export function register(program: Command): void {
  const command = program
    .command('doctor')
    .description(
      'show what paceflow sees: the database, and per provider where it looked, what it found and read, and what it skipped and why',
    )
    .addOption(formatOption());
  withExamples(command, [
    ['paceflow doctor', 'the database, every assistant’s transcripts, the hooks'],
    ['paceflow doctor -f json', 'the same, as JSON'],
  ]).action(async (flags: { format?: string }, cmd: Command) => {
    write(await doctor({ ...where(cmd), format: formatOf(flags), unicode: process.env.TERM !== 'dumb' }));
  });
}
