/**
 * When the hooks' worker may start its work. It is started in the background the moment a
 * commit's hook returns, while git still finishes the commit (its auto-maintenance check, its
 * exit): loading the worker's bundle then took the CPU git needed, and the commit waited
 * (bench/README, session 28). So the worker waited a fixed WORKER_WAIT_MS after node started —
 * ~6% of its 0.5 s budget after every commit, though by the time node has started (~0.1 s) git
 * has nearly always exited. Now the shim hands on the pid of the hook's parent (git, or the hook
 * manager git waits for) as PACEFLOW_HOOK_PARENT, and the worker waits until that process is
 * gone, WORKER_WAIT_MS at the most: a git still running (a rebase's next commit, a slow
 * machine) is waited for as before, one that has exited not at all. Without a pid (a shim
 * installed by an older paceflow, a worker started by hand) it waits the fixed time as before.
 */
export const WORKER_WAIT_MS = 30;

/** How often the hook's parent is looked for while it runs. */
const POLL_MS = 2;

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
}

/**
 * Resolves when the worker may load its bundle; with the milliseconds it waited. PACEFLOW_WORKER_NO_DELAY=1: at once
 * (bench/hook-variants.mjs compares the worker started without a wait).
 */
export function workerStartWait(env: NodeJS.ProcessEnv = process.env, options: WorkerStartOptions = {}): Promise<number> {
  const atMost = options.atMostMs ?? WORKER_WAIT_MS;
  if (env.PACEFLOW_WORKER_NO_DELAY === '1') return Promise.resolve(0);
  const now = options.now ?? (() => performance.now());
  const start = now();
  const parent = hookParent(env.PACEFLOW_HOOK_PARENT);
  if (parent === null) return new Promise((resolve) => setTimeout(() => resolve(now() - start), atMost));
  const exists = options.exists ?? processExists;
  const pollMs = options.pollMs ?? POLL_MS;
  return new Promise((resolve) => {
    const look = () => {
      const waited = now() - start;
      if (!exists(parent) || waited >= atMost) resolve(waited);
      else setTimeout(look, Math.min(pollMs, atMost - waited));
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
