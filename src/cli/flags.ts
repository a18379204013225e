import { resolve } from 'node:path';
import { type Command, InvalidArgumentError, Option } from 'commander';
import type { ConfigOverrides } from '../config/config.js';
import { defaultFormat, type Format, parseFormat } from '../report/formats.js';
import { type TerminalStyle, terminalStyle } from '../report/terminal.js';

/**
 * The option declarations several commands share, and the glue from commander's flags to a
 * command's typed options. Light on purpose: every command module imports it at start-up.
 */

export interface GlobalFlags {
  db?: string;
  repo?: string;
}

export interface ConfigFlags {
  mainline?: string;
  heavyAiThreshold?: number;
  heavyAiMinLines?: number;
  churnWindow?: number;
  revertWindow?: number;
  taskKeyPattern?: string;
  excludeRef?: string[];
}

export interface SessionFlags {
  provider?: string[];
  since?: string;
  sessions: boolean;
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('not a number.');
  return n;
}

export function addConfigFlags(command: Command): Command {
  return command
    .option('--mainline <branch>', 'mainline branch (default: origin/HEAD, else main, else master)')
    .option('--heavy-ai-threshold <share>', 'AI share (0-1) at which a commit is heavy-AI (default 0.5)', number)
    .option('--heavy-ai-min-lines <n>', 'non-trivial added lines a heavy-AI commit needs (default 3)', number)
    .option('--churn-window <days>', 'days after reaching mainline in which a changed AI line is churn (default 14)', number)
    .option('--revert-window <days>', 'days in which a revert counts as reverted-later (default 30)', number)
    .option('--task-key-pattern <regex>', 'regular expression of task keys (default \\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\\b)')
    .option('--exclude-ref <glob...>', 'refs that are not code history, e.g. "entire/checkpoints/*" (adds to refs.exclude)');
}

export function addSessionFlags(command: Command): Command {
  return command
    .option(
      '--provider <name...>',
      'session providers to read: claude-code (or claude), codex, gemini-cli (or gemini), amp, copilot, cursor, aider, opencode (default: all)',
    )
    .option('--since <when>', 'only transcripts modified since a date (2026-01-31) or a duration ago (7d, 12h, 2w)')
    .option('--no-sessions', 'read git history only, no session transcripts');
}

export function sessionOptions(flags: SessionFlags): { providers?: string[]; since?: string; sessions: boolean } {
  return {
    ...(flags.provider ? { providers: flags.provider } : {}),
    ...(flags.since ? { since: flags.since } : {}),
    sessions: flags.sessions,
  };
}

export function configOverrides(flags: ConfigFlags): ConfigOverrides {
  return {
    mainline: flags.mainline,
    heavyAiThreshold: flags.heavyAiThreshold,
    heavyAiMinLines: flags.heavyAiMinLines,
    churnWindowDays: flags.churnWindow,
    revertWindowDays: flags.revertWindow,
    taskKeyPattern: flags.taskKeyPattern,
    ...(flags.excludeRef ? { refs: { exclude: flags.excludeRef } } : {}),
  };
}

/** The repository directory and database the global flags name. */
export function where(command: Command): { cwd: string; db?: string } {
  const globals = command.optsWithGlobals<GlobalFlags>();
  return { cwd: resolve(globals.repo ?? process.cwd()), ...(globals.db ? { db: globals.db } : {}) };
}

export function formatOption(): Option {
  return new Option('-f, --format <format>', 'output format (default: table on a terminal, md otherwise)').choices([
    'table',
    'md',
    'json',
    'csv',
  ]);
}

/** The format asked for, else a table on a terminal and Markdown in a pipe. */
export function formatOf(flags: { format?: string }): Format {
  return flags.format ? parseFormat(flags.format) : defaultFormat(process.stdout.isTTY === true);
}

/** A progress bar only when asked for and stderr is a terminal. */
export function wantsProgress(flags: { progress: boolean }): boolean {
  return flags.progress && process.stderr.isTTY === true;
}

/** The terminal style of standard output: its width, colour (not with NO_COLOR, TERM=dumb or a pipe). */
export function stdoutStyle(): TerminalStyle {
  return terminalStyle(process.stdout, process.env);
}

export function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function writeNotes(notes: readonly string[]): void {
  for (const note of notes) process.stderr.write(`paceflow: ${note}\n`);
}

/** A command's `--help` ends with these examples (command line, what it does). */
export function withExamples(command: Command, examples: readonly (readonly [string, string])[]): Command {
  const width = Math.max(...examples.map(([line]) => line.length));
  return command.addHelpText(
    'after',
    `\nExamples:\n${examples.map(([line, what]) => `  $ ${line.padEnd(width)}  # ${what}`).join('\n')}\n`,
  );
}
