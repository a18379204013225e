import { obj, str, type Obj } from './json-values.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { expandHome, findFiles } from './discover.js';
import { splitLines } from './patch.js';
import { recordBase } from './record-base.js';
import type { Discovery, EditInput, LineParser, ParseContext, ProviderEnvironment, SessionProvider } from './types.js';

/**
 * Gemini CLI: `~/.gemini/tmp/<project slug or sha256>/chats/session-*.jsonl` (and the older one
 * document `.json`), research/session-formats.md §3. A JSONL session is a log of changes: a message
 * id is written again whenever it changes (the last write wins), `$set` patches the metadata or
 * replaces every message, `$rewindTo` drops a message and everything after it. So a file is read
 * whole whenever it changes. No cwd is stored: the project root comes from `.project_root`, from
 * `projects.json`, or from `projectHash` (sha256 of the root) matched against known repositories.
 */
export const PROVIDER = 'gemini-cli' as const;

export function geminiHome({ env, home }: ProviderEnvironment): string {
  return resolve(expandHome(env.GEMINI_CLI_HOME ? join(env.GEMINI_CLI_HOME, '.gemini') : join(home, '.gemini'), home));
}

function textOf(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((p) => str(obj(p).text) ?? '')
    .filter(Boolean)
    .join('\n');
}

interface Conversation {
  header: Obj;
  messages: Obj[];
}

/** Folds a session file (legacy document or JSONL change log) into its final messages. */
export function foldGeminiSession(text: string, onBadLine: (line: number) => void): Conversation {
  const trimmed = text.trimStart();
  if (trimmed.startsWith('{') && !trimmed.includes('\n{')) {
    try {
      const doc = obj(JSON.parse(text));
      if (Array.isArray(doc.messages)) return { header: doc, messages: doc.messages.map(obj) };
    } catch {
      // fall through to JSONL
    }
  }
  let header: Obj = {};
  let order: string[] = [];
  let byId = new Map<string, Obj>();
  text.split('\n').forEach((line, i) => {
    if (line.trim() === '') return;
    let value: Obj;
    try {
      value = obj(JSON.parse(line));
    } catch {
      onBadLine(i + 1);
      return;
    }
    if (value.$set !== undefined) {
      const set = obj(value.$set);
      if (Array.isArray(set.messages)) {
        order = [];
        byId = new Map();
        for (const m of set.messages.map(obj)) {
          const id = str(m.id);
          if (!id) continue;
          order.push(id);
          byId.set(id, m);
        }
      }
      header = { ...header, ...set, messages: undefined };
      return;
    }
    if (typeof value.$rewindTo === 'string') {
      const at = order.indexOf(value.$rewindTo);
      if (at >= 0) {
        for (const id of order.slice(at)) byId.delete(id);
        order = order.slice(0, at);
      }
      return;
    }
    const id = str(value.id);
    if (id && value.type !== undefined) {
      if (!byId.has(id)) order.push(id);
      byId.set(id, value);
      return;
    }
    if (typeof value.sessionId === 'string') header = { ...header, ...value };
  });
  return { header, messages: order.map((id) => byId.get(id)!).filter(Boolean) };
}

/** Where a Gemini project directory says its root is. */
function projectRoot(chatsDir: string, geminiDir: string, projectHash: string | null, context: ParseContext): string | null {
  const tmpDir = dirname(chatsDir);
  const marker = join(tmpDir, '.project_root');
  if (existsSync(marker)) return readFileSync(marker, 'utf8').trim() || null;
  const registry = join(geminiDir, 'projects.json');
  if (existsSync(registry)) {
    try {
      const projects = obj(obj(JSON.parse(readFileSync(registry, 'utf8'))).projects);
      const slug = basename(tmpDir);
      const found = Object.entries(projects).find(([, value]) => value === slug);
      if (found) return found[0];
    } catch {
      // unreadable registry: fall back to the hash
    }
  }
  return projectHash ? context.sink.rootForHash(projectHash) : null;
}

const EDIT_TOOLS = new Set(['write_file', 'replace']);

/** The ~/.gemini directory a session file sits in (…/.gemini/tmp/<project>/chats/…). */
function geminiDirOf(path: string): string {
  const parts = path.split(/[\\/]/);
  const tmp = parts.lastIndexOf('tmp');
  return tmp > 0 ? parts.slice(0, tmp).join('/') : dirname(path);
}

class GeminiParser implements LineParser {
  constructor(
    private readonly context: ParseContext,
    private readonly geminiDir: string,
  ) {}

  line(): void {
    // read whole (format: 'document')
  }

  end(): void {}

