import { createHash } from 'node:crypto';
import { appendFileSync, copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import type { Database } from '../src/db/driver.js';
import { rowsRead } from '../src/db/statement.js';
import { buildSessionEvents } from '../src/builders/sessions.js';
import { forgetOwedSessions, ingestSessions } from '../src/ingest/sessions.js';
import { EditReplay } from '../src/ingest/edit-replay.js';
import { PendingEdits, SavedRecords, SessionWriter } from '../src/ingest/session-writer.js';
import { PathRepositoryResolver } from '../src/git/path-repository.js';
import { claudeCode } from '../src/providers/claude-code.js';
import { codex } from '../src/providers/codex.js';
import { openDatabase } from '../src/db/open.js';
import { ingest } from '../src/cli/commands/ingest.js';
import { eventRows } from './helpers/event-rows.js';
import { AI_LINES_BEFORE_028, rowCountsBefore029, snapshot, tempDatabase } from './helpers/db.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { CodexRollout } from './helpers/codex-lines.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { CODEX_ROLLOUT, FIXTURES, emptySessionHome, ingestHome, type SessionHome, itShared } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const count = (db: Database, sql: string, params: unknown[] = []) => (db.prepare(sql).get(params as never) as { n: number }).n;

function claudeFile(h: SessionHome, project: string, sessionId: string, text: string): string {
  const dir = join(h.claudeProjects, project);
  mkdirSync(dir, { recursive: true });
  const path = join(dir, `${sessionId}.jsonl`);
  writeFileSync(path, text);
  return path;
}

function edits(db: Database, sessionId: string) {
  return db
    .prepare(
      `SELECT edit_id, tool_name, status, repo_id, path, added_text FROM fact_session_file_edits WHERE session_id = ? ORDER BY edit_id`,
    )
    .all([sessionId]);
}

describe('Claude Code edits and their results', () => {
  it('stores rejected and failed edits with their status and never counts them as applied', async () => {
    const h = emptySessionHome();
    const t = new ClaudeTranscript('11111111-1111-4111-8111-111111111111', '/nowhere/project')
      .prompt('make the change')
      .edit('toolu_ok', '/nowhere/project/a.ts', 'const a = 1;', 'const a = 2;\nconst b = 3;')
      .toolUse('toolu_rejected', 'Edit', { file_path: '/nowhere/project/b.ts', old_string: 'x', new_string: 'rejected line here' })
      .toolResult('toolu_rejected', {
        isError: true,
        content: "The user doesn't want to proceed with this tool use. The tool use was rejected.",
        toolUseResult: "Error: The user doesn't want to proceed with this tool use.",
      })
      .toolUse('toolu_failed', 'Edit', { file_path: '/nowhere/project/c.ts', old_string: 'missing', new_string: 'never applied' })
      .toolResult('toolu_failed', {
        isError: true,
        content: 'String to replace not found in file.',
        toolUseResult: 'Error: String to replace not found in file.',
      })
      .toolUse('toolu_pending', 'Write', { file_path: '/nowhere/project/d.ts', content: 'interrupted before any result\n' });
    claudeFile(h, '-nowhere-project', t.sessionId, t.text());
    const db = tempDatabase();
    await ingestHome(db, h, [claudeCode]);
    const id = `claude-code:${t.sessionId}`;
    expect(edits(db, id).map((e) => [e.edit_id, e.status])).toEqual([
      ['toolu_failed', 'failed'],
      ['toolu_ok', 'applied'],
      ['toolu_pending', 'pending'],
      ['toolu_rejected', 'rejected'],
    ]);
    expect(db.prepare(`SELECT * FROM view_session_productivity WHERE session_id = ?`).get([id])).toMatchObject({
      edits_applied: 1,
      edits_rejected: 1,
      edits_failed: 1,
      edits_unconfirmed: 1,
      lines_written: 2,
      tool_errors: 2,
    });
  });

  it("a first ingest's batches ask for the replays its edits' triggers would, and give the triggers back", async () => {
    const repo = TempRepo.create();
    repo.write('a.ts', 'export {};\n').commit('root');
    const h = emptySessionHome();
    // Two sessions in the repository (every line a second apart), one outside any repository.
    const t1 = new ClaudeTranscript('33333333-3333-4333-8333-333333333333', repo.dir)
      .write('w1', join(repo.dir, 'b.ts'), 'export const b = 1;\n')
      .toolResult('w1', { content: 'ok' })
      .edit('e1', join(repo.dir, 'a.ts'), 'export {};', 'export const a = 1;')
      .toolResult('e1', { content: 'ok' })
      .write('w2', join(repo.dir, 'c.ts'), 'interrupted\n');
    const t2 = new ClaudeTranscript('44444444-4444-4444-8444-444444444444', repo.dir)
      .prompt('more')
      .prompt('and more')
      .write('w3', join(repo.dir, 'd.ts'), 'export const d = 4;\n')
      .toolResult('w3', { content: 'ok' });
    const t3 = new ClaudeTranscript('55555555-5555-4555-8555-555555555555', '/nowhere/project').write('w4', '/nowhere/project/e.ts', 'x\n');
    for (const t of [t1, t2, t3]) claudeFile(h, t.cwd.replaceAll('/', '-'), t.sessionId, t.text());
    const db = tempDatabase();
    const triggers = () => db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all();
    const fresh = triggers();
    await ingestHome(db, h, [claudeCode]);
    expect(triggers()).toEqual(fresh);
    const replays = () => db.prepare(`SELECT repo_id, at FROM paceflow_attribution_from ORDER BY repo_id, at`).all();
    const asked = replays();
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits WHERE repo_id IS NOT NULL`)).toBe(4);
    // What sql/011's triggers ask for the same rows: the edits' times through their UPDATE trigger,
    // the sessions' starts as their INSERT trigger does.
    db.exec(`DELETE FROM paceflow_attribution_from`);
    db.exec(`UPDATE fact_session_file_edits SET timestamp = timestamp`);
    db.exec(`INSERT OR IGNORE INTO paceflow_attribution_from (repo_id, at)
             SELECT repo_id, coalesce(unixepoch(started_at), 1) - 1 FROM metadata_sessions WHERE repo_id IS NOT NULL`);
    expect(asked).toEqual(replays());
    // The sessions' first second (10:00:00) and the edits' (their tool calls' lines less a second).
    const start = Date.parse('2026-02-01T10:00:00Z') / 1000;
    expect(asked.map((r) => (r as { at: number }).at - start)).toEqual([0, 2, 3, 6]);
  });

  it('reads heredoc writes in Bash commands as edits, settled by the command result', async () => {
    const h = emptySessionHome();
    const t = new ClaudeTranscript('22222222-2222-4222-8222-222222222222', '/nowhere/project')
      .prompt('write the config')
      .bash('toolu_heredoc', "cat > config.yml <<'EOF'\nname: demo\nreplicas: 3\nEOF", true);
    claudeFile(h, '-nowhere-project', t.sessionId, t.text());
    const db = tempDatabase();
    await ingestHome(db, h, [claudeCode]);
    expect(edits(db, `claude-code:${t.sessionId}`)).toEqual([
      {
        edit_id: 'toolu_heredoc#/nowhere/project/config.yml',
        tool_name: 'Bash:heredoc',
        status: 'applied',
        repo_id: null,
        path: null,
        added_text: 'name: demo\nreplicas: 3',
      },
    ]);
  });
});

describe('no double counting', () => {
  it.each([
    ['in memory', undefined],
    ['after the first run outgrows its in-memory ids and asks the database', 1],
  ])('a resumed session that copies its predecessor keeps only its own new lines (%s)', async (_how, recordIdsInMemory) => {
    const h = emptySessionHome();
    const first = new ClaudeTranscript('33333333-3333-4333-8333-333333333333', '/nowhere/p')
      .prompt('first prompt')
      .edit('toolu_a', '/nowhere/p/a.ts', 'old', 'new line one');
    const firstPath = claudeFile(h, '-nowhere-p', first.sessionId, first.text());
    // The resumed file repeats every earlier line (same uuids), one of them twice, then goes on.
    const resumed = new ClaudeTranscript('44444444-4444-4444-8444-444444444444', '/nowhere/p').prompt('second prompt');
    const copied = `${[...first.lines, first.lines[0]!, ...resumed.lines].join('\n')}\n`;
    const resumedPath = claudeFile(h, '-nowhere-p', resumed.sessionId, copied);
    const { utimesSync } = await import('node:fs');
    utimesSync(firstPath, new Date('2026-01-01'), new Date('2026-01-01'));
    utimesSync(resumedPath, new Date('2026-01-02'), new Date('2026-01-02'));
    const db = tempDatabase();
    await ingestHome(db, h, [claudeCode], { recordIdsInMemory });
    expect(count(db, `SELECT count(*) AS n FROM sqlite_master WHERE name = 'fact_session_records_by_record'`)).toBe(1);
    const prompts = db
      .prepare(
        `SELECT session_id, count(*) AS n FROM event_session_messages WHERE is_user_prompt = 1 GROUP BY session_id ORDER BY session_id`,
      )
      .all();
    expect(prompts).toEqual([
      { session_id: `claude-code:${first.sessionId}`, n: 1 },
      { session_id: `claude-code:${resumed.sessionId}`, n: 1 },
    ]);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits`)).toBe(1);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records`)).toBe(first.lines.length + resumed.lines.length);
  });

  it('a copy read in a later run is found in the database; the record_id index survives both kinds of run', async () => {
    const h = emptySessionHome();
    const first = new ClaudeTranscript('35353535-3535-4535-8535-353535353535', '/nowhere/p')
      .prompt('first prompt')
      .edit('toolu_c', '/nowhere/p/c.ts', 'old', 'new line one');
    claudeFile(h, '-nowhere-p', first.sessionId, first.text());
    const db = tempDatabase();
    const hasIndex = () =>
      count(db, `SELECT count(*) AS n FROM sqlite_master WHERE type = 'index' AND name = 'fact_session_records_by_record'`);
    // First run: the table starts empty, so copies are found in memory and the index is built at the end.
    await ingestHome(db, h, [claudeCode]);
    expect(hasIndex()).toBe(1);
    const resumed = new ClaudeTranscript('46464646-4646-4646-8646-464646464646', '/nowhere/p').prompt('second prompt');
    claudeFile(h, '-nowhere-p', resumed.sessionId, `${[...first.lines, ...resumed.lines].join('\n')}\n`);
    // Second run: the copied lines are looked up in the database.
    await ingestHome(db, h, [claudeCode]);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records`)).toBe(first.lines.length + resumed.lines.length);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records WHERE session_id = ?`, [`claude-code:${resumed.sessionId}`])).toBe(
      resumed.lines.length,
    );
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits`)).toBe(1);
    // A run interrupted after dropping the index: the next run, even with nothing to read, restores it.
    db.exec(`DROP INDEX fact_session_records_by_record`);
    await ingestHome(db, h, [claudeCode]);
    expect(hasIndex()).toBe(1);
  });

  itShared('a Codex fork that replays its parent stores neither the replayed records nor the edits again', async () => {
    const h = emptySessionHome();
    const dir = join(h.codexHome, 'sessions', '2026', '05', '11');
    mkdirSync(dir, { recursive: true });
    copyFileSync(CODEX_ROLLOUT, join(dir, 'rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl'));
    const lines = readFileSync(CODEX_ROLLOUT, 'utf8').split('\n').filter(Boolean);
    const meta = JSON.parse(lines[0]!) as { payload: Record<string, unknown> };
    const forkId = '019e2000-0000-7000-8000-000000000001';
    meta.payload = { ...meta.payload, id: forkId, forked_from_id: '019e1625-789d-76c0-80ab-3724b5ddb799' };
    const newTurn = JSON.stringify({
      timestamp: '2026-05-11T09:00:00.000Z',
      type: 'event_msg',
      payload: { type: 'user_message', message: 'continue in the fork', images: [] },
    });
    writeFileSync(
      join(dir, `rollout-2026-05-11T12-00-00-${forkId}.jsonl`),
      `${[JSON.stringify(meta), ...lines.slice(1), newTurn].join('\n')}\n`,
    );
    const db = tempDatabase();
    await ingestHome(db, h, [codex]);
    const fork = `codex:${forkId}`;
    expect(db.prepare(`SELECT session_kind, parent_session_id FROM metadata_sessions WHERE session_id = ?`).get([fork])).toEqual({
      session_kind: 'fork',
      parent_session_id: 'codex:019e1625-789d-76c0-80ab-3724b5ddb799',
    });
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records WHERE session_id = ?`, [fork])).toBe(1);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits`)).toBe(3);
    expect(count(db, `SELECT count(*) AS n FROM event_session_messages WHERE is_user_prompt = 1 AND session_id = ?`, [fork])).toBe(1);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records WHERE record_id NOT LIKE 'codex2-%'`)).toBe(0);
  });

  itShared('a database whose Codex records have whole-line ids keeps them, and still knows a fork’s replay', async () => {
    const h = emptySessionHome();
    const dir = join(h.codexHome, 'sessions', '2026', '05', '11');
    mkdirSync(dir, { recursive: true });
    const parentPath = join(dir, 'rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl');
    copyFileSync(CODEX_ROLLOUT, parentPath);
    const db = tempDatabase();
    await ingestHome(db, h, [codex]);
    // What an earlier paceflow stored: each record keyed by the sha1 of its whole line.
    const bytes = readFileSync(parentPath);
    const lineAt = (offset: number) => {
      const end = bytes.indexOf(0x0a, offset);
      return bytes.subarray(offset, end === -1 ? bytes.length : end);
    };
    const rows = db
      .prepare(`SELECT record_id, source_offset FROM fact_session_records`)
      .all<{ record_id: string; source_offset: number }>();
    expect(rows.length).toBeGreaterThan(100);
    db.transaction(() => {
      for (const { record_id, source_offset } of rows) {
        const old = `codex-${createHash('sha1').update(lineAt(source_offset)).digest('hex').slice(0, 24)}`;
        for (const table of ['fact_session_records', 'fact_session_file_edits', 'event_session_messages']) {
          db.prepare(`UPDATE ${table} SET record_id = ? WHERE record_id = ?`).run([old, record_id]);
        }
      }
    });
    const forkId = '019e2000-0000-7000-8000-000000000002';
    const lines = bytes.toString('utf8').split('\n').filter(Boolean);
    const meta = JSON.parse(lines[0]!) as { payload: Record<string, unknown> };
    meta.payload = { ...meta.payload, id: forkId, forked_from_id: '019e1625-789d-76c0-80ab-3724b5ddb799' };
    const newTurn = JSON.stringify({
      timestamp: '2026-05-11T09:00:00.000Z',
      type: 'event_msg',
      payload: { type: 'user_message', message: 'on', images: [] },
    });
    writeFileSync(
      join(dir, `rollout-2026-05-11T12-00-00-${forkId}.jsonl`),
      `${[JSON.stringify(meta), ...lines.slice(1), newTurn].join('\n')}\n`,
    );
    await ingestHome(db, h, [codex]);
    const fork = `codex:${forkId}`;
    expect(db.prepare(`SELECT record_id FROM fact_session_records WHERE session_id = ?`).all([fork])).toEqual([
      { record_id: `codex-${createHash('sha1').update(newTurn).digest('hex').slice(0, 24)}` },
    ]);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits`)).toBe(3);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records WHERE record_id LIKE 'codex2-%'`)).toBe(0);
  });
});

describe('incremental reads', () => {
  it('reads only what was appended, re-reads a rewritten file without duplicates, and nothing when unchanged', async () => {
    const h = emptySessionHome();
    const t = new ClaudeTranscript('55555555-5555-4555-8555-555555555555', '/nowhere/q')
      .prompt('one')
      .edit('toolu_1', '/nowhere/q/x.ts', 'a', 'alpha beta');
    const path = claudeFile(h, '-nowhere-q', t.sessionId, t.text());
    const db = tempDatabase();
    const first = await ingestHome(db, h, [claudeCode]);
    expect(first.stats[0]!.bytesRead).toBe(Buffer.byteLength(t.text()));

    const unchanged = await ingestHome(db, h, [claudeCode]);
    expect(unchanged.stats[0]).toMatchObject({ bytesRead: 0, filesRead: 0, filesUnchanged: 1 });

    const before = t.lines.length;
    t.prompt('two').edit('toolu_2', '/nowhere/q/y.ts', 'b', 'gamma delta');
    const appended = `${t.lines.slice(before).join('\n')}\n`;
    appendFileSync(path, appended);
    const second = await ingestHome(db, h, [claudeCode]);
    expect(second.stats[0]!.bytesRead).toBe(Buffer.byteLength(appended));
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records`)).toBe(t.lines.length);
    const afterAppend = snapshot(db);

    // Rewritten in place (same content, different first bytes): read again from the start.
    writeFileSync(path, t.text().replace('"userType":"external"', '"userType":"externaL"'));
    const third = await ingestHome(db, h, [claudeCode]);
    expect(third.stats[0]!.bytesRead).toBe(Buffer.byteLength(t.text()));
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records`)).toBe(t.lines.length);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits WHERE status = 'applied'`)).toBe(2);
    expect(afterAppend.event_session_quality).toEqual(snapshot(db).event_session_quality);

    // Truncated to its first half: re-read, and the rows of the lost half are gone.
    const half = `${t.lines.slice(0, 3).join('\n')}\n`;
    writeFileSync(path, half);
    await ingestHome(db, h, [claudeCode]);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records`)).toBe(3);
  });

  it('with nothing new reads no watermark, until one is written or a transcript moves', async () => {
    const h = emptySessionHome();
    const paths = Array.from({ length: 40 }, (_, i) => {
      const id = `66666666-6666-4666-8666-${String(i).padStart(12, '0')}`;
      return claudeFile(h, '-nowhere-w', id, new ClaudeTranscript(id, '/nowhere/w').prompt(`task ${i}`).text());
    });
    const db = tempDatabase();
    /** A run as the pipeline's: the owed session events built and forgotten. */
    const ingest = async () => {
      const result = await ingestSessions({ db, providers: [claudeCode], environment: { env: h.env, home: h.home } });
      db.transaction(() => {
        buildSessionEvents(db, result.touchedSessions);
        forgetOwedSessions(db, result.touchedSessions);
      });
      return result;
    };
    await ingest();
    /** The rows a run read through statements, and what it read. */
    const rerun = async () => {
      const before = rowsRead.count;
      const result = await ingest();
      return { rows: rowsRead.count - before, stats: result.stats[0]! };
    };
    // The first re-run compares all 40 with their watermarks and keeps the digest; the next reads none.
    expect((await rerun()).rows).toBeGreaterThanOrEqual(40);
    const quiet = await rerun();
    expect(quiet.rows).toBeLessThan(10);
    expect(quiet.stats).toMatchObject({ filesFound: 40, filesUnchanged: 40, filesRead: 0 });

    // A watermark written by anyone (here: removed by hand) forgets the digest: that file is read again.
    db.prepare(`DELETE FROM fact_ingest_watermarks WHERE source_path = ?`).run([paths[7]!]);
    expect((await rerun()).stats).toMatchObject({ filesRead: 1, filesUnchanged: 39 });
    expect((await rerun()).rows).toBeGreaterThanOrEqual(40);
    expect((await rerun()).rows).toBeLessThan(10);

    // A transcript that grew is read, though the digest was there.
    appendFileSync(
      paths[3]!,
      `${new ClaudeTranscript('66666666-6666-4666-8666-000000000003', '/nowhere/w').prompt('more').lines.at(-1)}\n`,
    );
    expect((await rerun()).stats).toMatchObject({ filesRead: 1, filesUnchanged: 39 });
  });

  // The digest hashes the paths a few hundred at a time: a file past the first few hundred the walk
  // found must move it as the first one's would.
  it('with more transcripts than the digest hashes at a time, one far down the walk that grew is read', async () => {
    const h = emptySessionHome();
    for (let i = 0; i < 300; i++) {
      const id = `88888888-8888-4888-8888-${String(i).padStart(12, '0')}`;
      claudeFile(h, '-nowhere-d', id, new ClaudeTranscript(id, '/nowhere/d').prompt(`task ${i}`).text());
    }
    const db = tempDatabase();
    const environment = { env: h.env, home: h.home };
    const run = async () => (await ingestSessions({ db, providers: [claudeCode], environment })).stats[0]!;
    expect(await run()).toMatchObject({ filesFound: 300, filesRead: 300 });
    await run(); // keeps the digest
    expect(db.prepare(`SELECT 1 AS x FROM paceflow_meta WHERE key = 'transcripts_at_watermarks'`).get()).toBeDefined();
    // The walk's 281st file: in the digest's second piece whatever order the folder lists them in.
    const late = (await claudeCode.discover(environment)).files[280]!.path;
    const id = late.slice(-'.jsonl'.length - 36, -'.jsonl'.length);
    appendFileSync(late, `${new ClaudeTranscript(id, '/nowhere/d').prompt('more').lines.at(-1)}\n`);
    expect(await run()).toMatchObject({ filesRead: 1, filesUnchanged: 299 });
  });

  it('keeps no digest when another connection committed while the watermarks were compared', async () => {
    const h = emptySessionHome();
    for (let i = 0; i < 5; i++) {
      const id = `77777777-7777-4777-8777-${String(i).padStart(12, '0')}`;
      claudeFile(h, '-nowhere-v', id, new ClaudeTranscript(id, '/nowhere/v').prompt(`task ${i}`).text());
    }
    const db = tempDatabase();
    const run = () => ingestSessions({ db, providers: [claudeCode], environment: { env: h.env, home: h.home } });
    await run();
    const digest = () => db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'transcripts_at_watermarks'`).get();
    expect(digest()).toBeUndefined();
    // A second connection (another paceflow process) commits right after this run read the marks.
    const other = openDatabase(db.path);
    const prepare = db.prepare.bind(db);
    let interleaved = 0;
    db.prepare = (sql: string) => {
      const statement = prepare(sql);
      if (!sql.startsWith('SELECT source_path, size, mtime_ms FROM fact_ingest_watermarks')) return statement;
      const all = statement.all.bind(statement);
      statement.all = ((params?: never) => {
        const rows = all(params);
        other
          .prepare(`INSERT INTO paceflow_meta (key, value) VALUES ('elsewhere', ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value`)
          .run([String(++interleaved)]);
        return rows;
      }) as typeof statement.all;
      return statement;
    };
    expect((await run()).stats[0]).toMatchObject({ filesUnchanged: 5, filesRead: 0 });
    expect(interleaved).toBe(1);
    expect(digest()).toBeUndefined();
    db.prepare = prepare;
    other.close();
    await run();
    expect(digest()).toBeDefined();
  });
});

