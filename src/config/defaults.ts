import type { PaceflowConfig } from './schema.js';

export const DEFAULT_TASK_KEY_PATTERN = '\\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\\b';
export const DEFAULT_TASK_KEY_EXCLUSIONS = [
  '^CVE-',
  '^CWE-',
  '^UTF-\\d+$',
  '^SHA-\\d+$',
  '^ISO-\\d+$',
  '^RFC-\\d+$',
  '^X-\\d+$',
  '^TLS-\\d+$',
];

/**
 * What the schema gives for an empty configuration (a test holds them equal), so that a run with
 * no config file and no flags never loads the schema library: it costs ~45 ms of start-up.
 */
export function defaultConfig(): PaceflowConfig {
  return {
    heavyAiThreshold: 0.5,
    heavyAiMinLines: 3,
    churnWindowDays: 14,
    revertWindowDays: 30,
    mergedMinAgeDays: 14,
    taskKeyPattern: DEFAULT_TASK_KEY_PATTERN,
    taskKeyExclusions: [...DEFAULT_TASK_KEY_EXCLUSIONS],
    taskCommitWindowHours: 24,
    refs: { exclude: [] },
    warehouse: { syncAfterIngest: false, hashIdentities: false },
  };
}
