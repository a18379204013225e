import { resolve } from 'node:path';
import { Command, InvalidArgumentError, Option } from 'commander';
import type { ConfigOverrides } from '../config/config.js';
import type { HookManager } from '../hooks/install.js';
import { PaceflowError } from '../errors.js';
import { packageVersion } from './version.js';

interface GlobalFlags {
  db?: string;
  repo?: string;
}

interface ConfigFlags {
  mainline?: string;
  heavyAiThreshold?: number;
  heavyAiMinLines?: number;
  churnWindow?: number;
  revertWindow?: number;
  taskKeyPattern?: string;
}

function number(value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isFinite(n)) throw new InvalidArgumentError('not a number.');
  return n;
}

function addConfigFlags(command: Command): Command {
  return command
    .option('--mainline <branch>', 'mainline branch (default: origin/HEAD, else main, else master)')
    .option('--heavy-ai-threshold <share>', 'AI share (0-1) at which a commit is heavy-AI (default 0.5)', number)
    .option('--heavy-ai-min-lines <n>', 'non-trivial added lines a heavy-AI commit needs (default 3)', number)
    .option('--churn-window <days>', 'days after reaching mainline in which a changed AI line is churn (default 14)', number)
    .option('--revert-window <days>', 'days in which a revert counts as reverted-later (default 30)', number)
    .option('--task-key-pattern <regex>', 'regular expression of task keys (default \\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\\b)');
}

interface SessionFlags {
  provider?: string[];
  since?: string;
  sessions: boolean;
}

function addSessionFlags(command: Command): Command {
  return command
    .option(
      '--provider <name...>',
      'session providers to read: claude-code (or claude), codex, gemini-cli (or gemini), amp, copilot, cursor, aider, opencode (default: all)',
    )
    .option('--since <when>', 'only transcripts modified since a date (2026-01-31) or a duration ago (7d, 12h, 2w)')
    .option('--no-sessions', 'read git history only, no session transcripts');
}

function sessionOptions(flags: SessionFlags): { providers?: string[]; since?: string; sessions: boolean } {
  return {
    ...(flags.provider ? { providers: flags.provider } : {}),
    ...(flags.since ? { since: flags.since } : {}),
    sessions: flags.sessions,
  };
}

function configOverrides(flags: ConfigFlags): ConfigOverrides {
  return {
    mainline: flags.mainline,
    heavyAiThreshold: flags.heavyAiThreshold,
    heavyAiMinLines: flags.heavyAiMinLines,
    churnWindowDays: flags.churnWindow,
    revertWindowDays: flags.revertWindow,
    taskKeyPattern: flags.taskKeyPattern,
  };
}

function where(command: Command): { cwd: string; db?: string } {
  const globals = command.optsWithGlobals<GlobalFlags>();
  return { cwd: resolve(globals.repo ?? process.cwd()), ...(globals.db ? { db: globals.db } : {}) };
}

function formatOption(): Option {
  return new Option('-f, --format <format>', 'output format (default: table on a terminal, md otherwise)').choices([
    'table',
    'md',
    'json',
    'csv',
  ]);
}

function managerOption(): Option {
  // The list is src/hooks/install.ts's HOOK_MANAGERS, repeated so start-up does not load the module.
  const managers = ['plain', 'husky', 'lefthook', 'config'] as const satisfies readonly HookManager[];
  return new Option('--manager <manager>', 'where the hooks go, instead of detecting it (kept until uninstall)').choices(managers);
}

function write(text: string): void {
  process.stdout.write(text.endsWith('\n') ? text : `${text}\n`);
}

