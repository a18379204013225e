import type { Database } from '../db/driver.js';
import { countNontrivial, textLines } from './lines.js';
import { hasRepeatedDebugLoop, isRealUserPrompt, looksLikeErrorPaste, type ShellRun } from './session-rules.js';

/** The prompt rules as SQL functions, so that the message events are one INSERT … SELECT. */
export function registerSessionRules(db: Database): void {
  db.defineFunction('paceflow_is_user_prompt', (kind, text, sidechain, meta) =>
    isRealUserPrompt({ kind: String(kind), text: typeof text === 'string' ? text : null, isSidechain: sidechain === 1, isMeta: meta === 1 })
      ? 1
      : 0,
  );
  db.defineFunction('paceflow_is_error_paste', (text) => (typeof text === 'string' && looksLikeErrorPaste(text) ? 1 : 0));
}

/** Only rows that can be a typed prompt go through the JavaScript rule. */
const IS_PROMPT = `CASE WHEN kind = 'prompt' AND is_sidechain = 0 AND is_meta = 0
  THEN paceflow_is_user_prompt(kind, text, is_sidechain, is_meta) ELSE 0 END`;

/**
 * Builds event_session_messages, event_session_code_changes and event_session_quality from
 * metadata_sessions and fact_session_* for the given sessions (all of them when none are given).
 * TypeScript decides the per-record flags (a real prompt? a pasted error?) and the debug-loop
 * flag; the per-session counts are SQL over the event rows. Rebuilding gives identical rows.
 */
export function buildSessionEvents(db: Database, sessionIds?: readonly string[]): { sessions: number } {
  registerSessionRules(db);
  const sql = {
    allSessions: db.prepare(`SELECT session_id FROM metadata_sessions`),
    session: db.prepare(
      `SELECT session_id, provider, repo_id, parent_session_id, session_kind FROM metadata_sessions WHERE session_id = ?`,
    ),
    commands: db.prepare(`
      SELECT text, tool_call_id FROM fact_session_records
      WHERE session_id = ? AND kind = 'tool_call' AND text IS NOT NULL`),
    failedCalls: db.prepare(`
      SELECT DISTINCT tool_call_id FROM fact_session_records
      WHERE session_id = ? AND kind = 'tool_result' AND is_error = 1 AND tool_call_id IS NOT NULL`),
    edits: db.prepare(`
      SELECT edit_id, tool_name, repo_id, path, timestamp, status, added_text, removed_text
      FROM fact_session_file_edits WHERE session_id = ?`),
    deleteMessages: db.prepare(`DELETE FROM event_session_messages WHERE session_id = ?`),
    deleteChanges: db.prepare(`DELETE FROM event_session_code_changes WHERE session_id = ?`),
    deleteQuality: db.prepare(`DELETE FROM event_session_quality WHERE session_id = ?`),
    // A pasted error counts only in a prompt after the first (in conversation order). The CASE keeps
    // SQLite from calling the JavaScript rule on every row: an AND evaluates both sides.
    messages: db.prepare(`
      INSERT INTO event_session_messages
        (session_id, record_id, provider, repo_id, kind, timestamp, is_user_prompt, is_error_paste, is_tool_error)
      SELECT r.session_id, r.record_id, @provider, @repo, r.kind, r.timestamp, r.is_prompt,
        CASE WHEN r.is_prompt AND r.record_id IS NOT f.record_id THEN paceflow_is_error_paste(r.text) ELSE 0 END,
        r.kind = 'tool_result' AND r.is_error = 1
      FROM (
        SELECT session_id, record_id, kind, timestamp, text, is_error, ${IS_PROMPT} AS is_prompt
        FROM fact_session_records WHERE session_id = @session
      ) r
      LEFT JOIN (
        SELECT record_id FROM fact_session_records
        WHERE session_id = @session AND ${IS_PROMPT}
        ORDER BY timestamp,
          (SELECT w.source_path FROM fact_ingest_watermarks w WHERE w.source_file_id = fact_session_records.source_file_id),
          source_offset, record_id
        LIMIT 1
      ) f ON 1`),
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
        t.tokens_in, t.tokens_out
      FROM metadata_sessions s,
        -- One pass for both sums: max() skips the NULLs of a message's rows that carry only the other count.
        (SELECT coalesce(sum(t_in), 0) AS tokens_in, coalesce(sum(t_out), 0) AS tokens_out FROM (
          SELECT max(r.tokens_in) AS t_in, max(r.tokens_out) AS t_out FROM fact_session_records r
          WHERE r.session_id = @session AND (r.tokens_in IS NOT NULL OR r.tokens_out IS NOT NULL)
          GROUP BY coalesce(r.message_id, r.record_id), coalesce(r.request_id, ''))) t
      WHERE s.session_id = @session`),
  };
  // In key order, event rows are appended to their tables' B-trees instead of split into them.
  const ids = [...(sessionIds ?? sql.allSessions.all<{ session_id: string }>().map((r) => r.session_id))].sort();

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

      sql.messages.run({ session: id, provider: session.provider, repo: session.repo_id });
      const failed = new Set(sql.failedCalls.all<{ tool_call_id: string }>([id]).map((r) => r.tool_call_id));
      const shellRuns = sql.commands
        .all<{ text: string; tool_call_id: string | null }>([id])
        .map((r): ShellRun => ({ command: r.text, failed: r.tool_call_id !== null && failed.has(r.tool_call_id) }));

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
          id,
          e.edit_id,
          session.provider,
          e.repo_id,
          e.path,
          root,
          e.tool_name,
          e.timestamp,
          textLines(e.added_text).length,
          textLines(e.removed_text).length,
          countNontrivial(e.added_text),
          e.status,
        ]);
      }
      sql.quality.run({ session: id, root, debugLoop: hasRepeatedDebugLoop(shellRuns) ? 1 : 0 });
    }
  });
  return { sessions: ids.length };
}
