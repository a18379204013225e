import { chmodSync, existsSync, mkdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
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

export type HookManager = 'plain' | 'husky';

export interface HookSetup {
  root: string;
  commonDir: string;
  /** Where paceflow keeps its queue, worker lock, log and backups: <git common dir>/paceflow. */
  dir: string;
  shim: string;
  manager: HookManager;
  /** The folder git runs hooks from. */
  hooksDir: string;
}

/** Where this repository's hooks run from, and which tool manages them. */
export async function hookSetup(cwd: string): Promise<HookSetup> {
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
  return { root, commonDir: location.commonDir, dir, shim: join(dir, 'hook.sh'), manager: husky ? 'husky' : 'plain', hooksDir };
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
}

/** Installs the four hooks; running it again changes nothing. */
export async function installHooks(cwd: string, options: { db?: string } = {}): Promise<InstallResult> {
  const setup = await hookSetup(cwd);
  writeShim(setup, options.db);
  mkdirSync(join(setup.dir, 'backup'), { recursive: true });
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
      const backup: Backup = current === null ? { path, existed: false } : { path, existed: true, content: Buffer.from(current).toString('base64'), mode: statSync(path).mode & 0o777 };
      writeFileSync(backupPath(setup, hook), JSON.stringify(backup));
      const base = current === null ? '' : current.endsWith('\n') || current === '' ? current : `${current}\n`;
      writeFileSync(path, base + huskyBlock(hook, setup.shim));
      if (current === null) chmodSync(path, 0o755);
    }
    installed.push(hook);
  }
  return { setup, installed, alreadyInstalled: already };
}

/** Removes paceflow's hooks and puts back exactly what was there before. */
export async function uninstallHooks(cwd: string): Promise<{ setup: HookSetup; removed: HookName[] }> {
  const setup = await hookSetup(cwd);
  const removed: HookName[] = [];
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
      const backup = JSON.parse(readFileSync(file, 'utf8')) as Backup;
      if (backup.existed) {
        writeFileSync(backup.path, Buffer.from(backup.content ?? '', 'base64'));
        if (backup.mode !== undefined) chmodSync(backup.path, backup.mode);
      } else {
        rmSync(backup.path, { force: true });
      }
      rmSync(file);
      removed.push(hook);
    }
  }
  rmSync(setup.shim, { force: true });
  return { setup, removed };
}

export interface HookStatus {
  manager: HookManager;
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
  const hooks = HOOKS.map((hook) => {
    const path = join(setup.hooksDir, hook);
    const text = existsSync(path) ? readFileSync(path, 'utf8') : '';
    return { hook, installed: text.includes(setup.manager === 'plain' ? MARK : BEGIN) };
  });
  const queue = join(setup.dir, 'queue');
  const queued = existsSync(queue) ? readFileSync(queue, 'utf8').split('\n').filter(Boolean).length : 0;
  const problems: string[] = [];
  if (existsSync(setup.shim)) {
    const shim = readFileSync(setup.shim, 'utf8');
    for (const [what, pattern] of [['node', /'([^']+)' '[^']+' hooks worker/], ['paceflow', /'[^']+' '([^']+)' hooks worker/]] as const) {
      const path = pattern.exec(shim)?.[1];
      if (path && !existsSync(path)) problems.push(`the hooks start ${what} at ${path}, which no longer exists: run \`paceflow hooks install\` again`);
    }
  } else if (hooks.some((h) => h.installed)) {
    problems.push(`the hook shim ${setup.shim} is missing: run \`paceflow hooks install\` again`);
  }
  return { manager: setup.manager, hooksDir: setup.hooksDir, problems, hooks, queued, workerRunning: existsSync(join(setup.dir, 'worker.lock')), lastErrors: workerErrors(setup.dir, 5) };
}

export function workerErrors(dir: string, n: number): string[] {
  const log = join(dir, 'worker.log');
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').split('\n').filter(Boolean).slice(-n);
}

