// zod's tree-shakable build, and its English messages alone: the classic `zod` import brought
// ~750 KiB (every locale among it) into each CLI bundle, read and decoded on every run.
import * as z from 'zod/mini';
import en from 'zod/v4/locales/en.js';
import { ConfigError } from '../errors.js';
import { DEFAULT_TASK_KEY_EXCLUSIONS, DEFAULT_TASK_KEY_PATTERN } from './defaults.js';

z.config(en());

const regex = (what: string) =>
  z.string().check(
    z.minLength(1),
    z.refine(
      (source) => {
        try {
          new RegExp(source);
          return true;
        } catch {
          return false;
        }
      },
      { message: `must be a valid regular expression (${what})` },
    ),
  );

const days = z.int().check(z.positive(), z.lte(3650));

/** Every setting, its default and its bounds. The same names are the JSON keys. */
export const configSchema = z.strictObject({
  $schema: z.optional(z.string()),
  /** Mainline branch name; default: origin/HEAD, else main, else master. */
  mainline: z.optional(z.string().check(z.minLength(1))),
  /** Heavy-AI: AI share at or above this… */
  heavyAiThreshold: z._default(z.number().check(z.gte(0), z.lte(1)), 0.5),
  /** …with at least this many non-trivial added lines. */
  heavyAiMinLines: z._default(z.int().check(z.gte(1)), 3),
  churnWindowDays: z._default(days, 14),
  revertWindowDays: z._default(days, 30),
  /** Heavy-AI commits at least this old count towards the merged-to-mainline rate. */
  mergedMinAgeDays: z._default(days, 14),
  taskKeyPattern: z._default(regex('task key pattern'), DEFAULT_TASK_KEY_PATTERN),
  taskKeyExclusions: z._default(z.array(regex('task key exclusion')), DEFAULT_TASK_KEY_EXCLUSIONS),
  /** A session counts as followed by a commit when one lands within this many hours. */
  taskCommitWindowHours: z._default(z.number().check(z.positive(), z.lte(24 * 365)), 24),
  /** Refs that are not code history (a tool's data branches): globs over the ref's full or short name. */
  refs: z._default(z.strictObject({ exclude: z._default(z.array(z.string().check(z.minLength(1))), []) }), { exclude: [] }),
  /**
   * The team warehouse (`paceflow sync`). The URL is better left out of a committed file: set
   * PACEFLOW_WAREHOUSE_URL, or keep the password in ~/.pgpass and only user@host/db here.
   */
  warehouse: z._default(
    z.strictObject({
      url: z.optional(z.string().check(z.regex(/^postgres(ql)?:\/\//i, 'must start with postgres:// or postgresql://'))),
      /** The hooks' worker syncs after each ingest (never blocking git; errors go to its log). */
      syncAfterIngest: z._default(z.boolean(), false),
      /** Send author and committer names and emails hashed with PACEFLOW_IDENTITY_SALT. */
      hashIdentities: z._default(z.boolean(), false),
    }),
    { syncAfterIngest: false, hashIdentities: false },
  ),
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
