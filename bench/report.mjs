#!/usr/bin/env node
// Benchmark: `paceflow report` over ≥ 1M event rows (DESIGN §7: ≤ 1 s).
//
//   node bench/report.mjs [--runs 5] [--rows 1000000]
//
// The database is real ingest output, enlarged: the 1 GB session corpus of bench/sessions-ingest.mjs
// (394k records) and the 50,000-commit repository of bench/git-ingest.mjs with its builders, both
// ingested here when bench/.work lacks them; then the session events are copied under new session
// ids until the event tables hold the asked number of rows. `report --no-ingest --all-repos -f json`
// runs from a directory outside any repository, so it reads every view and records nothing.
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const WORK = join(ROOT, 'bench', '.work');
const BIN = join(ROOT, 'bin', 'paceflow.js');
const { values } = parseArgs({ options: { runs: { type: 'string', default: '5' }, rows: { type: 'string', default: '1000000' } } });
const outside = mkdtempSync(join(tmpdir(), 'paceflow-bench-report-'));
const run = (args, options = {}) => {
  const r = spawnSync(process.execPath, [BIN, ...args], { encoding: 'utf8', maxBuffer: 1 << 30, cwd: outside, ...options });
  if (r.status !== 0) throw new Error(`paceflow ${args.join(' ')}: ${r.stderr}`);
  return r.stdout;
};

const sessionsDb = join(WORK, 'report-sessions.db');
if (!existsSync(sessionsDb)) {
  spawnSync(process.execPath, [join(ROOT, 'bench', 'sessions-ingest.mjs'), '--mb', '1024', '--runs', '0', '--no-ccusage'], {
    stdio: 'inherit',
  });
  run(['--db', sessionsDb, 'ingest', '--no-progress'], { env: { ...process.env, HOME: join(WORK, 'sessions-corpus-1024mb') } });
}
const commitsDb = join(WORK, 'report-commits.db');
if (!existsSync(commitsDb)) {
  const repo = join(WORK, 'synthetic-50000');
  if (!existsSync(repo))
    spawnSync(process.execPath, [join(ROOT, 'bench', 'git-ingest.mjs'), '--commits', '50000', '--runs', '1'], { stdio: 'inherit' });
  run(['--db', commitsDb, 'ingest', '--no-sessions', '--no-notes', '--no-progress'], { cwd: repo });
}

const db = join(outside, 'report.db');
copyFileSync(sessionsDb, db);
const eventTables = [
  'event_session_messages',
  'event_session_code_changes',
  'event_session_quality',
  'event_commit_attributions',
  'event_commit_outcomes',
  'event_commit_churn',
  'event_task_commits',
  'event_task_sessions',
];
const count = () =>
  eventTables.reduce((n, t) => n + Number(JSON.parse(run(['--db', db, 'sql', `SELECT count(*) AS n FROM ${t}`, '-f', 'json']))[0].n), 0);
// The commit side, table by table, through SQLite itself.
const script = [
  `ATTACH '${commitsDb}' AS c;`,
  ...[
    'metadata_repositories',
    'metadata_branches',
    'metadata_commits',
    'event_commit_attributions',
    'event_commit_outcomes',
    'event_commit_churn',
    'event_task_commits',
  ].map((t) => `INSERT OR IGNORE INTO main.${t} SELECT * FROM c.${t};`),
  'DETACH c;',
];
const sqlite = (sql) => {
  const r = spawnSync(
    process.execPath,
    [
      '--input-type=module',
      '-e',
      `
    const { openDatabase } = await import(${JSON.stringify(join(ROOT, 'dist', 'db', 'open.js'))});
    const db = openDatabase(${JSON.stringify(db)});
    db.exec(${JSON.stringify(sql)});
    db.close();`,
    ],
    { encoding: 'utf8' },
  );
  if (r.status !== 0) throw new Error(r.stderr);
};
sqlite(script.join('\n'));
for (let copy = 1, total = count(); total < Number(values.rows); copy++, total = count()) {
  const suffix = `'#copy${copy}'`;
  sqlite(`
    INSERT INTO event_session_messages SELECT session_id || ${suffix}, record_id, provider, repo_id, kind, timestamp, is_user_prompt, is_error_paste, is_tool_error FROM event_session_messages WHERE session_id NOT LIKE '%#copy%';
    INSERT INTO event_session_code_changes SELECT session_id || ${suffix}, edit_id, provider, repo_id, path, root_session_id || ${suffix}, tool_name, timestamp, lines_added, lines_removed, nontrivial_lines_added, status FROM event_session_code_changes WHERE session_id NOT LIKE '%#copy%';
    INSERT INTO event_session_quality SELECT session_id || ${suffix}, provider, repo_id, root_session_id || ${suffix}, is_subagent, model, git_branch, started_at, ended_at, duration_s, user_prompt_count, repeated_debug_loop, mid_session_error_paste, tool_errors, lines_written, tokens_in, tokens_out FROM event_session_quality WHERE session_id NOT LIKE '%#copy%';
    INSERT INTO metadata_sessions SELECT session_id || ${suffix}, provider, native_id, parent_session_id, model, repo_id, cwd, git_branch, started_at, ended_at, session_kind, title, client_version, source_path FROM metadata_sessions WHERE session_id NOT LIKE '%#copy%';`);
}
const rows = count();
const times = [];
for (let i = 0; i < Number(values.runs); i++) {
  const r = spawnSync(
    '/usr/bin/time',
    ['-f', '%e %M', process.execPath, BIN, '--db', db, 'report', '--no-ingest', '--all-repos', '-f', 'json'],
    { encoding: 'utf8', maxBuffer: 1 << 30, cwd: outside },
  );
  if (r.status !== 0) throw new Error(r.stderr);
  const [wall, rss] = r.stderr.trim().split('\n').pop().split(' ').map(Number);
  times.push(wall);
  console.log(`run ${i + 1}: ${wall.toFixed(2)} s, ${(rss / 1024).toFixed(0)} MB peak, ${(r.stdout.length / 1024).toFixed(0)} KiB of JSON`);
}
const bare = spawnSync('/usr/bin/time', ['-f', '%e', process.execPath, '-e', '0'], { encoding: 'utf8' }).stderr.trim();
console.log(
  `event rows: ${rows.toLocaleString('en')}; median ${[...times].sort((a, b) => a - b)[Math.floor(times.length / 2)].toFixed(2)} s (budget 1 s); node -e 0: ${bare} s`,
);
