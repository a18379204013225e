import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { delimiter, dirname, isAbsolute, join, relative, resolve } from 'node:path';
import { UsageError } from '../errors.js';
import { fileURLToPath } from 'node:url';
import { runGit } from '../git/run.js';
import { locateRepository } from '../git/repository.js';

export const HOOKS = ['post-commit', 'post-merge', 'post-rewrite', 'pre-push'] as const;
export type HookName = (typeof HOOKS)[number];

const MARK = '# paceflow-managed hook';
const BEGIN = '# >>> paceflow';
const END = '# <<< paceflow';
const SHIM_TEMPLATE = fileURLToPath(new URL('../../hooks/paceflow-hook.sh', import.meta.url));
const CLI = fileURLToPath(new URL('../../bin/paceflow.js', import.meta.url));

export type HookManagerName = 'plain' | 'husky' | 'lefthook' | 'config';
export const HOOK_MANAGERS: readonly HookManagerName[] = ['plain', 'husky', 'lefthook', 'config'];

/** Config-based hooks (`hook.<name>.event` / `.command`) run from git 2.54 on. */
const CONFIG_HOOKS_SINCE: readonly [number, number] = [2, 54];

/** lefthook's main config names, in the order lefthook looks for them. */
const LEFTHOOK_CONFIGS = [
  'lefthook.yml',
  '.lefthook.yml',
  'lefthook.yaml',
  '.lefthook.yaml',
  '.config/lefthook.yml',
  '.config/lefthook.yaml',
];
const LEFTHOOK_LOCAL_CONFIGS = [
  'lefthook-local.yml',
  '.lefthook-local.yml',
  'lefthook-local.yaml',
  '.lefthook-local.yaml',
  '.config/lefthook-local.yml',
  '.config/lefthook-local.yaml',
];
/** The name of paceflow's command under each hook in lefthook-local.yml. */
const LEFTHOOK_COMMAND = 'paceflow';

export interface HookSetup {
  root: string;
  commonDir: string;
  /** Where paceflow keeps its queue, worker lock, log and backups: <git common dir>/paceflow. */
  dir: string;
  shim: string;
  manager: HookManagerName;
  /** The folder git runs hooks from. */
  hooksDir: string;
  /** Under lefthook: the local config paceflow writes its commands into (lefthook-local.yml). */
  lefthookLocal?: string;
}

/** git's version as [major, minor], or null when it cannot be read. */
export async function gitVersion(cwd: string): Promise<[number, number] | null> {
  const { stdout } = await runGit(['version'], { cwd });
  const m = /git version (\d+)\.(\d+)/.exec(stdout.toString('utf8'));
  return m ? [Number(m[1]), Number(m[2])] : null;
}

export function runsConfigHooks(version: readonly [number, number] | null): boolean {
  return (
    version !== null &&
    (version[0] > CONFIG_HOOKS_SINCE[0] || (version[0] === CONFIG_HOOKS_SINCE[0] && version[1] >= CONFIG_HOOKS_SINCE[1]))
  );
}

/**
 * Where this repository's hooks run from, and which tool manages them: the manager recorded at
 * install, else the one asked for, else husky, lefthook, git's config-based hooks (git ≥ 2.54),
 * plain .git/hooks — in that order.
 */
export async function hookSetup(cwd: string, options: { manager?: HookManagerName } = {}): Promise<HookSetup> {
  const detected = await detectHookSetup(cwd);
  const recorded = existsSync(join(detected.dir, 'manager'))
    ? (readFileSync(join(detected.dir, 'manager'), 'utf8').trim() as HookManagerName)
    : undefined;
  const wanted = recorded && HOOK_MANAGERS.includes(recorded) ? recorded : options.manager;
  if (!wanted || wanted === detected.manager) return detected;
  const root = detected.root;
  switch (wanted) {
    case 'plain':
    case 'config':
      return {
        ...detected,
        manager: wanted,
        hooksDir: detected.manager === 'husky' ? join(detected.commonDir, 'hooks') : detected.hooksDir,
      };
    case 'husky':
      return { ...detected, manager: 'husky', hooksDir: join(root, '.husky') };
    case 'lefthook':
      return { ...detected, manager: 'lefthook', lefthookLocal: detected.lefthookLocal ?? join(root, 'lefthook-local.yml') };
    default: {
      const never: never = wanted;
      throw new UsageError(`unknown hook manager ${String(never)}`);
    }
  }
}

