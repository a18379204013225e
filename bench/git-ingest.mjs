#!/usr/bin/env node
// Benchmark: `paceflow ingest` (a full backfill into an empty database) against
// `git log --numstat --all` on the same repository, in the same run, alternating.
//
//   node bench/git-ingest.mjs [--commits 50000] [--repo PATH] [--runs 3]
//
// Without --repo it generates a synthetic repository with git fast-import under bench/.work/
// (reused on later runs). Wall time and peak RSS come from GNU time (/usr/bin/time).
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = join(ROOT, 'bench', '.work');
const { values } = parseArgs({
  options: {
    commits: { type: 'string', default: '50000' },
    repo: { type: 'string' },
    runs: { type: 'string', default: '3' },
  },
});
const commits = Number(values.commits);
const runs = Number(values.runs);

const gitEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** A small deterministic PRNG: the same --commits gives the same repository. */
function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

async function generate(dir, total) {
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(dir, { recursive: true });
  spawnSync('git', ['init', '-q', '-b', 'main', dir], { env: gitEnv, stdio: 'inherit' });
  const child = spawn('git', ['fast-import', '--quiet'], { cwd: dir, env: gitEnv, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise((res, rej) => child.on('close', (code) => (code === 0 ? res() : rej(new Error(`fast-import exit ${code}`)))));
  const rand = prng(42);
  const files = [];
  const fileCount = 3000;
  const words = ['const', 'value', 'return', 'items', 'config', 'handler', 'result', 'index', 'length', 'update', 'render', 'error'];
  const line = () => {
    const n = 3 + Math.floor(rand() * 6);
    let s = '  ';
    for (let i = 0; i < n; i++) s += words[Math.floor(rand() * words.length)] + (i % 3 === 2 ? `(${i});` : ' ');
    return s;
  };
  const ext = ['ts', 'py', 'go', 'md', 'rs', 'js'];
  let buffered = [];
  let size = 0;
  const write = async (text) => {
    buffered.push(text);
    size += text.length;
    if (size > 1 << 20) {
      const ok = child.stdin.write(buffered.join(''));
      buffered = [];
      size = 0;
      if (!ok) await new Promise((r) => child.stdin.once('drain', r));
    }
  };
  const blob = (lines) => {
    const body = Buffer.from(`${lines.join('\n')}\n`);
    return `data ${body.length}\n${body.toString()}\n`;
  };
  let mark = 0;
  let mainTip = null;
  const topicTips = new Map();
  const time0 = 1_700_000_000;
  for (let c = 0; c < total; c++) {
    const onBranch = c > 10 && rand() < 0.1;
    const touched = new Set();
    const k = 1 + Math.floor(rand() * 4);
    for (let i = 0; i < k; i++) {
      let f = Math.floor(rand() * fileCount);
      if (files[f] === undefined) f = files.length < fileCount ? files.length : f;
      touched.add(f);
    }
    let ops = '';
    for (const f of touched) {
      const path = `src/module${f % 97}/file${f}.${ext[f % ext.length]}`;
      if (!files[f]) files[f] = Array.from({ length: 20 + Math.floor(rand() * 40) }, line);
      const lines = files[f];
      const edits = 1 + Math.floor(rand() * 5);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * lines.length);
        if (rand() < 0.6) lines[at] = line();
        else lines.splice(at, 0, line());
      }
      if (lines.length > 120) lines.splice(0, 30);
      ops += `M 100644 inline ${path}\n${blob(lines)}`;
    }
    const when = time0 + c * 600;
    const topic = `refs/heads/topic-${c % 50}`;
    const ref = onBranch ? topic : 'refs/heads/main';
    // Now and then main merges a topic branch that has work on it.
    const mergeTopic = !onBranch && rand() < 0.05 ? [...topicTips.entries()][Math.floor(rand() * topicTips.size)] : undefined;
    mark++;
    let header = `commit ${ref}\nmark :${mark}\nauthor Dev ${c % 7} <dev${c % 7}@example.com> ${when} +0000\ncommitter Dev ${c % 7} <dev${c % 7}@example.com> ${when} +0000\n`;
    const message = rand() < 0.2 ? `change ${c}\n\nCo-Authored-By: Claude <noreply@anthropic.com>\n` : `change ${c}\n`;
    header += `data ${Buffer.byteLength(message)}\n${message}`;
    const parent = onBranch ? (topicTips.get(topic) ?? mainTip) : mainTip;
    if (parent) header += `from :${parent}\n`;
    if (mergeTopic) header += `merge :${mergeTopic[1]}\n`;
    await write(`${header + ops}\n`);
    if (onBranch) topicTips.set(topic, mark);
    else mainTip = mark;
    if (mergeTopic) topicTips.delete(mergeTopic[0]);
    if (c % 5000 === 0) process.stderr.write(`\rgenerating: ${c}/${total} commits`);
  }
  child.stdin.write(buffered.join(''));
  child.stdin.end();
  await done;
  spawnSync('git', ['-C', dir, 'checkout', '-q', 'main'], { env: gitEnv });
  spawnSync('git', ['-C', dir, 'gc', '-q', '--aggressive'], { env: gitEnv, stdio: 'inherit' });
  process.stderr.write('\n');
}

