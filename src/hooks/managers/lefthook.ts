import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { delimiter, dirname, join, relative } from 'node:path';
import { UsageError } from '../../errors.js';
import { worktreeRoots } from '../../git/worktrees.js';
import { shellQuote } from '../shell-quote.js';
import {
  type Backup,
  baseSetup,
  HOOKS,
  type HookManager,
  type HookName,
  type HookSetup,
  needsStdin,
  readText,
  restore,
  snapshot,
} from '../setup.js';

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

/** The local config beside the main one, named like it (a leading dot or not); null without lefthook. */
function localConfigName(root: string): string | null {
  const local = LEFTHOOK_LOCAL_CONFIGS.find((name) => existsSync(join(root, name)));
  if (local) return local;
  const main = LEFTHOOK_CONFIGS.find((name) => existsSync(join(root, name)));
  if (!main) return null;
  return main.startsWith('.config/') ? '.config/lefthook-local.yml' : main.startsWith('.') ? '.lefthook-local.yml' : 'lefthook-local.yml';
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

/** Files `lefthook install` writes: the four hooks and its checksum, saved so uninstall can put them back. */
function lefthookManagedFiles(setup: HookSetup): string[] {
  return [...HOOKS.map((hook) => join(setup.hooksDir, hook)), join(setup.commonDir, 'info', 'lefthook.checksum')];
}

/** The run line of paceflow's command for one hook ({0}: lefthook passes the hook's arguments). */
const runLine = (shim: string, hook: HookName) => `sh ${shellQuote(shim)} ${hook} {0}`;

/** Adds paceflow's command to one lefthook-local file for the hooks it lacks (or has out of date); false when all were current. */
async function addCommands(local: string, shim: string): Promise<boolean> {
  const missing: HookName[] = [];
  for (const hook of HOOKS) if ((await lefthookCommand(local, hook)) !== runLine(shim, hook)) missing.push(hook);
  if (missing.length === 0) return false;
  const { parseDocument } = await import('yaml');
  const doc = parseDocument(readText(local) ?? '');
  if (doc.errors.length > 0)
    throw new UsageError(
      `${local}: not valid YAML (${doc.errors[0]!.message.split('\n')[0]}); fix it, then run paceflow hooks install again`,
    );
  for (const hook of missing) {
    doc.setIn(
      [hook, 'commands', LEFTHOOK_COMMAND],
      doc.createNode({ run: runLine(shim, hook), ...(needsStdin(hook) ? { use_stdin: true } : {}) }),
    );
  }
  mkdirSync(dirname(local), { recursive: true });
  writeFileSync(local, doc.toString());
  return true;
}

/**
 * lefthook: a `paceflow` command under each hook in lefthook-local.yml (the file lefthook merges
 * over the project's config and that teams keep out of git), then `lefthook install` so the hooks
 * the project's config does not use yet exist too.
 */
export const lefthook: HookManager = {
  name: 'lefthook',
  async detect(probe) {
    return !probe.husky && localConfigName(probe.root) !== null;
  },
  setup(probe) {
    const hooksDir = probe.husky ? join(probe.root, '.husky') : probe.gitHooksDir;
    return {
      ...baseSetup(probe, 'lefthook', hooksDir),
      lefthookLocal: join(probe.root, localConfigName(probe.root) ?? 'lefthook-local.yml'),
    };
  },
  async install(setup, result) {
    // lefthook reads the local file from the root of the worktree git runs in: every worktree gets it.
    const relativeLocal = relative(setup.root, setup.lefthookLocal!);
    const locals = worktreeRoots(setup.root).map((root) => join(root, relativeLocal));
    const backup = join(setup.dir, 'backup', 'lefthook.json');
    const missingHere: HookName[] = [];
    for (const hook of HOOKS) {
      if ((await lefthookCommand(setup.lefthookLocal!, hook)) === runLine(setup.shim, hook)) result.alreadyInstalled.push(hook);
      else missingHere.push(hook);
    }
    // What each file was before paceflow first touched it; a worktree added since joins the list.
    const saved: Backup[] = existsSync(backup)
      ? (JSON.parse(readFileSync(backup, 'utf8')) as Backup[])
      : lefthookManagedFiles(setup).map(snapshot);
    const fresh = locals.filter((local) => !saved.some((b) => b.path === local));
    if (!existsSync(backup) || fresh.length > 0) writeFileSync(backup, JSON.stringify([...fresh.map(snapshot), ...saved]));
    let changed = false;
    for (const local of locals) if (await addCommands(local, setup.shim)) changed = true;
    if (!changed) return;
    result.installed.push(...missingHere);
    const executable = findLefthook(setup.root);
    if (!executable) {
      result.notes.push(
        'lefthook was not found (node_modules/.bin or PATH): run `lefthook install` so it installs the post-rewrite and pre-push hooks',
      );
      return;
    }
    const run = spawnSync(executable, ['install'], { cwd: setup.root, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
    if (run.status !== 0)
      result.notes.push(`\`lefthook install\` failed (${(run.stderr || run.stdout).trim().split('\n')[0]}): run it yourself`);
  },
  async uninstall(setup) {
    const removed: HookName[] = [];
    const file = join(setup.dir, 'backup', 'lefthook.json');
    if (!existsSync(file)) return removed;
    for (const hook of HOOKS) if ((await lefthookCommand(setup.lefthookLocal!, hook))?.includes(setup.shim)) removed.push(hook);
    for (const backup of JSON.parse(readFileSync(file, 'utf8')) as Backup[]) restore(backup);
    rmSync(file);
    return removed;
  },
  async shellText(setup, hook) {
    const run = await lefthookCommand(setup.lefthookLocal!, hook);
    return run?.includes(setup.shim) ? run : null;
  },
  async isInstalled(setup, hook) {
    const text = readText(join(setup.hooksDir, hook)) ?? '';
    return ((await lefthookCommand(setup.lefthookLocal!, hook))?.includes(setup.shim) ?? false) && text.includes('lefthook');
  },
};
