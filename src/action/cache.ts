import { existsSync, rmSync } from 'node:fs';
import type { Database } from '../db/driver.js';
import { latestSchemaVersion } from '../db/migrate.js';

/**
 * The Action's database carried between runs through the GitHub cache (`@actions/cache`), so a run
 * starts from the last one's rows and records only what changed. A pull request's run starts from
 * the newest database of its own ref, else of mainline (GitHub lets a PR read its base branch's
 * caches). A restored database is checked before it is trusted: one that is damaged, or written by
 * a newer paceflow, is discarded and the run starts fresh; one from an older paceflow is migrated
 * when it is opened, as any database is.
 */
export interface CacheClient {
  /** Whether the runner has a cache service (not on a self-hosted runner without one, not locally). */
  available(): boolean;
  /** Restores `paths` from the entry `key`, else the newest entry whose key starts with a restore key; returns the key found. */
  restore(paths: string[], key: string, restoreKeys: string[]): Promise<string | undefined>;
  save(paths: string[], key: string): Promise<void>;
}

/** The real client: GitHub's cache toolkit, loaded when first used. */
export function actionsCache(): CacheClient {
  const load = () => import('@actions/cache');
  let available: boolean | undefined;
  return {
    available: () => {
      // isFeatureAvailable reads the runner's environment only; the module is light to probe.
      available ??= Boolean(process.env.ACTIONS_CACHE_URL || process.env.ACTIONS_RESULTS_URL);
      return available;
    },
    restore: async (paths, key, restoreKeys) => (await load()).restoreCache(paths, key, restoreKeys),
    save: async (paths, key) => {
      await (await load()).saveCache(paths, key);
    },
  };
}

/** Everything after this prefix names the schema, the ref and the commit. */
export const CACHE_PREFIX = 'paceflow-db';

export interface CacheKeys {
  key: string;
  restoreKeys: string[];
}

/**
 * The key of this run's database (schema, ref, commit: unique per run of a commit) and where to
 * start from: this ref's newest, then mainline's newest, then any schema's (migrated or discarded).
 */
export function cacheKeys(options: { schema?: number; ref: string; sha: string; mainline: string | null }): CacheKeys {
  const schema = options.schema ?? latestSchemaVersion();
  const of = (ref: string) => `${CACHE_PREFIX}-v${schema}-${ref}-`;
  const restoreKeys = [of(options.ref)];
  if (options.mainline && `refs/heads/${options.mainline}` !== options.ref) restoreKeys.push(of(`refs/heads/${options.mainline}`));
  restoreKeys.push(`${CACHE_PREFIX}-`);
  return { key: `${of(options.ref)}${options.sha}`, restoreKeys };
}

export type RestoreOutcome = { kind: 'restored'; key: string } | { kind: 'none' } | { kind: 'discarded'; key: string; reason: string };

/**
 * Restores the database file and checks it: `quick_check` must say ok, and its schema must not be
 * newer than this paceflow's. A failed check removes the file (the run builds it afresh).
 */
export async function restoreDatabase(
  client: CacheClient,
  db: string,
  keys: CacheKeys,
  open: (path: string) => Database,
): Promise<RestoreOutcome> {
  const key = await client.restore([db], keys.key, keys.restoreKeys);
  if (!key || !existsSync(db)) return { kind: 'none' };
  const reason = checkDatabase(db, open);
  if (reason === null) return { kind: 'restored', key };
  for (const file of [db, `${db}-wal`, `${db}-shm`]) rmSync(file, { force: true });
  return { kind: 'discarded', key, reason };
}

/** Why a restored database cannot be used, or null. */
function checkDatabase(path: string, open: (path: string) => Database): string | null {
  let d: Database | undefined;
  try {
    d = open(path);
    const version = Number(d.prepare('PRAGMA user_version').get<{ user_version: number }>()?.user_version ?? 0);
    if (version > latestSchemaVersion()) return `written by a newer paceflow (schema ${version}, this one knows ${latestSchemaVersion()})`;
    const check = d.prepare('PRAGMA quick_check').get<{ quick_check: string }>()?.quick_check;
    return check === 'ok' ? null : `damaged (${check})`;
  } catch (error) {
    return `unreadable (${(error as Error).message.split('\n')[0]})`;
  } finally {
    d?.close();
  }
}

/**
 * Saves the database as one file (its write-ahead log folded in first). An entry with this key
 * already saved (a re-run of the same commit) is not an error.
 */
export async function saveDatabase(client: CacheClient, db: Database, path: string, key: string): Promise<'saved' | 'exists'> {
  db.exec('PRAGMA wal_checkpoint(TRUNCATE)');
  try {
    await client.save([path], key);
    return 'saved';
  } catch (error) {
    if ((error as Error).name === 'ReserveCacheError' || /already exists/i.test((error as Error).message)) return 'exists';
    throw error;
  }
}
