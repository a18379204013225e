import { Command, CommanderError } from 'commander';
import { reportError, useRequestedDatabaseDriver } from './boundary.js';
import { packageVersion } from '../version.js';
import { modulesFor } from './commands/index.js';

/** The program with the commands these arguments need registered (see modulesFor). */
export async function buildProgram(argv: readonly string[] = process.argv): Promise<Command> {
  const program = new Command()
    .name('paceflow')
    .description('Local-first analytics of AI coding-assistant sessions and git history.')
    .version(packageVersion(), '-v, --version', 'print the version')
    .option('--db <path>', 'database file (default: $PACEFLOW_HOME/paceflow.db, else ~/.local/share/paceflow/paceflow.db)')
    .option('-C, --repo <path>', 'work in the repository at <path> instead of the current directory')
    .showHelpAfterError('(run with --help for usage)')
    // Commander's own errors (unknown option, a bad choice) reach the boundary below as exceptions:
    // one exit code (2) and one prefix for every command-line error. Subcommands inherit both.
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(`paceflow: ${text.replace(/^error: /, '')}`) });
  for (const module of await Promise.all(modulesFor(argv.slice(2)).map((m) => m.load()))) module.register(program);
  return program;
}

/** The CLI boundary: the one place errors become a message and an exit code. */
export async function main(argv: string[] = process.argv): Promise<void> {
  try {
    await useRequestedDatabaseDriver();
    await (await buildProgram(argv)).parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // Help and --version end here too, with commander's code (0); a usage error was printed already.
      process.exitCode = error.exitCode === 0 ? 0 : 2;
      return;
    }
    reportError(error);
  }
}
