import { chmodSync, existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { shellQuote } from '../shell-quote.js';
import {
  BEGIN,
  type Backup,
  backupPath,
  baseSetup,
  END,
  HOOKS,
  type HookManager,
  type HookName,
  readText,
  restore,
  snapshot,
} from '../setup.js';

/** `text` with paceflow's block (BEGIN … END) replaced by `block`. */
function replaceBlock(text: string, block: string): string {
  const start = text.indexOf(BEGIN);
  const endAt = text.indexOf(END, start);
  const end = endAt < 0 ? text.length : text.indexOf('\n', endAt) < 0 ? text.length : text.indexOf('\n', endAt) + 1;
  return text.slice(0, start) + block + text.slice(end);
}

export function huskyBlock(hook: HookName, shim: string): string {
  return `${BEGIN}\nsh ${shellQuote(shim)} ${hook} "$@" || true\n${END}\n`;
}

/** husky (core.hooksPath = .husky/_): a marked block appended to .husky/<hook>, the file saved first. */
export const husky: HookManager = {
  name: 'husky',
  async detect(probe) {
    return probe.husky;
  },
  setup(probe) {
    return baseSetup(probe, 'husky', join(probe.root, '.husky'));
  },
  async install(setup, result) {
    mkdirSync(setup.hooksDir, { recursive: true });
    for (const hook of HOOKS) {
      const path = join(setup.hooksDir, hook);
      const current = readText(path);
      const block = huskyBlock(hook, setup.shim);
      if (current?.includes(block)) {
        result.alreadyInstalled.push(hook);
        continue;
      }
      if (current?.includes(BEGIN)) {
        // paceflow's block from an older install (or a broken one): replaced in place, the backup kept.
        writeFileSync(path, replaceBlock(current, block));
        result.installed.push(hook);
        continue;
      }
      writeFileSync(backupPath(setup, hook), JSON.stringify(snapshot(path)));
      const base = current === null ? '' : current.endsWith('\n') || current === '' ? current : `${current}\n`;
      writeFileSync(path, base + huskyBlock(hook, setup.shim));
      if (current === null) chmodSync(path, 0o755);
      result.installed.push(hook);
    }
  },
  async uninstall(setup) {
    const removed: HookName[] = [];
    for (const hook of HOOKS) {
      const file = backupPath(setup, hook);
      if (!existsSync(file)) continue;
      restore(JSON.parse(readFileSync(file, 'utf8')) as Backup);
      rmSync(file);
      removed.push(hook);
    }
    return removed;
  },
  async isInstalled(setup, hook) {
    return readText(join(setup.hooksDir, hook))?.includes(BEGIN) ?? false;
  },
  async shellText(setup, hook) {
    const text = readText(join(setup.hooksDir, hook));
    return text?.includes(BEGIN) ? text : null;
  },
};