async function detectHookSetup(cwd: string): Promise<HookSetup> {
  const location = await locateRepository(cwd);
  const root = location.root;
  const { stdout, code } = await runGit(['config', '--get', 'core.hooksPath'], { cwd: root, okCodes: [1] });
  const hooksPath = code === 0 ? stdout.toString('utf8').trim() : '';
  const dir = join(location.commonDir, 'paceflow');
  const husky = hooksPath === '.husky/_' || hooksPath === '.husky' || /(^|\/)\.husky(\/_)?$/.test(hooksPath);
  const hooksDir = husky
    ? join(root, '.husky')
    : hooksPath
      ? isAbsolute(hooksPath)
        ? hooksPath
        : resolve(root, hooksPath)
      : join(location.commonDir, 'hooks');
  const lefthookMain = husky ? undefined : LEFTHOOK_CONFIGS.find((name) => existsSync(join(root, name)));
  const lefthookLocalFound = husky ? undefined : LEFTHOOK_LOCAL_CONFIGS.find((name) => existsSync(join(root, name)));
  const setup: HookSetup = {
    root,
    commonDir: location.commonDir,
    dir,
    shim: join(dir, 'hook.sh'),
    manager: husky ? 'husky' : 'plain',
    hooksDir,
  };
  if (lefthookMain || lefthookLocalFound) {
    // The local file sits beside the main one and is named like it (a leading dot or not).
    const local =
      lefthookLocalFound ??
      (lefthookMain!.startsWith('.config/')
        ? '.config/lefthook-local.yml'
        : lefthookMain!.startsWith('.')
          ? '.lefthook-local.yml'
          : 'lefthook-local.yml');
    return { ...setup, manager: 'lefthook', lefthookLocal: join(root, local) };
  }
  // Hooks installed in .git/hooks before git gained config-based hooks stay where they are.
  const plainInstalled = HOOKS.some(
    (hook) => existsSync(join(hooksDir, hook)) && readFileSync(join(hooksDir, hook), 'utf8').includes(MARK),
  );
  if (!hooksPath && !plainInstalled && runsConfigHooks(await gitVersion(root))) return { ...setup, manager: 'config' };
  return setup;
}

/** The name of paceflow's config-based hook for one event: `hook.paceflow-<event>.*`. */
const configHookName = (hook: HookName) => `paceflow-${hook}`;

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
 */
async function installConfigHooks(setup: HookSetup, result: InstallResult): Promise<void> {
  const version = await gitVersion(setup.root);
  for (const hook of HOOKS) {
    const name = configHookName(hook);
    if ((await configValue(setup.root, `hook.${name}.command`))?.includes(setup.shim)) {
      result.alreadyInstalled.push(hook);
      continue;
    }
    await runGit(['config', '--local', `hook.${name}.command`, `sh '${setup.shim}' ${hook}`], { cwd: setup.root });
    await runGit(['config', '--local', `hook.${name}.event`, hook], { cwd: setup.root });
    result.installed.push(hook);
  }
  if (!runsConfigHooks(version)) {
    result.notes.push(
      `git ${version?.join('.') ?? '(unknown)'} does not run config-based hooks; they take effect from git 2.54 (or install with --manager plain)`,
    );
  }
}

