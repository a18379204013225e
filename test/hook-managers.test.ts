import { afterAll, describe, expect, it } from 'vitest';
import { HOOKS, installHooks, runsConfigHooks, uninstallHooks } from '../src/hooks/install.js';
import { HOOK_MANAGERS, hookManager } from '../src/hooks/managers/index.js';
import { cleanupTempDirs, TempRepo } from './helpers/git-repo.js';

describe('config-based hooks need git 2.54', () => {
  it.each([
    [[2, 39], false],
    [[2, 53], false],
    [[2, 54], true],
    [[2, 60], true],
    [[3, 0], true],
    [[1, 99], false],
  ] as const)('git %j runs them: %s', (version, expected) => {
    expect(runsConfigHooks(version)).toBe(expected);
  });

  it('an unreadable version runs none', () => {
    expect(runsConfigHooks(null)).toBe(false);
  });
});

describe('every hook manager behind one interface', () => {
  afterAll(cleanupTempDirs);

  it('the registry detects in order husky, lefthook, config, plain', () => {
    expect(HOOK_MANAGERS.map((m) => m.name)).toEqual(['husky', 'lefthook', 'config', 'plain']);
  });

  // lefthook's round trip needs its binary (test/hooks.test.ts runs it with the real one).
  it.each(['plain', 'husky', 'config'] as const)('%s: install, detect as installed, uninstall, detect as gone', async (name) => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'a\n').commit('first');
    const manager = hookManager(name);
    const result = await installHooks(repo.dir, { manager: name });
    expect(result.setup.manager).toBe(name);
    expect(result.installed).toEqual([...HOOKS]);
    for (const hook of HOOKS) expect(await manager.isInstalled(result.setup, hook)).toBe(true);
    // Installing again changes nothing.
    expect((await installHooks(repo.dir)).alreadyInstalled).toEqual([...HOOKS]);
    const { removed } = await uninstallHooks(repo.dir);
    expect(removed).toEqual([...HOOKS]);
    for (const hook of HOOKS) expect(await manager.isInstalled(result.setup, hook)).toBe(false);
  });
});
