#!/usr/bin/env node
// Where a paceflow run's CPU goes, by Linux `perf`: git's processes, node's main thread and node's
// other threads (V8's compiler and collector, the transcript thread), split by the run's crash
// points — the stretch that ends at each (bench/phase-figures.mjs's rows) — with the main thread's
// busiest functions in each. node's own `--cpu-prof` undercounts tight loops over bytes (session 78:
// 4.4 s busy in the history's pass where the main thread's counter read 9–10 s); `perf` samples
// every thread and process of the tree by CPU time (cpu-clock), JavaScript named through
// `--perf-basic-prof`.
//
//   node bench/perf-phases.mjs [--freq 299] [--top 12] [--keep <folder>] -- <paceflow arguments>
//
// Run it in the repository, e.g. `HOME=<home> node <paceflow>/bench/perf-phases.mjs -- ingest
// --no-notes --db <new file>`. Needs `perf` (linux-perf) and leave to sample (perf_event_paranoid
// ≤ 1, or root). Figures are seconds of CPU: samples ÷ frequency. A function's row counts samples
// whose innermost JavaScript frame it is (native code it called included: SQLite under `run`).
// Read the functions as pointers and the split as the figure: V8 moves and reuses its code's
// addresses while `--perf-basic-prof` only appends names, so a sample can take a stale name (a run
// at 5836276 named 1.7 s of the history's pass after node's async_hooks helpers, one before none).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { freq: { type: 'string', default: '299' }, top: { type: 'string', default: '12' }, keep: { type: 'string' } },
});
if (positionals.length === 0) {
  console.error('usage: node bench/perf-phases.mjs [--freq 299] [--top 12] [--keep <folder>] -- <paceflow arguments>');
  process.exit(2);
}
const freq = Number(values.freq);
const work = values.keep ?? mkdtempSync(join(tmpdir(), 'paceflow-perf-'));
const data = join(work, 'perf.data');
const points = join(work, 'points');
// A kept folder's earlier run: its points would be appended to and read as this run's.
mkdirSync(work, { recursive: true });
rmSync(points, { force: true });

const recorded = spawnSync(
  'perf',
  [
    'record',
    '-k',
    'CLOCK_MONOTONIC',
    '-F',
    String(freq),
    '-g',
    '-o',
    data,
    '--',
    process.execPath,
    '--perf-basic-prof',
    '--import',
    join(ROOT, 'bench', 'point-times.mjs'),
    join(ROOT, 'bin', 'paceflow.js'),
    ...positionals,
  ],
  { stdio: ['ignore', 'ignore', 'inherit'], env: { ...process.env, POINT_TIMES: points } },
);
if (recorded.status !== 0) {
  console.error(`perf record failed (${recorded.error?.message ?? `exit ${recorded.status}`}): is perf installed, and may it sample?`);
  process.exit(1);
}

// Each stretch ends at its point's time (ns); a sample belongs to the first one ending after it.
const stretches = readFileSync(points, 'utf8')
  .trim()
  .split('\n')
  .map((line) => {
    const [name, ns] = line.split(' ');
    return { name, end: Number(BigInt(ns) / 1000n) / 1e6 };
  });
const phaseOf = (t) => {
  for (const s of stretches) if (t <= s.end) return s.name;
  return 'exit';
};

// Rows by phase, in the order the points first passed: seconds of git's (other processes'), node's
// main thread's and node's other threads' CPU, and the main thread's functions.
const phases = new Map();
const rowOf = (name) => {
  let row = phases.get(name);
  if (!row) {
    row = { processes: 0, main: 0, threads: 0, functions: new Map() };
    phases.set(name, row);
  }
  return row;
};
for (const s of stretches) rowOf(s.name);

const script = spawn('perf', ['script', '-i', data, '-F', 'comm,pid,tid,time,ip,sym'], { stdio: ['ignore', 'pipe', 'ignore'] });
let sample = null;
const settle = () => {
  if (!sample) return;
  const row = rowOf(phaseOf(sample.time));
  if (sample.comm !== 'node') row.processes++;
  else if (sample.pid !== sample.tid) row.threads++;
  else {
    row.main++;
    const frame = sample.frames.find((f) => f.startsWith('JS:')) ?? sample.frames[0] ?? '(unknown)';
    // `JS:*name file:line:column`: the function's name and where it is, without V8's tier mark.
    const name = frame.replace(/^JS:[*~^+]?/, '').replace(ROOT, '');
    row.functions.set(name, (row.functions.get(name) ?? 0) + 1);
  }
  sample = null;
};
for await (const line of createInterface({ input: script.stdout })) {
  if (line.length === 0) continue;
  if (line[0] !== '\t') {
    settle();
    // `comm pid/tid time:` (perf script's header of a sample; the command may hold spaces).
    const m = /^\s*(.*?)\s+(\d+)\/(\d+)\s+([\d.]+):/.exec(line);
    sample = m ? { comm: m[1].trim(), pid: m[2], tid: m[3], time: Number(m[4]), frames: [] } : null;
  } else if (sample) {
    const frame = line.trim();
    sample.frames.push(frame.slice(frame.indexOf(' ') + 1));
  }
}
settle();

const s = (n) => (n / freq).toFixed(1);
const table = [
  ['stretch ending at', 'other processes s', 'node main s', 'node other threads s'],
  ...[...phases].map(([name, r]) => [name, s(r.processes), s(r.main), s(r.threads)]),
];
const total = [...phases.values()].reduce((t, r) => ({ p: t.p + r.processes, m: t.m + r.main, o: t.o + r.threads }), { p: 0, m: 0, o: 0 });
table.push(['total', s(total.p), s(total.m), s(total.o)]);
const widths = table[0].map((_, i) => Math.max(...table.map((r) => r[i].length)));
for (const [i, r] of table.entries()) {
  console.log(`| ${r.map((c, k) => (k === 0 ? c.padEnd(widths[k]) : c.padStart(widths[k]))).join(' | ')} |`);
  if (i === 0) console.log(`| ${widths.map((w, k) => (k === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`);
}
for (const [name, r] of phases) {
  if (r.main / freq < 0.5) continue;
  console.log(`\n${name}: node's main thread, by its innermost JavaScript function`);
  for (const [f, n] of [...r.functions].sort((a, b) => b[1] - a[1]).slice(0, Number(values.top)))
    console.log(`  ${s(n).padStart(5)} s  ${f}`);
}
if (!values.keep) rmSync(work, { recursive: true, force: true });