describe('malformed input is skipped and counted, never a crash', () => {
  it('truncated last line, invalid JSON, unknown record, oversized line, invalid UTF-8', async () => {
    const h = emptySessionHome();
    const t = new ClaudeTranscript('66666666-6666-4666-8666-666666666666', '/nowhere/r').prompt('good one');
    const good2 = new ClaudeTranscript(t.sessionId, '/nowhere/r').prompt('good two').lines[0]!;
    const huge = JSON.stringify({ type: 'user', uuid: 'huge', message: { role: 'user', content: 'x'.repeat(50 * 1024 * 1024) } });
    const body = Buffer.concat([
      Buffer.from(`${t.lines[0]!}\n`),
      Buffer.from('{"type": "user", "uuid": \n'),
      Buffer.from(`${JSON.stringify({ type: 'brand-new-record', uuid: 'x' })}\n`),
      Buffer.from(`${huge}\n`),
      Buffer.concat([
        Buffer.from('{"type":"user","uuid":"bad-utf8","message":{"content":"caf'),
        Buffer.from([0xe9, 0x22, 0x7d, 0x7d, 0x0a]),
      ]),
      Buffer.from(`${good2}\n`),
      Buffer.from('{"type":"user","uuid":"cut-off","mess'),
    ]);
    claudeFile(h, '-nowhere-r', t.sessionId, '');
    writeFileSync(join(h.claudeProjects, '-nowhere-r', `${t.sessionId}.jsonl`), body);
    const db = tempDatabase();
    const result = await ingestHome(db, h, [claudeCode]);
    expect(result.stats[0]!.skippedLines).toEqual({ invalid_json: 1, unknown_record: 1, oversized: 1, invalid_utf8: 1, truncated: 1 });
    expect(result.stats[0]!.skipExamples[0]).toMatch(/truncated at line 7/);
    expect(count(db, `SELECT count(*) AS n FROM event_session_messages WHERE is_user_prompt = 1`)).toBe(2);
    const mark = db
      .prepare(`SELECT byte_offset, size, skipped_lines FROM fact_ingest_watermarks`)
      .get<{ byte_offset: number; size: number; skipped_lines: number }>();
    // The cut-off line is left unread, to be read once it is complete.
    expect(mark!.size - mark!.byte_offset).toBe(Buffer.byteLength('{"type":"user","uuid":"cut-off","mess'));
    expect(mark!.skipped_lines).toBe(5);
  }, 60_000);

  itShared('a Codex rollout of every record shape across versions parses without a crash', async () => {
    const h = emptySessionHome();
    const dir = join(h.codexHome, 'sessions', '2026', '01', '01');
    mkdirSync(dir, { recursive: true });
    copyFileSync(
      join(FIXTURES, 'codex/schema_drift_corpus_agent-sessions_SANITIZED.jsonl'),
      join(dir, 'rollout-2026-01-01T00-00-00-00000000-0000-4000-8000-000000000000.jsonl'),
    );
    const db = tempDatabase();
    const result = await ingestHome(db, h, [codex]);
    expect(result.stats[0]).toMatchObject({ filesRead: 1, skippedFiles: [], skippedLines: {} });
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records`)).toBeGreaterThanOrEqual(30);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_records WHERE kind = 'prompt'`)).toBe(3);
  });
});

