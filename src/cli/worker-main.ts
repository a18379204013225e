import { resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { UsageError } from '../errors.js';
import { reportError, useRequestedDatabaseDriver } from './boundary.js';

/**
 * The entry of `paceflow hooks worker` (bin/paceflow.js sends it here): what the hooks start after
 * every commit, always with the shim's own arguments, so it goes without the command-line parser —
 * commander and the commands' declarations were ~25 ms of every worker run. It takes what the
 * hidden command declares (src/cli/commands/hooks.ts): --dir, and the global -C/--repo and --db;
 * PACEFLOW_DB, which the shim sets, wins over --db as there.
 */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    const options = workerArguments(argv.slice(4));
    await useRequestedDatabaseDriver();
    const { runHookWorker } = await import('../hooks/worker.js');
    await runHookWorker(options);
  } catch (error) {
    reportError(error);
  }
}

/** The worker's options from the arguments after `hooks worker`. */
export function workerArguments(args: string[], env: NodeJS.ProcessEnv = process.env): { cwd: string; db?: string; dir: string } {
  let values: { dir?: string; repo?: string; db?: string };
  try {
    ({ values } = parseArgs({
      args,
      options: { dir: { type: 'string' }, repo: { type: 'string', short: 'C' }, db: { type: 'string' } },
      strict: true,
      allowPositionals: false,
    }));
  } catch (error) {
    throw new UsageError(`hooks worker: ${(error as Error).message}`);
  }
  if (!values.dir) throw new UsageError(`hooks worker: required option '--dir <dir>' not specified`);
  const db = env.PACEFLOW_DB || values.db;
  return { cwd: resolve(values.repo ?? process.cwd()), ...(db ? { db } : {}), dir: values.dir };
}
