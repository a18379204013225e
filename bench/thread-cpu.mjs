// The main thread's CPU so far (user + system, microseconds), for bench/exit-figures.mjs and
// bench/phase-figures.mjs: its own task's utime and stime (/proc/self/task/<pid>/stat, in clock
// ticks of USER_HZ, 100 on Linux). process.cpuUsage counts every thread of node — V8's helper
// threads (most of their time garbage collection beside the main thread) and any worker — so
// the two together tell where node's CPU went. Linux only.
import { readFileSync } from 'node:fs';

export function mainThreadCpu() {
  const stat = readFileSync(`/proc/self/task/${process.pid}/stat`, 'utf8');
  // Fields after the name, which may hold spaces and ')': utime and stime are the 14th and 15th of the line.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return ((Number(fields[11]) + Number(fields[12])) / 100) * 1e6;
}
