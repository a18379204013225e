import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const THREAD_CPU = fileURLToPath(new URL('../bench/thread-cpu.mjs', import.meta.url)).replaceAll('\\', '/');

/**
 * bench/thread-cpu.mjs, run in a process of its own: the main thread spins for 300 ms of CPU, then
 * waits (blocked, no CPU) while a worker thread spins for 300 ms of the process's CPU. The main thread's
 * figure must grow with the first and not the second; process.cpuUsage grows with both.
 */
const SCRIPT = `
import { Worker } from 'node:worker_threads';
import { mainThreadCpu } from '${THREAD_CPU}';
const total = () => { const c = process.cpuUsage(); return c.user + c.system; };
const spin = (us) => { const start = total(); while (total() - start < us) {} };
const m0 = mainThreadCpu(), t0 = total();
spin(300_000);
const m1 = mainThreadCpu(), t1 = total();
const done = new Int32Array(new SharedArrayBuffer(4));
// The worker's code, evaluated: a dynamic import works whichever kind of module it is taken for.
new Worker(\`
  const { workerData } = await import('node:worker_threads');
  const all = () => { const c = process.cpuUsage(); return c.user + c.system; };
  const start = all(), began = Date.now();
  while (all() - start < 300_000 && Date.now() - began < 5000) {}
  Atomics.store(workerData, 0, 1); Atomics.notify(workerData, 0);
\`, { eval: true, workerData: done });
Atomics.wait(done, 0, 0, 10_000);
const m2 = mainThreadCpu(), t2 = total();
console.log(JSON.stringify({ mainSpin: m1 - m0, allSpin: t1 - t0, mainWait: m2 - m1, allWait: t2 - t1 }));
`;

describe('bench/thread-cpu.mjs', () => {
  it("counts the main thread's CPU and not a worker's", () => {
    const r = spawnSync(process.execPath, ['--input-type=module', '-e', SCRIPT], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    const { mainSpin, allSpin, mainWait, allWait }: { mainSpin: number; allSpin: number; mainWait: number; allWait: number } = JSON.parse(
      r.stdout,
    );
    // The main thread's spin: all of it the main thread's (its ticks are 10 ms; V8's helpers may add a little to the whole).
    expect(allSpin).toBeGreaterThanOrEqual(300_000);
    expect(mainSpin).toBeGreaterThanOrEqual(250_000);
    expect(mainSpin).toBeLessThanOrEqual(allSpin + 20_000);
    // The worker's spin (process.cpuUsage counts every thread): the blocked main thread gains next to nothing.
    expect(allWait).toBeGreaterThanOrEqual(250_000);
    expect(mainWait).toBeLessThan(100_000);
  });
});
