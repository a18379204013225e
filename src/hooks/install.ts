import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGit } from '../git/run.js';
import { locateRepository } from '../git/repository.js';
import { HOOK_MANAGER_NAMES, HOOK_MANAGERS, hookManager } from './managers/index.js';
import { HOOKS, type HookManagerName, type HookName, type HookProbe, type HookSetup, type InstallResult } from './setup.js';

export { HOOKS, type HookManagerName, type HookName, type HookSetup, type InstallResult } from './setup.js';
export { gitVersion, runsConfigHooks } from './setup.js';

/**
 * Installing, removing and inspecting paceflow's hooks, whatever manages them: this module finds
 * the repository's setup and the manager (src/hooks/managers), writes the shim every manager's
 * hooks call, and leaves the manager-specific work to the manager.
 */

const SHIM_TEMPLATE = fileURLToPath(new URL('../../hooks/paceflow-hook.sh', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/paceflow.js', import.meta.url));

/** What the repository's own setup says about hooks: core.hooksPath, husky, where git runs hooks from. */
async function probeHooks(cwd: string): Promise<HookProbe> {
  const location = await locateRepository(cwd);
  const root = location.root;
  const { stdout, code } = await runGit(['config', '--get', 'core.hooksPath'], { cwd: root, okCodes: [1] });
  const hooksPath = code === 0 ? stdout.toString('utf8').trim() : '';
  const dir = join(location.commonDir, 'paceflow');
  const husky = hooksPath === '.husky/_' || hooksPath === '.husky' || /(^|\/)\.husky(\/_)?$/.test(hooksPath);
  const gitHooksDir =
    hooksPath && !husky ? (isAbsolute(hooksPath) ? hooksPath : resolve(root, hooksPath)) : join(location.commonDir, 'hooks');
  return { root, commonDir: location.commonDir, dir, shim: join(dir, 'hook.sh'), hooksPath, husky, gitHooksDir };
}

/**
 * Where this repository's hooks run from, and which manager owns them: the manager recorded at
 * install, else the one asked for, else the first of HOOK_MANAGERS whose detection holds.
 */
export async function hookSetup(cwd: string, options: { manager?: HookManagerName } = {}): Promise<HookSetup> {
  const probe = await probeHooks(cwd);
  const recordedFile = join(probe.dir, 'manager');
  const recorded = existsSync(recordedFile) ? readFileSync(recordedFile, 'utf8').trim() : undefined;
  const wanted = HOOK_MANAGER_NAMES.find((name) => name === recorded) ?? options.manager;
  if (wanted) return hookManager(wanted).setup(probe);
  for (const manager of HOOK_MANAGERS) if (await manager.detect(probe)) return manager.setup(probe);
  return hookManager('plain').setup(probe);
}

function writeShim(setup: HookSetup, db: string | undefined): void {
  mkdirSync(setup.dir, { recursive: true });
  const quote = (s: string) => s.replace(/'/g, `'\\''`);
  const text = readFileSync(SHIM_TEMPLATE, 'utf8')
    .replaceAll('@@PACEFLOW_DIR@@', quote(setup.dir))
    .replaceAll('@@NODE@@', quote(process.execPath))
    .replaceAll('@@CLI@@', quote(CLI))
    .replaceAll('@@DB@@', quote(db ?? ''));
  writeFileSync(setup.shim, text);
  chmodSync(setup.shim, 0o755);
}

/** Installs the four hooks; running it again changes nothing. */
export async function installHooks(cwd: string, options: { db?: string; manager?: HookManagerName } = {}): Promise<InstallResult> {
  const setup = await hookSetup(cwd, options.manager ? { manager: options.manager } : {});
  writeShim(setup, options.db);
  mkdirSync(join(setup.dir, 'backup'), { recursive: true });
  writeFileSync(join(setup.dir, 'manager'), `${setup.manager}\n`);
  const result: InstallResult = { setup, installed: [], alreadyInstalled: [], notes: [] };
  await hookManager(setup.manager).install(setup, result);
  return result;
}

/** Removes paceflow's hooks and puts back exactly what was there before. */
export async function uninstallHooks(cwd: string): Promise<{ setup: HookSetup; removed: HookName[] }> {
  const setup = await hookSetup(cwd);
  rmSync(join(setup.dir, 'manager'), { force: true });
  const removed = await hookManager(setup.manager).uninstall(setup);
  rmSync(setup.shim, { force: true });
  return { setup, removed };
}

export interface HookStatus {
  manager: HookManagerName;
  hooksDir: string;
  /** Problems that would make the hooks do nothing (a node or paceflow that moved since install). */
  problems: string[];
  hooks: { hook: HookName; installed: boolean }[];
  queued: number;
  workerRunning: boolean;
  lastErrors: string[];
}

export async function hookStatus(cwd: string): Promise<HookStatus> {
  const setup = await hookSetup(cwd);
  const hooks: { hook: HookName; installed: boolean }[] = [];
  const manager = hookManager(setup.manager);
  for (const hook of HOOKS) hooks.push({ hook, installed: await manager.isInstalled(setup, hook) });
  const queue = join(setup.dir, 'queue');
  const queued = existsSync(queue) ? readFileSync(queue, 'utf8').split('\n').filter(Boolean).length : 0;
  const problems: string[] = [];
  if (existsSync(setup.shim)) {
    const shim = readFileSync(setup.shim, 'utf8');
    for (const [what, pattern] of [
      ['node', /'([^']+)' '[^']+' hooks worker/],
      ['paceflow', /'[^']+' '([^']+)' hooks worker/],
    ] as const) {
      const path = pattern.exec(shim)?.[1];
      if (path && !existsSync(path))
        problems.push(`the hooks start ${what} at ${path}, which no longer exists: run \`paceflow hooks install\` again`);
    }
  } else if (hooks.some((h) => h.installed)) {
    problems.push(`the hook shim ${setup.shim} is missing: run \`paceflow hooks install\` again`);
  }
  return {
    manager: setup.manager,
    hooksDir: setup.hooksDir,
    problems,
    hooks,
    queued,
    workerRunning: existsSync(join(setup.dir, 'worker.lock')),
    lastErrors: workerErrors(setup.dir, 5),
  };
}

export function workerErrors(dir: string, n: number): string[] {
  const log = join(dir, 'worker.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).slice(-n);
}
