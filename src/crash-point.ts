import { channel } from 'node:diagnostics_channel';

/**
 * The points as they pass, by name, on the diagnostics channel `paceflow:point`: what a run did
 * between two commits of its work can be measured from outside it (bench/phase-figures.mjs splits
 * a first run's CPU, system calls and bytes by them). Nothing is published without a subscriber.
 */
const points = channel('paceflow:point');

/**
 * Fault injection for the crash tests: with PACEFLOW_CRASH_AT=<name>, the process kills itself
 * (SIGKILL: no cleanup, no finally, as a power cut or `kill -9` would) at the named point. The
 * points sit at each boundary where one transaction has committed and the next has not begun.
 * Without the variable this is one comparison (and one look for a subscriber).
 */
export function crashPoint(name: string): void {
  if (points.hasSubscribers) points.publish(name);
  if (process.env.PACEFLOW_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
