import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { ConfigError } from '../errors.js';

export const DEFAULT_TASK_KEY_PATTERN = '\\b[A-Z][A-Z0-9_]+-[1-9][0-9]*\\b';
export const DEFAULT_TASK_KEY_EXCLUSIONS = ['^CVE-', '^CWE-', '^UTF-\\d+$', '^SHA-\\d+$', '^ISO-\\d+$', '^RFC-\\d+$', '^X-\\d+$', '^TLS-\\d+$'];

const regex = (what: string) =>
  z.string().min(1).refine(
    (source) => {
      try {
        new RegExp(source);
        return true;
      } catch {
        return false;
      }
    },
    { message: `must be a valid regular expression (${what})` },
  );

const days = z.number().int().positive().max(3650);

/** Every setting, its default and its bounds. The same names are the JSON keys. */
export const configSchema = z.strictObject({
  $schema: z.string().optional(),
  /** Mainline branch name; default: origin/HEAD, else main, else master. */
  mainline: z.string().min(1).optional(),
  /** Heavy-AI: AI share at or above this… */
  heavyAiThreshold: z.number().min(0).max(1).default(0.5),
  /** …with at least this many non-trivial added lines. */
  heavyAiMinLines: z.number().int().min(1).default(3),
  churnWindowDays: days.default(14),
  revertWindowDays: days.default(30),
  /** Heavy-AI commits at least this old count towards the merged-to-mainline rate. */
  mergedMinAgeDays: days.default(14),
  taskKeyPattern: regex('task key pattern').default(DEFAULT_TASK_KEY_PATTERN),
  taskKeyExclusions: z.array(regex('task key exclusion')).default(DEFAULT_TASK_KEY_EXCLUSIONS),
  /** A session counts as followed by a commit when one lands within this many hours. */
  taskCommitWindowHours: z.number().positive().max(24 * 365).default(24),
});

export type PaceflowConfig = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ConfigOverrides = Partial<Omit<ConfigInput, '$schema'>>;

export interface LoadedConfig {
  config: PaceflowConfig;
  /** Where settings came from: a file path, 'package.json#paceflow', or null for defaults only. */
  source: string | null;
}

function describeIssue(where: string, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${where}: unknown key ${keys} (known keys: ${Object.keys(configSchema.shape).filter((k) => k !== '$schema').join(', ')})`;
  }
  const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${where}: "${key}" ${issue.message}`;
}

export function validateConfig(input: unknown, where: string): PaceflowConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(describeIssue(where, result.error.issues[0]!));
  return result.data;
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
export function loadConfig(repoRoot: string | null, overrides: ConfigOverrides = {}): LoadedConfig {
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
  const fromFile = validateConfig(fileValues, source ?? 'defaults');
  const defined = Object.fromEntries(Object.entries(overrides).filter(([, v]) => v !== undefined));
  const config = validateConfig({ ...fileValues, ...defined }, 'command-line flags');
  return { config: Object.keys(defined).length === 0 ? fromFile : config, source };
}
