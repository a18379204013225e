import type { Command } from 'commander';

/** What every command module exports beside its implementation: its declaration. */
export interface CommandModule {
  register(program: Command): void;
}

/**
 * Every command module, in the order `paceflow --help` lists them, with the command names each
 * registers. A module declares its own options beside its implementation; the CLI loads only the
 * module of the command being run (all of them for the top-level help), so start-up stays as
 * cheap as one command. A new command is one module and one entry here.
 */
export const COMMAND_MODULES: readonly { names: readonly string[]; load: () => Promise<CommandModule> }[] = [
  { names: ['ingest'], load: () => import('./ingest.js') },
  { names: ['report'], load: () => import('./report.js') },
  { names: ['stats'], load: () => import('./stats.js') },
  { names: ['task-stats'], load: () => import('./task-stats.js') },
  { names: ['show'], load: () => import('./show.js') },
  { names: ['init', 'hooks'], load: () => import('./hooks.js') },
  { names: ['doctor'], load: () => import('./doctor.js') },
  { names: ['sync'], load: () => import('./sync.js') },
  { names: ['export'], load: () => import('./export.js') },
  { names: ['sql'], load: () => import('./sql.js') },
];

/** Global options that take a value (the word after them is not a command). */
const VALUE_OPTIONS = new Set(['--db', '-C', '--repo']);

/** The command word of an argument list (after node and the script), if any. */
export function commandWord(args: readonly string[]): string | undefined {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '--') return undefined;
    if (VALUE_OPTIONS.has(arg)) i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return undefined;
}

/**
 * The modules to register for these arguments: the one command's module; none for a bare
 * `--version`; every module otherwise (help, no command, an unknown one — commander explains).
 */
export function modulesFor(args: readonly string[]): (typeof COMMAND_MODULES)[number][] {
  const word = commandWord(args);
  if (word === undefined && args.some((a) => a === '-v' || a === '--version')) return [];
  const one = COMMAND_MODULES.filter((m) => word !== undefined && m.names.includes(word));
  return one.length > 0 ? one : [...COMMAND_MODULES];
}
