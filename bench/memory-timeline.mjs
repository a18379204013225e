// Preloaded into a paceflow run (`MEMORY_TIMELINE=<file> node --import ./bench/memory-timeline.mjs
// bin/paceflow.js ingest …`), writes where node's resident size went and when, to <file>: a line
// `<seconds> rss <MiB> anon <MiB> hwm <MiB>` whenever the resident size moved by over 2 MiB or
// its high-water mark rose by over 1 MiB (read from /proc/self/status every MEMORY_TIMELINE_MS, 20 ms unless
// told), and a line `<seconds> point <name>` as each of the run's crash points passes
// (src/crash-point.ts publishes them on the diagnostics channel `paceflow:point`). Linux only.
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
