import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { type Taking, saveTakings, storedAiLines, storedTakings } from '../src/builders/attribution-replay.js';
import { BetterSqliteDatabase } from '../src/db/better-sqlite3.js';
import type { SqlValue } from '../src/db/driver.js';
import { describeTables, renderDataModel } from '../src/db/data-model.js';
import { latestSchemaVersion, loadMigrations, loadViews, migrate, SQL_DIR } from '../src/db/migrate.js';
import { openDatabase, sqliteTempDirectory } from '../src/db/open.js';
import { ingestGit } from '../src/ingest/git.js';
import { snapshot, tempDatabase } from './helpers/db.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { fixtureSessionHome, ingestHome, itShared } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

/** DESIGN §3: each table's grain, as its primary key. A new table must be added here on purpose. */
const GRAINS: Record<string, string[]> = {
  metadata_repositories: ['repo_id'],
  metadata_sessions: ['session_id'],
  metadata_files: ['repo_id', 'path'],
  metadata_commits: ['repo_id', 'sha'],
  metadata_commit_file_changes: ['repo_id', 'sha', 'path'],
  metadata_tasks: ['task_key'],
  metadata_branches: ['repo_id', 'name'],
  fact_session_records: ['session_id', 'record_id'],
  fact_session_file_edits: ['session_id', 'edit_id'],
  fact_commit_notes: ['repo_id', 'sha', 'notes_ref'],
  fact_ingest_watermarks: ['source_path'],
  fact_git_ref_tips: ['repo_id', 'ref_name'],
  fact_commit_patch_ids: ['repo_id', 'sha'],
  fact_unreadable_sources: ['source_path'],
  fact_ref_problems: ['repo_id', 'ref_name'],
  event_session_messages: ['session_id', 'record_id'],
  event_session_code_changes: ['session_id', 'edit_id'],
  event_session_quality: ['session_id'],
  event_commit_attributions: ['repo_id', 'sha', 'provider', 'session_id'],
  event_commit_outcomes: ['repo_id', 'sha'],
  event_commit_churn: ['repo_id', 'sha'],
  event_task_commits: ['task_key', 'repo_id', 'sha'],
  event_task_sessions: ['task_key', 'session_id'],
};

