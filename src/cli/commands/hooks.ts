import { type Command, Option } from 'commander';
import type { HookManagerName } from '../../hooks/install.js';
import { wantsProgress, where, withExamples, write } from '../flags.js';
import { ingest } from './ingest.js';

export interface HooksOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
}

/** `paceflow hooks install` (and `paceflow init`, which also runs the first ingest). */
export async function hooksInstall(
  options: HooksOptions & { ingestFirst?: boolean; progress?: boolean; manager?: HookManagerName },
): Promise<string[]> {
  const { installHooks } = await import('../../hooks/install.js');
  const result = await installHooks(options.cwd, {
    ...(options.db ? { db: options.db } : {}),
    ...(options.manager ? { manager: options.manager } : {}),
  });
  if (options.ingestFirst) {
    // init: three lines — what was installed, what was recorded, what to run next.
    const summary = await ingest({ ...options, progress: options.progress ?? false });
    const recorded = await recordedLine(options, summary.git?.repoId ?? null);
    return [
      `Hooks: ${result.installed.length > 0 ? 'installed' : 'already installed'} ${[...result.installed, ...result.alreadyInstalled].join(', ')} (${result.setup.manager}, ${result.setup.hooksDir}): commits are recorded as they happen.`,
      recorded,
      'Next: paceflow report (the summary) · paceflow doctor (what paceflow sees) · paceflow hooks status',
      ...result.notes.map((note) => `note: ${note}`),
      ...summary.warnings.map((w) => `note: ${w}`),
    ];
  }
  const lines = [
    `paceflow hooks (${result.setup.manager}, ${result.setup.hooksDir}): ` +
      (result.installed.length > 0 ? `installed ${result.installed.join(', ')}` : 'already installed') +
      (result.alreadyInstalled.length > 0 && result.installed.length > 0 ? `; already there: ${result.alreadyInstalled.join(', ')}` : ''),
    ...result.notes.map((note) => `note: ${note}`),
  ];
  return lines;
}

/** What the first ingest recorded, from view_repository_summary. */
async function recordedLine(options: HooksOptions, repoId: string | null): Promise<string> {
  if (!repoId) return 'Recorded: nothing yet (the repository has no commits).';
  const [{ withDatabase }, { readFigures }, { headline }, { plural }] = await Promise.all([
    import('../../db/with-database.js'),
    import('../../report/figures.js'),
    import('../../report/summary.js'),
    import('../../report/cells.js'),
  ]);
  const r = await withDatabase(options, async (db) => readFigures(db, repoId).repository);
  if (!r) return 'Recorded: nothing yet.';
  return `Recorded ${r.name}: ${plural(r.commits, 'commit')}, ${plural(r.sessions, 'session')}. ${headline(r)}`;
}

export async function hooksUninstall(options: HooksOptions): Promise<string> {
  const { uninstallHooks } = await import('../../hooks/install.js');
  const { setup, removed } = await uninstallHooks(options.cwd);
  return removed.length > 0
    ? `removed ${removed.join(', ')} from ${setup.hooksDir}; what was there before is back`
    : 'no paceflow hooks were installed';
}

export async function hooksStatus(options: HooksOptions): Promise<string[]> {
  const { HOOKS, hookStatus } = await import('../../hooks/install.js');
  const status = await hookStatus(options.cwd);
  const lines = [
    `hooks: ${status.manager} (${status.hooksDir})`,
    ...status.hooks.map(
      (h) => `  ${h.hook}: ${h.broken ? `installed but broken (${h.broken})` : h.installed ? 'installed' : 'not installed'}`,
    ),
    `queue: ${status.queued} events waiting; worker ${status.workerRunning ? 'running' : 'idle'}`,
  ];
  for (const problem of status.problems) lines.push(`problem: ${problem}`);
  for (const note of status.notes) lines.push(`note: ${note}`);
  if (status.lastErrors.length > 0) lines.push('worker errors (latest last):', ...status.lastErrors.map((e) => `  ${e}`));
  if (status.hooks.every((h) => !h.installed)) lines.push(`install with: paceflow init (hooks: ${HOOKS.join(', ')})`);
  return lines;
}

/** `paceflow hooks worker` (started by the shim, not by people). */
export async function hooksWorker(options: HooksOptions & { dir: string }): Promise<void> {
  const { runHookWorker } = await import('../../hooks/worker.js');
  await runHookWorker(options);
}

function managerOption(): Option {
  // The names of src/hooks/managers, repeated here so start-up does not load the managers.
  const managers = ['plain', 'husky', 'lefthook', 'config'] as const satisfies readonly HookManagerName[];
  return new Option('--manager <manager>', 'where the hooks go, instead of detecting it (kept until uninstall)').choices(managers);
}

export function register(program: Command): void {
  const init = program
    .command('init')
    .description('install the git hooks (post-commit, post-merge, post-rewrite, pre-push) and run the first ingest')
    .option('--no-progress', 'no progress bar on stderr')
    .addOption(managerOption());
  withExamples(init, [
    ['paceflow init', 'hooks where this repository keeps them, then the first ingest'],
    ['paceflow init --manager plain', 'hooks in .git/hooks even under husky or lefthook'],
  ]).action(async (flags: { progress: boolean; manager?: HookManagerName }, cmd: Command) => {
    const lines = await hooksInstall({
      ...where(cmd),
      ingestFirst: true,
      progress: wantsProgress(flags),
      ...(flags.manager ? { manager: flags.manager } : {}),
    });
    for (const line of lines) write(line);
  });

  const hooks = program.command('hooks').description('manage the git hooks that record commits as they happen');
  withExamples(hooks, [
    ['paceflow hooks status', 'which hooks are installed, the queue, the worker’s latest errors'],
    ['paceflow hooks uninstall', 'remove them and put back what was there'],
  ]);
  withExamples(
    hooks
      .command('install')
      .description(
        'install the hooks into husky, lefthook-local.yml, git config (git ≥ 2.54) or .git/hooks (an existing hook is kept and still runs)',
      )
      .addOption(managerOption()),
    [
      ['paceflow hooks install', 'detect husky, lefthook, config hooks or plain .git/hooks'],
      ['paceflow hooks install --manager lefthook', 'into lefthook-local.yml'],
    ],
  ).action(async (flags: { manager?: HookManagerName }, cmd: Command) => {
    for (const line of await hooksInstall({ ...where(cmd), ...(flags.manager ? { manager: flags.manager } : {}) })) write(line);
  });
  withExamples(hooks.command('uninstall').description('remove the hooks and restore exactly what was there before'), [
    ['paceflow hooks uninstall', 'remove paceflow’s hooks from this repository'],
    ['paceflow -C ../other hooks uninstall', 'from another repository'],
  ]).action(async (_flags: unknown, cmd: Command) => {
    write(await hooksUninstall(where(cmd)));
  });
  withExamples(hooks.command('status').description('which hooks are installed, the queue, the worker and its latest errors'), [
    ['paceflow hooks status', 'this repository'],
    ['paceflow -C ../other hooks status', 'another repository'],
  ]).action(async (_flags: unknown, cmd: Command) => {
    for (const line of await hooksStatus(where(cmd))) write(line);
  });
  hooks
    .command('worker', { hidden: true })
    .requiredOption('--dir <dir>', 'the paceflow folder in the git common dir')
    .action(async (flags: { dir: string }, cmd: Command) => {
      const db = process.env.PACEFLOW_DB || undefined;
      await hooksWorker({ ...where(cmd), ...(db ? { db } : {}), dir: flags.dir });
    });
}