export function buildProgram(): Command {
  const program = new Command()
    .name('paceflow')
    .description('Local-first analytics of AI coding-assistant sessions and git history.')
    .version(packageVersion(), '-v, --version', 'print the version')
    .option('--db <path>', 'database file (default: $PACEFLOW_HOME/paceflow.db, else ~/.local/share/paceflow/paceflow.db)')
    .option('-C, --repo <path>', 'work in the repository at <path> instead of the current directory')
    .showHelpAfterError('(run with --help for usage)');

  addSessionFlags(
    addConfigFlags(
      program
        .command('ingest')
        .description('record new commits of the repository (all branches, remote branches and tags) and new session transcripts')
        .option('--no-attribution', 'record history and transcripts without attributing commits')
        .option('--no-notes', 'attribute, but do not write refs/notes/paceflow')
        .option('--no-progress', 'no progress bar on stderr'),
    ),
  ).action(async (flags: ConfigFlags & SessionFlags & { progress: boolean; attribution: boolean; notes: boolean }, command: Command) => {
    const { ingest } = await import('./commands/ingest.js');
    const summary = await ingest({
      ...where(command),
      ...sessionOptions(flags),
      attribution: flags.attribution,
      notes: flags.notes,
      config: configOverrides(flags),
      progress: flags.progress && process.stderr.isTTY === true,
    });
    for (const warning of summary.warnings) process.stderr.write(`paceflow: warning: ${warning}\n`);
    for (const message of summary.messages) write(message);
  });

  addSessionFlags(
    addConfigFlags(
      program
        .command('report')
        .description('bring the repository up to date, then print every view_* metric for it')
        .addOption(formatOption())
        .option('--view <name...>', 'only these views (e.g. repository_commit_quality)')
        .option('--all-repos', 'every repository in the database, not only the current one')
        .option('--range <A..B>', 'also: the AI share of the non-trivial lines A..B added that survive at B, per provider')
        .argument(
          '[pathspec...]',
          'git pathspecs after -- that limit every commit figure and --range to matching paths (e.g. -- "*.py" ":!vendor")',
        )
        .option('--no-ingest', 'report what the database holds without recording new commits first')
        .option('--no-progress', 'no progress bar on stderr'),
    ),
  ).action(
    async (
      pathspecs: string[],
      flags: ConfigFlags &
        SessionFlags & { format?: string; view?: string[]; allRepos?: boolean; ingest: boolean; progress: boolean; range?: string },
      command: Command,
    ) => {
      const [{ report }, { defaultFormat, parseFormat }] = await Promise.all([
        import('./commands/report.js'),
        import('../report/render.js'),
      ]);
      const result = await report({
        ...where(command),
        format: flags.format ? parseFormat(flags.format) : defaultFormat(process.stdout.isTTY === true),
        ...(flags.view ? { views: flags.view } : {}),
        allRepos: flags.allRepos === true,
        ingest: flags.ingest,
        ...sessionOptions(flags),
        ...(flags.range ? { range: flags.range } : {}),
        pathspecs,
        config: configOverrides(flags),
        progress: flags.progress && process.stderr.isTTY === true,
      });
      for (const note of result.notes) process.stderr.write(`paceflow: ${note}\n`);
      write(result.output);
    },
  );

  addSessionFlags(
    program
      .command('stats')
      .description('read new session transcripts, then print the session views: quality and productivity')
      .addOption(formatOption())
      .option('--sessions-list', 'also list every session (view_session_productivity)')
      .option('--no-ingest', 'report what the database holds without reading transcripts first')
      .option('--no-progress', 'no progress bar on stderr'),
  ).action(
    async (flags: SessionFlags & { format?: string; sessionsList?: boolean; ingest: boolean; progress: boolean }, command: Command) => {
      const [{ report }, { defaultFormat, parseFormat }] = await Promise.all([
        import('./commands/report.js'),
        import('../report/render.js'),
      ]);
      const views = ['view_global_session_quality', 'view_session_productivity_summary'];
      if (flags.sessionsList) views.push('view_session_productivity');
      const result = await report({
        ...where(command),
        format: flags.format ? parseFormat(flags.format) : defaultFormat(process.stdout.isTTY === true),
        views,
        allRepos: true,
        ingest: flags.ingest,
        ...sessionOptions(flags),
        progress: flags.progress && process.stderr.isTTY === true,
      });
      for (const note of result.notes) process.stderr.write(`paceflow: ${note}\n`);
      write(result.output);
    },
  );

  addSessionFlags(
    program
      .command('task-stats')
      .description('bring the repository and transcripts up to date, then print how work went per task key')
      .argument('[key]', 'one task key (e.g. ABC-123); default: every task and the (no task key) bucket')
      .addOption(formatOption())
      .option('--no-ingest', 'report what the database holds without recording anything first')
      .option('--no-progress', 'no progress bar on stderr'),
  ).action(
    async (key: string | undefined, flags: SessionFlags & { format?: string; ingest: boolean; progress: boolean }, command: Command) => {
      const [{ report }, { defaultFormat, parseFormat }] = await Promise.all([
        import('./commands/report.js'),
        import('../report/render.js'),
      ]);
      const result = await report({
        ...where(command),
        format: flags.format ? parseFormat(flags.format) : defaultFormat(process.stdout.isTTY === true),
        views: ['view_task_execution_quality'],
        allRepos: true,
        ingest: flags.ingest,
        ...sessionOptions(flags),
        ...(key ? { taskKey: key } : {}),
        progress: flags.progress && process.stderr.isTTY === true,
      });
      for (const note of result.notes) process.stderr.write(`paceflow: ${note}\n`);
      write(result.output);
    },
  );

  program
    .command('show')
    .description('explain one commit: its AI attribution, and for each added line which session wrote it or why it did not match')
    .argument('<commit>', 'a commit (sha, branch, HEAD~2 …)')
    .addOption(formatOption())
    .action(async (commit: string, flags: { format?: string }, command: Command) => {
      const [{ show }, { defaultFormat, parseFormat }] = await Promise.all([import('./commands/show.js'), import('../report/render.js')]);
      write(
        await show({
          ...where(command),
          commit,
          format: flags.format ? parseFormat(flags.format) : defaultFormat(process.stdout.isTTY === true),
        }),
      );
    });

  program
    .command('init')
    .description('install the git hooks (post-commit, post-merge, post-rewrite, pre-push) and run the first ingest')
    .option('--no-progress', 'no progress bar on stderr')
    .addOption(managerOption())
    .action(async (flags: { progress: boolean; manager?: HookManager }, command: Command) => {
      const { hooksInstall } = await import('./commands/hooks.js');
      const options = {
        ...where(command),
        ingestFirst: true,
        progress: flags.progress && process.stderr.isTTY === true,
        ...(flags.manager ? { manager: flags.manager } : {}),
      };
      for (const line of await hooksInstall(options)) write(line);
    });

  const hooks = program.command('hooks').description('manage the git hooks that record commits as they happen');
  hooks
    .command('install')
    .description(
      'install the hooks into husky, lefthook-local.yml, git config (git ≥ 2.54) or .git/hooks (an existing hook is kept and still runs)',
    )
    .addOption(managerOption())
    .action(async (flags: { manager?: HookManager }, command: Command) => {
      const { hooksInstall } = await import('./commands/hooks.js');
      for (const line of await hooksInstall({ ...where(command), ...(flags.manager ? { manager: flags.manager } : {}) })) write(line);
    });
  hooks
    .command('uninstall')
    .description('remove the hooks and restore exactly what was there before')
    .action(async (_flags: unknown, command: Command) => {
      const { hooksUninstall } = await import('./commands/hooks.js');
      write(await hooksUninstall(where(command)));
    });
  hooks
    .command('status')
    .description('which hooks are installed, the queue, the worker and its latest errors')
    .action(async (_flags: unknown, command: Command) => {
      const { hooksStatus } = await import('./commands/hooks.js');
      for (const line of await hooksStatus(where(command))) write(line);
    });
  hooks
    .command('worker', { hidden: true })
    .requiredOption('--dir <dir>', 'the paceflow folder in the git common dir')
    .action(async (flags: { dir: string }, command: Command) => {
      const { hooksWorker } = await import('./commands/hooks.js');
      const db = process.env.PACEFLOW_DB || undefined;
      await hooksWorker({ ...where(command), ...(db ? { db } : {}), dir: flags.dir });
    });

  program
    .command('doctor')
    .description(
      'show what paceflow sees: the database, and per provider where it looked, what it found and read, and what it skipped and why',
    )
    .addOption(formatOption())
    .action(async (flags: { format?: string }, command: Command) => {
      const [{ doctor }, { defaultFormat, parseFormat }] = await Promise.all([
        import('./commands/doctor.js'),
        import('../report/render.js'),
      ]);
      write(
        await doctor({
          ...where(command),
          format: flags.format ? parseFormat(flags.format) : defaultFormat(process.stdout.isTTY === true),
        }),
      );
    });

  program
    .command('sql')
    .description('run one read-only SQL query over the database (tables metadata_*, fact_*, event_*, views view_*)')
    .argument('<query>', 'a SELECT (or read-only PRAGMA) statement')
    .addOption(formatOption())
    .action(async (query: string, flags: { format?: string }, command: Command) => {
      const [{ sql }, { defaultFormat, parseFormat }] = await Promise.all([import('./commands/sql.js'), import('../report/render.js')]);
      write(
        await sql({
          ...where(command),
          query,
          format: flags.format ? parseFormat(flags.format) : defaultFormat(process.stdout.isTTY === true),
        }),
      );
    });

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
