#!/usr/bin/env node
// paceflow sync against its floor (DESIGN §7, #21): a database with about a million event rows
// synced into a local PostgreSQL from scratch, then an incremental sync of 1,000 changed rows, each
// paired in the same run with a plain COPY of the same rows by psql into the same tables.
//
//   node bench/sync.mjs [--sessions 10000] [--messages 95] [--commits 5000] [--repos 4] [--runs 2]
//
// Needs `npm run build` (it runs dist/ through bin/paceflow.js) and PostgreSQL's server binaries
// (it starts a throw-away cluster, as the tests do). Figures go to stdout; bench/README.md keeps them.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import pg from 'pg';
import { openDatabase } from '../dist/db/open.js';
import { CONTRACT } from '../dist/sync/contract.js';
import { defineContractFunctions, selectList } from '../dist/sync/local-changes.js';
import { connectWarehouse } from '../dist/sync/postgres.js';
import { copyLine } from '../dist/sync/push.js';
import { prepareWarehouse } from '../dist/sync/warehouse-schema.js';
import { fillContract } from './contract-rows.mjs';
import { startPostgres } from './postgres-server.mjs';

const { values } = parseArgs({
  options: {
    sessions: { type: 'string', default: '10000' },
    messages: { type: 'string', default: '95' },
    commits: { type: 'string', default: '5000' },
    repos: { type: 'string', default: '4' },
    runs: { type: 'string', default: '2' },
  },
});
const repos = Number(values.repos);
const BIN = new URL('../bin/paceflow.js', import.meta.url).pathname;
const work = mkdtempSync(join(tmpdir(), 'paceflow-bench-sync-'));
const server = await startPostgres();
const password = new URL(server.url).password;
let databases = 0;

async function freshDatabase() {
  const name = `bench_${databases++}`;
  const admin = new pg.Client({ connectionString: server.url });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(server.url);
  url.pathname = `/${name}`;
  return url.toString();
}

/** Runs a command, returns wall seconds and peak RSS (MB) from /usr/bin/time. */
function timed(command, args, env = {}) {
  const start = process.hrtime.bigint();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', command, ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (r.status !== 0) throw new Error(`${command} ${args.join(' ')} failed: ${r.stderr}`);
  const rss = Number(r.stderr.trim().split('\n').at(-1)) / 1024;
  return { seconds, rss, stdout: r.stdout };
}

/** The contract's rows of `tables` (all when null) as COPY files for psql, with a machine id and version. */
function copyFiles(dbPath, filter) {
  const db = openDatabase(dbPath);
  defineContractFunctions(db);
  const files = [];
  let rows = 0;
  for (const table of CONTRACT) {
    const where = filter?.[table.name];
    if (filter && !where) continue;
    const file = join(work, `${table.name}.copy`);
    const lines = [];
    for (const row of db.prepare(`SELECT ${selectList(table)} FROM ${table.name} t ${where ?? ''}`).iterate()) {
      lines.push(copyLine(['bench-floor', ...table.columns.map((c) => row[c.name]), 'floor']));
    }
    writeFileSync(file, lines.join(''));
    rows += lines.length;
    files.push({ table, file, rows: lines.length });
  }
  db.close();
  return { files, rows };
}

/** The floor: psql COPYs the same rows into the same (empty or not) sync_* tables, one \copy per table. */
function psqlCopy(url, files) {
  const script = files
    .map(
      ({ table, file }) =>
        `\\copy paceflow.sync_${table.name} (machine_id, ${table.columns.map((c) => c.name).join(', ')}, paceflow_version) FROM '${file}'`,
    )
    .join('\n');
  const scriptFile = join(work, 'copy.sql');
  writeFileSync(scriptFile, `${script}\n`);
  return timed('psql', ['-q', '-v', 'ON_ERROR_STOP=1', '-d', url, '-f', scriptFile], { PGPASSWORD: password });
}

async function preparedWarehouse() {
  const url = await freshDatabase();
  const w = await connectWarehouse(url);
  await prepareWarehouse(w);
  await w.close();
  return url;
}

const sync = (dbPath, url) => timed(process.execPath, [BIN, '--db', dbPath, 'sync', '--no-ingest', '--to', url]);
const sent = (stdout) => Number(/Sent ([\d,]+) row/.exec(stdout)?.[1]?.replaceAll(',', '') ?? 0);
const fmt = (n) => n.toFixed(2);

const dbPath = join(work, 'paceflow.db');
{
  const db = openDatabase(dbPath);
  const t0 = Date.now();
  const counts = fillContract(db, {
    seed: 1,
    repos,
    commitsPerRepo: Number(values.commits),
    sessionsPerRepo: Math.ceil(Number(values.sessions) / repos),
    messagesPerSession: Number(values.messages),
  });
  db.close();
  console.log(
    `database: ${counts.eventRows.toLocaleString()} event rows (${counts.messages.toLocaleString()} messages, ${counts.commits.toLocaleString()} commits, ${counts.sessions.toLocaleString()} sessions) in ${((Date.now() - t0) / 1000).toFixed(1)} s`,
  );
}
const all = copyFiles(dbPath, null);
console.log(`contract rows (events + metadata): ${all.rows.toLocaleString()}`);

