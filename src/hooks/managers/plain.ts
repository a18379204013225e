import { chmodSync, existsSync, mkdirSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote } from '../shell-quote.js';
import { baseSetup, HOOKS, type HookManager, type HookName, MARK, needsStdin, readText } from '../setup.js';

/**
 * The hook file paceflow writes in plain mode: the hook that was there runs first (stdin replayed
 * to both for post-rewrite and pre-push), then the shim — called directly only when it needs
 * stdin; otherwise it is sourced in this same shell (`.`, no subshell: the shim never calls
 * `exit`), so a commit pays for no extra process. Without the subshell a commit measured 1.24–1.28×
 * the bare commit against 1.45–1.47× (bench/README, session 16). Sourced only when readable: a
 * special builtin that cannot open its file ends the whole shell, so a shim gone with its folder
 * would print an error on every commit and lose the previous hook's status (`paceflow hooks
 * status` reports it missing).
 */
export function plainHook(hook: HookName, shim: string): string {
  if (!needsStdin(hook)) {
    return `#!/bin/sh
${MARK} (paceflow hooks uninstall restores the previous one)
status=0
if [ -x "$0.pre-paceflow" ]; then "$0.pre-paceflow" "$@"; status=$?; fi
set -- ${hook} "$@"
if [ -r ${shellQuote(shim)} ]; then . ${shellQuote(shim)} </dev/null; fi
exit $status
`;
  }
  return `#!/bin/sh
${MARK} (paceflow hooks uninstall restores the previous one)
input=$(mktemp 2>/dev/null) && cat >"$input"
status=0
if [ -x "$0.pre-paceflow" ]; then "$0.pre-paceflow" "$@" <"$input"; status=$?; fi
sh ${shellQuote(shim)} ${hook} "$@" <"$input"
rm -f "$input"
exit $status
`;
}

/** .git/hooks (or core.hooksPath): paceflow's file replaces the hook, which moves to <hook>.pre-paceflow and still runs. */
export const plain: HookManager = {
  name: 'plain',
  async detect() {
    return true; // the fallback: git always runs .git/hooks
  },
  setup(probe) {
    return baseSetup(probe, 'plain', probe.gitHooksDir);
  },
  async install(setup, result) {
    mkdirSync(setup.hooksDir, { recursive: true });
    for (const hook of HOOKS) {
      const path = join(setup.hooksDir, hook);
      const current = readText(path);
      const wanted = plainHook(hook, setup.shim);
      if (current === wanted) {
        result.alreadyInstalled.push(hook);
        continue;
      }
      // paceflow's own hook from an older install (or a broken one) is rewritten in place.
      if (current !== null && !current.includes(MARK)) renameSync(path, `${path}.pre-paceflow`);
      writeFileSync(path, wanted);
      chmodSync(path, 0o755);
      result.installed.push(hook);
    }
  },
  async uninstall(setup) {
    const removed: HookName[] = [];
    for (const hook of HOOKS) {
      const path = join(setup.hooksDir, hook);
      if (!readText(path)?.includes(MARK)) continue;
      rmSync(path);
      if (existsSync(`${path}.pre-paceflow`)) renameSync(`${path}.pre-paceflow`, path);
      removed.push(hook);
    }
    return removed;
  },
  async isInstalled(setup, hook) {
    return readText(join(setup.hooksDir, hook))?.includes(MARK) ?? false;
  },
  async shellText(setup, hook) {
    const text = readText(join(setup.hooksDir, hook));
    return text?.includes(MARK) ? text : null;
  },
};