describe('repository resolution', () => {
  it('maps a cwd in a subdirectory, a linked worktree and a second repository; outside any is NULL', async () => {
    const repo = TempRepo.create();
    repo.write('src/app.ts', 'export {};\n').commit('root');
    repo.git('remote', 'add', 'origin', 'git@github.com:acme/app.git');
    const worktree = join(tempDir(), 'wt');
    repo.git('worktree', 'add', '-q', worktree, '-b', 'feature');
    const other = TempRepo.create();
    other.write('lib.ts', 'export {};\n').commit('other root');
    const h = emptySessionHome();
    const t = new ClaudeTranscript('77777777-7777-4777-8777-777777777777', join(repo.dir, 'src'))
      .prompt('touch both repositories')
      .edit('toolu_main', join(repo.dir, 'src', 'app.ts'), 'export {};', 'export const app = 1;')
      .edit('toolu_wt', join(worktree, 'src', 'app.ts'), 'export {};', 'export const feature = 2;')
      .edit('toolu_other', join(other.dir, 'lib.ts'), 'export {};', 'export const lib = 3;')
      .write('toolu_new_dir', join(other.dir, 'new', 'deep', 'file.ts'), 'export const created = true;\n')
      .edit('toolu_outside', '/definitely/not/a/repo/file.ts', 'a', 'outside line');
    claudeFile(h, '-repo', t.sessionId, t.text());
    const db = tempDatabase();
    await ingestHome(db, h, [claudeCode]);
    const id = `claude-code:${t.sessionId}`;
    expect(db.prepare(`SELECT repo_id FROM metadata_sessions WHERE session_id = ?`).get([id])).toEqual({ repo_id: 'github.com/acme/app' });
    const otherId = other.git('rev-list', '--max-parents=0', 'HEAD');
    expect(edits(db, id).map((e) => [e.edit_id, e.repo_id, e.path])).toEqual([
      ['toolu_main', 'github.com/acme/app', 'src/app.ts'],
      ['toolu_new_dir', otherId, 'new/deep/file.ts'],
      ['toolu_other', otherId, 'lib.ts'],
      ['toolu_outside', null, null],
      ['toolu_wt', 'github.com/acme/app', 'src/app.ts'],
    ]);
    const outside = new ClaudeTranscript('88888888-8888-4888-8888-888888888888', '/definitely/not/a/repo').prompt('hello');
    claudeFile(h, '-elsewhere', outside.sessionId, outside.text());
    await ingestHome(db, h, [claudeCode]);
    expect(db.prepare(`SELECT repo_id FROM metadata_sessions WHERE session_id = ?`).get([`claude-code:${outside.sessionId}`])).toEqual({
      repo_id: null,
    });
  });

  it('gives sessions in sibling repositories, read in one run, each its own repository (a cwd is its own directory)', async () => {
    // Both repositories sit in one folder (the temp directory), the layout of ~/code/one, ~/code/two.
    const one = TempRepo.create();
    one.write('a.ts', 'export {};\n').commit('one root');
    const two = TempRepo.create();
    two.write('b.ts', 'export {};\n').commit('two root');
    expect(dirname(one.dir)).toBe(dirname(two.dir));
    const h = emptySessionHome();
    const sessions = [one, two].map((r, i) => {
      const t = new ClaudeTranscript(`99999999-9999-4999-8999-99999999999${i}`, r.dir).prompt(`work in ${i}`);
      claudeFile(h, `-r${i}`, t.sessionId, t.text());
      return { id: `claude-code:${t.sessionId}`, repoId: r.git('rev-list', '--max-parents=0', 'HEAD') };
    });
    const db = tempDatabase();
    await ingestHome(db, h, [claudeCode]);
    for (const s of sessions) {
      expect(db.prepare(`SELECT repo_id FROM metadata_sessions WHERE session_id = ?`).get([s.id])).toEqual({ repo_id: s.repoId });
    }
  });

  it('mends a session stored with no repository by the resolver before (sql/025), and builds it as a fresh database does', async () => {
    const one = TempRepo.create();
    one.write('a.ts', 'export {};\n').commit('one root');
    const two = TempRepo.create();
    two.write('b.ts', 'export {};\n').commit('two root');
    const h = emptySessionHome();
    for (const [i, r] of [one, two].entries()) {
      const t = new ClaudeTranscript(`99999999-9999-4999-8999-99999999998${i}`, r.dir)
        .prompt(`ABC-${i + 1} work in ${i}`)
        .write(`toolu_s${i}`, join(r.dir, `s${i}.ts`), `export const s${i} = computeS(${i});\n`);
      claudeFile(h, `-r${i}`, t.sessionId, t.text());
      r.write(`s${i}.ts`, `export const s${i} = computeS(${i});\n`).commit(`ABC-${i + 1} s${i}`, { at: 2_400_000 });
    }
    const run = async (db: string) => {
      for (const r of [one, two]) await ingest({ cwd: r.dir, db, env: h.env, notes: false });
    };
    const fresh = join(tempDir('paceflow-db-'), 'fresh.db');
    await run(fresh);
    // What the resolver before this version left: the second repository's session with none, its
    // events and task links built that way, and the database at the version before sql/025 (so
    // before sql/026 to 032 too: their columns go, its AI lines are a row per line, its watermarks lose
    // their partial index).
    const kept = join(tempDir('paceflow-db-'), 'kept.db');
    await run(kept);
    const d = openDatabase(kept);
    const second = `claude-code:99999999-9999-4999-8999-999999999981`;
    d.prepare(`UPDATE metadata_sessions SET repo_id = NULL WHERE session_id = ?`).run([second]);
    d.exec(`DELETE FROM paceflow_owed_task_sessions; DELETE FROM event_task_sessions WHERE session_id = '${second}';
            UPDATE event_session_quality SET repo_id = NULL WHERE session_id = '${second}';
            ALTER TABLE metadata_commits DROP COLUMN line_balance;
            ALTER TABLE metadata_commit_file_changes DROP COLUMN blob;
            ${AI_LINES_BEFORE_028}
            ${rowCountsBefore029(d)}
            DROP INDEX fact_ingest_watermarks_partly_read;
            PRAGMA user_version = 24`);
    d.close();
    for (const r of [one, two]) await ingest({ cwd: r.dir, db: kept, env: h.env, notes: false });
    expect(eventRows(kept)).toEqual(eventRows(fresh));
    const k = openDatabase(kept);
    expect(k.prepare(`SELECT repo_id FROM metadata_sessions WHERE session_id = ?`).get([second])).toEqual({
      repo_id: two.git('rev-list', '--max-parents=0', 'HEAD'),
    });
    expect(k.prepare(`SELECT task_key FROM event_task_sessions WHERE session_id = ?`).all([second])).toEqual([{ task_key: 'ABC-2' }]);
    k.close();
  });
});

