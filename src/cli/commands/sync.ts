import type { Command } from 'commander';
import { formatCount } from '../../format.js';
import type { SyncOutcome } from '../../sync/sync.js';
import { addSessionFlags, type SessionFlags, sessionOptions, wantsProgress, where, withExamples, write } from '../flags.js';
import { ingest } from './ingest.js';

export interface SyncOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  /** --to: the warehouse URL; else PACEFLOW_WAREHOUSE_URL, else the config file's warehouse.url. */
  to?: string;
  /** Send names and emails hashed with PACEFLOW_IDENTITY_SALT (also: warehouse.hashIdentities). */
  hashIdentities?: boolean;
  /** Bring the repository at cwd and new transcripts up to date first (default true). */
  ingest?: boolean;
  providers?: string[];
  since?: string;
  sessions?: boolean;
  progress?: boolean;
  now?: Date;
  /** Rows per warehouse transaction (tests make it small). */
  batchRows?: number;
}

export interface SyncResult extends SyncOutcome {
  output: string;
}

/**
 * `paceflow sync`: brings the database up to date (unless told not to), then sends the sync
 * contract's changes since this machine's last sync to the team's PostgreSQL (src/sync/).
 */
export async function sync(options: SyncOptions): Promise<SyncResult> {
  const [{ withDatabase }, { loadConfig }, { locateRepository }, syncModule, { packageVersion }] = await Promise.all([
    import('../../db/with-database.js'),
    import('../../config/config.js'),
    import('../../git/repository.js'),
    import('../../sync/sync.js'),
    import('../../version.js'),
  ]);
  const env = options.env ?? process.env;
  const root = await locateRepository(options.cwd, env).then(
    (l) => l.root,
    () => null,
  );
  const { config } = await loadConfig(root);
  // The URL and salt are checked before any work, so a typo costs nothing.
  const url = syncModule.resolveWarehouseUrl(options.to, env, config.warehouse.url);
  const salt = syncModule.identitySalt(options.hashIdentities ?? config.warehouse.hashIdentities, env);
  if (options.ingest !== false) {
    await ingest({
      cwd: options.cwd,
      ...(options.db ? { db: options.db } : {}),
      env,
      ...(options.providers ? { providers: options.providers } : {}),
      ...(options.since ? { since: options.since } : {}),
      ...(options.sessions === false ? { sessions: false } : {}),
      progress: options.progress ?? false,
    });
  }
  const outcome = await withDatabase({ cwd: options.cwd, ...(options.db ? { db: options.db } : {}), env }, (db) =>
    syncModule.syncToWarehouse(db, {
      url,
      version: packageVersion(),
      identitySalt: salt,
      ...(options.now ? { now: options.now } : {}),
      ...batchRows(options, env),
    }),
  );
  return { ...outcome, output: describeSync(outcome) };
}

/** Rows per warehouse transaction: the option, else PACEFLOW_SYNC_BATCH_ROWS (a tuning knob), else the default. */
function batchRows(options: SyncOptions, env: NodeJS.ProcessEnv): { batchRows?: number } {
  const n = options.batchRows ?? Number(env.PACEFLOW_SYNC_BATCH_ROWS);
  return Number.isInteger(n) && n > 0 ? { batchRows: n } : {};
}

/** What a sync did, in a few lines: where, how much, and what a first sync means. */
export function describeSync(outcome: SyncOutcome): string {
  const counts = Object.entries(outcome.tables);
  const rows = counts.reduce((n, [, c]) => n + c.rows, 0);
  const groups = counts.reduce((n, [, c]) => n + c.groups, 0);
  const removed = counts.reduce((n, [, c]) => n + c.removed, 0);
  const lines = [
    `paceflow sync → ${outcome.label} (this machine: ${outcome.machineId.slice(0, 8)}${outcome.full ? '; every group compared' : ''})`,
  ];
  if (rows === 0 && removed === 0) lines.push('Nothing changed since the last sync: the warehouse has it all.');
  else {
    lines.push(
      `Sent ${formatCount(rows)} ${rows === 1 ? 'row' : 'rows'} in ${formatCount(groups)} ${groups === 1 ? 'group' : 'groups'}` +
        (removed > 0 ? `; removed ${formatCount(removed)} ${removed === 1 ? 'group' : 'groups'} gone here` : '') +
        ':',
    );
    for (const [table, c] of counts) {
      if (c.rows > 0 || c.removed > 0)
        lines.push(
          `  ${table.padEnd(28)} ${formatCount(c.rows).padStart(9)} rows${c.removed > 0 ? `, ${formatCount(c.removed)} removed` : ''}`,
        );
    }
  }
  lines.push('Team report: paceflow report --from <the same URL>');
  return `${lines.join('\n')}\n`;
}

export function register(program: Command): void {
  const command = program
    .command('sync')
    .description("send this machine's events to the team warehouse (PostgreSQL): only what changed since the last sync")
    .option('--to <url>', 'postgres://user@host:5432/db (default: $PACEFLOW_WAREHOUSE_URL, else warehouse.url in paceflow.config.json)')
    .option('--hash-identities', 'send author and committer names and emails hashed with $PACEFLOW_IDENTITY_SALT')
    .option('--no-ingest', 'send what the database holds without recording new commits first')
    .option('--no-progress', 'no progress bar on stderr');
  withExamples(addSessionFlags(command), [
    ['PACEFLOW_WAREHOUSE_URL=postgres://me@db.internal/eng paceflow sync', 'the password from ~/.pgpass'],
    ["paceflow sync --to 'postgres://me@db.internal/eng?sslmode=verify-full'", 'TLS, the server certificate checked'],
  ]).action(async (flags: SessionFlags & { to?: string; hashIdentities?: boolean; ingest: boolean; progress: boolean }, cmd: Command) => {
    const result = await sync({
      ...where(cmd),
      ...sessionOptions(flags),
      ...(flags.to ? { to: flags.to } : {}),
      ...(flags.hashIdentities ? { hashIdentities: true } : {}),
      ingest: flags.ingest,
      progress: wantsProgress(flags),
    });
    write(result.output);
  });
}