describe('schema', () => {
  const db = tempDatabase();

  it('creates every table of the data model with its grain as the primary key', () => {
    const tables = describeTables(db);
    expect(tables.map((t) => t.name).sort()).toEqual(Object.keys(GRAINS).sort());
    for (const table of tables) {
      expect({ table: table.name, key: table.primaryKey }).toEqual({ table: table.name, key: GRAINS[table.name] });
      expect(table.grain, `${table.name} needs a "-- Grain:" comment`).toMatch(/^one row per /);
    }
  });

  it('enforces each grain: a second row with the same key is refused', () => {
    for (const name of Object.keys(GRAINS)) {
      const info = db
        .prepare(`SELECT name, type, "notnull" AS not_null, pk FROM pragma_table_info(?)`)
        .all<{ name: string; type: string; not_null: number; pk: number }>([name]);
      const unique = db
        .prepare(`SELECT count(*) AS n FROM pragma_index_list(?) WHERE "unique" = 1 AND origin = 'pk'`)
        .get<{ n: number }>([name]);
      // WITHOUT ROWID tables are clustered on the key; rowid tables carry a unique pk index.
      const withoutRowid = /WITHOUT ROWID/i.test(
        db.prepare(`SELECT sql FROM sqlite_master WHERE name = ?`).get<{ sql: string }>([name])!.sql,
      );
      expect(withoutRowid || unique!.n === 1, `${name} has no enforced key`).toBe(true);
      expect(info.filter((c) => c.pk > 0).length).toBe(GRAINS[name]!.length);
    }
    db.prepare(`INSERT INTO metadata_tasks (task_key, source, first_seen_at) VALUES ('ABC-1', 'branch', 'x')`).run();
    expect(() =>
      db.prepare(`INSERT INTO metadata_tasks (task_key, source, first_seen_at) VALUES ('ABC-1', 'prompt', 'y')`).run(),
    ).toThrowError(/UNIQUE constraint failed/);
  });

  it('holds every grain after a double ingest: count(*) equals the number of distinct keys', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'alpha beta\n').commit('first');
    repo.git('mv', 'a.txt', 'b.txt');
    repo.commit('rename');
    const filled = tempDatabase();
    await ingestGit({ db: filled, cwd: repo.dir, config: {} });
    const once = snapshot(filled);
    await ingestGit({ db: filled, cwd: repo.dir, config: {} });
    expect(snapshot(filled)).toEqual(once);
    for (const [name, key] of Object.entries(GRAINS)) {
      const row = filled
        .prepare(
          `SELECT count(*) AS total, (SELECT count(*) FROM (SELECT DISTINCT ${key.join(', ')} FROM ${name})) AS distinct_keys FROM ${name}`,
        )
        .get<{ total: number; distinct_keys: number }>();
      expect({ name, ...row }).toEqual({ name, total: row!.distinct_keys, distinct_keys: row!.distinct_keys });
    }
    expect(filled.prepare(`SELECT count(*) AS n FROM metadata_commits`).get()).toEqual({ n: 2 });
  });

  it('records its version in PRAGMA user_version and migrates a database only once', () => {
    expect(db.prepare('PRAGMA user_version').get()).toEqual({ user_version: latestSchemaVersion() });
    const local = tempDatabase();
    local
      .prepare(`INSERT INTO metadata_repositories (repo_id, root_path, first_seen_at) VALUES ('r', '/tmp/r', '2026-01-01T00:00:00Z')`)
      .run();
    migrate(local);
    expect(local.prepare('PRAGMA user_version').get()).toEqual({ user_version: latestSchemaVersion() });
    // A second run applies nothing: the row written after the first survives.
    expect(local.prepare(`SELECT repo_id FROM metadata_repositories`).all()).toEqual([{ repo_id: 'r' }]);
  });

  it('makes the views again when what they were made from differs: an older paceflow’s checksum, a changed text', () => {
    const local = tempDatabase();
    const views = loadViews();
    const view = views[0]!.name;
    const meta = (key: string) => local.prepare(`SELECT value FROM paceflow_meta WHERE key = ?`).get<{ value: string }>([key])?.value;
    const hasView = () => local.prepare(`SELECT 1 AS x FROM sqlite_master WHERE type = 'view' AND name = ?`).get([view]) !== undefined;
    expect(meta('views_sql')).toContain(views[0]!.sql);
    // As an older paceflow left it: a checksum, no text; one view gone to see them made again.
    local.exec(`DELETE FROM paceflow_meta WHERE key = 'views_sql'`);
    local.prepare(`INSERT INTO paceflow_meta (key, value) VALUES ('views_checksum', 'ab12')`).run();
    local.exec(`DROP VIEW "${view}"`);
    migrate(local);
    expect(hasView()).toBe(true);
    expect(meta('views_checksum')).toBeUndefined();
    // The same text: nothing made (the view dropped by hand stays dropped).
    local.exec(`DROP VIEW "${view}"`);
    migrate(local);
    expect(hasView()).toBe(false);
    // A view's text changed: every view made again.
    migrate(local, loadMigrations(), [...views.slice(0, -1), { ...views.at(-1)!, sql: `${views.at(-1)!.sql}\n` }]);
    expect(hasView()).toBe(true);
  });

  it('reads a migration’s file only to apply it: a database at the newest version reads none', () => {
    // The migrations of a copy of sql/, whose files are then removed: a read of one would throw.
    const dir = `${tempDir('paceflow-sql-')}/`;
    const names = readdirSync(SQL_DIR).filter((f) => f.endsWith('.sql'));
    for (const name of names) copyFileSync(join(SQL_DIR, name), join(dir, name));
    const migrations = loadMigrations(dir);
    expect(migrations.map((m) => m.name)).toEqual(names.sort());
    const fresh = new BetterSqliteDatabase(join(tempDir(), 'fresh.db'));
    migrate(fresh, migrations.slice(0, -1), []);
    for (const name of names) rmSync(join(dir, name));
    // Newest already: nothing read (a read would throw now).
    migrate(db, migrations, loadViews());
    // One behind: the one file read, and it is gone.
    expect(() => migrate(fresh, migrations, [])).toThrow(/ENOENT/);
    fresh.close();
  });

  it('spills sorts to a temporary file where SQLite finds a directory for one, else keeps them in memory', () => {
    const dir = tempDir();
    const file = join(dir, 'not-a-directory');
    writeFileSync(file, '');
    const missing = join(dir, 'missing');
    const cases: [NodeJS.ProcessEnv, string[], string | null][] = [
      [{ SQLITE_TMPDIR: dir }, [], dir],
      [{ SQLITE_TMPDIR: missing, TMPDIR: dir }, [], dir],
      [{ SQLITE_TMPDIR: file }, [missing, dir], dir],
      [{}, [missing, file], null],
    ];
    for (const [env, fixed, expected] of cases) expect(sqliteTempDirectory(env, fixed)).toBe(expected);
    // This machine has one: the file (1), not memory (2).
    const d = tempDatabase();
    expect(d.prepare('PRAGMA temp_store').get()).toEqual({ temp_store: 1 });
  });

  it('migration 013 moves the churn evidence fingerprints out of one JSON value, row by row', () => {
    const path = join(tempDir(), 'v12.db');
    const old = new BetterSqliteDatabase(path);
    migrate(old, loadMigrations().slice(0, 12), []);
    const meta = old.prepare(`INSERT INTO paceflow_meta (key, value) VALUES (?, ?)`);
    meta.run([
      'churn_evidence:r1',
      JSON.stringify([
        ['a1', 'l3'],
        ['b2', 'c7'],
      ]),
    ]);
    meta.run(['churn_evidence:r2', '[]']);
    meta.run(['churn_inputs:r1', 'digest']);
    migrate(old, loadMigrations().slice(0, 13), []);
    expect(old.prepare(`SELECT repo_id, sha, fingerprint FROM paceflow_churn_evidence ORDER BY sha`).all()).toEqual([
      { repo_id: 'r1', sha: 'a1', fingerprint: 'l3' },
      { repo_id: 'r1', sha: 'b2', fingerprint: 'c7' },
    ]);
    expect(old.prepare(`SELECT key FROM paceflow_meta WHERE key LIKE 'churn%' ORDER BY key`).all()).toEqual([{ key: 'churn_inputs:r1' }]);
    old.close();
  });

  /** Rows counted from a diff (churn, the content and partial-revert verdicts) and what says they are built. */
  const COUNTED_FROM_DIFFS = `
    INSERT INTO event_commit_churn (repo_id, sha, window_days, ai_lines_reaching_mainline, ai_lines_churned,
      nonai_lines_reaching_mainline, nonai_lines_churned, window_closed) VALUES ('r1', 'a1', 14, 2, 1, 5, 0, 1);
    INSERT INTO paceflow_churn_evidence (repo_id, sha, fingerprint) VALUES ('r1', 'a1', 'l2');
    INSERT INTO paceflow_churn_dirty (repo_id, sha) VALUES ('r1', 'a1');
    INSERT INTO paceflow_content_checks (repo_id, sha, mainline_tip, copy_sha, candidates) VALUES ('r1', 'b1', 't1', NULL, 3);
    INSERT INTO paceflow_partial_checks (repo_id, sha, revert_sha, later_digest) VALUES ('r1', 'a1', NULL, 'd');
    INSERT INTO paceflow_meta (key, value) VALUES ('churn_inputs:r1', 'digest'), ('churn_stage:r1', '{}'),
      ('outcomes_state:r1', '{}'), ('churnXinputs:r1', 'not churn state'), ('landing:r1', 'kept');`;
  const COUNTED_TABLES = [
    'event_commit_churn',
    'paceflow_churn_evidence',
    'paceflow_churn_dirty',
    'paceflow_content_checks',
    'paceflow_partial_checks',
  ];

  it.each([
    [19, 'what was counted from the diff without context', '', []],
    [
      27,
      'the ids and what was counted from the diff with context (a commit’s own figures stay)',
      `INSERT INTO fact_commit_patch_ids (repo_id, sha, forward_id) VALUES ('r1', 'a1', 'an id of the text with context');
       INSERT INTO paceflow_net_diffs (repo_id, head_sha, base_sha, patch_id) VALUES ('r1', 'h1', 'b1', 'another');
       INSERT INTO event_commit_attributions (repo_id, sha, provider, session_id, matched_lines, source)
         VALUES ('r1', 'a1', 'claude-code', 's1', 3, 'transcript');`,
      ['fact_commit_patch_ids', 'paceflow_net_diffs'],
    ],
  ] as const)('migration %i drops %s, and what says it is built', (version, _, more, dropped) => {
    const old = new BetterSqliteDatabase(join(tempDir(), `v${version - 1}.db`));
    migrate(old, loadMigrations().slice(0, version - 1), []);
    old.exec(`${COUNTED_FROM_DIFFS}${more}`);
    migrate(old, loadMigrations().slice(0, version), []);
    for (const table of [...COUNTED_TABLES, ...dropped])
      expect(old.prepare(`SELECT count(*) AS n FROM ${table}`).get(), table).toEqual({ n: 0 });
    expect(old.prepare(`SELECT key FROM paceflow_meta WHERE key LIKE '%:r1' ORDER BY key`).all()).toEqual([
      { key: 'churnXinputs:r1' },
      { key: 'landing:r1' },
    ]);
    if (more) expect(old.prepare(`SELECT count(*) AS n FROM event_commit_attributions`).get()).toEqual({ n: 1 });
    old.close();
  });

  it('migration 021 makes metadata_commits a rowid table: every row, index, trigger and view kept', async () => {
    const repo = TempRepo.create();
    repo.write('a.txt', 'one\n').commit('first (#4)');
    repo.write('a.txt', 'two\n').commit('second\n\nCo-Authored-By: Claude <noreply@anthropic.com>');
    repo.git('checkout', '-q', '-b', 'side');
    repo.write('b.txt', 'side\n').commit('side');
    const path = join(tempDir(), 'v20.db');
    const old = new BetterSqliteDatabase(path);
    old.pragma('foreign_keys = ON');
    // At version 20, with the views made: SQLite's RENAME checks every view naming the table.
    migrate(old, loadMigrations().slice(0, 20), loadViews());
    // Today's ingest writes the column sql/026 adds (NULL read without the diffs, as here); 021's
    // copy leaves it out and 026 adds it back.
    old.exec(`ALTER TABLE metadata_commits ADD COLUMN line_balance INTEGER`);
    // And the blob column sql/032 adds to the file changes, for the ingest only: 032 adds it again.
    old.exec(`ALTER TABLE metadata_commit_file_changes ADD COLUMN blob TEXT`);
    await ingestGit({ db: old, cwd: repo.dir, config: {} });
    old.exec(`ALTER TABLE metadata_commit_file_changes DROP COLUMN blob`);
    const rows = (db: BetterSqliteDatabase) => db.prepare(`SELECT * FROM metadata_commits ORDER BY sha`).all();
    const before = rows(old);
    expect(before).toHaveLength(3);
    expect(old.prepare(`SELECT count(*) AS n FROM paceflow_unattributed`).get()).toEqual({ n: 3 });
    const views = old.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'view'`).get();
    const byProvider = (db: BetterSqliteDatabase) => db.prepare(`SELECT * FROM view_repository_commits_by_provider`).all();
    const providers = byProvider(old);
    expect(providers).toHaveLength(1);

    migrate(old, loadMigrations(), loadViews());
    const table = old.prepare(`SELECT sql FROM sqlite_master WHERE name = 'metadata_commits'`).get<{ sql: string }>()!.sql;
    expect(table).not.toMatch(/WITHOUT ROWID/i);
    expect(rows(old)).toEqual(before);
    expect(old.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE type = 'view'`).get()).toEqual(views);
    expect(byProvider(old)).toEqual(providers);
    expect(
      old.prepare(`SELECT name FROM sqlite_master WHERE tbl_name = 'metadata_commits' AND type != 'table' ORDER BY name`).all(),
    ).toEqual(
      [
        'metadata_commits_by_pr',
        'metadata_commits_by_state',
        'metadata_commits_by_subject',
        'metadata_commits_by_time',
        'metadata_commits_shallow_boundary',
        // sql/029's, made after 021's copy.
        'paceflow_row_counts_commits_attributable_delete',
        'paceflow_row_counts_commits_attributable_insert',
        'paceflow_row_counts_commits_attributable_update',
        'paceflow_row_counts_commits_merge_delete',
        'paceflow_row_counts_commits_merge_insert',
        'paceflow_row_counts_commits_merge_update',
        'paceflow_unattributed_delete',
        'paceflow_unattributed_insert',
        'paceflow_unattributed_update',
        'paceflow_untasked_delete',
        'paceflow_untasked_insert',
        'paceflow_untasked_update',
        'sqlite_autoindex_metadata_commits_1',
      ].map((name) => ({ name })),
    );
    // The queues' triggers fire on the new table.
    old.exec(`DELETE FROM paceflow_unattributed; DELETE FROM paceflow_untasked`);
    old.exec(`UPDATE metadata_commits SET is_unreachable = 1`);
    old.exec(`UPDATE metadata_commits SET is_unreachable = 0`);
    expect(old.prepare(`SELECT count(*) AS n FROM paceflow_unattributed`).get()).toEqual({ n: 3 });
    expect(old.prepare(`SELECT count(*) AS n FROM paceflow_untasked`).get()).toEqual({ n: 3 });
    old.exec(`DELETE FROM metadata_commits WHERE subject = 'side'`);
    expect(old.prepare(`SELECT count(*) AS n FROM paceflow_unattributed`).get()).toEqual({ n: 2 });
    // A later ingest appends its commit after the migrated ones.
    repo.write('b.txt', 'more\n').commit('more');
    await ingestGit({ db: old, cwd: repo.dir, config: {} });
    expect(old.prepare(`SELECT subject FROM metadata_commits ORDER BY rowid`).all()).toEqual(
      ['first (#4)', 'second', 'more'].map((subject) => ({ subject })),
    );
    old.close();
  });

  itShared('migration 030 makes fact_session_file_edits a rowid table: every row, index and trigger kept', async () => {
    const path = join(tempDir(), 'v29.db');
    const old = new BetterSqliteDatabase(path);
    old.pragma('foreign_keys = ON');
    migrate(old, loadMigrations().slice(0, 29), loadViews());
    const home = fixtureSessionHome();
    await ingestHome(old, home);
    const edits = (db: BetterSqliteDatabase) => db.prepare(`SELECT * FROM fact_session_file_edits ORDER BY session_id, edit_id`).all();
    const before = edits(old);
    expect(before.length).toBeGreaterThan(10);
    const replays = (db: BetterSqliteDatabase) => db.prepare(`SELECT * FROM paceflow_attribution_from ORDER BY repo_id, at`).all();
    const replaysBefore = replays(old);

    migrate(old, loadMigrations(), loadViews());
    const table = old.prepare(`SELECT sql FROM sqlite_master WHERE name = 'fact_session_file_edits'`).get<{ sql: string }>()!.sql;
    expect(table).not.toMatch(/WITHOUT ROWID/i);
    expect(edits(old)).toEqual(before);
    // The copy queued no replay: its rows are the ones already there.
    expect(replays(old)).toEqual(replaysBefore);
    expect(
      old.prepare(`SELECT name FROM sqlite_master WHERE tbl_name = 'fact_session_file_edits' AND type != 'table' ORDER BY name`).all(),
    ).toEqual(
      [
        'fact_session_file_edits_by_edit',
        'fact_session_file_edits_by_path',
        'fact_session_file_edits_by_source',
        'paceflow_attribution_edit_delete',
        'paceflow_attribution_edit_insert',
        'paceflow_attribution_edit_update',
        'sqlite_autoindex_fact_session_file_edits_1',
      ].map((name) => ({ name })),
    );
    // The key is still enforced, and a second read of the same transcripts changes no row.
    const first = before[0] as Record<string, SqlValue>;
    const columns = Object.keys(first);
    expect(() =>
      old
        .prepare(`INSERT INTO fact_session_file_edits (${columns.join(', ')}) VALUES (${columns.map(() => '?').join(', ')})`)
        .run(columns.map((c) => first[c] ?? null)),
    ).toThrowError(/UNIQUE constraint failed/);
    await ingestHome(old, home);
    expect(edits(old)).toEqual(before);
    // The replay triggers fire on the new table.
    old.exec(`DELETE FROM paceflow_attribution_from`);
    // (The fixtures' sessions ran outside any repository here: an edit given one queues its replay.)
    old.exec(
      `UPDATE fact_session_file_edits SET repo_id = 'r1' WHERE rowid = (SELECT min(rowid) FROM fact_session_file_edits WHERE timestamp IS NOT NULL)`,
    );
    expect(replays(old)).toHaveLength(1);
    old.exec(`DELETE FROM paceflow_attribution_from`);
    old.exec(`DELETE FROM fact_session_file_edits WHERE repo_id = 'r1'`);
    expect(replays(old)).toHaveLength(1);
    old.close();
  });

  it('migration 003 numbers the transcript files of existing records without losing a row', () => {
    const path = join(tempDir(), 'v2.db');
    const old = new BetterSqliteDatabase(path);
    migrate(old, loadMigrations().slice(0, 2), []);
    const record = old.prepare(`
      INSERT INTO fact_session_records (session_id, record_id, kind, timestamp, source_path, source_offset)
      VALUES (?, ?, 'prompt', '2026-01-01T00:00:00Z', ?, ?)`);
    record.run(['claude-code:a', 'r1', '/h/.claude/projects/p/a.jsonl', 0]);
    record.run(['claude-code:a', 'r2', '/h/.claude/projects/p/a.jsonl', 120]);
    record.run(['codex:b', 'r3', '/h/.codex/sessions/rollout-b.jsonl', 0]);
    // Only the Claude file has a watermark: the Codex one gets a row that makes the next run read it again.
    old
      .prepare(`
      INSERT INTO fact_ingest_watermarks (source_path, provider, size, mtime_ms, byte_offset, updated_at)
      VALUES ('/h/.claude/projects/p/a.jsonl', 'claude-code', 240, 1, 240, 'x')`)
      .run();
    migrate(old);
    expect(old.prepare('PRAGMA user_version').get()).toEqual({ user_version: latestSchemaVersion() });
    expect(
      old
        .prepare(`
        SELECT r.record_id, w.source_path, r.source_offset, w.provider, w.size
        FROM fact_session_records r JOIN fact_ingest_watermarks w USING (source_file_id) ORDER BY r.record_id`)
        .all(),
    ).toEqual([
      { record_id: 'r1', source_path: '/h/.claude/projects/p/a.jsonl', source_offset: 0, provider: 'claude-code', size: 240 },
      { record_id: 'r2', source_path: '/h/.claude/projects/p/a.jsonl', source_offset: 120, provider: 'claude-code', size: 240 },
      { record_id: 'r3', source_path: '/h/.codex/sessions/rollout-b.jsonl', source_offset: 0, provider: 'codex', size: 0 },
    ]);
    expect(old.prepare(`SELECT count(DISTINCT source_file_id) AS n FROM fact_ingest_watermarks`).get()).toEqual({ n: 2 });
    expect(old.prepare(`SELECT count(*) AS n FROM sqlite_master WHERE name = 'fact_session_records_by_record'`).get()).toEqual({ n: 1 });
    old.close();
  });

  it('migration 028 keeps every commit’s takings, one row per write with its lines', () => {
    const old = new BetterSqliteDatabase(join(tempDir(), 'v27.db'));
    migrate(old, loadMigrations().slice(0, 27), []);
    const line = old.prepare(
      `INSERT INTO paceflow_ai_lines (repo_id, sha, edit_id, write_path, path, line, provider, n) VALUES ('r1', ?, ?, ?, ?, ?, ?, ?)`,
    );
    // Two writes of one commit (one moved: written to old.ts, committed as new.ts), a line taken
    // twice, a line of odd text, another commit's write.
    const before: [string, string, string, string, string, string, number][] = [
      ['a1', 'e1', 'src/x.ts', 'src/x.ts', 'const a = 1;', 'claude-code', 1],
      ['a1', 'e1', 'src/x.ts', 'src/x.ts', 'return a;', 'claude-code', 2],
      ['a1', 'e2', 'old.ts', 'new.ts', 'say("\\t[1, 2]", \'é\');', 'codex', 1],
      ['b2', 'e1', 'src/x.ts', 'src/x.ts', 'const a = 1;', 'claude-code', 1],
    ];
    for (const row of before) line.run(row);
    migrate(old, loadMigrations().slice(0, 28), []);
    expect(old.prepare(`SELECT sha, edit_id, write_path, path, provider, n FROM paceflow_ai_lines ORDER BY sha, edit_id`).all()).toEqual([
      { sha: 'a1', edit_id: 'e1', write_path: 'src/x.ts', path: 'src/x.ts', provider: 'claude-code', n: 3 },
      { sha: 'a1', edit_id: 'e2', write_path: 'old.ts', path: 'new.ts', provider: 'codex', n: 1 },
      { sha: 'b2', edit_id: 'e1', write_path: 'src/x.ts', path: 'src/x.ts', provider: 'claude-code', n: 1 },
    ]);
    // What churn and `range` read back: every line, as many times as it was taken.
    const lines = storedAiLines(old, 'r1');
    const expected = (sha: string) =>
      before.filter((r) => r[0] === sha).flatMap((r) => Array.from({ length: r[6] }, () => ({ path: r[3], text: r[4], provider: r[5] })));
    expect(lines.get('a1')).toEqual(expect.arrayContaining(expected('a1')));
    expect(lines.get('a1')).toHaveLength(4);
    expect(lines.get('b2')).toEqual(expected('b2'));
    // The same takings saved again are the stored ones (no change, no generation bumped); one line fewer is a change.
    const takings = (sha: string): Taking[] =>
      before
        .filter((r) => r[0] === sha)
        .flatMap((r) => Array.from({ length: r[6] }, () => ({ editId: r[1], writePath: r[2], path: r[3], line: r[4], provider: r[5] })));
    expect(saveTakings(old, 'r1', 'a1', takings('a1'))).toBe(false);
    expect(saveTakings(old, 'r1', 'a1', takings('a1').slice(1))).toBe(true);
    expect(storedAiLines(old, 'r1', ['a1']).get('a1')).toHaveLength(3);
    expect(
      old.prepare(`SELECT name FROM sqlite_master WHERE tbl_name = 'paceflow_ai_lines' AND type = 'index' AND sql IS NOT NULL`).all(),
    ).toEqual([{ name: 'paceflow_ai_lines_by_write_path' }]);
    old.close();
  });

  it('keeps a write’s lines as they were taken, whatever their text, and reads them back for the replay', () => {
    const d = tempDatabase();
    d.exec(`INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
        committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root)
      VALUES ('r1', 'c3', '', 0, 'Ada', 'a@x', 't', '+00:00', 'Ada', 'a@x', '2026-01-01T00:00:00.000Z', '+00:00', 's', 's', 0, 1)`);
    // JSON's own characters, a tab, a line separator, a character outside the BMP, a line that looks like a number, an empty line.
    const texts = ['say("\\"quoted\\"", \'\\\\\');', 'a\tb', 'x\u2028y', 'emoji 😀 ok', '123', '', '__proto__'];
    const takings: Taking[] = [...texts, texts[0]!].map((line) => ({
      editId: 'e1',
      writePath: 'w.ts',
      path: 'p.ts',
      line,
      provider: 'claude-code',
    }));
    expect(saveTakings(d, 'r1', 'c3', takings, true)).toBe(true);
    expect(d.prepare(`SELECT count(*) AS rows, sum(n) AS n FROM paceflow_ai_lines`).get()).toEqual({ rows: 1, n: 8 });
    expect(
      storedAiLines(d, 'r1')
        .get('c3')!
        .map((l) => l.text)
        .sort(),
    ).toEqual([...texts, texts[0]!].sort());
    expect(storedTakings(d, 'r1', ['w.ts'], new Set()).sort((a, b) => (a.line < b.line ? -1 : 1))).toEqual(
      texts
        .map((line) => ({ editId: 'e1', writePath: 'w.ts', line, n: line === texts[0] ? 2 : 1 }))
        .sort((a, b) => (a.line < b.line ? -1 : 1)),
    );
    expect(saveTakings(d, 'r1', 'c3', [...takings].reverse())).toBe(false);
  });

  it('keeps one row per write taken from, its takings together or apart, differing in edit, written path or path alone', () => {
    const d = tempDatabase();
    d.exec(`INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
        committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root)
      VALUES ('r1', 'c4', '', 0, 'Ada', 'a@x', 't', '+00:00', 'Ada', 'a@x', '2026-01-01T00:00:00.000Z', '+00:00', 's', 's', 0, 1)`);
    const taking = (editId: string, writePath: string, path: string, line: string): Taking => ({
      editId,
      writePath,
      path,
      line,
      provider: 'claude-code',
    });
    const takings = [
      taking('e1', 'w.ts', 'p.ts', 'one'),
      taking('e1', 'w.ts', 'p.ts', 'two'),
      taking('e1', 'w.ts', 'q.ts', 'one'), // the path alone differs from the one before
      taking('e1', 'w.ts', 'p.ts', 'one'), // the first write's again, after another's
      taking('e2', 'w.ts', 'p.ts', 'one'), // the edit alone differs
      taking('e2', 'v.ts', 'p.ts', 'one'), // the written path alone differs
    ];
    expect(saveTakings(d, 'r1', 'c4', takings, true)).toBe(true);
    expect(
      d
        .prepare(`SELECT edit_id, write_path, path, n, lines FROM paceflow_ai_lines WHERE sha = 'c4' ORDER BY edit_id, write_path, path`)
        .all(),
    ).toEqual([
      { edit_id: 'e1', write_path: 'w.ts', path: 'p.ts', n: 3, lines: '[["one",2],["two",1]]' },
      { edit_id: 'e1', write_path: 'w.ts', path: 'q.ts', n: 1, lines: '[["one",1]]' },
      { edit_id: 'e2', write_path: 'v.ts', path: 'p.ts', n: 1, lines: '[["one",1]]' },
      { edit_id: 'e2', write_path: 'w.ts', path: 'p.ts', n: 1, lines: '[["one",1]]' },
    ]);
    // The same takings in another order are the same rows.
    expect(saveTakings(d, 'r1', 'c4', [...takings].reverse())).toBe(false);
  });

  it('runs in WAL mode with a busy timeout of at least 5 s, checkpointing every 64 MB of log', () => {
    expect(db.pragma('journal_mode')).toEqual([{ journal_mode: 'wal' }]);
    expect(db.pragma('busy_timeout')).toEqual([{ timeout: 5000 }]);
    expect(db.pragma('wal_autocheckpoint')).toEqual([{ wal_autocheckpoint: 16384 }]);
  });

  it('gives a statement whose rows are still being read to nobody else: the same SQL asked meanwhile gets its own', () => {
    const sql = `SELECT value FROM (SELECT 1 AS value UNION ALL SELECT 2 UNION ALL SELECT 3)`;
    const seen: number[] = [];
    for (const row of db.prepare(sql).iterate<{ value: number }>()) seen.push(row.value, db.prepare(sql).all().length);
    expect(seen).toEqual([1, 3, 2, 3, 3, 3]);
    // Kept and asked again once the reading ended.
    expect(db.prepare(sql).all()).toEqual([{ value: 1 }, { value: 2 }, { value: 3 }]);
  });

  it('creates every view from its own file, named after the file', () => {
    const views = db
      .prepare(`SELECT name FROM sqlite_master WHERE type = 'view' ORDER BY name`)
      .all<{ name: string }>()
      .map((r) => r.name);
    expect(views).toEqual(loadViews().map((v) => v.name));
    for (const view of loadViews()) {
      expect(view.sql).toMatch(new RegExp(`^-- ${view.name}\\n-- Grain: `));
      expect(view.sql).toContain(`CREATE VIEW ${view.name} AS`);
    }
  });

  it('refuses a database written by a newer paceflow', () => {
    const path = join(tempDir(), 'newer.db');
    const raw = new BetterSqliteDatabase(path);
    raw.exec('PRAGMA user_version = 999');
    raw.close();
    expect(() => openDatabase(path)).toThrowError(/schema version 999 is newer than this paceflow understands/);
  });

  it('keeps docs/data-model.md in step with the schema (npm run docs)', () => {
    const committed = readFileSync(new URL('../docs/data-model.md', import.meta.url), 'utf8');
    expect(committed).toBe(renderDataModel(db));
  });
});

