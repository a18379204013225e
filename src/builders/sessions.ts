import type { Database } from '../db/driver.js';
import { countNontrivial, textLines } from './lines.js';
import { hasRepeatedDebugLoop, isRealUserPrompt, looksLikeErrorPaste, type ShellRun } from './session-rules.js';

/**
 * Builds event_session_messages, event_session_code_changes and event_session_quality from
 * metadata_sessions and fact_session_* for the given sessions (all of them when none are given).
 * TypeScript decides the per-record flags (a real prompt? a pasted error?) and the debug-loop
 * flag; the per-session counts are SQL over the event rows. Rebuilding gives identical rows.
 */
export function buildSessionEvents(db: Database, sessionIds?: readonly string[]): { sessions: number } {
  const sql = {
    allSessions: db.prepare(`SELECT session_id FROM metadata_sessions`),
    session: db.prepare(`SELECT session_id, provider, repo_id, parent_session_id, session_kind FROM metadata_sessions WHERE session_id = ?`),
    records: db.prepare(`
      SELECT record_id, kind, timestamp, text, tool_name, tool_call_id, is_error, is_sidechain, is_meta
      FROM fact_session_records WHERE session_id = ? ORDER BY timestamp, source_path, source_offset, record_id`),
    edits: db.prepare(`
      SELECT edit_id, tool_name, repo_id, path, timestamp, status, added_text, removed_text
      FROM fact_session_file_edits WHERE session_id = ?`),
    deleteMessages: db.prepare(`DELETE FROM event_session_messages WHERE session_id = ?`),
    deleteChanges: db.prepare(`DELETE FROM event_session_code_changes WHERE session_id = ?`),
    deleteQuality: db.prepare(`DELETE FROM event_session_quality WHERE session_id = ?`),
    message: db.prepare(`
      INSERT INTO event_session_messages
        (session_id, record_id, provider, repo_id, kind, timestamp, is_user_prompt, is_error_paste, is_tool_error)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    change: db.prepare(`
      INSERT INTO event_session_code_changes
        (session_id, edit_id, provider, repo_id, path, root_session_id, tool_name, timestamp, lines_added, lines_removed,
         nontrivial_lines_added, status)
      VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`),
    quality: db.prepare(`
      INSERT INTO event_session_quality
        (session_id, provider, repo_id, root_session_id, is_subagent, model, git_branch, started_at, ended_at, duration_s,
         user_prompt_count, repeated_debug_loop, mid_session_error_paste, tool_errors, lines_written, tokens_in, tokens_out)
      SELECT
        s.session_id, s.provider, s.repo_id, @root, s.session_kind = 'subagent', s.model, s.git_branch, s.started_at, s.ended_at,
        CAST(round((julianday(s.ended_at) - julianday(s.started_at)) * 86400) AS INTEGER),
        (SELECT count(*) FROM event_session_messages m WHERE m.session_id = s.session_id AND m.is_user_prompt = 1),
        @debugLoop,
        (SELECT count(*) > 0 FROM event_session_messages m WHERE m.session_id = s.session_id AND m.is_error_paste = 1),
        (SELECT count(DISTINCT r.tool_call_id) FROM fact_session_records r
          WHERE r.session_id = s.session_id AND r.kind = 'tool_result' AND r.is_error = 1),
        (SELECT coalesce(sum(c.lines_added), 0) FROM event_session_code_changes c
          WHERE c.session_id = s.session_id AND c.status = 'applied'),
        (SELECT coalesce(sum(t_in), 0) FROM (
          SELECT max(r.tokens_in) AS t_in FROM fact_session_records r
          WHERE r.session_id = s.session_id AND r.tokens_in IS NOT NULL
          GROUP BY coalesce(r.message_id, r.record_id), coalesce(r.request_id, ''))),
        (SELECT coalesce(sum(t_out), 0) FROM (
          SELECT max(r.tokens_out) AS t_out FROM fact_session_records r
          WHERE r.session_id = s.session_id AND r.tokens_out IS NOT NULL
          GROUP BY coalesce(r.message_id, r.record_id), coalesce(r.request_id, '')))
      FROM metadata_sessions s WHERE s.session_id = @session`),
  };
  const ids = sessionIds ?? sql.allSessions.all<{ session_id: string }>().map((r) => r.session_id);

  interface SessionRow {
    session_id: string;
    provider: string;
    repo_id: string | null;
    parent_session_id: string | null;
    session_kind: string;
  }
  const rootOf = (row: SessionRow): string => {
    let current = row;
    const seen = new Set<string>();
    while (current.session_kind === 'subagent' && current.parent_session_id && !seen.has(current.session_id)) {
      seen.add(current.session_id);
      const parent = sql.session.get<SessionRow>([current.parent_session_id]);
      if (!parent) return current.parent_session_id;
      current = parent;
    }
    return current.session_id;
  };

  db.transaction(() => {
    for (const id of ids) {
      sql.deleteMessages.run([id]);
      sql.deleteChanges.run([id]);
      sql.deleteQuality.run([id]);
      const session = sql.session.get<SessionRow>([id]);
      if (!session) continue;
      const root = rootOf(session);

      const records = sql.records.all<{
        record_id: string;
        kind: string;
        timestamp: string | null;
        text: string | null;
        tool_name: string | null;
        tool_call_id: string | null;
        is_error: number;
        is_sidechain: number;
        is_meta: number;
      }>([id]);
      let prompts = 0;
      const failedCalls = new Set<string>();
      for (const r of records) if (r.kind === 'tool_result' && r.is_error && r.tool_call_id) failedCalls.add(r.tool_call_id);
      const shellRuns: ShellRun[] = [];
      for (const r of records) {
        const isPrompt = isRealUserPrompt({ kind: r.kind, text: r.text, isSidechain: r.is_sidechain === 1, isMeta: r.is_meta === 1 });
        const isErrorPaste = isPrompt && prompts > 0 && looksLikeErrorPaste(r.text ?? '');
        if (isPrompt) prompts++;
        if (r.kind === 'tool_call' && r.text) {
          shellRuns.push({ command: r.text, failed: r.tool_call_id !== null && failedCalls.has(r.tool_call_id) });
        }
        sql.message.run([
          id, r.record_id, session.provider, session.repo_id, r.kind, r.timestamp,
          isPrompt ? 1 : 0, isErrorPaste ? 1 : 0, r.kind === 'tool_result' && r.is_error ? 1 : 0,
        ]);
      }

      for (const e of sql.edits.all<{
        edit_id: string;
        tool_name: string;
        repo_id: string | null;
        path: string | null;
        timestamp: string | null;
        status: string;
        added_text: string | null;
        removed_text: string | null;
      }>([id])) {
        sql.change.run([
          id, e.edit_id, session.provider, e.repo_id, e.path, root, e.tool_name, e.timestamp,
          textLines(e.added_text).length, textLines(e.removed_text).length, countNontrivial(e.added_text), e.status,
        ]);
      }
      sql.quality.run({ session: id, root, debugLoop: hasRepeatedDebugLoop(shellRuns) ? 1 : 0 });
    }
  });
  return { sessions: ids.length };
}
