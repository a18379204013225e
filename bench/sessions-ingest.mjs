#!/usr/bin/env node
// Benchmark: first-run transcript ingest throughput and a re-run with nothing new, on a corpus made
// by replicating the real Claude Code and Codex fixtures with fresh ids and timestamps; ccusage on
// the same Claude corpus in the same run, when it installs.
//
//   node bench/sessions-ingest.mjs [--mb 1024] [--runs 1] [--reruns 9] [--baseline REV] [--no-ccusage]
//
// Each first run is started with bench/exit-figures.mjs: node's own CPU and its write calls and
// bytes are reported beside the wall time (medians), the counts a busy machine moves least. The
// re-runs of both sides alternate one by one, and each reports its minor page faults (GNU time's
// %R): memory touched for the first time, which a re-run's wall time follows.
//
// --runs 0 builds the corpus only. --baseline REV builds that revision in a temporary git worktree
// and alternates its runs with this checkout's, so both are measured in the same minutes.
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBaseline } from './baseline.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const FIXTURES = join(ROOT, '..', 'shared', 'fixtures', 'sessions');
const WORK = join(ROOT, 'bench', '.work');
const { values } = parseArgs({
  options: {
    mb: { type: 'string', default: '1024' },
    runs: { type: 'string', default: '1' },
    reruns: { type: 'string', default: '9' },
    baseline: { type: 'string' },
    'no-ccusage': { type: 'boolean', default: false },
  },
});
const targetBytes = Number(values.mb) * 1024 * 1024;
const CORPUS = join(WORK, `sessions-corpus-${values.mb}mb`);

function files(dir) {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : [join(dir, e.name)]));
}

const UUID = /[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}/g;
const ISO = /"(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d+)?Z)"/g;
const TOOL_IDS = /\b(toolu_(?:bdrk_)?[A-Za-z0-9]{16,}|call_[A-Za-z0-9]{16,}|msg_(?:bdrk_)?[A-Za-z0-9]{16,}|req_[A-Za-z0-9]{16,})/g;

/** One copy of a transcript: every uuid and tool/message id made new, every timestamp moved. */
function replicate(text, copy) {
  const fresh = (id) => {
    const h = createHash('sha1').update(`${id}:${copy}`).digest('hex');
    return `${h.slice(0, 8)}-${h.slice(8, 12)}-4${h.slice(13, 16)}-8${h.slice(17, 20)}-${h.slice(20, 32)}`;
  };
  return text
    .replace(UUID, (id) => fresh(id))
    .replace(TOOL_IDS, (id) => `${id}c${copy}`)
    .replace(ISO, (_m, iso) => `"${new Date(Date.parse(iso) + copy * 3600e3).toISOString()}"`);
}

