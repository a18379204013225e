// Preloaded into a paceflow run (`MEMORY_TIMELINE=<file> node --import ./bench/memory-timeline.mjs
// bin/paceflow.js ingest …`), writes where node's resident size went and when, to <file>: a line
// `<seconds> rss <MiB> anon <MiB> hwm <MiB>` whenever the resident size moved by over 2 MiB or
// its high-water mark rose by over 1 MiB (read from /proc/self/status every MEMORY_TIMELINE_MS, 20 ms unless
// told), and a line `<seconds> point <name>` as each of the run's crash points passes
// (src/crash-point.ts publishes them on the diagnostics channel `paceflow:point`); V8's heap
// too with MEMORY_TIMELINE_HEAP_MS (below). Linux only.
//
// Why a thread of its own: a sampler on the main thread's timers sees nothing while the main
// thread runs synchronous work. The end of the outcome build on git's own history with its pull
// requests (its revert rules and its write) is 5–6 s of it, and the write's dirty pages on top of
// the heap the rules left were the run's peak (VmHWM 342,044 KiB, 334 MiB) where the main
// thread's sampler, silent through it, had 303 MiB at most (bench/README, session 68).
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync, writeFileSync } from 'node:fs';
import { Worker } from 'node:worker_threads';

const file = process.env.MEMORY_TIMELINE;
if (!file) throw new Error('bench/memory-timeline.mjs: set MEMORY_TIMELINE to the file to write');
writeFileSync(file, '');
const start = Date.now();
subscribe('paceflow:point', (name) => appendFileSync(file, `${((Date.now() - start) / 1000).toFixed(3)} point ${String(name)}\n`));

const sampler = `
const { appendFileSync, readFileSync } = require('node:fs');
const { workerData: { file, start, every } } = require('node:worker_threads');
const kib = (status, key) => Number(status.match(new RegExp(key + ':\\\\s+(\\\\d+)'))?.[1] ?? 0);
const mib = (k) => (k / 1024).toFixed(0);
let [lastRss, lastHwm] = [0, 0];
setInterval(() => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const [rss, anon, hwm] = [kib(status, 'VmRSS'), kib(status, 'RssAnon'), kib(status, 'VmHWM')];
  if (Math.abs(rss - lastRss) <= 2048 && hwm - lastHwm <= 1024) return;
  [lastRss, lastHwm] = [rss, hwm];
  appendFileSync(file, ((Date.now() - start) / 1000).toFixed(3) + ' rss ' + mib(rss) + ' anon ' + mib(anon) + ' hwm ' + mib(hwm) + '\\n');
}, every);
`;
new Worker(sampler, { eval: true, workerData: { file, start, every: Number(process.env.MEMORY_TIMELINE_MS ?? 20) } }).unref();

// With MEMORY_TIMELINE_HEAP_MS=<ms>, also a line `<seconds> heap used <MiB> total <MiB> buffers
// <MiB> rss <MiB>` every <ms> from the main thread's timers (V8's heap is only readable there): silent
// through synchronous work, but it tells the heap from what lies outside it (the array buffers:
// the content rule's ring of line keys, the commit columns) where the two sampled together.
const heapEvery = Number(process.env.MEMORY_TIMELINE_HEAP_MS ?? 0);
if (heapEvery > 0) {
  const mib = (bytes) => (bytes / 1048576).toFixed(0);
  setInterval(() => {
    const m = process.memoryUsage();
    appendFileSync(
      file,
      `${((Date.now() - start) / 1000).toFixed(3)} heap used ${mib(m.heapUsed)} total ${mib(m.heapTotal)} buffers ${mib(m.arrayBuffers)} rss ${mib(m.rss)}\n`,
    );
  }, heapEvery).unref();
}
