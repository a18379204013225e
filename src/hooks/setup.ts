import { chmodSync, existsSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { runGit } from '../git/run.js';

/** What every hook manager shares: the hooks, where they go, the marks paceflow leaves, backups. */

export const HOOKS = ['post-commit', 'post-merge', 'post-rewrite', 'pre-push'] as const;
export type HookName = (typeof HOOKS)[number];

export type HookManagerName = 'plain' | 'husky' | 'lefthook' | 'config';

/** The first line after the shebang of a hook file paceflow wrote whole (plain mode). */
export const MARK = '# paceflow-managed hook';
/** The lines around paceflow's block inside a hook file it shares (husky). */
export const BEGIN = '# >>> paceflow';
export const END = '# <<< paceflow';

/** What a repository's own setup says about hooks, before any manager is chosen. */
export interface HookProbe {
  root: string;
  commonDir: string;
  /** <git common dir>/paceflow: queue, worker lock, log, backups, the recorded manager. */
  dir: string;
  shim: string;
  /** core.hooksPath as configured ('' when unset). */
  hooksPath: string;
  /** Whether core.hooksPath is husky's (.husky or .husky/_). */
  husky: boolean;
  /** Where git runs hooks from when husky does not own them: core.hooksPath, else .git/hooks. */
  gitHooksDir: string;
}

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

export interface InstallResult {
  setup: HookSetup;
  installed: HookName[];
  alreadyInstalled: HookName[];
  /** What the person still has to do, if anything. */
  notes: string[];
}

/** One hook manager: how paceflow's hooks are found, installed and removed under it. */
export interface HookManager {
  readonly name: HookManagerName;
  /** Whether this repository's setup says this manager runs its hooks (asked in registry order). */
  detect(probe: HookProbe): Promise<boolean>;
  /** Where this manager's hooks go in this repository. */
  setup(probe: HookProbe): HookSetup;
  /** Installs the hooks not there yet, into result.installed / alreadyInstalled / notes. */
  install(setup: HookSetup, result: InstallResult): Promise<void>;
  /** Removes paceflow's hooks, putting back what was there; returns the hooks removed. */
  uninstall(setup: HookSetup): Promise<HookName[]>;
  /** Whether paceflow's hook for this event is installed and will run. */
  isInstalled(setup: HookSetup, hook: HookName): Promise<boolean>;
  /** The sh text paceflow installed for this event (a file, a lefthook run line, a config command), for a syntax check. */
  shellText(setup: HookSetup, hook: HookName): Promise<string | null>;
}

/** The setup fields every manager starts from. */
export function baseSetup(probe: HookProbe, manager: HookManagerName, hooksDir: string): HookSetup {
  return { root: probe.root, commonDir: probe.commonDir, dir: probe.dir, shim: probe.shim, manager, hooksDir };
}

/** Hooks that need the event's stdin (the list of rewritten or pushed refs). */
export function needsStdin(hook: HookName): boolean {
  return hook === 'post-rewrite' || hook === 'pre-push';
}

/** Config-based hooks (`hook.<name>.event` / `.command`) run from git 2.54 on. */
const CONFIG_HOOKS_SINCE: readonly [number, number] = [2, 54];

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

/** A file as it was before paceflow touched it, to put back on uninstall. */
export interface Backup {
  path: string;
  existed: boolean;
  content?: string; // base64
  mode?: number;
}

export function snapshot(path: string): Backup {
  return existsSync(path)
    ? { path, existed: true, content: readFileSync(path).toString('base64'), mode: statSync(path).mode & 0o777 }
    : { path, existed: false };
}

export function restore(backup: Backup): void {
  if (backup.existed) {
    writeFileSync(backup.path, Buffer.from(backup.content ?? '', 'base64'));
    if (backup.mode !== undefined) chmodSync(backup.path, backup.mode);
  } else {
    rmSync(backup.path, { force: true });
  }
}

export function readText(path: string): string | null {
  return existsSync(path) ? readFileSync(path, 'utf8') : null;
}

export function backupPath(setup: HookSetup, hook: HookName): string {
  return join(setup.dir, 'backup', `${setup.manager}-${hook}.json`);
}
