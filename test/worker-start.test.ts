import { spawn, spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';
import { GIT_WAIT_MS, hookParent, processExists, WORKER_WAIT_MS, workerStartWait } from '../src/cli/worker-start.js';

describe('when the hooks’ worker starts its work', () => {
  it.each([
    { value: undefined, pid: null },
    { value: '', pid: null },
    { value: 'git', pid: null },
    { value: '12x', pid: null },
    { value: '-5', pid: null },
    { value: '0', pid: null },
    { value: '007', pid: null },
    { value: '1', pid: null }, // init: a hook whose parent had already gone
    { value: String(process.pid), pid: null },
    { value: '4294967296', pid: null },
    { value: '4242', pid: 4242 },
  ])('PACEFLOW_HOOK_PARENT=$value is the pid $pid', ({ value, pid }) => {
    expect(hookParent(value)).toBe(pid);
  });

  it('waits for the hook’s parent while it runs, polling, and starts the moment it is gone', async () => {
    let clock = 0;
    let looks = 0;
    const waited = await workerStartWait(
      { PACEFLOW_HOOK_PARENT: '4242' },
      {
        now: () => clock,
        pollMs: 2,
        exists: (pid) => {
          expect(pid).toBe(4242);
          looks++;
          clock += 2;
          return looks < 4;
        },
      },
    );
    expect(looks).toBe(4);
    expect(waited).toBe(6);
  });

  it('starts at once when the hook’s parent has already exited (git, by the time node has started)', async () => {
    let looks = 0;
    const exists = () => {
      looks++;
      return false;
    };
    const waited = await workerStartWait({ PACEFLOW_HOOK_PARENT: '4242' }, { now: () => 0, exists });
    expect([waited, looks]).toEqual([0, 1]);
  });

  it('waits out a parent that goes on (a rebase’s later commits), GIT_WAIT_MS at the most, looking less often after WORKER_WAIT_MS', async () => {
    let clock = 0;
    const delays: number[] = [];
    const waited = await workerStartWait(
      { PACEFLOW_HOOK_PARENT: '4242' },
      {
        now: () => clock,
        exists: () => true,
        // The clock moves by the poll's delay; no real time passes.
        schedule: (look, ms) => {
          delays.push(ms);
          clock += ms;
          look();
        },
      },
    );
    expect(waited).toBe(GIT_WAIT_MS);
    expect(delays.slice(0, 3)).toEqual([2, 2, 2]);
    expect(delays.filter((ms) => ms === 2)).toHaveLength(WORKER_WAIT_MS / 2);
    expect(delays.at(-2)).toBe(20);
    expect(Math.max(...delays)).toBe(20);
    expect(delays.length).toBeLessThan(WORKER_WAIT_MS / 2 + GIT_WAIT_MS / 20 + 2);
  });

  it('waits the fixed WORKER_WAIT_MS without a pid (a shim from an older paceflow), none with PACEFLOW_WORKER_NO_DELAY=1', async () => {
    const fixed = await workerStartWait({});
    expect(fixed).toBeGreaterThanOrEqual(WORKER_WAIT_MS - 1);
    expect(await workerStartWait({ PACEFLOW_WORKER_NO_DELAY: '1', PACEFLOW_HOOK_PARENT: '4242' }, { exists: () => true })).toBe(0);
  });

  it('follows a real process: waits while it runs, starts once it has exited', async () => {
    const child = spawn('sleep', ['0.2'], { stdio: 'ignore' });
    const exited = new Promise((resolve) => child.on('exit', resolve));
    expect(processExists(child.pid!)).toBe(true);
    const waited = await workerStartWait({ PACEFLOW_HOOK_PARENT: String(child.pid) }, { atMostMs: 5000 });
    await exited;
    expect(waited).toBeGreaterThan(100);
    expect(waited).toBeLessThan(2000);
    expect(processExists(child.pid!)).toBe(false);
    // Gone already: no wait.
    const gone = spawnSync('true').pid!;
    expect(await workerStartWait({ PACEFLOW_HOOK_PARENT: String(gone) }, { atMostMs: 5000 })).toBeLessThan(50);
  });
});
