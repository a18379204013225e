#!/usr/bin/env node
// Benchmark: attribution of N commits against N/10 Claude Code sessions whose edits wrote most of
// their lines, at three sizes, to show how it scales. Each size is a fresh repository (git
// fast-import) and transcript tree under bench/.work/; paceflow ingests it twice into an empty
// database: with --no-attribution (history + transcripts) and in full; the difference is the
// attribution cost.
//
//   node bench/attribution.mjs [--commits 10000]
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBaseline } from './baseline.mjs';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = join(ROOT, 'bench', '.work');
const { values } = parseArgs({
  options: { commits: { type: 'string', default: '10000' }, baseline: { type: 'string' }, runs: { type: 'string', default: '1' } },
});
// --baseline REV: that revision, built beside this checkout, alternated with it run by run (--runs each).
const variants = [
  ...(values.baseline ? [{ name: `baseline ${values.baseline}`, bin: buildBaseline(ROOT, values.baseline) }] : []),
  { name: 'this checkout', bin: join(ROOT, 'bin', 'paceflow.js') },
];
const full = Number(values.commits);
const gitEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};
const T0 = Date.parse('2026-03-01T00:00:00Z') / 1000;
const LINES = 10;

const lineOf = (c, i) => `export const value_${c}_${i} = compute(${c}, ${i}); // generated line`;

async function build(dir, commits) {
  rmSync(dir, { recursive: true, force: true });
  const repo = join(dir, 'repo');
  mkdirSync(repo, { recursive: true });
  spawnSync('git', ['init', '-q', '-b', 'main', repo], { env: gitEnv });
  const fi = spawn('git', ['fast-import', '--quiet'], { cwd: repo, env: gitEnv, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise((res) => fi.on('close', res));
  let out = '';
  for (let c = 0; c < commits; c++) {
    // The person keeps 7 of the session's 10 lines and writes 3 of their own.
    const lines = Array.from({ length: LINES }, (_, i) => (i < 7 ? lineOf(c, i) : `export const own_${c}_${i} = byHand(${i});`));
    const body = `${lines.join('\n')}\n`;
    const msg = `commit ${c}\n`;
    out += `commit refs/heads/main\nmark :${c + 1}\ncommitter Dev <dev@example.com> ${T0 + c * 600} +0000\ndata ${Buffer.byteLength(msg)}\n${msg}`;
    if (c > 0) out += `from :${c}\n`;
    out += `M 100644 inline src/f${c}.ts\ndata ${Buffer.byteLength(body)}\n${body}\n`;
    if (out.length > 1 << 20) {
      if (!fi.stdin.write(out)) await new Promise((r) => fi.stdin.once('drain', r));
      out = '';
    }
  }
  fi.stdin.end(out);
  await done;
  spawnSync('git', ['-C', repo, 'checkout', '-q', 'main'], { env: gitEnv });

  const projects = join(dir, 'home', '.claude', 'projects', '-bench');
  mkdirSync(projects, { recursive: true });
  for (let s = 0; s < commits / 10; s++) {
    const sessionId = `00000000-0000-4000-8000-${String(s).padStart(12, '0')}`;
    const lines = [];
    let parent = null;
    const envelope = (type, at, extra) => {
      const uuid = `${s.toString(16).padStart(8, '0')}-1111-4111-8111-${String(lines.length).padStart(12, '0')}`;
      const line = {
        parentUuid: parent,
        isSidechain: false,
        userType: 'external',
        cwd: repo,
        sessionId,
        version: '2.0.69',
        gitBranch: 'main',
        type,
        uuid,
        timestamp: new Date(at * 1000).toISOString(),
        ...extra,
      };
      parent = uuid;
      lines.push(JSON.stringify(line));
    };
    envelope('user', T0 + s * 6000 - 600, { message: { role: 'user', content: `write files for batch ${s}` } });
    for (let k = 0; k < 10; k++) {
      const c = s * 10 + k;
      const filePath = join(repo, 'src', `f${c}.ts`);
      const content = `${Array.from({ length: LINES }, (_, i) => lineOf(c, i)).join('\n')}\n`;
      const id = `toolu_${String(c).padStart(20, '0')}`;
      const at = T0 + c * 600 - 60;
      envelope('assistant', at, {
        message: {
          model: 'claude-sonnet-4-5-20250929',
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          content: [{ type: 'tool_use', id, name: 'Write', input: { file_path: filePath, content } }],
          usage: { input_tokens: 10, output_tokens: 50 },
        },
        requestId: `req_${id}`,
      });
      envelope('user', at + 1, {
        message: { role: 'user', content: [{ tool_use_id: id, type: 'tool_result', content: 'ok' }] },
        toolUseResult: { type: 'create', filePath, content, structuredPatch: [] },
      });
    }
    writeFileSync(join(projects, `${sessionId}.jsonl`), `${lines.join('\n')}\n`);
  }
  return { repo, home: join(dir, 'home') };
}

function timed(args, cwd, env) {
  const r = spawnSync('/usr/bin/time', ['-f', '%e %M', ...args], { cwd, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(r.stderr);
  const [wall, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  return { wall, rssMb: rss / 1024, stdout: r.stdout };
}

const results = [];
for (const commits of [full / 4, full / 2, full]) {
  const dir = join(WORK, `attribution-${commits}`);
  const { repo, home } = await build(dir, commits);
  const env = { ...gitEnv, HOME: home };
  const run = (bin, extra) => {
    const db = join(dir, 'bench.db');
    for (const s of ['', '-wal', '-shm']) rmSync(db + s, { force: true });
    return timed([process.execPath, bin, '--db', db, 'ingest', '--no-progress', '--no-notes', ...extra], repo, env);
  };
  const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
  for (const v of variants) v.runs = [];
  for (let i = 0; i < Number(values.runs); i++) {
    for (const v of variants) {
      const base = run(v.bin, ['--no-attribution']);
      const withAttribution = run(v.bin, []);
      v.runs.push({ base, withAttribution });
    }
  }
  for (const v of variants) {
    const last = v.runs.at(-1).withAttribution;
    results.push({
      variant: v.name,
      commits,
      sessions: commits / 10,
      ingest_without_attribution_s: median(v.runs.map((r) => r.base.wall)),
      ingest_with_attribution_s: median(v.runs.map((r) => r.withAttribution.wall)),
      attribution_s: Number(median(v.runs.map((r) => r.withAttribution.wall - r.base.wall)).toFixed(2)),
      peak_rss_mb: Number(Math.max(...v.runs.map((r) => r.withAttribution.rssMb)).toFixed(0)),
      summary: (last.stdout.split('\n').find((l) => l.includes('attribution over')) ?? '').trim(),
    });
    console.error(JSON.stringify(results.at(-1)));
  }
}
console.log(JSON.stringify(results, null, 2));
