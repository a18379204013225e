/**
 * When the hooks' worker may start its work. It is started in the background the moment a
 * commit's hook returns, while git still finishes the commit (its auto-maintenance check, its
 * exit): loading the worker's bundle then took the CPU git needed, and the commit waited
 * (bench/README, session 28). So the worker waited a fixed WORKER_WAIT_MS after node started —
 * ~6% of its 0.5 s budget after every commit, though by the time node has started (~0.1 s) git
 * has nearly always exited — and a rebase, whose git runs on through every commit, had the
 * worker's whole run beside it. Now the shim hands on the pid of the hook's parent (git, or the
 * hook manager git waits for) as PACEFLOW_HOOK_PARENT, and the worker waits until that process is
 * gone, GIT_WAIT_MS at the most: after a commit not at all, after a rebase's first commit until
 * the rebase is done (its later hooks queue their events for this worker). Without a pid (a shim
 * installed by an older paceflow, a worker started by hand, pre-push — whose git waits for the
 * worker) it waits the fixed WORKER_WAIT_MS as before.
 */
export const WORKER_WAIT_MS = 30;

/** The longest the worker waits for the hook's parent (a rebase of thousands of commits goes on longer: the worker starts beside it then). */
export const GIT_WAIT_MS = 10_000;

/** How often the hook's parent is looked for while it runs: every 2 ms at first, then every 20 ms. */
const POLL_MS = 2;
const SLOW_POLL_MS = 20;

/** Whether a process with this pid exists (one of another user's counts: the pid was reused). */
export function processExists(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code !== 'ESRCH';
  }
}

export interface WorkerStartOptions {
  atMostMs?: number;
  pollMs?: number;
  exists?: (pid: number) => boolean;
  now?: () => number;
  /** Runs `look` after `ms` (tests: at once, on a clock of their own). */
  schedule?: (look: () => void, ms: number) => void;
}

/**
 * Resolves when the worker may load its bundle; with the milliseconds it waited. PACEFLOW_WORKER_NO_DELAY=1: at once
 * (bench/hook-variants.mjs compares the worker started without a wait).
 */
export function workerStartWait(env: NodeJS.ProcessEnv = process.env, options: WorkerStartOptions = {}): Promise<number> {
  if (env.PACEFLOW_WORKER_NO_DELAY === '1') return Promise.resolve(0);
  const now = options.now ?? (() => performance.now());
  const start = now();
  const parent = hookParent(env.PACEFLOW_HOOK_PARENT);
  if (parent === null) return new Promise((resolve) => setTimeout(() => resolve(now() - start), options.atMostMs ?? WORKER_WAIT_MS));
  const atMost = options.atMostMs ?? GIT_WAIT_MS;
  const exists = options.exists ?? processExists;
  const pollMs = options.pollMs ?? POLL_MS;
  const schedule = options.schedule ?? ((look: () => void, ms: number) => void setTimeout(look, ms));
  return new Promise((resolve) => {
    const look = () => {
      const waited = now() - start;
      if (!exists(parent) || waited >= atMost) resolve(waited);
      else schedule(look, Math.min(waited < WORKER_WAIT_MS ? pollMs : SLOW_POLL_MS, atMost - waited));
    };
    look();
  });
}

/** The pid the shim handed on, or null when there is none that could be a process's (empty, not a number, 0, 1, this process). */
export function hookParent(value: string | undefined): number | null {
  if (!value || !/^[1-9]\d{0,9}$/.test(value)) return null;
  const pid = Number(value);
  // 1 is init (a hook whose parent already exited reports it): it never exits.
  return pid === 1 || pid === process.pid || pid > 0x7fffffff ? null : pid;
}
