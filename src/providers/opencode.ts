import { num, obj, str, type Obj } from './json-values.js';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { readDatabaseCopy } from '../db/foreign-copy.js';
import { expandHome, findFiles } from './discover.js';
import { parseApplyPatch, splitLines, unifiedDiffChanges } from './patch.js';
import { recordBase } from './record-base.js';
import type { Discovery, EditStatus, LineParser, ParseContext, ProviderEnvironment, SessionProvider, SourceFile } from './types.js';

/**
 * OpenCode (research/session-formats.md §6): `$OPENCODE_DATA_DIR`, else `$XDG_DATA_HOME/opencode`
 * (default `~/.local/share/opencode`). Since 1.2 a SQLite database `opencode.db` (tables session,
 * message, part; JSON in `data` columns), read from a copy; before that, JSON files
 * `storage/session/<project>/ses_*.json`, `storage/message/<session>/msg_*.json`,
 * `storage/part/<message>/prt_*.json` — a legacy session is read whole when any of its files
 * changes. Edits are `edit`, `write`, `multiedit`, `patch`/`apply_patch` tool parts, applied only
 * with `state.status == "completed"`, their lines from `state.metadata.diff` where present.
 * No real sample exists publicly; the tests build both layouts from this documented format.
 */
export const PROVIDER = 'opencode' as const;

export function opencodeDataDir({ env, home }: ProviderEnvironment): string {
  if (env.OPENCODE_DATA_DIR) return resolve(expandHome(env.OPENCODE_DATA_DIR, home));
  return resolve(expandHome(env.XDG_DATA_HOME || join(home, '.local', 'share'), home), 'opencode');
}

function parseJson(text: unknown): Obj {
  try {
    return obj(JSON.parse(typeof text === 'string' ? text : Buffer.from(text as Uint8Array).toString('utf8')));
  } catch {
    return {};
  }
}

interface Session {
  id: string;
  parentId: string | null;
  directory: string | null;
  created: number | null;
  messages: { id: string; data: Obj; parts: Obj[] }[];
}

const EDIT_TOOLS = new Set(['edit', 'write', 'multiedit', 'patch', 'apply_patch']);

function toolStatus(status: string | null): EditStatus {
  if (status === 'completed') return 'applied';
  if (status === 'error') return 'failed';
  return 'pending';
}

/** What every record of one session shares. */
type SessionBase = { sessionId: string; nativeId: string; parentSessionId: string | null; kind: 'subagent' | 'main'; cwd: string | null };

/** One session, message by message: prompts, assistant responses with tokens, and their tool parts. */
function emit(session: Session, context: ParseContext): void {
  const { sink } = context;
  const sessionId = `${PROVIDER}:${session.id}`;
  const base: SessionBase = {
    sessionId,
    nativeId: session.id,
    parentSessionId: session.parentId ? `${PROVIDER}:${session.parentId}` : null,
    kind: session.parentId ? 'subagent' : 'main',
    cwd: session.directory,
  };
  sink.session({ ...base, timestamp: session.created ? new Date(session.created).toISOString() : null });
  for (const [m, message] of session.messages.entries()) emitMessage(base, session, message, m, context);
}

