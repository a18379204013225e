import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { buildSessionEvents } from '../src/builders/sessions.js';
import type { Database } from '../src/db/driver.js';
import type { SessionIngestResult } from '../src/ingest/sessions.js';
import { snapshot, tempDatabase } from './helpers/db.js';
import { cleanupTempDirs } from './helpers/git-repo.js';
import { RECORD_SHAPE, fixtureSessionHome, ingestHome, watchRecordShapes, itShared, describeShared } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

/**
 * Every Claude Code and Codex fixture, ingested as found on disk. The expected numbers were
 * counted by reading the files (a throwaway jq/node pass over the raw JSON, independent of
 * paceflow's parsers): typed prompts, edits and their results, '+' lines of each structuredPatch
 * or unified diff (or the whole content of a created file), failed tool results.
 */
describeShared('real transcripts', () => {
  let db: Database;
  let result: SessionIngestResult;
  const CLAUDE = 'claude-code:';

  beforeAll(async () => {
    db = tempDatabase();
    result = await ingestHome(db, fixtureSessionHome());
  });

  const session = (id: string) =>
    db.prepare(`SELECT * FROM view_session_productivity WHERE session_id = ?`).get<Record<string, unknown>>([id]);
  const linesByFile = (id: string) =>
    Object.fromEntries(
      db
        .prepare(
          `SELECT substr(f.abs_path, length(rtrim(f.abs_path, replace(f.abs_path, '/', ''))) + 1) AS name, sum(c.lines_added) AS n
           FROM event_session_code_changes c JOIN fact_session_file_edits f USING (session_id, edit_id)
           WHERE c.root_session_id = ? AND c.status = 'applied' GROUP BY name`,
        )
        .all<{ name: string; n: number }>([id])
        .map((r) => [r.name, r.n]),
    );

  it('reads every file without skipping a line or a file', () => {
    const [claude, codex] = result.stats;
    expect(claude).toMatchObject({ provider: 'claude-code', filesFound: 8, filesRead: 8, skippedLines: {}, skippedFiles: [] });
    expect(codex).toMatchObject({ provider: 'codex', filesFound: 1, filesRead: 1, skippedLines: {}, skippedFiles: [] });
  });

  it('makes one session per transcript; a summary-only file is no session', () => {
    const ids = db
      .prepare(`SELECT session_id FROM metadata_sessions ORDER BY 1`)
      .all<{ session_id: string }>()
      .map((r) => r.session_id);
    expect(ids).toEqual([
      `${CLAUDE}624a4a58-b34c-462d-a70d-13421c8125a8.lines151-162`,
      `${CLAUDE}ba79134d-b6e9-4867-af0c-6941038c9e4b`,
      `${CLAUDE}cb947e5b-246e-4253-a953-631f7e464c6b`,
      `${CLAUDE}dac34307-159f-4fcd-9c21-35210246ad38`,
      `${CLAUDE}e9fb405b-169f-40eb-9396-7e75076f045d`,
      `${CLAUDE}e9fb405b-169f-40eb-9396-7e75076f045d/agent-a485154`,
      `${CLAUDE}fed8ce56-bc79-401f-a83e-af084253362f`,
      'codex:019e1625-789d-76c0-80ab-3724b5ddb799',
    ]);
  });

  it('Claude 1.0.17 (sniffly): 5 typed prompts (not the /init wrapper), 3 Writes and 2 Edits applied', () => {
    expect(session(`${CLAUDE}ba79134d-b6e9-4867-af0c-6941038c9e4b`)).toMatchObject({
      user_prompts: 5,
      edits_applied: 5,
      edits_rejected: 0,
      edits_failed: 0,
      lines_written: 241,
      tool_errors: 0,
      model: 'claude-sonnet-4-20250514',
      git_branch: null,
    });
    expect(linesByFile(`${CLAUDE}ba79134d-b6e9-4867-af0c-6941038c9e4b`)).toEqual({
      'CLAUDE.md': 54,
      'requirements.txt': 7,
      'ai_music.py': 180,
    });
  });

  it('takes titles from summary lines, including those in other files', () => {
    const row = db
      .prepare(`SELECT title FROM metadata_sessions WHERE session_id = ?`)
      .get([`${CLAUDE}ba79134d-b6e9-4867-af0c-6941038c9e4b`]);
    expect(row).toEqual({ title: 'AI Music Generation from Word Embeddings' });
  });

  it('Claude 1.0.17 Bash-only session: 2 prompts (not the interruption notice), 2 failed tool calls', () => {
    expect(session(`${CLAUDE}fed8ce56-bc79-401f-a83e-af084253362f`)).toMatchObject({ user_prompts: 2, edits_applied: 0, tool_errors: 2 });
  });

  it('Claude 1.0.111: MultiEdit and Edit read from structuredPatch', () => {
    expect(session(`${CLAUDE}cb947e5b-246e-4253-a953-631f7e464c6b`)).toMatchObject({
      user_prompts: 1,
      edits_applied: 3,
      lines_written: 25,
      git_branch: 'main',
    });
    expect(linesByFile(`${CLAUDE}cb947e5b-246e-4253-a953-631f7e464c6b`)).toEqual({ 'globals.css': 23, 'HistoryLog.tsx': 2 });
    const sources = db
      .prepare(`SELECT tool_name, text_source, user_modified FROM fact_session_file_edits WHERE session_id = ? ORDER BY tool_name`)
      .all([`${CLAUDE}cb947e5b-246e-4253-a953-631f7e464c6b`]);
    expect(sources).toEqual([
      { tool_name: 'Edit', text_source: 'result', user_modified: 0 },
      { tool_name: 'Edit', text_source: 'result', user_modified: 0 },
      { tool_name: 'MultiEdit', text_source: 'result', user_modified: 0 },
    ]);
  });

  it('Claude 2.0.69: one Edit adding one line', () => {
    expect(session(`${CLAUDE}dac34307-159f-4fcd-9c21-35210246ad38`)).toMatchObject({ user_prompts: 1, edits_applied: 1, lines_written: 1 });
    const added = db
      .prepare(`SELECT added_text FROM fact_session_file_edits WHERE session_id = ?`)
      .get([`${CLAUDE}dac34307-159f-4fcd-9c21-35210246ad38`]);
    expect(added).toEqual({ added_text: expect.stringContaining('console.log') });
  });

  it('Claude 2.1.7: a sub-agent session under its parent; its prompt is not a user prompt, its error rolls up', () => {
    const sub = db
      .prepare(`SELECT parent_session_id, session_kind FROM metadata_sessions WHERE session_id = ?`)
      .get([`${CLAUDE}e9fb405b-169f-40eb-9396-7e75076f045d/agent-a485154`]);
    expect(sub).toEqual({ parent_session_id: `${CLAUDE}e9fb405b-169f-40eb-9396-7e75076f045d`, session_kind: 'subagent' });
    expect(session(`${CLAUDE}e9fb405b-169f-40eb-9396-7e75076f045d`)).toMatchObject({
      user_prompts: 1,
      subagents: 1,
      edits_applied: 1,
      lines_written: 947,
      tool_errors: 1,
    });
    expect(session(`${CLAUDE}e9fb405b-169f-40eb-9396-7e75076f045d/agent-a485154`)).toBeUndefined();
    const q = db
      .prepare(`SELECT user_prompt_count, is_subagent FROM event_session_quality WHERE session_id = ?`)
      .get([`${CLAUDE}e9fb405b-169f-40eb-9396-7e75076f045d/agent-a485154`]);
    expect(q).toEqual({ user_prompt_count: 0, is_subagent: 1 });
  });

  it('Claude 2.0.76 compaction: the summary is not a prompt, the boundary is recorded', () => {
    const id = `${CLAUDE}624a4a58-b34c-462d-a70d-13421c8125a8.lines151-162`;
    expect(session(id)).toMatchObject({ user_prompts: 0 });
    const kinds = db
      .prepare(`SELECT kind, count(*) AS n FROM fact_session_records WHERE session_id = ? AND kind IN ('compaction', 'meta') GROUP BY kind`)
      .all([id]);
    expect(kinds).toEqual([
      { kind: 'compaction', n: 1 },
      { kind: 'meta', n: 1 },
    ]);
  });

  it('counts tokens once per model response (Claude writes one line per content block)', () => {
    // dac34307: 5 assistant lines from 2 responses; usage summed once per message.id + requestId.
    const row = db
      .prepare(`SELECT tokens_in, tokens_out FROM event_session_quality WHERE session_id = ?`)
      .get([`${CLAUDE}dac34307-159f-4fcd-9c21-35210246ad38`]);
    expect(row).toEqual({ tokens_in: 18, tokens_out: 484 });
  });

  it('Codex 0.125: 2 typed prompts (not the injected AGENTS.md), 3 apply_patch edits confirmed by patch_apply_end', () => {
    const id = 'codex:019e1625-789d-76c0-80ab-3724b5ddb799';
    expect(session(id)).toMatchObject({
      user_prompts: 2,
      edits_applied: 3,
      edits_unconfirmed: 0,
      lines_written: 24,
      tool_errors: 9,
      model: 'gpt-5.5',
      git_branch: 'feat/codex-agent-plugin',
    });
    expect(linesByFile(id)).toEqual({ 'codemie-code-reasoning.test.ts': 14, 'codemie-code.plugin.ts': 5, 'opencode.plugin.ts': 5 });
    const meta = db.prepare(`SELECT cwd, client_version, repo_id FROM metadata_sessions WHERE session_id = ?`).get([id]);
    expect(meta).toEqual({ cwd: '/Users/Sample_User/repos/codemie-ai/codemie-code', client_version: '0.125.0', repo_id: null });
    const sources = db.prepare(`SELECT DISTINCT text_source, status FROM fact_session_file_edits WHERE session_id = ?`).all([id]);
    expect(sources).toEqual([{ text_source: 'result', status: 'applied' }]);
  });

  it('rebuilding every session event from the facts gives identical rows', () => {
    const before = snapshot(db);
    db.exec('DELETE FROM event_session_messages; DELETE FROM event_session_code_changes; DELETE FROM event_session_quality;');
    buildSessionEvents(db);
    expect(snapshot(db)).toEqual(before);
  });

  it('a second ingest with nothing new reads no transcript bytes and changes no row', async () => {
    const before = snapshot(db);
    const again = await ingestHome(db, fixtureHomeOf(result));
    expect(again.stats.map((s) => s.bytesRead)).toEqual([0, 0]);
    expect(snapshot(db)).toEqual(before);
  });
});

/** The same HOME the suite ingested (from any file path the stats recorded). */
function fixtureHomeOf(result: SessionIngestResult) {
  const claudeDir = result.stats[0]!.locations[0]!; // <home>/.claude/projects
  const home = claudeDir.replace(/\/\.claude\/projects$/, '');
  const env: NodeJS.ProcessEnv = { ...process.env, HOME: home };
  delete env.CLAUDE_CONFIG_DIR;
  delete env.CODEX_HOME;
  return { home, claudeProjects: claudeDir, codexHome: `${home}/.codex`, env };
}

describe('records', () => {
  itShared('reach the writer in one shape from Claude Code and Codex', async () => {
    const shapes = watchRecordShapes();
    try {
      await ingestHome(tempDatabase(), fixtureSessionHome());
    } finally {
      vi.restoreAllMocks();
    }
    expect([...shapes]).toEqual([RECORD_SHAPE]);
  });
});