  document(text: string): void {
    const { sink, file } = this.context;
    const { header, messages } = foldGeminiSession(text, (n) => sink.skip('invalid_json', n));
    const nativeId = str(header.sessionId) ?? basename(file.path).replace(/\.jsonl?$/, '');
    const sessionId = `${PROVIDER}:${nativeId}`;
    const chatsDir = dirname(file.path);
    // Sub-agents: chats/<parentSessionId>/<sessionId>.jsonl
    const parentNative = basename(chatsDir) !== 'chats' ? basename(chatsDir) : null;
    const root = projectRoot(parentNative ? dirname(chatsDir) : chatsDir, this.geminiDir, str(header.projectHash), this.context);
    const absolute = (p: string) => (isAbsolute(p) || !root ? p : resolve(root, p));
    let model: string | null = null;
    const base = {
      sessionId,
      nativeId,
      parentSessionId: parentNative ? `${PROVIDER}:${parentNative}` : null,
      kind: parentNative || header.kind === 'subagent' ? ('subagent' as const) : ('main' as const),
      cwd: root,
    };
    sink.session({ ...base, timestamp: str(header.startTime) });
    messages.forEach((m, index) => {
      const id = str(m.id) ?? String(index);
      const recordId = `${nativeId}:${id}`;
      const timestamp = str(m.timestamp);
      const type = str(m.type);
      if (type === 'gemini') model = str(m.model) ?? model;
      sink.session({ ...base, model, timestamp });
      const offset = index;
      if (type === 'user') {
        sink.record({ ...recordBase(sessionId, recordId, timestamp, offset), kind: 'prompt', text: textOf(m.content) });
        return;
      }
      if (type !== 'gemini') {
        sink.record({ ...recordBase(sessionId, recordId, timestamp, offset), kind: 'system', isMeta: true, isError: type === 'error' });
        return;
      }
      const tokens = obj(m.tokens);
      sink.record({
        ...recordBase(sessionId, recordId, timestamp, offset),
        kind: 'assistant',
        model: str(m.model),
        messageId: id,
        tokensIn: typeof tokens.input === 'number' ? tokens.input : null,
        tokensOut: typeof tokens.output === 'number' ? tokens.output : null,
        tokensCacheRead: typeof tokens.cached === 'number' ? tokens.cached : null,
      });
      (Array.isArray(m.toolCalls) ? m.toolCalls.map(obj) : []).forEach((call, k) => {
        const callId = str(call.id) ?? `${id}#${k}`;
        const name = str(call.name) ?? 'unknown';
        const args = obj(call.args);
        const status = str(call.status);
        const callRecord = `${recordId}#call${k}`;
        sink.record({
          ...recordBase(sessionId, callRecord, str(call.timestamp) ?? timestamp, offset),
          kind: 'tool_call',
          toolName: name,
          toolCallId: callId,
          text: name === 'run_shell_command' ? str(args.command) : null,
        });
        if (status) {
          sink.record({
            ...recordBase(sessionId, `${recordId}#result${k}`, timestamp, offset),
            kind: 'tool_result',
            toolName: name,
            toolCallId: callId,
            isError: status !== 'success',
          });
        }
        const path = str(args.file_path);
        if (!EDIT_TOOLS.has(name) || !path) return;
        const edit: EditInput = {
          sessionId,
          editId: callId,
          recordId: callRecord,
          toolName: name,
          absPath: absolute(path),
          // Only a successful call changed the file; cancelled means the person declined it.
          status: status === 'success' ? 'applied' : status === 'cancelled' ? 'rejected' : status ? 'failed' : 'pending',
          timestamp: str(call.timestamp) ?? timestamp,
          addedText: splitLines(str(name === 'write_file' ? args.content : args.new_string)).join('\n'),
          removedText: name === 'replace' ? splitLines(str(args.old_string)).join('\n') : null,
          textSource: 'input',
        };
        sink.edit(edit);
      });
    });
  }
}

export const geminiCli: SessionProvider = {
  name: PROVIDER,
  format: 'document',
  async discover(environment): Promise<Discovery> {
    const dir = geminiHome(environment);
    const tmp = join(dir, 'tmp');
    const found = await findFiles(
      tmp,
      (name, parent) => /\.jsonl?$/.test(name) && parent.split(/[\\/]/).includes('chats') && name !== 'logs.json',
      4,
    );
    // A legacy .json migrated into a sibling .jsonl: read the .jsonl.
    const paths = new Set(found.map((f) => f.path));
    const files = found.filter((f) => !(f.path.endsWith('.json') && paths.has(`${f.path}l`)));
    return { locations: [tmp], files, skipped: [] };
  },
  parser: (context) => new GeminiParser(context, geminiDirOf(context.file.path)),
};
