import { z } from 'zod';
import { ConfigError } from '../errors.js';
import { DEFAULT_TASK_KEY_EXCLUSIONS, DEFAULT_TASK_KEY_PATTERN } from './defaults.js';

const regex = (what: string) =>
  z
    .string()
    .min(1)
    .refine(
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
  taskCommitWindowHours: z
    .number()
    .positive()
    .max(24 * 365)
    .default(24),
  /** Refs that are not code history (a tool's data branches): globs over the ref's full or short name. */
  refs: z.strictObject({ exclude: z.array(z.string().min(1)).default([]) }).default({ exclude: [] }),
  /**
   * The team warehouse (`paceflow sync`). The URL is better left out of a committed file: set
   * PACEFLOW_WAREHOUSE_URL, or keep the password in ~/.pgpass and only user@host/db here.
   */
  warehouse: z
    .strictObject({
      url: z
        .string()
        .regex(/^postgres(ql)?:\/\//i, 'must start with postgres:// or postgresql://')
        .optional(),
      /** The hooks' worker syncs after each ingest (never blocking git; errors go to its log). */
      syncAfterIngest: z.boolean().default(false),
      /** Send author and committer names and emails hashed with PACEFLOW_IDENTITY_SALT. */
      hashIdentities: z.boolean().default(false),
    })
    .default({ syncAfterIngest: false, hashIdentities: false }),
});

export type PaceflowConfig = z.output<typeof configSchema>;
export type ConfigInput = z.input<typeof configSchema>;
export type ConfigOverrides = Partial<Omit<ConfigInput, '$schema'>>;

function describeIssue(where: string, issue: z.core.$ZodIssue): string {
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return `${where}: unknown key ${keys} (known keys: ${Object.keys(configSchema.shape)
      .filter((k) => k !== '$schema')
      .join(', ')})`;
  }
  const key = issue.path.length > 0 ? issue.path.map(String).join('.') : '(top level)';
  return `${where}: "${key}" ${issue.message}`;
}

export function validateConfig(input: unknown, where: string): PaceflowConfig {
  const result = configSchema.safeParse(input);
  if (!result.success) throw new ConfigError(describeIssue(where, result.error.issues[0]!));
  return result.data;
}
