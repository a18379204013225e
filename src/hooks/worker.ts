import { appendFileSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/**
 * The worker the hook shim starts: it drains the queue the shim appends to — claiming it by an
 * atomic rename, so an event is never lost — runs an incremental ingest (history, new transcript
 * bytes, attribution, notes, outcomes, tasks: each in its own BEGIN IMMEDIATE transactions), and
 * repeats until the queue stays empty. A worker killed mid-drain leaves its claimed file behind;
 * the next one takes it over. Errors go to worker.log, which `paceflow doctor` and
 * `paceflow hooks status` show. Events only say "something happened": the ingest itself catches up
 * on everything, commits made with --no-verify or before install included.
 */
export interface WorkerOptions {
  dir: string;
  repo: string;
  /** Does the work for one batch of events (the ingest); injectable for tests. */
  drain: () => Promise<void>;
  pid?: number;
  maxRounds?: number;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/** Claims the queue and any file a dead worker had claimed; returns the claimed paths. */
export function claimQueue(dir: string, pid: number, round: number): string[] {
  const claimed: string[] = [];
  for (const name of existsSync(dir) ? readdirSync(dir) : []) {
    const m = /^queue\.(\d+)\.\d+$/.exec(name);
    if (m && (Number(m[1]) === pid || !alive(Number(m[1])))) {
      const mine = join(dir, `queue.${pid}.${round}.taken-${name}`);
      try {
        renameSync(join(dir, name), mine);
        claimed.push(mine);
      } catch {
        // another worker took it first
      }
    }
  }
  const queue = join(dir, 'queue');
  if (existsSync(queue)) {
    const mine = join(dir, `queue.${pid}.${round}`);
    try {
      renameSync(queue, mine);
      claimed.push(mine);
    } catch {
      // nothing to take
    }
  }
  return claimed;
}

export function logError(dir: string, error: unknown): void {
  try {
    mkdirSync(dir, { recursive: true });
    const message = error instanceof Error ? error.message : String(error);
    appendFileSync(join(dir, 'worker.log'), `${new Date().toISOString()} ${message.replace(/\s+/g, ' ')}\n`);
  } catch {
    // nowhere left to report; the hook still succeeded
  }
}

export async function runWorker(options: WorkerOptions): Promise<{ rounds: number; events: number }> {
  const pid = options.pid ?? process.pid;
  const lock = join(options.dir, 'worker.lock');
  mkdirSync(options.dir, { recursive: true });
  writeFileSync(lock, String(pid));
  let rounds = 0;
  let events = 0;
  const maxRounds = options.maxRounds ?? 20;
  try {
    for (;;) {
      while (rounds < maxRounds) {
        const claimed = claimQueue(options.dir, pid, rounds);
        if (claimed.length === 0) break;
        rounds++;
        events += claimed.reduce((n, f) => n + readFileSync(f, 'utf8').split('\n').filter(Boolean).length, 0);
        for (let attempt = 0; ; attempt++) {
          try {
            await options.drain();
            break;
          } catch (error) {
            const busy = /SQLITE_BUSY|locked by another process/.test(String((error as Error)?.message ?? error));
            if (!busy || attempt >= 4) throw error;
            await new Promise((r) => setTimeout(r, 500 * (attempt + 1)));
          }
        }
        for (const file of claimed) rmSync(file, { force: true });
      }
      rmSync(lock, { force: true });
      // An event appended after the last claim but before the lock went: take it now.
      if (!existsSync(join(options.dir, 'queue')) || rounds >= maxRounds) break;
      try {
        writeFileSync(lock, String(pid), { flag: 'wx' });
      } catch {
        break; // a new worker already has it
      }
    }
  } catch (error) {
    logError(options.dir, error);
    rmSync(lock, { force: true });
  }
  return { rounds, events };
}

/**
 * What the shim's worker process runs: the pipeline's update for the repository, as often as the
 * queue asks. Started from inside a hook, so git's GIT_DIR / GIT_INDEX_FILE (a rebase's temporary
 * index…) must not leak into the git commands the update runs later.
 */
export async function runHookWorker(options: { cwd: string; db?: string; env?: NodeJS.ProcessEnv; dir: string }): Promise<void> {
  for (const key of [
    'GIT_DIR',
    'GIT_INDEX_FILE',
    'GIT_WORK_TREE',
    'GIT_PREFIX',
    'GIT_COMMON_DIR',
    'GIT_OBJECT_DIRECTORY',
    'GIT_ALTERNATE_OBJECT_DIRECTORIES',
    'GIT_QUARANTINE_PATH',
    'GIT_REFLOG_ACTION',
  ]) {
    delete process.env[key];
  }
  const { update } = await import('../pipeline/update.js');
  // Asked for before the queue lock goes, so that at every moment one of worker.lock, sync.wanted
  // and sync.lock says work is under way (what pre-push and the tests wait on is the queue alone).
  const settings = await syncSettings(options);
  if (settings) writeFileSync(join(options.dir, 'sync.wanted'), '');
  await runWorker({
    dir: options.dir,
    repo: options.cwd,
    drain: async () => {
      // Quiet: the worker prints nothing, so the builders' message totals are not computed.
      await update({
        cwd: options.cwd,
        quiet: true,
        ...(options.db ? { db: options.db } : {}),
        ...(options.env ? { env: options.env } : {}),
      });
    },
  });
  if (settings) await syncWhileWanted(options, settings);
}

/** A sync lock older than this was left by a killed worker: the next one takes it over. */
const STALE_SYNC_LOCK_MS = 10 * 60_000;

interface SyncSettings {
  url: string;
  salt: string | null;
}

/** With `warehouse.syncAfterIngest` (off by default): where to sync. Null when off or not set up (logged). */
async function syncSettings(options: { cwd: string; env?: NodeJS.ProcessEnv; dir: string }): Promise<SyncSettings | null> {
  try {
    const { loadConfig } = await import('../config/config.js');
    const env = options.env ?? process.env;
    // The hook ran in the work tree's root (git runs hooks there): no git process to find it.
    const { config } = await loadConfig(options.cwd);
    if (!config.warehouse.syncAfterIngest) return null;
    // Only now: the sync module brings PostgreSQL's client, ~0.1 s of loading that a worker
    // without sync (the default) paid after every commit.
    const sync = await import('../sync/sync.js');
    return {
      url: sync.resolveWarehouseUrl(undefined, env, config.warehouse.url),
      salt: sync.identitySalt(config.warehouse.hashIdentities, env),
    };
  } catch (error) {
    logError(options.dir, new Error(`sync: ${(error as Error)?.message ?? String(error)}`));
    return null;
  }
}

/**
 * Syncs to the team warehouse what the worker recorded — after the queue lock is gone, so pre-push
 * never waits on the network — one sync at a time (sync.lock). A worker that finds another syncing
 * leaves sync.wanted, and the one syncing goes again. Every failure is one line in worker.log;
 * git never sees it.
 */
export async function syncWhileWanted(
  options: { cwd: string; db?: string; env?: NodeJS.ProcessEnv; dir: string },
  settings: SyncSettings,
): Promise<void> {
  const wanted = join(options.dir, 'sync.wanted');
  const lock = join(options.dir, 'sync.lock');
  while (existsSync(wanted)) {
    try {
      writeFileSync(lock, String(process.pid), { flag: 'wx' });
    } catch {
      if (Date.now() - statSync(lock).mtimeMs < STALE_SYNC_LOCK_MS) return; // the one syncing will go again
      writeFileSync(lock, String(process.pid));
    }
    try {
      while (existsSync(wanted)) {
        rmSync(wanted, { force: true });
        await syncOnce(options, settings);
      }
    } finally {
      rmSync(lock, { force: true });
    }
  }
}

async function syncOnce(
  options: { cwd: string; db?: string; env?: NodeJS.ProcessEnv; dir: string },
  settings: SyncSettings,
): Promise<void> {
  try {
    const [{ withDatabase }, sync, { packageVersion }] = await Promise.all([
      import('../db/with-database.js'),
      import('../sync/sync.js'),
      import('../version.js'),
    ]);
    await withDatabase(
      { cwd: options.cwd, ...(options.db ? { db: options.db } : {}), ...(options.env ? { env: options.env } : {}) },
      (db) => sync.syncToWarehouse(db, { url: settings.url, version: packageVersion(), identitySalt: settings.salt }),
    );
  } catch (error) {
    logError(options.dir, new Error(`sync: ${(error as Error)?.message ?? String(error)}`));
  }
}
