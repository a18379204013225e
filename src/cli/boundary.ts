import { PaceflowError } from '../errors.js';

/**
 * What every entry of the CLI does first and last (src/cli/main.ts, src/cli/worker-main.ts): the
 * database driver the environment asks for, and the one place an error becomes a message and an
 * exit code.
 */
export async function useRequestedDatabaseDriver(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (env.PACEFLOW_SQLITE !== 'node') return;
  // node:sqlite (Node 22.5+) instead of the better-sqlite3 addon: what the Action uses.
  const [{ useDatabaseFactory }, { NodeSqliteDatabase }] = await Promise.all([import('../db/open.js'), import('../db/node-sqlite.js')]);
  useDatabaseFactory((path, options) => new NodeSqliteDatabase(path, options));
}

/** A PaceflowError's message and exit code; anything else is a bug to report (exit 70). */
export function reportError(error: unknown): void {
  if (error instanceof PaceflowError) {
    process.stderr.write(`paceflow: ${error.message}\n`);
    process.exitCode = error.exitCode;
    return;
  }
  process.stderr.write(`paceflow: unexpected error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
  process.exitCode = 70;
}
