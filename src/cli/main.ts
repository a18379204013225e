import { Command } from 'commander';
import { PaceflowError } from '../errors.js';
import { packageVersion } from '../version.js';
import { COMMANDS } from './commands/index.js';

export function buildProgram(): Command {
  const program = new Command()
    .name('paceflow')
    .description('Local-first analytics of AI coding-assistant sessions and git history.')
    .version(packageVersion(), '-v, --version', 'print the version')
    .option('--db <path>', 'database file (default: $PACEFLOW_HOME/paceflow.db, else ~/.local/share/paceflow/paceflow.db)')
    .option('-C, --repo <path>', 'work in the repository at <path> instead of the current directory')
    .showHelpAfterError('(run with --help for usage)');
  for (const register of COMMANDS) register(program);
  return program;
}

/** The CLI boundary: the one place errors become a message and an exit code. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    if (process.env.PACEFLOW_SQLITE === 'node') {
      // node:sqlite (Node 22.5+) instead of the better-sqlite3 addon: what the Action uses.
      const [{ useDatabaseFactory }, { NodeSqliteDatabase }] = await Promise.all([import('../db/open.js'), import('../db/node-sqlite.js')]);
      useDatabaseFactory((path, options) => new NodeSqliteDatabase(path, options));
    }
    await buildProgram().parseAsync(argv);
  } catch (error) {
    if (error instanceof PaceflowError) {
      process.stderr.write(`paceflow: ${error.message}\n`);
      process.exitCode = error.exitCode;
      return;
    }
    process.stderr.write(`paceflow: unexpected error (please report it): ${(error as Error)?.stack ?? String(error)}\n`);
    process.exitCode = 70;
  }
}
