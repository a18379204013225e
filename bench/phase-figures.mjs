// Preloaded into a paceflow run (`node --import ./bench/phase-figures.mjs bin/paceflow.js ingest …`),
// splits what node did by the run's crash points (src/crash-point.ts publishes each on the
// diagnostics channel `paceflow:point`): for the stretch that ends at each point, the wall time,
// node's CPU (user and system, every thread of node, none of git's), its read and write calls and
// bytes (/proc/self/io: pipes from git, the database, the WAL and the diff store alike) and the
// resident size when the point passed, and how much of that CPU was the main thread's (the rest:
// V8's helper threads — most of it garbage collection beside the main thread — and the transcript
// thread). A point that passes many times in a row (a batch each)
// is one row with its count. Printed to stderr as the process exits. Linux only.
//
// The kernel adds a child's read and write counters to node's when node reaps it: a git process
// that ends in a later stretch shows its I/O there. The content rule's `git cat-file --batch`
// wrote 30 GB to node on git's own history with its pull requests; reaped as the outcome build
// ended, the churn row showed "29,315 MB written in 4.8M calls" that were git's, not node's
// (strace of node through churn: 52 MB, the database and its WAL).
//
// Rows: the history's pass ends at git-ingest, the transcripts at transcripts-read, the notes
// read at notes-read, each builder at builder:<name> (attribution's batches at
// attribution-batch before it). The last row, exit, is what came after the last point.
import { subscribe } from 'node:diagnostics_channel';
import { readFileSync } from 'node:fs';
import { mainThreadCpu } from './thread-cpu.mjs';

const io = () => {
  const counters = {};
  for (const line of readFileSync('/proc/self/io', 'utf8').trim().split('\n')) {
    const [key, value] = line.split(': ');
    counters[key] = Number(value);
  }
  return counters;
};
const rssMb = () => Number(readFileSync('/proc/self/status', 'utf8').match(/VmRSS:\s+(\d+)/)[1]) / 1024;
const snap = () => ({ at: performance.now(), cpu: process.cpuUsage(), main: mainThreadCpu(), io: io() });

const rows = [];
let last = snap();
const pass = (name) => {
  const now = snap();
  const previous = rows.at(-1);
  const row =
    previous?.name === name ? previous : { name, times: 0, wall: 0, user: 0, sys: 0, main: 0, syscr: 0, syscw: 0, rchar: 0, wchar: 0 };
  if (row !== previous) rows.push(row);
  row.times++;
  row.wall += (now.at - last.at) / 1000;
  row.user += (now.cpu.user - last.cpu.user) / 1e6;
  row.sys += (now.cpu.system - last.cpu.system) / 1e6;
  row.main += (now.main - last.main) / 1e6;
  for (const key of ['syscr', 'syscw', 'rchar', 'wchar']) row[key] += now.io[key] - last.io[key];
  row.rss = rssMb();
  last = now;
};
subscribe('paceflow:point', (name) => pass(String(name)));

process.on('exit', () => {
  pass('exit');
  const mb = (bytes) => (bytes / 1e6).toFixed(0);
  const table = [
    ['point', 'times', 'wall s', 'user s', 'sys s', 'main s', 'read calls', 'write calls', 'read MB', 'written MB', 'RSS MB'],
    ...rows.map((r) => [
      r.name,
      String(r.times),
      r.wall.toFixed(1),
      r.user.toFixed(1),
      r.sys.toFixed(1),
      r.main.toFixed(1),
      String(r.syscr),
      String(r.syscw),
      mb(r.rchar),
      mb(r.wchar),
      r.rss.toFixed(0),
    ]),
  ];
  const widths = table[0].map((_, i) => Math.max(...table.map((row) => row[i].length)));
  const line = (row) => `| ${row.map((cell, i) => (i === 0 ? cell.padEnd(widths[i]) : cell.padStart(widths[i]))).join(' | ')} |`;
  const out = [line(table[0]), `| ${widths.map((w, i) => (i === 0 ? '-'.repeat(w) : `${'-'.repeat(w - 1)}:`)).join(' | ')} |`];
  for (const row of table.slice(1)) out.push(line(row));
  process.stderr.write(`${out.join('\n')}\n`);
});