function emitMessage(base: SessionBase, session: Session, message: Session['messages'][number], m: number, context: ParseContext): void {
  const { sink } = context;
  const { sessionId } = base;
  const data = message.data;
  const created = num(obj(data.time).created);
  const timestamp = created ? new Date(created).toISOString() : null;
  const role = str(data.role);
  const model = str(data.modelID) ?? str(obj(data.model).modelID);
  const cwd = str(obj(data.path).root) ?? str(obj(data.path).cwd) ?? session.directory;
  sink.session({ ...base, cwd: base.cwd ?? cwd, model: role === 'assistant' ? model : null, timestamp });
  if (role === 'user') {
    const text = message.parts
      .filter((p) => p.type === 'text' && p.synthetic !== true)
      .map((p) => str(p.text) ?? '')
      .join('\n');
    sink.record({ ...recordBase(sessionId, `${session.id}:${message.id}`, timestamp, m), kind: 'prompt', text });
    return;
  }
  const tokens = obj(data.tokens);
  sink.record({
    ...recordBase(sessionId, `${session.id}:${message.id}`, timestamp, m),
    kind: 'assistant',
    model,
    messageId: message.id,
    tokensIn: num(tokens.input),
    tokensOut: num(tokens.output),
    tokensCacheRead: num(obj(tokens.cache).read),
    tokensCacheWrite: num(obj(tokens.cache).write),
    isError: data.error !== undefined && data.error !== null,
  });
  message.parts.forEach((part, p) => {
    if (part.type === 'tool')
      emitToolPart(
        part,
        { sessionId, recordId: `${session.id}:${message.id}:${p}`, callId: `${message.id}:${p}`, m, timestamp, cwd },
        context,
      );
  });
}

/** A tool part: its call and result records, and for an edit tool the lines it wrote. */
function emitToolPart(
  part: Obj,
  at: { sessionId: string; recordId: string; callId: string; m: number; timestamp: string | null; cwd: string | null },
  context: ParseContext,
): void {
  const { sink } = context;
  const { sessionId, recordId, m, cwd } = at;
  const tool = str(part.tool) ?? 'unknown';
  const callId = str(part.callID) ?? at.callId;
  const state = obj(part.state);
  const input = obj(state.input);
  const status = str(state.status);
  const stamp = num(obj(state.time).start);
  const when = stamp ? new Date(stamp).toISOString() : at.timestamp;
  sink.record({
    ...recordBase(sessionId, recordId, when, m),
    kind: 'tool_call',
    toolName: tool,
    toolCallId: callId,
    text: tool === 'bash' ? str(input.command) : null,
  });
  if (status === 'completed' || status === 'error') {
    sink.record({
      ...recordBase(sessionId, `${recordId}:result`, when, m),
      kind: 'tool_result',
      toolName: tool,
      toolCallId: callId,
      isError: status === 'error',
    });
  }
  if (!EDIT_TOOLS.has(tool)) return;
  const absolute = (path: string) => (path.startsWith('/') || !cwd ? path : resolve(cwd, path));
  const edit = { sessionId, recordId, toolName: tool, status: toolStatus(status), timestamp: when };
  if (tool === 'patch' || tool === 'apply_patch') {
    const patch = str(input.patchText) ?? str(input.patch) ?? str(input.input) ?? '';
    for (const f of parseApplyPatch(patch)) {
      const path = absolute(f.movePath ?? f.path);
      sink.edit({
        ...edit,
        editId: `${callId}#${path}`,
        absPath: path,
        addedText: f.added.join('\n'),
        removedText: f.removed.join('\n'),
        textSource: 'input',
      });
    }
    return;
  }
  const path = str(input.filePath);
  if (!path) return;
  const metadata = obj(state.metadata);
  const diff = str(metadata.diff) ?? str(obj(metadata.filediff).patch);
  const { added, removed } = diff ? unifiedDiffChanges(diff) : inputChanges(tool, input);
  sink.edit({
    ...edit,
    editId: callId,
    absPath: absolute(path),
    addedText: added.join('\n'),
    removedText: removed.join('\n'),
    textSource: diff ? 'result' : 'input',
  });
}

/** The lines an edit tool's input proposes, where no diff of what was applied is stored. */
function inputChanges(tool: string, input: Obj): { added: string[]; removed: string[] } {
  if (tool === 'write') return { added: splitLines(str(input.content)), removed: [] };
  if (tool === 'multiedit') {
    const edits = Array.isArray(input.edits) ? input.edits.map(obj) : [];
    return { added: edits.flatMap((e) => splitLines(str(e.newString))), removed: edits.flatMap((e) => splitLines(str(e.oldString))) };
  }
  return { added: splitLines(str(input.newString)), removed: splitLines(str(input.oldString)) };
}

