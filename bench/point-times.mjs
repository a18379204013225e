// Preloaded into a paceflow run by bench/perf-phases.mjs (`node --import ./bench/point-times.mjs …`):
// appends a line `<name> <CLOCK_MONOTONIC ns>` to the file $POINT_TIMES as each crash point passes
// (src/crash-point.ts publishes them on the diagnostics channel `paceflow:point`), and `exit` as the
// process exits. process.hrtime reads CLOCK_MONOTONIC, the clock `perf record -k CLOCK_MONOTONIC`
// stamps its samples with: each sample falls in the stretch that ends at the first point after it.
import { subscribe } from 'node:diagnostics_channel';
import { appendFileSync } from 'node:fs';

const file = process.env.POINT_TIMES;
if (file) {
  const mark = (name) => appendFileSync(file, `${name} ${process.hrtime.bigint()}\n`);
  subscribe('paceflow:point', (name) => mark(String(name)));
  process.on('exit', () => mark('exit'));
}
