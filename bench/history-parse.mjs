#!/usr/bin/env node
// The history's pass without git or SQLite: node's part of it alone. The pass's own output for a
// repository (`git log` with commitLogArgs(true), what a first run reads: every commit's header, raw
// entries and patch-id diff) is captured once to a file; each run parses it with CommitStreamParser
// in patch mode and keeps every patch in a PatchStore, as ingest/git.ts does, and prints its CPU.
//
//   node bench/history-parse.mjs <repository> [--runs 3] [--baseline <dist folder>]
//
// With --baseline (another revision's dist/, e.g. bench/baseline-worktree.sh's), its runs alternate
// with this checkout's, in fresh processes. Older revisions handed patches over by takePatches()
// and kept them with keep(); the script speaks both.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, readSync, renameSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));

if (process.argv[2] === '--child') {
  const [dist, file] = process.argv.slice(3);
  const log = await import(join(dist, 'git', 'log.js'));
  const { PatchStore } = await import(join(dist, 'git', 'patch-store.js'));
  const lines = await import(join(dist, 'builders', 'lines.js'));
  const recorded = lines.NONTRIVIAL_LINES !== undefined;
  let kept = 0;
  const store = new PatchStore(null, recorded ? lines.NONTRIVIAL_LINES : lines.isNontrivialLine);
  const parser = recorded
    ? new log.CommitStreamParser({
        patches: {
          onPatch: (record) => {
            store.keepRecord(record);
            kept++;
          },
          counted: lines.NONTRIVIAL_LINES.bytes,
        },
      })
    : new log.CommitStreamParser({ patches: true });
  const takeAll = () => {
    if (recorded) return;
    for (const patch of parser.takePatches()) {
      store.keep(patch);
      kept++;
    }
  };
  const fd = openSync(file, 'r');
  const out = [];
  let commits = 0;
  let balance = 0;
  const start = process.cpuUsage();
  for (;;) {
    const chunk = Buffer.allocUnsafe(1 << 16);
    const got = readSync(fd, chunk, 0, chunk.length, null);
    if (got === 0) break;
    parser.push(chunk.subarray(0, got), out);
    for (const c of out) balance = (balance + (c.lineBalance ?? 0)) | 0;
    commits += out.length;
    out.length = 0;
    takeAll();
    parser.takePatchIds();
  }
  parser.end(out);
  commits += out.length;
  takeAll();
  closeSync(fd);
  const cpu = process.cpuUsage(start);
  store.close();
  // The commits, the patches kept and a sum of their line balances: the same on both sides.
  console.log(JSON.stringify({ commits, kept, balance, cpu_s: (cpu.user + cpu.system) / 1e6 }));
  process.exit(0);
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '3' }, baseline: { type: 'string' } },
});
if (positionals.length !== 1) {
  console.error('usage: node bench/history-parse.mjs <repository> [--runs 3] [--baseline <dist folder>]');
  process.exit(2);
}
const repo = resolve(positionals[0]);
const { commitLogArgs } = await import(join(ROOT, 'dist', 'git', 'log.js'));
const file = join(ROOT, 'bench', '.work', `history-pass-${repo.replace(/[^A-Za-z0-9]+/g, '_')}.out`);
if (!existsSync(file)) {
  // Every ref, as a first run asks (git log --stdin with --all's refs).
  const refs = spawnSync('git', ['-C', repo, 'for-each-ref', '--format=%(objectname)'], { encoding: 'utf8', maxBuffer: 1 << 28 });
  const partial = `${file}.partial`;
  const git = spawnSync('git', ['-C', repo, ...commitLogArgs(true)], {
    input: refs.stdout,
    maxBuffer: 4 << 30,
    env: { ...process.env, GIT_FLUSH: '0' },
  });
  if (git.status !== 0) throw new Error(`git log: ${git.stderr}`);
  writeFileSync(partial, git.stdout);
  renameSync(partial, file);
}
const sides = [['this checkout', join(ROOT, 'dist')], ...(values.baseline ? [['baseline', resolve(values.baseline)]] : [])];
for (let run = 1; run <= Number(values.runs); run++) {
  for (const [name, dist] of run % 2 === 0 ? [...sides].reverse() : sides) {
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dist, file], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(r.stderr);
    const figures = JSON.parse(r.stdout);
    console.log(
      `${name}, run ${run}: ${figures.cpu_s.toFixed(2)} s CPU; ${figures.commits} commits, ${figures.kept} patches kept, balance sum ${figures.balance}`,
    );
  }
}