describe('migration 005: a committer-only aider mark stops being attribution evidence', () => {
  it('moves the mark to ai_committed_by and drops the marker attribution and outcome built from it', () => {
    const db = new BetterSqliteDatabase(':memory:');
    migrate(db, loadMigrations().slice(0, 4), []);
    db.exec(`
      INSERT INTO metadata_repositories (repo_id, root_path, first_seen_at) VALUES ('r', '/r', 'x');
      INSERT INTO metadata_commits (repo_id, sha, parent_shas, parent_count, author_name, author_email, authored_at, author_tz,
        committer_name, committer_email, committed_at, committer_tz, subject, message, is_merge, is_root, ai_marker, ai_marker_source)
      VALUES ('r', 'c1', '', 0, 'Ada', 'a@x', 't', '+00:00', 'Ada (aider)', 'a@x', 't', '+00:00', 's', 's', 0, 1, 'aider', 'committer'),
             ('r', 'c2', '', 0, 'Ada (aider)', 'a@x', 't', '+00:00', 'Ada (aider)', 'a@x', 't', '+00:00', 's', 's', 0, 1, 'aider', 'author');
      INSERT INTO event_commit_outcomes (repo_id, sha, committed_at, nontrivial_added_lines, ai_lines, heavy_ai, attribution_coverage, attribution_source)
      VALUES ('r', 'c1', 't', 3, 3, 1, 'tracked', 'trailer'), ('r', 'c2', 't', 3, 3, 1, 'tracked', 'trailer');
      INSERT INTO event_commit_attributions (repo_id, sha, provider, session_id, model, matched_lines, share_of_commit, source)
      VALUES ('r', 'c1', 'aider', '', NULL, 3, 1, 'trailer'), ('r', 'c2', 'aider', '', NULL, 3, 1, 'trailer');`);
    migrate(db);
    expect(db.prepare(`SELECT sha, ai_marker, ai_marker_source, ai_committed_by FROM metadata_commits ORDER BY sha`).all()).toEqual([
      { sha: 'c1', ai_marker: null, ai_marker_source: null, ai_committed_by: 'aider' },
      { sha: 'c2', ai_marker: 'aider', ai_marker_source: 'author', ai_committed_by: null },
    ]);
    expect(db.prepare(`SELECT sha FROM event_commit_outcomes ORDER BY sha`).all()).toEqual([{ sha: 'c2' }]);
    expect(db.prepare(`SELECT sha FROM event_commit_attributions ORDER BY sha`).all()).toEqual([{ sha: 'c2' }]);
    db.close();
  });
});