/** After a timed load, the server's own follow-up (autovacuum of a million new rows) done untimed, so it never lands in the next measurement. */
async function quiesce(url) {
  const client = new pg.Client({ connectionString: url });
  await client.connect();
  await client.query('VACUUM ANALYZE');
  await client.query('CHECKPOINT');
  await client.end();
}

const first = [];
for (let run = 0; run < Number(values.runs); run++) {
  // Alternate which goes first, so neither always meets a warmer (or busier) server.
  const copy = join(work, `run-${run}.db`);
  spawnSync('cp', [dbPath, copy]);
  const [floorUrl, oursUrl] = [await preparedWarehouse(), await preparedWarehouse()];
  let floor;
  let ours;
  if (run % 2 === 0) {
    floor = psqlCopy(floorUrl, all.files);
    await quiesce(floorUrl);
    ours = sync(copy, oursUrl);
    await quiesce(oursUrl);
  } else {
    ours = sync(copy, oursUrl);
    await quiesce(oursUrl);
    floor = psqlCopy(floorUrl, all.files);
    await quiesce(floorUrl);
  }
  first.push({ floor, ours, sent: sent(ours.stdout) });
  console.log(
    `first sync, run ${run + 1}: psql COPY ${fmt(floor.seconds)} s · paceflow sync ${fmt(ours.seconds)} s (${fmt(ours.seconds / floor.seconds)}×), ${sent(ours.stdout).toLocaleString()} rows sent, peak RSS ${ours.rss.toFixed(0)} MB`,
  );
}
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(
  `first sync, median of ${first.length}: psql COPY ${fmt(median(first.map((r) => r.floor.seconds)))} s · paceflow sync ${fmt(median(first.map((r) => r.ours.seconds)))} s (${fmt(median(first.map((r) => r.ours.seconds)) / median(first.map((r) => r.floor.seconds)))}×)`,
);

// Incremental: 1,000 changed rows — ten sessions' 100 messages each (whole groups), then 1,000
// commit outcomes (one-row groups) — and nothing new.
const target = await preparedWarehouse();
sync(dbPath, target);
await quiesce(target);
const again = sync(dbPath, target);
console.log(`nothing new: paceflow sync ${fmt(again.seconds)} s, ${sent(again.stdout)} rows sent`);
{
  const db = openDatabase(dbPath);
  const sessions = db
    .prepare(`SELECT session_id FROM event_session_quality ORDER BY session_id LIMIT 10`)
    .all()
    .map((r) => r.session_id);
  db.transaction(() => {
    for (const s of sessions)
      db.prepare(`UPDATE event_session_messages SET is_error_paste = 1 - is_error_paste WHERE session_id = ?`).run([s]);
  });
  const changed = db
    .prepare(`SELECT count(*) AS n FROM event_session_messages WHERE session_id IN (${sessions.map(() => '?').join(', ')})`)
    .get(sessions).n;
  db.close();
  const floorFiles = copyFiles(dbPath, {
    event_session_messages: `WHERE t.session_id IN (${sessions.map((s) => `'${s}'`).join(', ')})`,
  });
  const floor = psqlCopy(await preparedWarehouse(), floorFiles.files);
  const ours = sync(dbPath, target);
  console.log(
    `incremental, ${changed} messages in 10 sessions: psql COPY ${fmt(floor.seconds)} s · paceflow sync ${fmt(ours.seconds)} s, ${sent(ours.stdout)} rows sent, peak RSS ${ours.rss.toFixed(0)} MB`,
  );
}
{
  const db = openDatabase(dbPath);
  db.transaction(() =>
    db.exec(`UPDATE event_commit_outcomes SET merge_window_closed = 1 - merge_window_closed
             WHERE (repo_id, sha) IN (SELECT repo_id, sha FROM event_commit_outcomes ORDER BY sha LIMIT 1000)`),
  );
  db.close();
  const floorFiles = copyFiles(dbPath, {
    event_commit_outcomes: `WHERE (t.repo_id, t.sha) IN (SELECT repo_id, sha FROM event_commit_outcomes ORDER BY sha LIMIT 1000)`,
  });
  const floor = psqlCopy(await preparedWarehouse(), floorFiles.files);
  const ours = sync(dbPath, target);
  console.log(
    `incremental, 1,000 commit outcomes: psql COPY ${fmt(floor.seconds)} s · paceflow sync ${fmt(ours.seconds)} s, ${sent(ours.stdout)} rows sent, peak RSS ${ours.rss.toFixed(0)} MB`,
  );
}
server.stop();
rmSync(work, { recursive: true, force: true });
