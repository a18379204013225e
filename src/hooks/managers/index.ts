import type { HookManager, HookManagerName } from '../setup.js';
import { config } from './config.js';
import { husky } from './husky.js';
import { lefthook } from './lefthook.js';
import { plain } from './plain.js';

/**
 * Every hook manager, in the order detection asks them: husky owns core.hooksPath; lefthook has its
 * config file; git's config-based hooks where nothing else runs them; plain .git/hooks always.
 * A new manager is one module and one entry here.
 */
export const HOOK_MANAGERS: readonly HookManager[] = [husky, lefthook, config, plain];

export const HOOK_MANAGER_NAMES: readonly HookManagerName[] = HOOK_MANAGERS.map((m) => m.name);

export function hookManager(name: HookManagerName): HookManager {
  const manager = HOOK_MANAGERS.find((m) => m.name === name);
  if (!manager) throw new Error(`unknown hook manager ${name}`);
  return manager;
}
