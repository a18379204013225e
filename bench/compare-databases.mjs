#!/usr/bin/env node
// Two paceflow databases, table by table: every event table, the content checks, the landing, the
// AI lines (line by line, whichever shape: sql/028) and the patch-ids, run-time columns aside. How the benches check that a change of how
// a builder works left what it builds alone (a first run against another build's, an upgraded
// database against a fresh one). Exits 1 when a table differs.
//
//   node bench/compare-databases.mjs <a.db> <b.db> [--facts] [--history]
//
// --facts: the transcript facts too (records, edits, sessions, watermarks), for a change of how
// transcripts are read. --history: the commits and their file changes too (each commit's line
// balance among them), for a change of how git's history is read.
import Database from 'better-sqlite3';

const args = process.argv.slice(2);
const facts = args.includes('--facts');
const history = args.includes('--history');
const [a, b] = args.filter((x) => x !== '--facts' && x !== '--history');
if (!a || !b) throw new Error('usage: node bench/compare-databases.mjs <a.db> <b.db> [--facts] [--history]');
const db = new Database(a, { readonly: true });
db.prepare('ATTACH ? AS other').run(b);
const runTime = /^(computed_at|built_at|updated_at|ingested_at|first_seen_at|last_seen_at|seen_at|last_ingested_at|checked_at|created_at)$/;
const tables = db
  .prepare(
    `SELECT name FROM main.sqlite_master WHERE type = 'table' AND (name LIKE 'event\\_%' ESCAPE '\\'
       OR name IN ('paceflow_content_checks', 'fact_commit_patch_ids', 'paceflow_mainline_landing', 'paceflow_ai_lines')
       OR (? AND name IN ('fact_session_records', 'fact_session_file_edits', 'metadata_sessions', 'fact_ingest_watermarks',
         'fact_unreadable_sources', 'paceflow_owed_session_events')))
       OR (? AND name IN ('metadata_commits', 'metadata_commit_file_changes')) ORDER BY name`,
  )
  .all(facts ? 1 : 0, history ? 1 : 0)
  .map((r) => r.name);
/**
 * A table's rows in one shape for both databases. paceflow_ai_lines held a row per line before
 * sql/028 and a row per write with its lines as JSON since: either is read as lines, so a
 * database of each revision compares.
 */
const source = (schema, table) => {
  if (table !== 'paceflow_ai_lines') return `${schema}."${table}"`;
  const byWrite = db.prepare(`SELECT 1 FROM pragma_table_info('paceflow_ai_lines', ?) WHERE name = 'lines'`).get(schema);
  return byWrite
    ? `(SELECT t.repo_id, t.sha, t.edit_id, t.write_path, t.path, j.value ->> 0 AS line, t.provider, j.value ->> 1 AS n
        FROM ${schema}.paceflow_ai_lines t, json_each(t.lines) j)`
    : `(SELECT repo_id, sha, edit_id, write_path, path, line, provider, n FROM ${schema}.paceflow_ai_lines)`;
};
let differ = 0;
for (const table of tables) {
  const columns =
    table === 'paceflow_ai_lines'
      ? 'repo_id, sha, edit_id, write_path, path, line, provider, n'
      : db
          .prepare('SELECT name FROM pragma_table_info(?)')
          .all(table)
          .map((c) => c.name)
          .filter((c) => !runTime.test(c))
          .map((c) => `"${c}"`)
          .join(', ');
  const [main, other] = [source('main', table), source('other', table)];
  const rows = db.prepare(`SELECT count(*) AS n FROM ${main}`).get().n;
  const onlyA = db.prepare(`SELECT count(*) AS n FROM (SELECT ${columns} FROM ${main} EXCEPT SELECT ${columns} FROM ${other})`).get().n;
  const onlyB = db.prepare(`SELECT count(*) AS n FROM (SELECT ${columns} FROM ${other} EXCEPT SELECT ${columns} FROM ${main})`).get().n;
  if (onlyA + onlyB > 0) differ++;
  console.log(`${table.padEnd(36)} ${String(rows).padStart(9)} rows, ${onlyA} only in a, ${onlyB} only in b`);
}
process.exitCode = differ > 0 ? 1 : 0;
