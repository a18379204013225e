import { spawnSync } from 'node:child_process';
import { accessSync, chmodSync, constants, existsSync, mkdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { delimiter, isAbsolute, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { runGit } from '../git/run.js';
import { shellQuote } from './shell-quote.js';
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

/** The first executable `name` on PATH, as an absolute path (null: none). */
function onPath(name: string, path = process.env.PATH ?? ''): string | null {
  for (const dir of path.split(delimiter)) {
    if (!isAbsolute(dir)) continue;
    const file = join(dir, name);
    try {
      accessSync(file, constants.X_OK);
      if (statSync(file).isFile()) return file;
    } catch {
      // not here
    }
  }
  return null;
}

/** What the shim starts the worker with: nice (null: none), node, paceflow's CLI, and the database (empty: the default). */
interface ShimStarts {
  nice: string | null;
  node: string;
  cli: string;
  db: string;
}

/** The shim's text: the template with each '@@X@@' (quotes included) made one quoted sh word. */
function renderShim(paceflowDir: string, starts: ShimStarts): string {
  const template = readFileSync(SHIM_TEMPLATE, 'utf8');
  return (starts.nice ? template.replaceAll("'@@NICE@@'", shellQuote(starts.nice)) : template.replaceAll("'@@NICE@@' -n 19 ", ''))
    .replaceAll("'@@PACEFLOW_DIR@@'", shellQuote(paceflowDir))
    .replaceAll("'@@NODE@@'", shellQuote(starts.node))
    .replaceAll("'@@CLI@@'", shellQuote(starts.cli))
    .replaceAll("'@@DB@@'", shellQuote(starts.db));
}

function writeShim(setup: HookSetup, db: string | undefined): void {
  mkdirSync(setup.dir, { recursive: true });
  // nice by its path when there is one; without, the worker starts at the usual priority.
  writeFileSync(setup.shim, renderShim(setup.dir, { nice: onPath('nice'), node: process.execPath, cli: CLI, db: db ?? '' }));
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
  /** Problems that would make the hooks do nothing (a node or paceflow that moved, a hook sh cannot parse). */
  problems: string[];
  /** What works but could be better: a shim another version of paceflow wrote. */
  notes: string[];
  /** `broken`: installed, but sh cannot parse it (it would fail, and record nothing). */
  hooks: { hook: HookName; installed: boolean; broken?: string }[];
  queued: number;
  workerRunning: boolean;
  lastErrors: string[];
}

/** sh's complaint about a script it cannot parse (`sh -n`: read, not run), or null. */
export function shellSyntaxError(text: string): string | null {
  const r = spawnSync('sh', ['-n'], { input: text, encoding: 'utf8' });
  if (r.status === 0) return null;
  return (r.stderr || 'sh -n failed').trim().split('\n')[0]!;
}

/** One sh word as the shim writes it ('…' pieces and \' escapes), read back. */
const SH_WORD = String.raw`((?:'[^']*'|\\.)+)`;
function shellUnquote(word: string): string {
  return word.replace(/'([^']*)'|\\(.)/g, (_m, quoted: string | undefined, escaped: string | undefined) => quoted ?? escaped ?? '');
}

/**
 * The shim's problems (missing, unparsable, or starting a nice, node or paceflow that moved), and
 * notes: a shim that is not the one this version writes still works, but not as this one's does
 * (an older one starts the worker without nice, say) — the shim is only written by `hooks
 * install`, not by an upgrade.
 */
function shimCheck(setup: HookSetup, anyInstalled: boolean): { problems: string[]; notes: string[] } {
  if (!existsSync(setup.shim))
    return { problems: anyInstalled ? [`the hook shim ${setup.shim} is missing: run \`paceflow hooks install\` again`] : [], notes: [] };
  const shim = readFileSync(setup.shim, 'utf8');
  const problems: string[] = [];
  const broken = shellSyntaxError(shim);
  if (broken) problems.push(`the hook shim ${setup.shim} is broken (${broken}): run \`paceflow hooks install\` again`);
  const start = new RegExp(`PACEFLOW_DB=${SH_WORD} (?:${SH_WORD} -n 19 )?${SH_WORD} ${SH_WORD} hooks worker`).exec(shim);
  const [db, nice, node, cli] = [start?.[1], start?.[2], start?.[3], start?.[4]].map((word) =>
    word === undefined ? undefined : shellUnquote(word),
  );
  for (const [what, path] of [
    ['nice', nice],
    ['node', node],
    ['paceflow', cli],
  ] as const) {
    if (path && !existsSync(path))
      problems.push(`the hooks start ${what} at ${path}, which no longer exists: run \`paceflow hooks install\` again`);
  }
  // This version's shim with the same starts: any other text is another version's (or was edited).
  const current = db !== undefined && node && cli ? renderShim(setup.dir, { nice: nice ?? null, node, cli, db }) : null;
  const notes =
    broken || current === shim
      ? []
      : [
          `the hook shim ${setup.shim} is not the one this version of paceflow writes: run \`paceflow hooks install\` to bring it up to date`,
        ];
  return { problems, notes };
}

export async function hookStatus(cwd: string): Promise<HookStatus> {
  const setup = await hookSetup(cwd);
  const manager = hookManager(setup.manager);
  const hooks: HookStatus['hooks'] = [];
  const problems: string[] = [];
  for (const hook of HOOKS) {
    const installed = await manager.isInstalled(setup, hook);
    const text = installed ? await manager.shellText(setup, hook) : null;
    const broken = text === null ? null : shellSyntaxError(text);
    hooks.push({ hook, installed, ...(broken ? { broken } : {}) });
    if (broken) problems.push(`the ${hook} hook is broken (${broken}): it records nothing; run \`paceflow hooks install\` again`);
  }
  const shim = shimCheck(
    setup,
    hooks.some((h) => h.installed),
  );
  problems.push(...shim.problems);
  const queue = join(setup.dir, 'queue');
  const queued = existsSync(queue) ? readFileSync(queue, 'utf8').split('\n').filter(Boolean).length : 0;
  return {
    manager: setup.manager,
    hooksDir: setup.hooksDir,
    problems,
    notes: shim.notes,
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
