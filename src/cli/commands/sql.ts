import type { Command } from 'commander';
import type { Row, Statement } from '../../db/driver.js';
import { UsageError } from '../../errors.js';
import type { Format } from '../../report/render.js';
import { formatOf, formatOption, where, withExamples, write } from '../flags.js';

export interface SqlOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
  query: string;
  format: Format;
}

/**
 * `paceflow sql "<query>"`: one read-only statement over the database. The connection itself is
 * opened read-only, and a statement that could write is refused before it runs.
 */
export async function sql(options: SqlOptions): Promise<string> {
  const [{ withDatabase }, { renderTable }] = await Promise.all([import('../../db/with-database.js'), import('../../report/render.js')]);
  // The first open creates and migrates the database, so the views exist for the query.
  await withDatabase(options, async () => undefined);
  return withDatabase(
    options,
    async (db) => {
      let stmt: Statement;
      try {
        stmt = db.prepare(options.query);
      } catch (error) {
        throw queryError(error);
      }
      if (!stmt.readonly) throw new UsageError('paceflow sql runs read-only queries; this statement would change the database');
      const columns = stmt.columns();
      if (columns.length === 0) throw new UsageError('the statement returns no rows; give a SELECT (or a read-only PRAGMA)');
      let rows: Row[];
      try {
        rows = stmt.all();
      } catch (error) {
        throw queryError(error);
      }
      return renderTable({ name: 'result', columns, rows }, options.format);
    },
    { readonly: true },
  );
}

/**
 * A query's own mistake (SQLITE_ERROR: syntax, an unknown table or column) is a usage error (2);
 * anything else — a corrupt or locked database — stays a database error (1), named by withDatabase.
 */
function queryError(error: unknown): unknown {
  const { code, errcode } = error as { code?: unknown; errcode?: unknown };
  // better-sqlite3 names the code; node:sqlite says ERR_SQLITE_ERROR with SQLite's number (1 = SQLITE_ERROR).
  const ownMistake = code === 'SQLITE_ERROR' || (code === 'ERR_SQLITE_ERROR' && errcode === 1) || code === undefined;
  return ownMistake ? new UsageError(`query failed: ${(error as Error).message}`) : error;
}

export function register(program: Command): void {
  const command = program
    .command('sql')
    .description('run one read-only SQL query over the database (tables metadata_*, fact_*, event_*, views view_*)')
    .argument('<query>', 'a SELECT (or read-only PRAGMA) statement')
    .addOption(formatOption());
  withExamples(command, [
    ["paceflow sql 'SELECT * FROM view_repository_ai_share'", 'one view, every column'],
    ["paceflow sql 'SELECT provider, count(*) FROM metadata_sessions GROUP BY 1' -f csv", 'your own question, as CSV'],
  ]).action(async (query: string, flags: { format?: string }, cmd: Command) => {
    write(await sql({ ...where(cmd), query, format: formatOf(flags) }));
  });
}
