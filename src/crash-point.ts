/**
 * Fault injection for the crash tests: with PACEFLOW_CRASH_AT=<name>, the process kills itself
 * (SIGKILL: no cleanup, no finally, as a power cut or `kill -9` would) at the named point. The
 * points sit at each boundary where one transaction has committed and the next has not begun.
 * Without the variable this is one comparison.
 */
export function crashPoint(name: string): void {
  if (process.env.PACEFLOW_CRASH_AT === name) process.kill(process.pid, 'SIGKILL');
}