class DatabaseParser implements LineParser {
  constructor(private readonly context: ParseContext) {}
  line(): void {}
  end(): void {}
  document(): void {
    const { file } = this.context;
    readDatabaseCopy(file.path, (db) => {
      const messages = db.prepare(`SELECT id, data FROM message WHERE session_id = ? ORDER BY time_created, id`);
      const parts = db.prepare(`SELECT data FROM part WHERE message_id = ? ORDER BY time_created, id`);
      for (const s of db
        .prepare(`SELECT id, parent_id, directory, time_created FROM session ORDER BY time_created`)
        .all<{ id: string; parent_id: string | null; directory: string | null; time_created: number | null }>()) {
        emit(
          {
            id: s.id,
            parentId: s.parent_id,
            directory: s.directory,
            created: s.time_created,
            messages: messages.all<{ id: string; data: unknown }>([s.id]).map((m) => ({
              id: m.id,
              data: parseJson(m.data),
              parts: parts.all<{ data: unknown }>([m.id]).map((p) => parseJson(p.data)),
            })),
          },
          this.context,
        );
      }
    });
  }
}

function readJsonDir(dir: string): Obj[] {
  if (!existsSync(dir)) return [];
  return readdirSync(dir)
    .filter((name) => name.endsWith('.json'))
    .map((name) => parseJson(readFileSync(join(dir, name), 'utf8')));
}

class StorageParser implements LineParser {
  constructor(private readonly context: ParseContext) {}
  line(): void {}
  end(): void {}
  document(text: string): void {
    const { file } = this.context;
    const session = parseJson(text);
    const storage = dirname(dirname(dirname(file.path)));
    const id = str(session.id) ?? basename(file.path, '.json');
    const messages = readJsonDir(join(storage, 'message', id))
      .sort((a, b) => (num(obj(a.time).created) ?? 0) - (num(obj(b.time).created) ?? 0))
      .map((m) => {
        const messageId = str(m.id) ?? '';
        const parts = readJsonDir(join(storage, 'part', messageId)).sort((a, b) => String(a.id).localeCompare(String(b.id)));
        return { id: messageId, data: m, parts };
      });
    emit(
      { id, parentId: str(session.parentID), directory: str(session.directory), created: num(obj(session.time).created), messages },
      this.context,
    );
  }
}

/** The newest modification and total size of a legacy session's files, so any change re-reads it. */
function legacyFingerprint(sessionFile: string): { size: number; mtimeMs: number } {
  const storage = dirname(dirname(dirname(sessionFile)));
  const id = basename(sessionFile, '.json');
  let size = 0;
  let mtimeMs = 0;
  const add = (path: string) => {
    const s = statSync(path);
    size += s.size;
    mtimeMs = Math.max(mtimeMs, Math.floor(s.mtimeMs));
  };
  add(sessionFile);
  const messages = join(storage, 'message', id);
  if (existsSync(messages)) {
    for (const name of readdirSync(messages)) {
      add(join(messages, name));
      const parts = join(storage, 'part', name.replace(/\.json$/, ''));
      if (existsSync(parts)) for (const p of readdirSync(parts)) add(join(parts, p));
    }
  }
  return { size, mtimeMs };
}

export const opencode: SessionProvider = {
  name: PROVIDER,
  format: 'document',
  async discover(environment): Promise<Discovery> {
    const dir = opencodeDataDir(environment);
    const dbs = await findFiles(dir, (name) => /^opencode(-[\w-]+)?\.db$/.test(name), 0);
    const sessionDir = join(dir, 'storage', 'session');
    const legacy: SourceFile[] = (await findFiles(sessionDir, (name) => /^ses_.+\.json$/.test(name), 1)).map((f) => ({
      ...f,
      ...legacyFingerprint(f.path),
    }));
    return { locations: [dir, sessionDir], files: [...dbs, ...legacy], skipped: [] };
  },
  parser: (context) => (context.file.path.endsWith('.db') ? new DatabaseParser(context) : new StorageParser(context)),
};
