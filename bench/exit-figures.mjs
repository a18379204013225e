// Preloaded into a paceflow run (`node --import ./bench/exit-figures.mjs bin/paceflow.js …`), prints
// to stderr as the process exits what GNU time cannot split from git's: node's own peak resident
// size (VmHWM), its own CPU time (process.cpuUsage: every thread of node, none of its children) and
// its read and write calls and bytes (/proc/self/io), and that CPU split between the main thread
// and the others (V8's helper threads, mostly garbage collection, and any worker thread). Linux only.
import { readFileSync } from 'node:fs';
import { mainThreadCpu } from './thread-cpu.mjs';

process.on('exit', () => {
  const status = readFileSync('/proc/self/status', 'utf8');
  const io = Object.fromEntries(
    readFileSync('/proc/self/io', 'utf8')
      .trim()
      .split('\n')
      .map((line) => line.split(': '))
      .map(([key, value]) => [key, Number(value)]),
  );
  const cpu = process.cpuUsage();
  const s = (us) => (us / 1e6).toFixed(1);
  const main = mainThreadCpu();
  process.stderr.write(
    `HWM ${status.match(/VmHWM:\s+(\d+)/)[1]} KB node-cpu ${s(cpu.user + cpu.system)} s (${s(cpu.user)}+${s(cpu.system)}) ` +
      `syscr ${io.syscr} syscw ${io.syscw} rchar ${(io.rchar / 1e6).toFixed(0)} MB wchar ${(io.wchar / 1e6).toFixed(0)} MB ` +
      `main-thread ${s(main)} s other-threads ${s(Math.max(0, cpu.user + cpu.system - main))} s\n`,
  );
});