describe('layouts and lifecycles', () => {
  itShared('reads a sub-agent file in the older layout (beside the main file) with its parent from the lines', async () => {
    const h = emptySessionHome();
    const project = join(h.claudeProjects, '-legacy');
    mkdirSync(project, { recursive: true });
    copyFileSync(
      join(FIXTURES, 'claude-code/v2.1.7_codemie_subagents/e9fb405b-169f-40eb-9396-7e75076f045d.jsonl'),
      join(project, 'e9fb405b-169f-40eb-9396-7e75076f045d.jsonl'),
    );
    copyFileSync(
      join(FIXTURES, 'claude-code/v2.1.7_codemie_subagents/e9fb405b-169f-40eb-9396-7e75076f045d/subagents/agent-a485154.jsonl'),
      join(project, 'agent-a485154.jsonl'),
    );
    const db = tempDatabase();
    await ingestHome(db, h, [claudeCode]);
    expect(
      db.prepare(`SELECT session_id, parent_session_id, session_kind FROM metadata_sessions WHERE session_kind = 'subagent'`).all(),
    ).toEqual([
      {
        session_id: 'claude-code:e9fb405b-169f-40eb-9396-7e75076f045d/agent-a485154',
        parent_session_id: 'claude-code:e9fb405b-169f-40eb-9396-7e75076f045d',
        session_kind: 'subagent',
      },
    ]);
  });

  it('a Claude edit settled by a result in a later read gives the same rows as one read', async () => {
    // The edit replaces 'old' by three lines while its input proposed one: only the result's
    // structuredPatch gives the applied text, so a settle that misses shows in the rows.
    const t = new ClaudeTranscript('66666666-6666-4666-8666-666666666666', '/nowhere/s')
      .prompt('change it')
      .toolUse('toolu_late', 'Edit', { file_path: '/nowhere/s/a.ts', old_string: 'old', new_string: 'proposed only' })
      .toolResult('toolu_late', {
        content: 'The file /nowhere/s/a.ts has been updated.',
        toolUseResult: {
          filePath: '/nowhere/s/a.ts',
          structuredPatch: [{ lines: ['-old', '+applied one', '+applied two', '+applied three'] }],
          userModified: true,
        },
      })
      .edit('toolu_same', '/nowhere/s/b.ts', 'x', 'settled in the same read');
    const oneHome = emptySessionHome();
    claudeFile(oneHome, '-nowhere-s', t.sessionId, t.text());
    const oneRead = tempDatabase();
    await ingestHome(oneRead, oneHome, [claudeCode]);

    const partsHome = emptySessionHome();
    const path = claudeFile(partsHome, '-nowhere-s', t.sessionId, `${t.lines.slice(0, 2).join('\n')}\n`);
    const twoReads = tempDatabase();
    await ingestHome(twoReads, partsHome, [claudeCode]);
    expect(edits(twoReads, `claude-code:${t.sessionId}`).map((e) => [e.edit_id, e.status, e.added_text])).toEqual([
      ['toolu_late', 'pending', 'proposed only'],
    ]);
    appendFileSync(path, `${t.lines.slice(2).join('\n')}\n`);
    await ingestHome(twoReads, partsHome, [claudeCode]);

    const rows = (db: Database) =>
      db
        .prepare(
          `SELECT edit_id, status, added_text, removed_text, text_source, user_modified FROM fact_session_file_edits ORDER BY edit_id`,
        )
        .all();
    expect(rows(twoReads)).toEqual([
      {
        edit_id: 'toolu_late',
        status: 'applied',
        added_text: 'applied one\napplied two\napplied three',
        removed_text: 'old',
        text_source: 'result',
        user_modified: 1,
      },
      {
        edit_id: 'toolu_same',
        status: 'applied',
        added_text: 'settled in the same read',
        removed_text: 'x',
        text_source: 'result',
        user_modified: 0,
      },
    ]);
    expect(rows(twoReads)).toEqual(rows(oneRead));
    const events = (db: Database) =>
      db.prepare(`SELECT edit_id, lines_added, lines_removed, status FROM event_session_code_changes ORDER BY edit_id`).all();
    expect(events(twoReads)).toEqual(events(oneRead));
  });

  it('a patch Codex applied in part keeps the edits it reports, whether its end comes in the same read or the next', async () => {
    const rollout = new CodexRollout('019e0000-0000-7000-8000-00000000c0de', '/work/repo').prompt('add two files').partialPatch(
      'call_partial',
      [
        { path: 'kept.ts', content: 'export const kept = computeKept();\n' },
        { path: 'dropped.ts', content: 'export const dropped = computeDropped();\n' },
      ],
      ['kept.ts'],
    );
    const name = 'rollout-2026-02-01T12-00-00-019e0000-0000-7000-8000-00000000c0de.jsonl';
    const edits = (db: Database) => db.prepare(`SELECT edit_id, status, text_source FROM fact_session_file_edits ORDER BY edit_id`).all();
    const expected = [{ edit_id: 'call_partial#/work/repo/kept.ts', status: 'applied', text_source: 'result' }];
    const once = emptySessionHome();
    mkdirSync(join(once.codexHome, 'sessions', 'x'), { recursive: true });
    writeFileSync(join(once.codexHome, 'sessions', 'x', name), rollout.text());
    const oneRead = tempDatabase();
    await ingestHome(oneRead, once, [codex]);
    expect(edits(oneRead)).toEqual(expected);
    // The proposal stored by a first read (both files pending), its end read by the second.
    const twice = emptySessionHome();
    const path = join(twice.codexHome, 'sessions', 'x', name);
    mkdirSync(join(twice.codexHome, 'sessions', 'x'), { recursive: true });
    const cut = rollout.lines.findIndex((l) => l.includes('"patch_apply_end"'));
    writeFileSync(path, `${rollout.lines.slice(0, cut).join('\n')}\n`);
    const twoReads = tempDatabase();
    await ingestHome(twoReads, twice, [codex]);
    expect(edits(twoReads).map((e) => (e as { status: string }).status)).toEqual(['pending', 'pending']);
    appendFileSync(path, `${rollout.lines.slice(cut).join('\n')}\n`);
    await ingestHome(twoReads, twice, [codex]);
    expect(edits(twoReads)).toEqual(expected);
  });

  itShared('a Codex rollout read in two parts (a resume appends) gives the same rows as one read', async () => {
    const lines = readFileSync(CODEX_ROLLOUT, 'utf8').split('\n').filter(Boolean);
    const name = 'rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl';
    const whole = emptySessionHome();
    mkdirSync(join(whole.codexHome, 'sessions', 'x'), { recursive: true });
    copyFileSync(CODEX_ROLLOUT, join(whole.codexHome, 'sessions', 'x', name));
    const oneRead = tempDatabase();
    await ingestHome(oneRead, whole, [codex]);

    const parts = emptySessionHome();
    const path = join(parts.codexHome, 'sessions', 'x', name);
    mkdirSync(join(parts.codexHome, 'sessions', 'x'), { recursive: true });
    // Cut between a patch call and its patch_apply_end, so the result arrives in the second read.
    const cut = lines.findIndex((l) => l.includes('"patch_apply_end"'));
    writeFileSync(path, `${lines.slice(0, cut).join('\n')}\n`);
    const twoReads = tempDatabase();
    await ingestHome(twoReads, parts, [codex]);
    expect(count(twoReads, `SELECT count(*) AS n FROM fact_session_file_edits WHERE status = 'pending'`)).toBe(1);
    appendFileSync(path, `${lines.slice(cut).join('\n')}\n`);
    await ingestHome(twoReads, parts, [codex]);
    const strip = [
      'fact_ingest_watermarks.source_path',
      'fact_ingest_watermarks.mtime_ms',
      'fact_ingest_watermarks.head_length',
      'fact_ingest_watermarks.head_checksum',
    ];
    const norm = (db: Database) =>
      JSON.parse(JSON.stringify(snapshot(db, strip)).replaceAll(parts.home, '<home>').replaceAll(whole.home, '<home>'));
    expect(norm(twoReads)).toEqual(norm(oneRead));
  });

  itShared('reports a zstd-compressed rollout it cannot read, and prefers the plain copy when both exist', async () => {
    const h = emptySessionHome();
    const dir = join(h.codexHome, 'sessions', 'z');
    mkdirSync(dir, { recursive: true });
    writeFileSync(
      join(dir, 'rollout-2026-01-01T00-00-00-11111111-1111-4111-8111-111111111111.jsonl.zst'),
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd, 0, 0]),
    );
    copyFileSync(CODEX_ROLLOUT, join(dir, 'rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl'));
    writeFileSync(
      join(dir, 'rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl.zst'),
      Buffer.from([0x28, 0xb5, 0x2f, 0xfd]),
    );
    const db = tempDatabase();
    const result = await ingestHome(db, h, [codex]);
    expect(result.stats[0]!.filesFound).toBe(2);
    expect(result.stats[0]!.filesRead).toBe(1);
    expect(result.stats[0]!.skippedFiles).toEqual([
      {
        path: expect.stringMatching(/11111111-1111-4111-8111-111111111111\.jsonl\.zst$/),
        reason: expect.stringMatching(/zstd|decompress/),
      },
    ]);
  });
});