async function uninstallConfigHooks(setup: HookSetup): Promise<HookName[]> {
  const removed: HookName[] = [];
  for (const hook of HOOKS) {
    const name = configHookName(hook);
    if (!(await configValue(setup.root, `hook.${name}.command`))?.includes(setup.shim)) continue;
    await runGit(['config', '--local', '--remove-section', `hook.${name}`], { cwd: setup.root });
    removed.push(hook);
  }
  return removed;
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

/**
 * The hook file paceflow writes in plain mode: the hook that was there runs first (stdin replayed
 * to both for post-rewrite and pre-push), then the shim — called directly only when it needs
 * stdin; otherwise it runs in this same shell (`.`), so a commit pays for no extra process.
 */
function plainHook(hook: HookName, shim: string): string {
  const needsStdin = hook === 'post-rewrite' || hook === 'pre-push';
  if (!needsStdin) {
    return `#!/bin/sh
${MARK} (paceflow hooks uninstall restores the previous one)
status=0
if [ -x "$0.pre-paceflow" ]; then "$0.pre-paceflow" "$@"; status=$?; fi
set -- ${hook} "$@"
( . '${shim}' ) </dev/null
exit $status
`;
  }
  return `#!/bin/sh
${MARK} (paceflow hooks uninstall restores the previous one)
input=$(mktemp 2>/dev/null) && cat >"$input"
status=0
if [ -x "$0.pre-paceflow" ]; then "$0.pre-paceflow" "$@" <"$input"; status=$?; fi
sh '${shim}' ${hook} "$@" <"$input"
rm -f "$input"
exit $status
`;
}

function huskyBlock(hook: HookName, shim: string): string {
  return `${BEGIN}\nsh '${shim}' ${hook} "$@" || true\n${END}\n`;
}

interface Backup {
  path: string;
  existed: boolean;
  content?: string; // base64
  mode?: number;
}

function backupPath(setup: HookSetup, hook: HookName): string {
  return join(setup.dir, 'backup', `${setup.manager}-${hook}.json`);
}

export interface InstallResult {
  setup: HookSetup;
  installed: HookName[];
  alreadyInstalled: HookName[];
  /** What the person still has to do, if anything. */
  notes: string[];
}

function snapshot(path: string): Backup {
  return existsSync(path)
    ? { path, existed: true, content: readFileSync(path).toString('base64'), mode: statSync(path).mode & 0o777 }
    : { path, existed: false };
}

function restore(backup: Backup): void {
  if (backup.existed) {
    writeFileSync(backup.path, Buffer.from(backup.content ?? '', 'base64'));
    if (backup.mode !== undefined) chmodSync(backup.path, backup.mode);
  } else {
    rmSync(backup.path, { force: true });
  }
}

/** The run line of paceflow's command for one hook in a lefthook config, or undefined. */
async function lefthookCommand(localConfig: string, hook: HookName): Promise<string | undefined> {
  if (!existsSync(localConfig)) return undefined;
  const { parseDocument } = await import('yaml');
  const run = parseDocument(readFileSync(localConfig, 'utf8')).getIn([hook, 'commands', LEFTHOOK_COMMAND, 'run']);
  return typeof run === 'string' ? run : undefined;
}

/** The lefthook executable the project uses: its node_modules first, then PATH. */
function findLefthook(root: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const candidates = [
    join(root, 'node_modules', '.bin', 'lefthook'),
    ...(env.PATH ?? '')
      .split(delimiter)
      .filter(Boolean)
      .map((dir) => join(dir, 'lefthook')),
  ];
  return candidates.find((path) => existsSync(path)) ?? null;
}

/** The work-tree roots of every worktree of the repository (the main one first). */
async function worktreeRoots(root: string): Promise<string[]> {
  const { stdout } = await runGit(['worktree', 'list', '--porcelain'], { cwd: root });
  const roots = stdout
    .toString('utf8')
    .split('\n\n')
    .filter((block) => !/^bare$/m.test(block))
    .map((block) => /^worktree (.+)$/m.exec(block)?.[1])
    .filter((path): path is string => path !== undefined && existsSync(path));
  return roots.includes(root) ? roots : [root, ...roots];
}

/** Files `lefthook install` writes: the four hooks and its checksum, saved so uninstall can put them back. */
function lefthookManagedFiles(setup: HookSetup): string[] {
  return [...HOOKS.map((hook) => join(setup.hooksDir, hook)), join(setup.commonDir, 'info', 'lefthook.checksum')];
}

/**
 * lefthook mode: a `paceflow` command under each hook in lefthook-local.yml (the file lefthook
 * merges over the project's config and that teams keep out of git), then `lefthook install` so
 * the hooks the project's config does not use yet exist too.
 */
async function installLefthook(setup: HookSetup, result: InstallResult): Promise<void> {
  // lefthook reads the local file from the root of the worktree git runs in: every worktree gets it.
  const relativeLocal = relative(setup.root, setup.lefthookLocal!);
  const locals = (await worktreeRoots(setup.root)).map((root) => join(root, relativeLocal));
  const backup = join(setup.dir, 'backup', 'lefthook.json');
  const missingHere: HookName[] = [];
  for (const hook of HOOKS) {
    if ((await lefthookCommand(setup.lefthookLocal!, hook))?.includes(setup.shim)) result.alreadyInstalled.push(hook);
    else missingHere.push(hook);
  }
  // What each file was before paceflow first touched it; a worktree added since joins the list.
  const saved: Backup[] = existsSync(backup)
    ? (JSON.parse(readFileSync(backup, 'utf8')) as Backup[])
    : lefthookManagedFiles(setup).map(snapshot);
  const fresh = locals.filter((local) => !saved.some((b) => b.path === local));
  if (!existsSync(backup) || fresh.length > 0) writeFileSync(backup, JSON.stringify([...fresh.map(snapshot), ...saved]));
  const { parseDocument } = await import('yaml');
  let changed = false;
  for (const local of locals) {
    const missing: HookName[] = [];
    for (const hook of HOOKS) if (!(await lefthookCommand(local, hook))?.includes(setup.shim)) missing.push(hook);
    if (missing.length === 0) continue;
    const doc = parseDocument(existsSync(local) ? readFileSync(local, 'utf8') : '');
    if (doc.errors.length > 0)
      throw new UsageError(
        `${local}: not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it, then run paceflow hooks install again`,
      );
    for (const hook of missing) {
      const needsStdin = hook === 'post-rewrite' || hook === 'pre-push';
      doc.setIn(
        [hook, 'commands', LEFTHOOK_COMMAND],
        doc.createNode({ run: `sh '${setup.shim}' ${hook} {0}`, ...(needsStdin ? { use_stdin: true } : {}) }),
      );
    }
    mkdirSync(dirname(local), { recursive: true });
    writeFileSync(local, doc.toString());
    changed = true;
  }
  if (!changed) return;
  result.installed.push(...missingHere);
  const lefthook = findLefthook(setup.root);
  if (!lefthook) {
    result.notes.push(
      'lefthook was not found (node_modules/.bin or PATH): run `lefthook install` so it installs the post-rewrite and pre-push hooks',
    );
    return;
  }
  const run = spawnSync(lefthook, ['install'], { cwd: setup.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (run.status !== 0)
    result.notes.push(`\`lefthook install\` failed (${(run.stderr || run.stdout).trim().split('\n')[0]}): run it yourself`);
}

/** Installs the four hooks; running it again changes nothing. */
export async function installHooks(cwd: string, options: { db?: string; manager?: HookManagerName } = {}): Promise<InstallResult> {
  const setup = await hookSetup(cwd, options.manager ? { manager: options.manager } : {});
  writeShim(setup, options.db);
  mkdirSync(join(setup.dir, 'backup'), { recursive: true });
  writeFileSync(join(setup.dir, 'manager'), `${setup.manager}\n`);
  if (setup.manager === 'lefthook' || setup.manager === 'config') {
    const result: InstallResult = { setup, installed: [], alreadyInstalled: [], notes: [] };
    if (setup.manager === 'lefthook') await installLefthook(setup, result);
    else await installConfigHooks(setup, result);
    return result;
  }
  mkdirSync(setup.hooksDir, { recursive: true });
  const installed: HookName[] = [];
  const already: HookName[] = [];
  for (const hook of HOOKS) {
    const path = join(setup.hooksDir, hook);
    const current = existsSync(path) ? readFileSync(path, 'utf8') : null;
    if (setup.manager === 'plain') {
      if (current?.includes(MARK)) {
        already.push(hook);
        continue;
      }
      if (current !== null) renameSync(path, `${path}.pre-paceflow`);
      writeFileSync(path, plainHook(hook, setup.shim));
      chmodSync(path, 0o755);
    } else {
      if (current?.includes(BEGIN)) {
        already.push(hook);
        continue;
      }
      writeFileSync(backupPath(setup, hook), JSON.stringify(snapshot(path)));
      const base = current === null ? '' : current.endsWith('\n') || current === '' ? current : `${current}\n`;
      writeFileSync(path, base + huskyBlock(hook, setup.shim));
      if (current === null) chmodSync(path, 0o755);
    }
    installed.push(hook);
  }
  return { setup, installed, alreadyInstalled: already, notes: [] };
}

/** Removes paceflow's hooks and puts back exactly what was there before. */
export async function uninstallHooks(cwd: string): Promise<{ setup: HookSetup; removed: HookName[] }> {
  const setup = await hookSetup(cwd);
  const removed: HookName[] = [];
  rmSync(join(setup.dir, 'manager'), { force: true });
  if (setup.manager === 'config') {
    removed.push(...(await uninstallConfigHooks(setup)));
    rmSync(setup.shim, { force: true });
    return { setup, removed };
  }
  if (setup.manager === 'lefthook') {
    const file = join(setup.dir, 'backup', 'lefthook.json');
    if (existsSync(file)) {
      for (const hook of HOOKS) if ((await lefthookCommand(setup.lefthookLocal!, hook))?.includes(setup.shim)) removed.push(hook);
      for (const backup of JSON.parse(readFileSync(file, 'utf8')) as Backup[]) restore(backup);
      rmSync(file);
    }
    rmSync(setup.shim, { force: true });
    return { setup, removed };
  }
  for (const hook of HOOKS) {
    const path = join(setup.hooksDir, hook);
    if (setup.manager === 'plain') {
      if (!existsSync(path) || !readFileSync(path, 'utf8').includes(MARK)) continue;
      rmSync(path);
      if (existsSync(`${path}.pre-paceflow`)) renameSync(`${path}.pre-paceflow`, path);
      removed.push(hook);
    } else {
      const file = backupPath(setup, hook);
      if (!existsSync(file)) continue;
      restore(JSON.parse(readFileSync(file, 'utf8')) as Backup);
      rmSync(file);
      removed.push(hook);
    }
  }
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
  for (const hook of HOOKS) {
    const path = join(setup.hooksDir, hook);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    let installed: boolean;
    switch (setup.manager) {
      case 'lefthook':
        installed = ((await lefthookCommand(setup.lefthookLocal!, hook))?.includes(setup.shim) ?? false) && text.includes('lefthook');
        break;
      case 'config':
        installed =
          ((await configValue(setup.root, `hook.${configHookName(hook)}.command`))?.includes(setup.shim) ?? false) &&
          (!runsConfigHooks(await gitVersion(setup.root)) || (await gitListsConfigHook(setup.root, hook)));
        break;
      case 'plain':
        installed = text.includes(MARK);
        break;
      case 'husky':
        installed = text.includes(BEGIN);
        break;
      default: {
        const never: never = setup.manager;
        throw new Error(`unknown hook manager ${String(never)}`);
      }
    }
    hooks.push({ hook, installed });
  }
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
