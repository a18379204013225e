// Benchmark: what start-up costs. `paceflow --version` (commander and the command declarations
// only) and `paceflow ingest` with nothing new on a small repository (the hooks worker's common
// case), this checkout alternated with a baseline revision, run by run, in the same minutes.
//
//   node bench/startup.mjs [--baseline REV] [--runs 30] [--repo DIR]
//
// --repo is a git repository to re-ingest (default: a clone of this checkout in a temp dir). Each
// variant gets its own database, ingested once before timing. Prints JSON: median and range (s).
import { spawnSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { buildBaseline } from './baseline.mjs';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..');
const { values } = parseArgs({
  options: { baseline: { type: 'string' }, runs: { type: 'string', default: '30' }, repo: { type: 'string' } },
});
const runs = Number(values.runs);
const work = mkdtempSync(join(tmpdir(), 'paceflow-startup-'));
let repo = values.repo;
if (!repo) {
  repo = join(work, 'repo');
  spawnSync('git', ['clone', '-q', ROOT, repo]);
}
// No transcripts: HOME is empty, so the re-run measures start-up, the git watermark and the builders' skip.
const env = { ...process.env, HOME: work };
for (const key of ['CLAUDE_CONFIG_DIR', 'CODEX_HOME', 'XDG_DATA_HOME', 'XDG_CONFIG_HOME', 'PACEFLOW_HOME']) delete env[key];

const variants = [
  ...(values.baseline ? [{ name: `baseline ${values.baseline}`, bin: buildBaseline(ROOT, values.baseline) }] : []),
  { name: 'this checkout', bin: join(ROOT, 'bin', 'paceflow.js') },
].map((v, i) => ({ ...v, db: join(work, `v${i}.db`), version: [], ingest: [] }));

function timed(args) {
  const start = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { cwd: repo, env, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`${args.join(' ')}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - start) / 1e9;
}
for (const v of variants) timed([v.bin, '--db', v.db, 'ingest']); // the first ingest, not timed
for (let i = 0; i < runs; i++) {
  for (const v of variants) {
    v.version.push(timed([v.bin, '--version']));
    v.ingest.push(timed([v.bin, '--db', v.db, 'ingest']));
  }
}
const stats = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  return { median_s: Number(s[Math.floor(s.length / 2)].toFixed(3)), range_s: [Number(s[0].toFixed(3)), Number(s.at(-1).toFixed(3))] };
};
console.log(
  JSON.stringify(
    { runs, repo, variants: variants.map((v) => ({ name: v.name, version: stats(v.version), ingest_nothing_new: stats(v.ingest) })) },
    null,
    2,
  ),
);