describe("a writer's repository rows", () => {
  // The writer asks for a repository's row once per run (INSERT OR IGNORE for every edit cost 30k
  // statements on the 80k bench history); a file whose rows roll back may take that row with it.
  it('are written again after a file that wrote the first one rolled back', () => {
    const repo = TempRepo.create();
    repo.write('a.ts', 'export {};\n').commit('root');
    const db = tempDatabase();
    const writer = new SessionWriter(
      db,
      'claude-code',
      new PathRepositoryResolver(db),
      '2026-02-01T00:00:00.000Z',
      new SavedRecords(false),
    );
    const edit = (n: number) =>
      writer.edit({
        sessionId: 'claude-code:s1',
        editId: `toolu_${n}`,
        toolName: 'Write',
        absPath: join(repo.dir, 'a.ts'),
        status: 'applied',
        addedText: `export const a${n} = ${n};`,
        textSource: 'input',
      });
    const repositories = () => count(db, `SELECT count(*) AS n FROM metadata_repositories`);
    const file = (path: string, fn: () => void, keep: boolean) => {
      db.exec('BEGIN IMMEDIATE');
      writer.beginFile(path);
      fn();
      if (keep) {
        db.exec('COMMIT');
        writer.fileSaved();
      } else {
        db.exec('ROLLBACK');
        writer.fileRolledBack();
      }
    };
    file('/nowhere/one.jsonl', () => edit(1), false);
    expect(repositories()).toBe(0);
    file('/nowhere/two.jsonl', () => edit(2), true);
    expect(repositories()).toBe(1);
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits WHERE repo_id IS NOT NULL`)).toBe(1);
    db.close();
  });
});

describe("a file's pending edits", () => {
  // A proposed edit waits for its result in the writer and is written once, settled: it was
  // written pending and updated by the result. The rows must be what the update made of them, and
  // a pending row the database may hold (an earlier file of the run, an earlier run) still settled.
  type Step =
    | { pending: string; session?: string; text?: string }
    | { applied: string; text: string }
    | { settle: string; session?: string; status: 'applied' | 'failed' | 'rejected'; text?: string; userModified?: boolean };
  interface Case {
    name: string;
    /** Files read one after another; `runs` splits them into ingest runs (a new run sees what is stored). */
    runs: Step[][][];
    rows: [editId: string, status: string, added: string, source: string, userModified: number, file: string][];
    /** Rows changed by an UPDATE (a settle, or a proposal written again) in the last run. */
    updates: number;
  }
  const cases: Case[] = [
    {
      name: 'a result in the same file',
      runs: [
        [
          [
            { pending: 'c1', text: 'a' },
            { settle: 'c1', status: 'applied', text: 'b', userModified: true },
          ],
        ],
      ],
      rows: [['c1', 'applied', 'b', 'result', 1, 'f0']],
      updates: 0,
    },
    {
      name: 'a call of two parts, failed without text',
      runs: [
        [
          [
            { pending: 'c2#1', text: 'a' },
            { pending: 'c2#2', text: 'b' },
            { settle: 'c2', status: 'failed' },
          ],
        ],
      ],
      rows: [
        ['c2#1', 'failed', 'a', 'input', 0, 'f0'],
        ['c2#2', 'failed', 'b', 'input', 0, 'f0'],
      ],
      updates: 0,
    },
    {
      name: 'no result',
      runs: [[[{ pending: 'c3', text: 'a' }]]],
      rows: [['c3', 'pending', 'a', 'input', 0, 'f0']],
      updates: 0,
    },
    {
      name: "another session's result",
      runs: [
        [
          [
            { pending: 'c4', text: 'a' },
            { settle: 'c4', session: 'claude-code:other', status: 'applied', text: 'b' },
          ],
        ],
      ],
      rows: [['c4', 'pending', 'a', 'input', 0, 'f0']],
      updates: 0,
    },
    {
      name: 'the same id applied before its result',
      runs: [
        [
          [
            { pending: 'c5', text: 'a' },
            { applied: 'c5', text: 'b' },
            { settle: 'c5', status: 'rejected', text: 'z' },
          ],
        ],
      ],
      rows: [['c5', 'applied', 'b', 'input', 0, 'f0']],
      updates: 0,
    },
    {
      // A copied history: the later file proposes one part again and has the result; the other
      // part is pending in the database, written by the earlier file of the same run.
      name: 'a part an earlier file of the run left pending',
      runs: [
        [
          [
            { pending: 'c6#1', text: 'a' },
            { pending: 'c6#2', text: 'b' },
          ],
          [
            { pending: 'c6#1', text: 'a' },
            { settle: 'c6', status: 'applied' },
          ],
        ],
      ],
      rows: [
        ['c6#1', 'applied', 'a', 'input', 0, 'f1'],
        ['c6#2', 'applied', 'b', 'input', 0, 'f0'],
      ],
      updates: 2,
    },
    {
      // The file's read ended at the proposal; the next run reads the rest of it.
      name: 'a proposal an earlier run stored',
      runs: [[[{ pending: 'c7', text: 'a' }]], [[{ settle: 'c7', status: 'applied', text: 'b' }]]],
      rows: [['c7', 'applied', 'b', 'result', 0, 'f0']],
      updates: 1,
    },
  ];
  // Each case twice: with sql/011's replay triggers, and with them put off where the run stores
  // its first edits (EditReplay), the writer asking for each edit's replay itself — the same rows,
  // and the same replay asked for. Every edit written gets a second of its own.
  it.each(cases)('$name', ({ runs, rows, updates }) => {
    const play = (putOff: boolean) => {
      const repo = TempRepo.create();
      repo.write('a.ts', 'export {};\n').commit('root');
      const db = tempDatabase();
      db.exec(`CREATE TEMP TABLE updated (n INTEGER)`);
      db.exec(`CREATE TEMP TRIGGER edit_updated AFTER UPDATE ON fact_session_file_edits BEGIN INSERT INTO updated VALUES (1); END`);
      const session = 'claude-code:s1';
      let second = 0;
      const edit = (editId: string, status: 'pending' | 'applied', text: string, sessionId = session) => ({
        sessionId,
        editId,
        toolName: 'Write',
        absPath: join(repo.dir, 'a.ts'),
        status,
        timestamp: new Date(Date.UTC(2026, 1, 1, 0, 0, 59 - second++)).toISOString(),
        addedText: text,
        textSource: 'input' as const,
      });
      const triggersOff: boolean[] = [];
      for (const files of runs) {
        db.exec(`DELETE FROM updated`);
        const stored = db.prepare(`SELECT 1 AS x FROM fact_session_file_edits LIMIT 1`).get() !== undefined;
        const replay = putOff ? new EditReplay(db, !stored) : null;
        const writer = new SessionWriter(
          db,
          'claude-code',
          new PathRepositoryResolver(db),
          '2026-02-01T00:00:00.000Z',
          new SavedRecords(stored),
          new PendingEdits(stored),
          replay,
        );
        for (const [i, steps] of files.entries()) {
          db.exec('BEGIN IMMEDIATE');
          const restore = replay?.putOff() ?? (() => {});
          triggersOff.push(replay?.off ?? false);
          writer.beginFile(`/transcripts/f${i}.jsonl`);
          for (const step of steps) {
            if ('pending' in step) writer.edit(edit(step.pending, 'pending', step.text ?? '', step.session));
            else if ('applied' in step) writer.edit(edit(step.applied, 'applied', step.text));
            else
              writer.settleEdits(step.session ?? session, step.settle, {
                status: step.status,
                ...(step.text !== undefined ? { addedText: step.text } : {}),
                ...(step.userModified !== undefined ? { userModified: step.userModified } : {}),
              });
          }
          writer.flush();
          restore();
          db.exec('COMMIT');
          writer.fileSaved();
        }
      }
      const result = {
        rows: db
          .prepare(
            `SELECT edit_id, status, added_text, text_source, user_modified, replace(replace(source_path, '/transcripts/', ''), '.jsonl', '') AS file
             FROM fact_session_file_edits ORDER BY edit_id`,
          )
          .all<Record<string, unknown>>()
          .map((r) => Object.values(r)),
        updated: count(db, `SELECT count(*) AS n FROM updated`),
        replayFrom: db.prepare(`SELECT at FROM paceflow_attribution_from ORDER BY at`).all(),
        triggers: db.prepare(`SELECT name, sql FROM sqlite_master WHERE type = 'trigger' ORDER BY name`).all(),
        triggersOff,
      };
      db.close();
      return result;
    };
    const kept = play(false);
    expect(kept.rows).toEqual(rows);
    expect(kept.updated, 'rows updated').toBe(updates);
    expect(kept.replayFrom.length, 'a replay asked for').toBeGreaterThan(0);
    const putOff = play(true);
    // Off for the first run's files only (no edit stored before it).
    expect(putOff.triggersOff).toEqual(runs.flatMap((files, run) => files.map(() => run === 0)));
    expect({ ...putOff, triggersOff: [] }).toEqual({ ...kept, triggersOff: [] });
  });

  it('are dropped with the rows of a file that rolls back', () => {
    const db = tempDatabase();
    const writer = new SessionWriter(
      db,
      'claude-code',
      new PathRepositoryResolver(db),
      '2026-02-01T00:00:00.000Z',
      new SavedRecords(false),
      new PendingEdits(false),
    );
    db.exec('BEGIN IMMEDIATE');
    writer.beginFile('/transcripts/f0.jsonl');
    writer.edit({
      sessionId: 's',
      editId: 'c1',
      toolName: 'Write',
      absPath: '/nowhere/a.ts',
      status: 'pending',
      addedText: 'a',
      textSource: 'input',
    });
    db.exec('ROLLBACK');
    writer.fileRolledBack();
    db.exec('BEGIN IMMEDIATE');
    writer.beginFile('/transcripts/f1.jsonl');
    writer.flush();
    db.exec('COMMIT');
    expect(count(db, `SELECT count(*) AS n FROM fact_session_file_edits`)).toBe(0);
    db.close();
  });
});
