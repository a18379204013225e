import { describe, expect, it } from 'vitest';
import { runsConfigHooks } from '../src/hooks/install.js';

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
