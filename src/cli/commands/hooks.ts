import { HOOKS, hookStatus, installHooks, uninstallHooks, type HookManager } from '../../hooks/install.js';
import { runWorker } from '../../hooks/worker.js';
import { ingest } from './ingest.js';

export interface HooksOptions {
  cwd: string;
  db?: string;
  env?: NodeJS.ProcessEnv;
}

/** `paceflow hooks install` (and `paceflow init`, which also runs the first ingest). */
export async function hooksInstall(
  options: HooksOptions & { ingestFirst?: boolean; progress?: boolean; manager?: HookManager },
): Promise<string[]> {
  const result = await installHooks(options.cwd, {
    ...(options.db ? { db: options.db } : {}),
    ...(options.manager ? { manager: options.manager } : {}),
  });
  const lines = [
    `paceflow hooks (${result.setup.manager}, ${result.setup.hooksDir}): ` +
      (result.installed.length > 0 ? `installed ${result.installed.join(', ')}` : 'already installed') +
      (result.alreadyInstalled.length > 0 && result.installed.length > 0 ? `; already there: ${result.alreadyInstalled.join(', ')}` : ''),
    ...result.notes.map((note) => `note: ${note}`),
  ];
  if (options.ingestFirst) {
    const summary = await ingest({ ...options, progress: options.progress ?? false });
    lines.push(...summary.messages);
  }
  return lines;
}

export async function hooksUninstall(options: HooksOptions): Promise<string> {
  const { setup, removed } = await uninstallHooks(options.cwd);
  return removed.length > 0
    ? `removed ${removed.join(', ')} from ${setup.hooksDir}; what was there before is back`
    : 'no paceflow hooks were installed';
}

export async function hooksStatus(options: HooksOptions): Promise<string[]> {
  const status = await hookStatus(options.cwd);
  const lines = [
    `hooks: ${status.manager} (${status.hooksDir})`,
    ...status.hooks.map((h) => `  ${h.hook}: ${h.installed ? 'installed' : 'not installed'}`),
    `queue: ${status.queued} events waiting; worker ${status.workerRunning ? 'running' : 'idle'}`,
  ];
  for (const problem of status.problems) lines.push(`problem: ${problem}`);
  if (status.lastErrors.length > 0) lines.push('worker errors (latest last):', ...status.lastErrors.map((e) => `  ${e}`));
  if (status.hooks.every((h) => !h.installed)) lines.push(`install with: paceflow init (hooks: ${HOOKS.join(', ')})`);
  return lines;
}

/** `paceflow hooks worker` (started by the shim, not by people). */
export async function hooksWorker(options: HooksOptions & { dir: string }): Promise<void> {
  // Started from inside a hook: git's GIT_DIR / GIT_INDEX_FILE (a rebase's temporary index…) must
  // not leak into the git commands the ingest runs later.
  for (const key of [
    'GIT_DIR',
    'GIT_INDEX_FILE',
    'GIT_WORK_TREE',
    'GIT_PREFIX',
    'GIT_COMMON_DIR',
    'GIT_OBJECT_DIRECTORY',
    'GIT_ALTERNATE_OBJECT_DIRECTORIES',
    'GIT_QUARANTINE_PATH',
    'GIT_REFLOG_ACTION',
  ]) {
    delete process.env[key];
  }
  await runWorker({
    dir: options.dir,
    repo: options.cwd,
    drain: async () => {
      await ingest({
        cwd: options.cwd,
        ...(options.db ? { db: options.db } : {}),
        ...(options.env ? { env: options.env } : {}),
        progress: false,
      });
    },
  });
}
