import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DEFAULT_TASK_KEY_PATTERN, defaultConfig, loadConfig } from '../src/config/config.js';
import { configSchema } from '../src/config/schema.js';
import { ConfigError } from '../src/errors.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

function repoWith(files: Record<string, string>): string {
  const dir = tempDir();
  for (const [name, text] of Object.entries(files)) writeFileSync(join(dir, name), text);
  return dir;
}

describe('configuration', () => {
  it('has documented defaults when nothing is configured', async () => {
    const { config, source } = await loadConfig(repoWith({}));
    expect(source).toBeNull();
    expect(config).toEqual({
      heavyAiThreshold: 0.5,
      heavyAiMinLines: 3,
      churnWindowDays: 14,
      revertWindowDays: 30,
      mergedMinAgeDays: 14,
      taskKeyPattern: DEFAULT_TASK_KEY_PATTERN,
      taskKeyExclusions: expect.arrayContaining(['^CVE-']),
      taskCommitWindowHours: 24,
      refs: { exclude: [] },
      warehouse: { syncAfterIngest: false, hashIdentities: false },
    });
  });

  it('warehouse: a URL that is not postgres:// is refused, naming the key', async () => {
    await expect(loadConfig(repoWith({ 'paceflow.config.json': JSON.stringify({ warehouse: { url: 'mysql://db/x' } }) }))).rejects.toThrow(
      /"warehouse\.url" must start with postgres:\/\/ or postgresql:\/\//,
    );
  });

  it('--exclude-ref adds to refs.exclude of the file', async () => {
    const { config } = await loadConfig(repoWith({ 'paceflow.config.json': JSON.stringify({ refs: { exclude: ['entire/**'] } }) }), {
      refs: { exclude: ['data/*'] },
    });
    expect(config.refs.exclude).toEqual(['entire/**', 'data/*']);
  });

  it('the defaults used without the schema are exactly what the schema gives for {}', () => {
    expect(defaultConfig()).toEqual(configSchema.parse({}));
  });

  it('reads paceflow.config.json, and flags override it', async () => {
    const dir = repoWith({ 'paceflow.config.json': JSON.stringify({ mainline: 'trunk', churnWindowDays: 21 }) });
    expect((await loadConfig(dir)).config).toMatchObject({ mainline: 'trunk', churnWindowDays: 21 });
    expect((await loadConfig(dir, { churnWindowDays: 30, mainline: undefined })).config).toMatchObject({
      mainline: 'trunk',
      churnWindowDays: 30,
    });
  });

  it('reads the paceflow key of package.json', async () => {
    const dir = repoWith({ 'package.json': JSON.stringify({ name: 'x', paceflow: { heavyAiThreshold: 0.7 } }) });
    const loaded = await loadConfig(dir);
    expect(loaded.config.heavyAiThreshold).toBe(0.7);
    expect(loaded.source).toMatch(/package\.json#paceflow$/);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    ['an unknown key', { 'paceflow.config.json': '{"heavyAIThreshold": 0.5}' }, /unknown key "heavyAIThreshold"/],
    ['a share above 1', { 'paceflow.config.json': '{"heavyAiThreshold": 2}' }, /"heavyAiThreshold"/],
    ['a string where a number goes', { 'paceflow.config.json': '{"churnWindowDays": "two weeks"}' }, /"churnWindowDays"/],
    ['a fractional line count', { 'paceflow.config.json': '{"heavyAiMinLines": 2.5}' }, /"heavyAiMinLines"/],
    [
      'a pattern that is not a regular expression',
      { 'paceflow.config.json': '{"taskKeyPattern": "[A-Z"}' },
      /"taskKeyPattern" must be a valid regular expression/,
    ],
    ['a bad exclusion inside the list', { 'paceflow.config.json': '{"taskKeyExclusions": ["ok", "(("]}' }, /"taskKeyExclusions\.1"/],
    ['JSON that does not parse', { 'paceflow.config.json': '{mainline: main}' }, /paceflow\.config\.json: not valid JSON/],
    ['an array instead of an object', { 'paceflow.config.json': '[]' }, /must hold a JSON object/],
    ['settings in both places', { 'paceflow.config.json': '{}', 'package.json': '{"paceflow": {}}' }, /keep the settings in one place/],
    ['package.json paceflow that is not an object', { 'package.json': '{"paceflow": true}' }, /"paceflow" must be an object/],
  ];
  it.each(bad)('rejects %s with a message naming the key', async (_name, files, message) => {
    const dir = repoWith(files);
    await expect(loadConfig(dir)).rejects.toThrowError(ConfigError);
    await expect(loadConfig(dir)).rejects.toThrowError(message);
  });

  it('names the flag when a flag value is bad', async () => {
    await expect(loadConfig(repoWith({}), { heavyAiThreshold: -1 })).rejects.toThrowError(/command-line flags: "heavyAiThreshold"/);
  });
});
