import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../errors.js';
import { defaultConfig } from './defaults.js';
import type { ConfigOverrides, PaceflowConfig } from './schema.js';

export { DEFAULT_TASK_KEY_EXCLUSIONS, DEFAULT_TASK_KEY_PATTERN, defaultConfig } from './defaults.js';
export type { ConfigInput, ConfigOverrides, PaceflowConfig } from './schema.js';

export interface LoadedConfig {
  config: PaceflowConfig;
  /** Where settings came from: a file path, 'package.json#paceflow', or null for defaults only. */
  source: string | null;
}

function readJson(path: string): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new ConfigError(`${path}: cannot read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new ConfigError(`${path}: not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The settings for a repository: `paceflow.config.json` in its root, or the `paceflow` key of its
 * package.json (not both), then the overrides from flags; validated as a whole.
 */
export async function loadConfig(repoRoot: string | null, overrides: ConfigOverrides = {}): Promise<LoadedConfig> {
  let fileValues: Record<string, unknown> = {};
  let source: string | null = null;
  if (repoRoot) {
    const configPath = join(repoRoot, 'paceflow.config.json');
    const packagePath = join(repoRoot, 'package.json');
    const pkg = existsSync(packagePath) ? readJson(packagePath) : undefined;
    const pkgConfig = pkg && typeof pkg === 'object' ? (pkg as Record<string, unknown>).paceflow : undefined;
    if (existsSync(configPath)) {
      if (pkgConfig !== undefined) {
        throw new ConfigError(`${configPath}: package.json also has a "paceflow" key; keep the settings in one place`);
      }
      const value = readJson(configPath);
      if (!value || typeof value !== 'object' || Array.isArray(value)) {
        throw new ConfigError(`${configPath}: must hold a JSON object`);
      }
      fileValues = value as Record<string, unknown>;
      source = configPath;
    } else if (pkgConfig !== undefined) {
      if (!pkgConfig || typeof pkgConfig !== 'object' || Array.isArray(pkgConfig)) {
        throw new ConfigError(`${packagePath}: "paceflow" must be an object`);
      }
      fileValues = pkgConfig as Record<string, unknown>;
      source = `${packagePath}#paceflow`;
    }
  }
  const defined: Record<string, unknown> = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  // --exclude-ref adds to the file's refs.exclude rather than replacing it.
  const fileRefs = fileValues.refs as { exclude?: unknown } | undefined;
  if (overrides.refs?.exclude && Array.isArray(fileRefs?.exclude)) {
    defined.refs = { ...fileRefs, exclude: [...(fileRefs.exclude as string[]), ...overrides.refs.exclude] };
  }
  if (source === null && Object.keys(defined).length === 0) return { config: defaultConfig(), source };
  const { validateConfig } = await import('./schema.js');
  const fromFile = validateConfig(fileValues, source ?? 'defaults');
  const config = validateConfig({ ...fileValues, ...defined }, 'command-line flags');
  return { config: Object.keys(defined).length === 0 ? fromFile : config, source };
}
