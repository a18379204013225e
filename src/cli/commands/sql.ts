import type { Row, Statement } from '../../db/driver.js';
import { UsageError } from '../../errors.js';
import { renderTable, type Format } from '../../report/render.js';
import { withDatabase } from '../database.js';

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
  // The first open creates and migrates the database, so the views exist for the query.
  await withDatabase(options, async () => undefined);
  return withDatabase(
    options,
    async (db) => {
      let stmt: Statement;
      try {
        stmt = db.prepare(options.query);
      } catch (error) {
        throw new UsageError(`query failed: ${(error as Error).message}`);
      }
      if (!stmt.readonly) throw new UsageError('paceflow sql runs read-only queries; this statement would change the database');
      const columns = stmt.columns();
      if (columns.length === 0) throw new UsageError('the statement returns no rows; give a SELECT (or a read-only PRAGMA)');
      let rows: Row[];
      try {
        rows = stmt.all();
      } catch (error) {
        throw new UsageError(`query failed: ${(error as Error).message}`);
      }
      return renderTable({ name: 'result', columns, rows }, options.format);
    },
    { readonly: true },
  );
}