function buildCorpus() {
  if (existsSync(join(CORPUS, 'done'))) return;
  rmSync(CORPUS, { recursive: true, force: true });
  const sources = [
    ...files(join(FIXTURES, 'claude-code')).map((f) => ({ f, kind: 'claude' })),
    ...files(join(FIXTURES, 'codex', 'v0.125.0_codemie')).map((f) => ({ f, kind: 'codex' })),
  ].filter(({ f }) => f.endsWith('.jsonl'));
  const texts = sources.map((s) => ({ ...s, text: readFileSync(s.f, 'utf8') }));
  const perCopy = texts.reduce((n, t) => n + Buffer.byteLength(t.text), 0);
  const copies = Math.ceil(targetBytes / perCopy);
  let written = 0;
  for (let copy = 0; copy < copies; copy++) {
    for (const { f, kind, text } of texts) {
      const body = replicate(text, copy);
      let out;
      if (kind === 'claude') {
        const rel = relative(join(FIXTURES, 'claude-code'), f).split('/');
        rel[0] = `-bench-project-${copy % 50}`;
        out = join(CORPUS, '.claude', 'projects', ...rel.map((p) => replicate(p, copy)));
      } else {
        out = join(
          CORPUS,
          '.codex',
          'sessions',
          '2026',
          '05',
          String(1 + (copy % 28)).padStart(2, '0'),
          replicate(f.split('/').pop(), copy),
        );
      }
      mkdirSync(dirname(out), { recursive: true });
      writeFileSync(out, body);
      written += Buffer.byteLength(body);
    }
    if (copy % 50 === 0) process.stderr.write(`\rcorpus: ${(written / 1048576).toFixed(0)} MB`);
  }
  writeFileSync(join(CORPUS, 'done'), String(written));
  process.stderr.write('\n');
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

// Run from a directory outside any git repository: this measures transcript ingest alone.
const OUTSIDE = mkdtempSync(join(tmpdir(), 'paceflow-bench-cwd-'));
function timed(args, env) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M %R', ...args], { env, encoding: 'utf8', maxBuffer: 1 << 28, cwd: OUTSIDE });
  const lines = result.stderr.trim().split('\n');
  // %R: the minor page faults, memory the process touched for the first time — ~16 µs each on the
  // machine of bench/README's session 72, most of what a re-run with nothing new cost over node's start.
  const [wall, rss, faults] = lines.pop().split(' ').map(Number);
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed:\n${result.stderr}\n${result.stdout}`);
  // bench/exit-figures.mjs's line, when the run was started with it: node's own CPU and write calls.
  const exit = lines.findLast((l) => l.startsWith('HWM '))?.match(/node-cpu ([\d.]+) s .* syscw (\d+) .* wchar (\d+) MB/);
  const work = exit ? { cpu: Number(exit[1]), writes: Number(exit[2]), writtenMb: Number(exit[3]) } : null;
  return { wall, rssMb: rss / 1024, faults, work, stdout: result.stdout, stderr: lines.join('\n') };
}
const EXIT_FIGURES = join(ROOT, 'bench', 'exit-figures.mjs');

buildCorpus();
const corpusBytes = Number(readFileSync(join(CORPUS, 'done'), 'utf8'));
const fileCount = files(join(CORPUS, '.claude')).length + files(join(CORPUS, '.codex')).length;
console.error(`corpus: ${CORPUS} (${(corpusBytes / 1048576).toFixed(0)} MB in ${fileCount} files)`);
const env = { ...process.env, HOME: CORPUS };
delete env.CLAUDE_CONFIG_DIR;
delete env.CODEX_HOME;
// --runs 0: only make the corpus (bench/report.mjs uses it).
if (Number(values.runs) === 0) process.exit(0);

const variants = [
  ...(values.baseline ? [{ name: `baseline ${values.baseline}`, bin: buildBaseline(ROOT, values.baseline) }] : []),
  { name: 'this checkout', bin: join(ROOT, 'bin', 'paceflow.js') },
];
for (const v of variants) v.results = [];
for (let i = 0; i < Number(values.runs); i++) {
  // Each side's first run into a database of its own, then their re-runs alternated one by one:
  // the machine's minutes weigh on both alike.
  const runs = variants.map((v, k) => {
    const db = join(WORK, `sessions-bench-${process.pid}-${k}.db`);
    for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
    const first = timed([process.execPath, '--import', EXIT_FIGURES, v.bin, '--db', db, 'ingest', '--no-progress'], env);
    if (i === 0 && k === 0) console.error(first.stdout.trim());
    return { v, db, first, again: [] };
  });
  for (let r = 0; r < Number(values.reruns); r++) {
    for (const run of runs) run.again.push(timed([process.execPath, run.v.bin, '--db', run.db, 'ingest', '--no-progress'], env));
  }
  for (const { v, db, first, again } of runs) {
    const dbSize = statSync(db).size;
    for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
    v.results.push({ first, again, dbSize });
    console.error(
      `${v.name}, run ${i + 1}: first ${first.wall}s (${(corpusBytes / 1048576 / first.wall).toFixed(0)} MB/s, ${first.rssMb.toFixed(0)} MB RSS, node ${first.work?.cpu} s CPU, ${first.work?.writes} write calls, ${first.work?.writtenMb} MB written), re-runs ${again.map((a) => a.wall).join(' / ')} s, ${median(again.map((a) => a.faults))} page faults (median)`,
    );
  }
}
const results = variants.at(-1).results;

let ccusage = null;
if (!values['no-ccusage']) {
  const install = spawnSync('npm', ['install', '--prefix', join(WORK, 'ccusage'), '--no-audit', '--no-fund', 'ccusage@17.1.8'], {
    encoding: 'utf8',
  });
  const bin = join(WORK, 'ccusage', 'node_modules', '.bin', 'ccusage');
  if (install.status === 0 && existsSync(bin)) {
    try {
      const run = timed([bin, 'daily', '--json', '--offline'], { ...env, CLAUDE_CONFIG_DIR: join(CORPUS, '.claude') });
      const claudeBytes = files(join(CORPUS, '.claude')).reduce((n, f) => n + statSync(f).size, 0);
      ccusage = {
        version: JSON.parse(readFileSync(join(WORK, 'ccusage', 'node_modules', 'ccusage', 'package.json'), 'utf8')).version,
        wall_s: run.wall,
        rss_mb: Number(run.rssMb.toFixed(0)),
        claude_bytes: claudeBytes,
        mb_per_s: Number((claudeBytes / 1048576 / run.wall).toFixed(0)),
      };
    } catch (error) {
      ccusage = { error: String(error.message).split('\n').slice(0, 3).join(' ') };
    }
  } else {
    ccusage = { error: `did not install: ${install.stderr.split('\n').filter(Boolean).slice(-2).join(' ')}` };
  }
}

function summary(results) {
  const firsts = results.map((r) => r.first.wall);
  const reruns = results.flatMap((r) => r.again.map((a) => a.wall));
  const best = median(firsts);
  return {
    first_run_s: best,
    first_run_range_s: [Math.min(...firsts), Math.max(...firsts)],
    first_run_mb_per_s: Number((corpusBytes / 1048576 / best).toFixed(1)),
    first_run_peak_rss_mb: Number(Math.max(...results.map((r) => r.first.rssMb)).toFixed(0)),
    // Node's own CPU (every thread) and its write calls and bytes: what a busy machine moves least.
    first_run_node_cpu_s: median(results.map((r) => r.first.work?.cpu ?? Number.NaN)),
    first_run_write_calls: median(results.map((r) => r.first.work?.writes ?? Number.NaN)),
    first_run_written_mb: median(results.map((r) => r.first.work?.writtenMb ?? Number.NaN)),
    rerun_nothing_new_s: median(reruns),
    rerun_nothing_new_range_s: [Math.min(...reruns), Math.max(...reruns)],
    rerun_nothing_new_page_faults: median(results.flatMap((r) => r.again.map((a) => a.faults))),
    database_mb: Number((results[0].dbSize / 1048576).toFixed(0)),
  };
}
/** `node -e 0`, what any run costs before its own work: its wall time and page faults. */
function nodeStart() {
  const runs = Array.from({ length: Number(values.reruns) }, () => timed([process.execPath, '-e', '0'], env));
  return { node_e_0_s: median(runs.map((r) => r.wall)), node_e_0_page_faults: median(runs.map((r) => r.faults)) };
}
console.log(
  JSON.stringify(
    {
      corpus_mb: Number((corpusBytes / 1048576).toFixed(0)),
      files: fileCount,
      runs: Number(values.runs),
      ...summary(results),
      ...(values.baseline ? { baseline: { revision: values.baseline, ...summary(variants[0].results) } } : {}),
      ...nodeStart(),
      ccusage,
      budget: 'first run >= 100 MB/s; re-run <= 0.2 s',
    },
    null,
    2,
  ),
);