/**
 * Runs a command under GNU time: wall seconds and peak RSS in MB of the largest process in the
 * tree (for paceflow that is git's log walk or node, whichever is bigger), plus node's own peak
 * when the command reports it.
 */
function timed(args, options) {
  const result = spawnSync('/usr/bin/time', ['-f', '%e %M', ...args], { ...options, encoding: 'utf8', maxBuffer: 1 << 30 });
  if (result.status !== 0) throw new Error(`${args.join(' ')} failed: ${result.stderr}`);
  const lines = result.stderr.trim().split('\n');
  const [wall, rssKb] = lines.pop().split(' ').map(Number);
  const self = lines.map((l) => /^maxrss_kb=(\d+)$/.exec(l)).find(Boolean);
  return { wall, rssMb: rssKb / 1024, nodeRssMb: self ? Number(self[1]) / 1024 : null };
}

// Prints node's own peak RSS (RUSAGE_SELF) at exit, without touching paceflow's code.
const REPORT_RSS = 'data:text/javascript,process.on("exit",()=>process.stderr.write("maxrss_kb="+process.resourceUsage().maxRSS+"\\n"))';

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const repo = values.repo ? resolve(values.repo) : join(WORK, `synthetic-${commits}`);
if (!values.repo && !existsSync(join(repo, '.git'))) {
  console.error(`generating a ${commits}-commit repository in ${repo}`);
  await generate(repo, commits);
}
const count = spawnSync('git', ['-C', repo, 'rev-list', '--count', '--all'], { env: gitEnv, encoding: 'utf8' }).stdout.trim();
console.error(`repository: ${repo} (${count} commits)`);

const gitRuns = [];
const paceRuns = [];
for (let i = 0; i < runs; i++) {
  gitRuns.push(timed(['git', 'log', '--numstat', '--all'], { cwd: repo, env: gitEnv, stdio: ['ignore', 'ignore', 'pipe'] }));
  const db = join(WORK, `bench-${process.pid}.db`);
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  paceRuns.push(
    timed(
      [
        process.execPath,
        '--import',
        REPORT_RSS,
        join(ROOT, 'bin', 'paceflow.js'),
        '--db',
        db,
        'ingest',
        '--no-progress',
        '--no-sessions',
        '--no-attribution',
      ],
      { cwd: repo, env: gitEnv, stdio: ['ignore', 'ignore', 'pipe'] },
    ),
  );
  for (const suffix of ['', '-wal', '-shm']) rmSync(db + suffix, { force: true });
  console.error(
    `run ${i + 1}: git ${gitRuns[i].wall.toFixed(2)} s / ${gitRuns[i].rssMb.toFixed(0)} MB, paceflow ${paceRuns[i].wall.toFixed(2)} s / ${paceRuns[i].rssMb.toFixed(0)} MB (node alone ${paceRuns[i].nodeRssMb?.toFixed(0)} MB)`,
  );
}
// An incremental re-run with nothing new: what a hook or `paceflow report` pays each time.
const keptDb = join(WORK, `bench-rerun-${process.pid}.db`);
const ingestArgs = [
  process.execPath,
  join(ROOT, 'bin', 'paceflow.js'),
  '--db',
  keptDb,
  'ingest',
  '--no-progress',
  '--no-sessions',
  '--no-attribution',
];
timed(ingestArgs, { cwd: repo, env: gitEnv, stdio: ['ignore', 'ignore', 'pipe'] });
const reruns = Array.from({ length: runs }, () => timed(ingestArgs, { cwd: repo, env: gitEnv, stdio: ['ignore', 'ignore', 'pipe'] }).wall);
for (const suffix of ['', '-wal', '-shm']) rmSync(keptDb + suffix, { force: true });

const gitWall = median(gitRuns.map((r) => r.wall));
const paceWall = median(paceRuns.map((r) => r.wall));
const summary = {
  commits: Number(count),
  runs,
  git_log_numstat_all_s: gitWall,
  paceflow_ingest_s: paceWall,
  wall_ratio: Number((paceWall / gitWall).toFixed(3)),
  median_of_run_ratios: Number(median(paceRuns.map((r, i) => r.wall / gitRuns[i].wall)).toFixed(3)),
  git_peak_rss_mb: Number(Math.max(...gitRuns.map((r) => r.rssMb)).toFixed(1)),
  paceflow_peak_rss_mb: Number(Math.max(...paceRuns.map((r) => r.rssMb)).toFixed(1)),
  paceflow_node_peak_rss_mb: Number(Math.max(...paceRuns.map((r) => r.nodeRssMb ?? 0)).toFixed(1)),
  rerun_nothing_new_s: median(reruns),
  budget: 'wall_ratio <= 1.3, paceflow_peak_rss_mb <= 300',
};
console.log(JSON.stringify(summary, null, 2));
