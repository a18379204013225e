#!/usr/bin/env node
// The history's pass without git or SQLite: node's part of it alone. The pass's own output for a
// repository (`git log` with commitLogArgs(true), what a first run reads: every commit's header, raw
// entries and patch-id diff) is captured once to a file; each run parses it with CommitStreamParser
// in patch mode and keeps every patch in a PatchStore, as ingest/git.ts does, and prints its CPU.
//
//   node bench/history-parse.mjs <repository> [--runs 3] [--baseline <dist folder>] [--read summary|keyed|lines]
//
// With --read, each run then reads every kept patch back from the store, in the order kept, as a
// builder does — `summary`: its files' paths and counts (attribution, for a commit no session
// wrote), `keyed`: its lines' keys and non-trivial flags (churn), `lines`: its lines as strings —
// and prints that read's CPU and a checksum of what it read (the same on both sides).
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
  const [dist, file, read] = process.argv.slice(3);
  const log = await import(join(dist, 'git', 'log.js'));
  const stored = await import(join(dist, 'git', 'patch-store.js'));
  const lines = await import(join(dist, 'builders', 'lines.js'));
  const recorded = lines.NONTRIVIAL_LINES !== undefined;
  let kept = 0;
  const shas = [];
  const store = new stored.PatchStore(null, recorded ? lines.NONTRIVIAL_LINES : lines.isNontrivialLine);
  const parser = recorded
    ? new log.CommitStreamParser({
        patches: {
          onPatch: (record) => {
            store.keepRecord(record);
            shas.push(record.sha);
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
      shas.push(patch.sha);
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
  const figures = { commits, kept, balance, cpu_s: (cpu.user + cpu.system) / 1e6 };
  if (read) Object.assign(figures, readBack(store, shas, read, lines, stored));
  store.close();
  // The commits, the patches kept and a sum of their line balances: the same on both sides.
  console.log(JSON.stringify(figures));
  process.exit(0);
}

/** Every kept patch read back as `mode` asks, in the order kept: its CPU, and a checksum of what was read. */
function readBack(store, shas, mode, lines, { summaryOf, keyedFiles }) {
  // Revisions before the keys from bytes took the hash function itself.
  const key = lines.NORMAL_LINE_KEY ?? lines.normalLineHash;
  let sum = 0;
  const mix = (n) => {
    sum = (sum * 31 + (n % 1e9)) % 1e15;
  };
  const start = process.cpuUsage();
  for (const sha of shas) {
    const patch = store.get(sha);
    if (mode === 'summary') for (const f of summaryOf(patch)) mix(f.added * 7 + f.removed * 3 + f.counted + f.path.length);
    else if (mode === 'keyed')
      for (const f of keyedFiles(patch, key, lines.isNontrivialRange)) {
        for (const k of f.added) mix(k);
        for (const k of f.removed) mix(k + 1);
        for (const flag of f.addedFlags) mix(flag);
      }
    else
      for (const f of patch.files) {
        for (const line of f.added) mix(line.length + (line.charCodeAt(0) || 0));
        for (const line of f.removed) mix(line.length + (line.charCodeAt(0) || 0));
      }
  }
  const cpu = process.cpuUsage(start);
  return { read: mode, read_cpu_s: (cpu.user + cpu.system) / 1e6, read_sum: sum };
}

const { values, positionals } = parseArgs({
  allowPositionals: true,
  options: { runs: { type: 'string', default: '3' }, baseline: { type: 'string' }, read: { type: 'string' } },
});
if (positionals.length !== 1 || (values.read !== undefined && !['summary', 'keyed', 'lines'].includes(values.read))) {
  console.error('usage: node bench/history-parse.mjs <repository> [--runs 3] [--baseline <dist folder>] [--read summary|keyed|lines]');
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
    const r = spawnSync(process.execPath, [fileURLToPath(import.meta.url), '--child', dist, file, ...(values.read ? [values.read] : [])], {
      encoding: 'utf8',
    });
    if (r.status !== 0) throw new Error(r.stderr);
    const figures = JSON.parse(r.stdout);
    console.log(
      `${name}, run ${run}: ${figures.cpu_s.toFixed(2)} s CPU; ${figures.commits} commits, ${figures.kept} patches kept, balance sum ${figures.balance}` +
        (figures.read ? `; read back (${figures.read}): ${figures.read_cpu_s.toFixed(2)} s CPU, checksum ${figures.read_sum}` : ''),
    );
  }
}
