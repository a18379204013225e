import type { Command } from 'commander';
import { resolve } from 'node:path';
import { formatCount } from '../../format.js';
import type { ExportFormat, ExportManifest } from '../../sync/export.js';
import { where, withExamples, write } from '../flags.js';

export interface ExportOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  format: ExportFormat;
  /** The folder to write (created; the tables in it are replaced). */
  out: string;
  /** Names and emails hashed with PACEFLOW_IDENTITY_SALT. */
  hashIdentities?: boolean;
  now?: Date;
}

/**
 * `paceflow export --format parquet|csv --out <dir>`: the sync contract as files (src/sync/export.ts),
 * from what the database holds.
 */
export async function exportFiles(options: ExportOptions): Promise<{ manifest: ExportManifest; output: string }> {
  const [{ withDatabase }, { exportContract }, { identitySalt }, { latestSchemaVersion }, { packageVersion }] = await Promise.all([
    import('../../db/with-database.js'),
    import('../../sync/export.js'),
    import('../../sync/sync.js'),
    import('../../db/migrate.js'),
    import('../../version.js'),
  ]);
  const env = options.env ?? process.env;
  const salt = identitySalt(options.hashIdentities ?? false, env);
  const out = resolve(options.cwd, options.out);
  const manifest = await withDatabase({ cwd: options.cwd, ...(options.db ? { db: options.db } : {}), env }, async (db) =>
    exportContract(db, {
      out,
      format: options.format,
      version: packageVersion(),
      schemaVersion: latestSchemaVersion(),
      identitySalt: salt,
      now: options.now ?? new Date(),
    }),
  );
  const tables = Object.values(manifest.tables);
  const rows = tables.reduce((n, t) => n + t.rows, 0);
  const files = tables.reduce((n, t) => n + t.files.length, 0);
  return {
    manifest,
    output: `Wrote ${formatCount(rows)} rows of ${tables.length} tables as ${formatCount(files)} ${options.format} files to ${out} (manifest.json lists them)\n`,
  };
}

export function register(program: Command): void {
  const command = program
    .command('export')
    .description('write the sync contract (event_* and the metadata the views join) as Parquet or CSV files, by repository and month')
    .requiredOption('--out <dir>', 'the folder to write (its tables are replaced)')
    .option('--format <format>', 'parquet (DuckDB, Spark, Trino, BigQuery) or csv (spreadsheets)', 'parquet')
    .option('--hash-identities', 'names and emails hashed with $PACEFLOW_IDENTITY_SALT');
  withExamples(command, [
    ['paceflow export --out lake/paceflow', 'Parquet, one dataset per table'],
    ['duckdb -c "SELECT count(*) FROM \'lake/paceflow/event_commit_outcomes/**/*.parquet\'"', 'read it back'],
  ]).action(async (flags: { out: string; format: string; hashIdentities?: boolean }, cmd: Command) => {
    const result = await exportFiles({
      ...where(cmd),
      out: flags.out,
      format: flags.format as ExportFormat,
      ...(flags.hashIdentities ? { hashIdentities: true } : {}),
    });
    write(result.output);
  });
}
