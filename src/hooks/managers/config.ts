import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { runGit } from '../../git/run.js';
import { shellQuote } from '../shell-quote.js';
import {
  baseSetup,
  gitVersion,
  HOOKS,
  type HookManager,
  type HookName,
  type HookSetup,
  MARK,
  readText,
  runsConfigHooks,
} from '../setup.js';

/** The name of paceflow's config-based hook for one event: `hook.paceflow-<event>.*`. */
const configHookName = (hook: HookName) => `paceflow-${hook}`;

/** The command git runs (through sh) for the event; git appends the hook's arguments. */
const configCommand = (setup: HookSetup, hook: HookName) => `sh ${shellQuote(setup.shim)} ${hook}`;

async function configValue(root: string, key: string): Promise<string | null> {
  const { stdout, code } = await runGit(['config', '--local', '--get', key], { cwd: root, okCodes: [1] });
  return code === 0 ? stdout.toString('utf8').trim() : null;
}

/** Whether git lists paceflow's config-based hook for the event (git ≥ 2.54 only). */
async function gitListsConfigHook(root: string, hook: HookName): Promise<boolean> {
  const { stdout, code } = await runGit(['hook', 'list', hook], { cwd: root, okCodes: [1, 128, 129] });
  return (
    code === 0 &&
    stdout
      .toString('utf8')
      .split('\n')
      .some((line) => line.trim().endsWith(configHookName(hook)))
  );
}

/**
 * git ≥ 2.54: one `[hook "paceflow-<event>"]` section per event in the repository's config, beside
 * whatever runs from .git/hooks. git appends the hook's arguments and gives it the event's stdin.
 * Chosen by detection only where nothing else owns the hooks: no core.hooksPath, and no plain
 * paceflow hooks installed before git gained config-based hooks.
 */
export const config: HookManager = {
  name: 'config',
  async detect(probe) {
    if (probe.hooksPath) return false;
    const plainInstalled = HOOKS.some(
      (hook) => existsSync(join(probe.gitHooksDir, hook)) && readText(join(probe.gitHooksDir, hook))!.includes(MARK),
    );
    return !plainInstalled && runsConfigHooks(await gitVersion(probe.root));
  },
  setup(probe) {
    return baseSetup(probe, 'config', probe.gitHooksDir);
  },
  async install(setup, result) {
    const version = await gitVersion(setup.root);
    for (const hook of HOOKS) {
      const name = configHookName(hook);
      const command = configCommand(setup, hook);
      if ((await configValue(setup.root, `hook.${name}.command`)) === command) {
        result.alreadyInstalled.push(hook);
        continue;
      }
      await runGit(['config', '--local', `hook.${name}.command`, command], { cwd: setup.root });
      await runGit(['config', '--local', `hook.${name}.event`, hook], { cwd: setup.root });
      result.installed.push(hook);
    }
    if (!runsConfigHooks(version)) {
      result.notes.push(
        `git ${version?.join('.') ?? '(unknown)'} does not run config-based hooks; they take effect from git 2.54 (or install with --manager plain)`,
      );
    }
  },
  async uninstall(setup) {
    const removed: HookName[] = [];
    for (const hook of HOOKS) {
      const name = configHookName(hook);
      if (!(await configValue(setup.root, `hook.${name}.command`))?.includes(setup.shim)) continue;
      await runGit(['config', '--local', '--remove-section', `hook.${name}`], { cwd: setup.root });
      removed.push(hook);
    }
    return removed;
  },
  async shellText(setup, hook) {
    return configValue(setup.root, `hook.${configHookName(hook)}.command`);
  },
  async isInstalled(setup, hook) {
    return (
      ((await configValue(setup.root, `hook.${configHookName(hook)}.command`))?.includes(setup.shim) ?? false) &&
      (!runsConfigHooks(await gitVersion(setup.root)) || (await gitListsConfigHook(setup.root, hook)))
    );
  },
};
