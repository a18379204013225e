import { cpSync, mkdirSync, writeFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { amp } from '../src/providers/amp.js';
import { foldGeminiSession, geminiCli } from '../src/providers/gemini-cli.js';
import { snapshot, tempDatabase } from './helpers/db.js';
import { TempRepo, cleanupTempDirs } from './helpers/git-repo.js';
import { FIXTURES, RECORD_SHAPE, emptySessionHome, ingestHome, watchRecordShapes, itShared } from './helpers/sessions.js';

afterAll(cleanupTempDirs);
const shapes = watchRecordShapes();

/** Counts read off the fixture files by a throwaway node pass over the raw JSON. */
describe('Gemini CLI', () => {
  function geminiHome() {
    const h = emptySessionHome();
    const tmp = join(h.home, '.gemini', 'tmp');
    mkdirSync(join(tmp, 'legacy', 'chats'), { recursive: true });
    cpSync(
      join(FIXTURES, 'gemini-cli/legacy_json_codemie/chats/session-2025-12-01T21-45-5b959dae.json'),
      join(tmp, 'legacy', 'chats', 'session-2025-12-01T21-45-5b959dae.json'),
    );
    mkdirSync(join(tmp, 'v040', 'chats'), { recursive: true });
    cpSync(
      join(FIXTURES, 'gemini-cli/jsonl_agent-sessions_SANITIZED/jsonl_v040.jsonl'),
      join(tmp, 'v040', 'chats', 'session-2026-04-29T21-39-gemini_s.jsonl'),
    );
    mkdirSync(join(tmp, 'trimmed', 'chats'), { recursive: true });
    cpSync(join(FIXTURES, 'gemini-cli/jsonl_gitai_TRIMMED/session-simple.jsonl'), join(tmp, 'trimmed', 'chats', 'session-simple.jsonl'));
    return h;
  }

  itShared('reads the legacy document and the JSONL change log; only successful tool calls are applied', async () => {
    const db = tempDatabase();
    const result = await ingestHome(db, geminiHome(), [geminiCli]);
    expect(result.stats[0]).toMatchObject({ filesFound: 3, filesRead: 3, skippedLines: {}, skippedFiles: [] });
    const rows = db
      .prepare(
        `SELECT session_id, user_prompts, edits_applied, edits_unconfirmed, lines_written, model FROM view_session_productivity ORDER BY session_id`,
      )
      .all();
    expect(rows).toEqual([
      {
        session_id: 'gemini-cli:5b959dae-8655-4cd1-b10f-720b8c336ea2',
        user_prompts: 3,
        edits_applied: 2,
        edits_unconfirmed: 0,
        lines_written: 171,
        model: 'gemini-3-pro-image-preview',
      },
      {
        session_id: 'gemini-cli:gemini_stage0_jsonl',
        user_prompts: 1,
        edits_applied: 0,
        edits_unconfirmed: 0,
        lines_written: 0,
        model: 'gemini-3-flash-preview',
      },
      // The publisher removed the tool results: the two replace calls are unconfirmed, not applied.
      {
        session_id: 'gemini-cli:session-simple',
        user_prompts: 1,
        edits_applied: 0,
        edits_unconfirmed: 2,
        lines_written: 0,
        model: 'gemini-2.5-flash',
      },
    ]);
    const shell = db
      .prepare(
        `SELECT tool_name, text FROM fact_session_records WHERE session_id = 'gemini-cli:gemini_stage0_jsonl' AND kind = 'tool_call'`,
      )
      .all();
    expect(shell).toEqual([{ tool_name: 'run_shell_command', text: 'ls -F' }]);
    // Read whole when it changes, never twice.
    const before = snapshot(db);
    await ingestHome(db, geminiHome(), [geminiCli]);
    expect(db.prepare(`SELECT count(*) AS n FROM fact_session_records`).get()).toEqual({
      n: (before.fact_session_records as unknown[]).length,
    });
  });

  it('a message id written again wins, $set can replace the messages, $rewindTo drops what follows', () => {
    const text = [
      JSON.stringify({ sessionId: 's', projectHash: 'h', startTime: 't', kind: 'main' }),
      JSON.stringify({ id: 'a', type: 'user', content: 'first' }),
      JSON.stringify({ id: 'b', type: 'gemini', content: 'partial' }),
      JSON.stringify({ id: 'b', type: 'gemini', content: 'complete' }),
      JSON.stringify({ id: 'c', type: 'user', content: 'second' }),
      JSON.stringify({ id: 'd', type: 'gemini', content: 'answer' }),
      JSON.stringify({ $rewindTo: 'c' }),
      JSON.stringify({ id: 'e', type: 'user', content: 'instead' }),
      '{broken',
    ].join('\n');
    const bad: number[] = [];
    const folded = foldGeminiSession(text, (n) => bad.push(n));
    expect(folded.messages.map((m) => [m.id, m.content])).toEqual([
      ['a', 'first'],
      ['b', 'complete'],
      ['e', 'instead'],
    ]);
    expect(bad).toEqual([9]);
    const replaced = foldGeminiSession(
      `${text.split('\n').slice(0, 3).join('\n')}\n${JSON.stringify({ $set: { messages: [{ id: 'z', type: 'user', content: 'only' }] } })}`,
      () => undefined,
    );
    expect(replaced.messages.map((m) => m.id)).toEqual(['z']);
  });

  it('finds the repository from projectHash (sha256 of the project root) and resolves relative paths', async () => {
    const repo = TempRepo.create();
    repo.write('hello.md', '# hello\n').commit('root');
    repo.git('remote', 'add', 'origin', 'https://github.com/acme/gem.git');
    const h = emptySessionHome();
    const chats = join(h.home, '.gemini', 'tmp', 'gem', 'chats');
    mkdirSync(chats, { recursive: true });
    const session = [
      JSON.stringify({
        sessionId: 'gem-1',
        projectHash: createHash('sha256').update(repo.dir).digest('hex'),
        startTime: '2026-02-01T10:00:00.000Z',
        kind: 'main',
      }),
      JSON.stringify({ id: 'u1', timestamp: '2026-02-01T10:00:01.000Z', type: 'user', content: [{ text: 'write hello' }] }),
      JSON.stringify({
        id: 'g1',
        timestamp: '2026-02-01T10:00:02.000Z',
        type: 'gemini',
        content: '',
        model: 'gemini-3-pro',
        toolCalls: [
          {
            id: 'write_file-1',
            name: 'write_file',
            args: { file_path: 'hello.md', content: '# hello\nwritten by gemini here\n' },
            status: 'success',
          },
        ],
      }),
    ].join('\n');
    writeFileSync(join(chats, 'session-2026-02-01T10-00-gem-1.jsonl'), `${session}\n`);
    const db = tempDatabase();
    // The repository must be known first (its root is what the hash is matched against).
    db.prepare(`INSERT INTO metadata_repositories (repo_id, root_path, first_seen_at) VALUES ('github.com/acme/gem', ?, 'x')`).run([
      repo.dir,
    ]);
    await ingestHome(db, h, [geminiCli]);
    expect(db.prepare(`SELECT repo_id, cwd FROM metadata_sessions`).get()).toEqual({ repo_id: 'github.com/acme/gem', cwd: repo.dir });
    expect(db.prepare(`SELECT repo_id, path, status FROM fact_session_file_edits`).get()).toEqual({
      repo_id: 'github.com/acme/gem',
      path: 'hello.md',
      status: 'applied',
    });
  });
});

describe('Amp', () => {
  itShared('reads both real threads: prompts, Read calls, and the edit_file applied from its diff', async () => {
    const h = emptySessionHome();
    const threads = join(h.home, '.local', 'share', 'amp', 'threads');
    mkdirSync(threads, { recursive: true });
    cpSync(join(FIXTURES, 'amp/threads'), threads, { recursive: true });
    const db = tempDatabase();
    const result = await ingestHome(db, h, [amp]);
    expect(result.stats[0]).toMatchObject({ filesFound: 2, filesRead: 2, skippedLines: {}, skippedFiles: [] });
    const rows = db
      .prepare(
        `SELECT session_id, user_prompts, edits_applied, lines_written, tool_errors, tokens_in, tokens_out, model, git_branch FROM view_session_productivity ORDER BY session_id`,
      )
      .all();
    expect(rows).toEqual([
      {
        session_id: 'amp:T-019ca1ce-3ae2-7686-a41e-ccc078837f8a',
        user_prompts: 1,
        edits_applied: 0,
        lines_written: 0,
        tool_errors: 0,
        tokens_in: 5,
        tokens_out: 555,
        model: 'claude-opus-4-6',
        git_branch: 'master',
      },
      {
        session_id: 'amp:T-019ca1f6-7f21-77b5-a308-65416ebbdf48',
        user_prompts: 1,
        edits_applied: 1,
        lines_written: 1,
        tool_errors: 0,
        tokens_in: 5,
        tokens_out: 270,
        model: 'claude-opus-4-6',
        git_branch: 'master',
      },
    ]);
    const edit = db.prepare(`SELECT tool_name, abs_path, text_source FROM fact_session_file_edits`).get();
    expect(edit).toEqual({
      tool_name: 'edit_file',
      abs_path: '/Users/svarlamov/projects/testing-git-amp/jokes.csv',
      text_source: 'result',
    });
    const calls = db.prepare(`SELECT count(*) AS n FROM fact_session_records WHERE kind = 'tool_call' AND tool_name = 'Read'`).get();
    expect(calls).toEqual({ n: 5 });
  });
});

describe('GitHub Copilot Chat (VS Code)', () => {
  function copilotHome() {
    const h = emptySessionHome();
    const storage = join(h.home, '.config', 'Code', 'User', 'workspaceStorage');
    const a = join(storage, 'aaaa1111');
    mkdirSync(join(a, 'chatSessions'), { recursive: true });
    cpSync(
      join(FIXTURES, 'copilot-vscode/chatSessions_v3_json/331fed7f-cfd6-409c-8502-06a56322b636.json'),
      join(a, 'chatSessions', '331fed7f-cfd6-409c-8502-06a56322b636.json'),
    );
    cpSync(
      join(FIXTURES, 'copilot-vscode/chatSessions_jsonl_mutationlog/7de89a80-6d93-43e7-be0a-0a9afe980198.jsonl'),
      join(a, 'chatSessions', '7de89a80-6d93-43e7-be0a-0a9afe980198.jsonl'),
    );
    writeFileSync(join(a, 'workspace.json'), JSON.stringify({ folder: 'file:///Users/svarlamov/projects/testing-git' }));
    const b = join(storage, 'bbbb2222', 'GitHub.copilot-chat', 'transcripts');
    mkdirSync(b, { recursive: true });
    cpSync(
      join(FIXTURES, 'copilot-vscode/transcripts_event_stream/5fcddc54-3ba1-4fc4-88ac-86bd2ce74c19.jsonl'),
      join(b, '5fcddc54-3ba1-4fc4-88ac-86bd2ce74c19.jsonl'),
    );
    return h;
  }

  itShared('reads the v3 document, replays the mutation log, and reads the event stream', async () => {
    const db = tempDatabase();
    const { copilot } = await import('../src/providers/copilot.js');
    const result = await ingestHome(db, copilotHome(), [copilot]);
    expect(result.stats[0]).toMatchObject({ filesFound: 3, filesRead: 3, skippedLines: {}, skippedFiles: [] });
    const rows = db
      .prepare(`SELECT session_id, user_prompts, edits_applied, lines_written, model FROM view_session_productivity ORDER BY session_id`)
      .all();
    expect(rows).toEqual([
      // v3: 3 requests, one textEditGroup replacing 6 lines.
      {
        session_id: 'copilot:331fed7f-cfd6-409c-8502-06a56322b636',
        user_prompts: 3,
        edits_applied: 1,
        lines_written: 6,
        model: 'claude-sonnet-4',
      },
      // Event stream: one prompt, apply_patch adding one line, confirmed by tool.execution_complete.
      { session_id: 'copilot:5fcddc54-3ba1-4fc4-88ac-86bd2ce74c19', user_prompts: 1, edits_applied: 1, lines_written: 1, model: null },
      // Mutation log: the pushed second request is replayed; one textEditGroup of 7 lines.
      { session_id: 'copilot:7de89a80-6d93-43e7-be0a-0a9afe980198', user_prompts: 2, edits_applied: 1, lines_written: 7, model: 'gpt-4o' },
    ]);
    expect(db.prepare(`SELECT cwd FROM metadata_sessions WHERE session_id = 'copilot:331fed7f-cfd6-409c-8502-06a56322b636'`).get()).toEqual(
      { cwd: '/Users/svarlamov/projects/testing-git' },
    );
  });

  it('replays kind 0/1/2 entries, truncating before a push when i is given', async () => {
    const { replayMutationLog } = await import('../src/providers/copilot.js');
    const log = [
      JSON.stringify({ kind: 0, v: { requests: [{ id: 1 }, { id: 2 }], title: 'a' } }),
      JSON.stringify({ kind: 1, k: ['title'], v: 'b' }),
      JSON.stringify({ kind: 2, k: ['requests'], v: [{ id: 3 }], i: 1 }),
      JSON.stringify({ kind: 1, k: ['requests', 1, 'done'], v: true }),
    ].join('\n');
    expect(replayMutationLog(log, () => undefined)).toEqual({ requests: [{ id: 1 }, { id: 3, done: true }], title: 'b' });
  });
});

describe('Cursor', () => {
  itShared('reads the real agent transcript: ids from positions, the folder from the slug, the Write as applied', async () => {
    const h = emptySessionHome();
    const dir = join(h.home, '.cursor', 'projects', 'Users-aidancunniffe-Desktop-testing-gitflows-git-ai', 'agent-transcripts');
    mkdirSync(dir, { recursive: true });
    cpSync(join(FIXTURES, 'cursor/agent-transcript_gitai_REDACTED/cursor-session-simple.jsonl'), join(dir, 'cursor-session-simple.jsonl'));
    const { cursor } = await import('../src/providers/cursor.js');
    const db = tempDatabase();
    const result = await ingestHome(db, h, [cursor]);
    expect(result.stats[0]).toMatchObject({ filesFound: 1, filesRead: 1, skippedLines: {}, skippedFiles: [] });
    expect(db.prepare(`SELECT session_id, user_prompts, edits_applied, lines_written FROM view_session_productivity`).all()).toEqual([
      { session_id: 'cursor:cursor-session-simple', user_prompts: 1, edits_applied: 1, lines_written: 104 },
    ]);
    expect(db.prepare(`SELECT cwd FROM metadata_sessions`).get()).toEqual({ cwd: '/Users/aidancunniffe/Desktop/testing-gitflows-git-ai' });
    const tools = db
      .prepare(`SELECT tool_name, count(*) AS n FROM fact_session_records WHERE kind = 'tool_call' GROUP BY tool_name ORDER BY tool_name`)
      .all();
    expect(tools).toEqual([
      { tool_name: 'Grep', n: 1 },
      { tool_name: 'Read', n: 3 },
      { tool_name: 'WebFetch', n: 1 },
      { tool_name: 'WebSearch', n: 4 },
      { tool_name: 'Write', n: 1 },
    ]);
    const prompt = db.prepare(`SELECT text FROM fact_session_records WHERE kind = 'prompt'`).get<{ text: string }>();
    expect(prompt!.text).toBe("Generate a file with all the HBO shows from the 90's in it");
  });

  it('reads the IDE database from a copy (built here from the documented cursorDiskKV format: no real sample exists)', async () => {
    const h = emptySessionHome();
    const dir = join(h.home, '.config', 'Cursor', 'User', 'globalStorage');
    mkdirSync(dir, { recursive: true });
    const { BetterSqliteDatabase } = await import('../src/db/better-sqlite3.js');
    const state = new BetterSqliteDatabase(join(dir, 'state.vscdb'));
    state.exec(`CREATE TABLE cursorDiskKV (key TEXT UNIQUE ON CONFLICT REPLACE, value BLOB)`);
    const put = state.prepare(`INSERT INTO cursorDiskKV (key, value) VALUES (?, ?)`);
    put.run([
      'composerData:comp-1',
      JSON.stringify({
        _v: 10,
        composerId: 'comp-1',
        createdAt: Date.parse('2026-03-01T10:00:00Z'),
        modelConfig: { modelName: 'claude-4-sonnet' },
        createdOnBranch: 'feature/x',
        workspaceIdentifier: { id: 'ws', uri: { fsPath: '/work/proj' } },
        fullConversationHeadersOnly: [
          { bubbleId: 'b1', type: 1 },
          { bubbleId: 'b2', type: 2 },
          { bubbleId: 'b3', type: 2 },
          { bubbleId: 'b4', type: 2 },
        ],
      }),
    ]);
    put.run([
      'bubbleId:comp-1:b1',
      JSON.stringify({ _v: 3, type: 1, bubbleId: 'b1', text: 'add a greeting', createdAt: '2026-03-01T10:00:01Z' }),
    ]);
    put.run([
      'bubbleId:comp-1:b2',
      JSON.stringify({
        _v: 3,
        type: 2,
        bubbleId: 'b2',
        createdAt: '2026-03-01T10:00:05Z',
        capabilityType: 15,
        toolFormerData: {
          tool: 7,
          name: 'edit_file',
          status: 'completed',
          rawArgs: JSON.stringify({
            target_file: 'src/hello.ts',
            code_edit: '// ... existing code ...\nexport const hi = greet();\n// ... existing code ...',
          }),
          result: JSON.stringify({
            diff: {
              chunks: [
                {
                  diffString: '+export const hi = greet();\n+export const bye = part();',
                  oldStart: 1,
                  newStart: 1,
                  oldLines: 0,
                  newLines: 2,
                  linesAdded: 2,
                  linesRemoved: 0,
                },
              ],
            },
          }),
        },
      }),
    ]);
    put.run([
      'bubbleId:comp-1:b3',
      JSON.stringify({
        _v: 3,
        type: 2,
        bubbleId: 'b3',
        createdAt: '2026-03-01T10:00:09Z',
        capabilityType: 15,
        toolFormerData: {
          tool: 7,
          name: 'edit_file',
          status: 'completed',
          userDecision: 'rejected',
          rawArgs: JSON.stringify({ target_file: 'src/no.ts' }),
          result: JSON.stringify({ diff: { chunks: [{ diffString: '+refused()' }] } }),
        },
      }),
    ]);
    put.run([
      'bubbleId:comp-1:b4',
      JSON.stringify({
        _v: 3,
        type: 2,
        bubbleId: 'b4',
        text: 'Done.',
        createdAt: '2026-03-01T10:00:10Z',
        tokenCount: { inputTokens: 120, outputTokens: 30 },
        modelInfo: { modelName: 'claude-4-sonnet' },
      }),
    ]);
    state.close();
    const { cursor } = await import('../src/providers/cursor.js');
    const db = tempDatabase();
    await ingestHome(db, h, [cursor]);
    expect(
      db
        .prepare(
          `SELECT session_id, user_prompts, edits_applied, edits_rejected, lines_written, tokens_in, model, git_branch FROM view_session_productivity`,
        )
        .all(),
    ).toEqual([
      {
        session_id: 'cursor:comp-1',
        user_prompts: 1,
        edits_applied: 1,
        edits_rejected: 1,
        lines_written: 2,
        tokens_in: 120,
        model: 'claude-4-sonnet',
        git_branch: 'feature/x',
      },
    ]);
    expect(db.prepare(`SELECT abs_path, text_source FROM fact_session_file_edits WHERE status = 'applied'`).get()).toEqual({
      abs_path: '/work/proj/src/hello.ts',
      text_source: 'result',
    });
  });
});

describe('Aider', () => {
  itShared(
    'reads the real chat history: sessions by header, inputs by #### runs, SEARCH/REPLACE edits applied only when aider says so',
    async () => {
      const repo = TempRepo.create();
      repo.write('README.md', '# aider test repo\n').commit('root');
      cpSync(join(FIXTURES, 'aider/aider.chat.history.EXCERPT-lines1-2700.md'), join(repo.dir, '.aider.chat.history.md'));
      const h = emptySessionHome();
      const db = tempDatabase();
      db.prepare(`INSERT INTO metadata_repositories (repo_id, root_path, first_seen_at) VALUES ('aider-test', ?, 'x')`).run([repo.dir]);
      const { aider } = await import('../src/providers/aider.js');
      const result = await ingestHome(db, h, [aider]);
      expect(result.stats[0]).toMatchObject({ filesFound: 1, filesRead: 1, skippedLines: {}, skippedFiles: [] });
      // 12 "# aider chat started" headers, plus the session the excerpt begins in the middle of;
      // 8 typed inputs (the other 18 #### runs are /commands); 13 SEARCH/REPLACE blocks, 9 of them
      // in a turn that reports "Applied edit to" their file, adding 259 lines; 14 "> Commit" lines.
      expect(
        db
          .prepare(
            `SELECT count(*) AS sessions, sum(user_prompts) AS prompts, sum(edits_applied) AS applied, sum(edits_failed) AS failed, sum(lines_written) AS lines FROM view_session_productivity`,
          )
          .get(),
      ).toEqual({
        sessions: 13,
        prompts: 8,
        applied: 9,
        failed: 4,
        lines: 259,
      });
      expect(db.prepare(`SELECT count(*) AS n FROM fact_session_records WHERE tool_name = 'aider:commit'`).get()).toEqual({ n: 14 });
      expect(db.prepare(`SELECT count(*) AS n FROM metadata_sessions WHERE model = 'claude-3-5-sonnet-20240620'`).get()).toEqual({ n: 6 });
      expect(db.prepare(`SELECT DISTINCT repo_id FROM metadata_sessions`).all()).toEqual([{ repo_id: 'aider-test' }]);
    },
  );
});

describe('OpenCode (built from its documented format: no real sample exists)', () => {
  const assistant = (id: string, created: number) => ({
    id,
    role: 'assistant',
    time: { created, completed: created + 500 },
    modelID: 'claude-sonnet-4',
    providerID: 'anthropic',
    path: { cwd: '/work/oc', root: '/work/oc' },
    tokens: { input: 100, output: 20, reasoning: 0, cache: { read: 5, write: 0 } },
  });
  const editPart = (id: string, status: string) => ({
    id,
    type: 'tool',
    callID: `call-${id}`,
    tool: 'edit',
    state: {
      status,
      input: { filePath: '/work/oc/src/a.ts', oldString: 'x', newString: 'placeholder' },
      metadata: { diff: '--- a\n+++ b\n@@ -1 +1,2 @@\n-x\n+export const fromDiff = one();\n+export const second = two();' },
      time: { start: 1772000001000 },
    },
  });

  it('reads the 1.2 database from a copy, and the older JSON storage, counting only completed tool parts', async () => {
    const h = emptySessionHome();
    const data = join(h.home, '.local', 'share', 'opencode');
    mkdirSync(data, { recursive: true });
    const { BetterSqliteDatabase } = await import('../src/db/better-sqlite3.js');
    const oc = new BetterSqliteDatabase(join(data, 'opencode.db'));
    oc.exec(`CREATE TABLE session (id TEXT PRIMARY KEY, project_id TEXT, parent_id TEXT, slug TEXT, directory TEXT, title TEXT, version TEXT, time_created INTEGER, time_updated INTEGER);
             CREATE TABLE message (id TEXT PRIMARY KEY, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);
             CREATE TABLE part (id TEXT PRIMARY KEY, message_id TEXT, session_id TEXT, time_created INTEGER, time_updated INTEGER, data TEXT);`);
    oc.prepare(`INSERT INTO session VALUES ('ses_db', 'p', NULL, 's', '/work/oc', 't', '1.2.0', 1772000000000, 1772000009000)`).run();
    oc.prepare(`INSERT INTO message VALUES ('msg_u', 'ses_db', 1772000000000, 1772000000000, ?)`).run([
      JSON.stringify({ role: 'user', time: { created: 1772000000000 } }),
    ]);
    oc.prepare(`INSERT INTO part VALUES ('prt_u', 'msg_u', 'ses_db', 1772000000000, 1772000000000, ?)`).run([
      JSON.stringify({ type: 'text', text: 'fix the thing' }),
    ]);
    oc.prepare(`INSERT INTO message VALUES ('msg_a', 'ses_db', 1772000001000, 1772000002000, ?)`).run([
      JSON.stringify(assistant('msg_a', 1772000001000)),
    ]);
    oc.prepare(`INSERT INTO part VALUES ('prt_1', 'msg_a', 'ses_db', 1772000001000, 1772000001000, ?)`).run([
      JSON.stringify(editPart('prt_1', 'completed')),
    ]);
    oc.prepare(`INSERT INTO part VALUES ('prt_2', 'msg_a', 'ses_db', 1772000001001, 1772000001001, ?)`).run([
      JSON.stringify(editPart('prt_2', 'error')),
    ]);
    oc.prepare(`INSERT INTO part VALUES ('prt_3', 'msg_a', 'ses_db', 1772000001002, 1772000001002, ?)`).run([
      JSON.stringify({
        id: 'prt_3',
        type: 'tool',
        callID: 'call-3',
        tool: 'bash',
        state: { status: 'error', input: { command: 'npm test' } },
      }),
    ]);
    oc.close();
    // The older layout: storage/{session,message,part}.
    const storage = join(data, 'storage');
    mkdirSync(join(storage, 'session', 'proj'), { recursive: true });
    mkdirSync(join(storage, 'message', 'ses_old'), { recursive: true });
    mkdirSync(join(storage, 'part', 'msg_o2'), { recursive: true });
    mkdirSync(join(storage, 'part', 'msg_o1'), { recursive: true });
    writeFileSync(
      join(storage, 'session', 'proj', 'ses_old.json'),
      JSON.stringify({
        id: 'ses_old',
        projectID: 'proj',
        directory: '/work/oc',
        title: 'old',
        version: '0.9',
        time: { created: 1771000000000, updated: 1771000005000 },
      }),
    );
    writeFileSync(
      join(storage, 'message', 'ses_old', 'msg_o1.json'),
      JSON.stringify({ id: 'msg_o1', sessionID: 'ses_old', role: 'user', time: { created: 1771000000000 } }),
    );
    writeFileSync(join(storage, 'part', 'msg_o1', 'prt_o1.json'), JSON.stringify({ id: 'prt_o1', type: 'text', text: 'write a file' }));
    writeFileSync(join(storage, 'message', 'ses_old', 'msg_o2.json'), JSON.stringify(assistant('msg_o2', 1771000001000)));
    writeFileSync(
      join(storage, 'part', 'msg_o2', 'prt_o2.json'),
      JSON.stringify({
        id: 'prt_o2',
        type: 'tool',
        callID: 'call-w',
        tool: 'write',
        state: { status: 'completed', input: { filePath: 'b.ts', content: 'export const b = 1;\nexport const c = 2;\n' }, metadata: {} },
      }),
    );
    const { opencode } = await import('../src/providers/opencode.js');
    const db = tempDatabase();
    const result = await ingestHome(db, h, [opencode]);
    expect(result.stats[0]).toMatchObject({ filesFound: 2, filesRead: 2, skippedLines: {}, skippedFiles: [] });
    expect(
      db
        .prepare(
          `SELECT session_id, user_prompts, edits_applied, edits_failed, lines_written, tool_errors, tokens_in, model FROM view_session_productivity ORDER BY session_id`,
        )
        .all(),
    ).toEqual([
      {
        session_id: 'opencode:ses_db',
        user_prompts: 1,
        edits_applied: 1,
        edits_failed: 1,
        lines_written: 2,
        tool_errors: 2,
        tokens_in: 100,
        model: 'claude-sonnet-4',
      },
      {
        session_id: 'opencode:ses_old',
        user_prompts: 1,
        edits_applied: 1,
        edits_failed: 0,
        lines_written: 2,
        tool_errors: 0,
        tokens_in: 100,
        model: 'claude-sonnet-4',
      },
    ]);
    expect(db.prepare(`SELECT abs_path, text_source FROM fact_session_file_edits WHERE session_id = 'opencode:ses_old'`).get()).toEqual({
      abs_path: '/work/oc/b.ts',
      text_source: 'input',
    });
    // A new part in the older layout changes the session's fingerprint: it is read again.
    writeFileSync(join(storage, 'part', 'msg_o1', 'prt_o1b.json'), JSON.stringify({ id: 'prt_o1b', type: 'text', text: 'and test it' }));
    const again = await ingestHome(db, h, [opencode]);
    expect(again.stats[0]).toMatchObject({ filesRead: 1, filesUnchanged: 1 });
  });
});

describe('records', () => {
  it('reach the writer in one shape from every provider above', () => {
    expect([...shapes]).toEqual([RECORD_SHAPE]);
  });
});
