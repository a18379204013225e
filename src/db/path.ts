import { homedir } from 'node:os';
import { join, resolve } from 'node:path';

/**
 * Where the one paceflow database lives (DESIGN §6): `--db`, else `$PACEFLOW_HOME/paceflow.db`,
 * else `$XDG_DATA_HOME/paceflow/paceflow.db`, else `~/.local/share/paceflow/paceflow.db`.
 */
export function defaultDatabasePath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.PACEFLOW_HOME) return resolve(env.PACEFLOW_HOME, 'paceflow.db');
  const dataHome = env.XDG_DATA_HOME || join(env.HOME || homedir(), '.local', 'share');
  return resolve(dataHome, 'paceflow', 'paceflow.db');
}

export function resolveDatabasePath(explicit: string | undefined, cwd: string, env = process.env): string {
  return explicit ? resolve(cwd, explicit) : defaultDatabasePath(env);
}
