import { list, obj, str, type Obj } from './json-values.js';
import { basename, dirname, join, resolve } from 'node:path';
import { readDatabaseCopy } from '../db/foreign-copy.js';
import { vscodeAppDirs } from './vscode-paths.js';
import { findFiles } from './discover.js';
import { diffLineChanges, splitLines } from './patch.js';
import { recordBase } from './record-base.js';
import type {
  Discovery,
  EditInput,
  EditStatus,
  JsonLine,
  LineParser,
  ParseContext,
  ProviderEnvironment,
  SessionProvider,
} from './types.js';

/**
 * Cursor (research/session-formats.md §4), two unrelated stores, one provider:
 * - agent transcripts `~/.cursor/projects/<slug>/agent-transcripts/**.jsonl` — JSONL without ids,
 *   timestamps, results or usage: ids come from the line position, times from the file, and the
 *   project folder from the slug (the absolute path with `/` → `-`) matched against the paths the
 *   tools touched. With no results in the format, an edit is taken as applied.
 * - the IDE database `<AppData>/Cursor/User/globalStorage/state.vscdb`, table `cursorDiskKV`:
 *   `composerData:<id>` (a conversation) and `bubbleId:<composer>:<bubble>` (a message). It is
 *   copied (with its -wal) and the copy opened read-only, so Cursor's own file is never locked.
 *   Applied lines come from the tool result's `diff.chunks`, never from `code_edit` arguments with
 *   their `// ... existing code ...` placeholders.
 */
export const PROVIDER = 'cursor' as const;

function parseJson(text: unknown): Obj {
  if (typeof text !== 'string') return obj(text);
  try {
    return obj(JSON.parse(text));
  } catch {
    return {};
  }
}

/** `/Users/a/b` → `Users-a-b`, the agent-transcripts folder naming. */
function slugOf(path: string): string {
  return path.replace(/^\/+/, '').replace(/[\\/]/g, '-');
}

class TranscriptParser implements LineParser {
  private readonly nativeId: string;
  private readonly sessionId: string;
  private readonly slug: string | null;
  private readonly timestamp: string;
  private cwd: string | null = null;

  constructor(private readonly context: ParseContext) {
    this.nativeId = basename(context.file.path, '.jsonl');
    this.sessionId = `${PROVIDER}:${this.nativeId}`;
    const parts = context.file.path.split(/[\\/]/);
    const at = parts.lastIndexOf('agent-transcripts');
    this.slug = at > 0 ? parts[at - 1]! : null;
    // The format has no times: everything read now happened by the file's last change.
    this.timestamp = new Date(context.file.mtimeMs).toISOString();
    const known = context.sink.knownSession(context.file.path);
    if (known) this.cwd = known.cwd;
  }

  /** The project folder: the ancestor of a touched path whose slug is the folder's name. */
  private learnCwd(path: string | null): void {
    if (this.cwd || !path || !this.slug || !path.startsWith('/')) return;
    for (let dir = dirname(path); dir !== dirname(dir); dir = dirname(dir)) {
      if (slugOf(dir) === this.slug) {
        this.cwd = dir;
        return;
      }
    }
  }

  line({ value, lineNumber, offset }: JsonLine): void {
    const { sink } = this.context;
    const v = obj(value);
    const role = str(v.role);
    if (role !== 'user' && role !== 'assistant') {
      sink.skip('unknown_record', lineNumber, `role ${JSON.stringify(v.role)}`);
      return;
    }
    const blocks = list(obj(v.message).content).map(obj);
    for (const b of blocks) this.learnCwd(str(obj(b.input).path));
    sink.session({ sessionId: this.sessionId, nativeId: this.nativeId, cwd: this.cwd, timestamp: this.timestamp });
    blocks.forEach((block, k) => {
      const recordId = `${this.nativeId}:${lineNumber}:${k}`;
      const base = recordBase(this.sessionId, recordId, this.timestamp, offset);
      if (block.type === 'text') {
        const text = str(block.text) ?? '';
        if (role === 'user') sink.record({ ...base, kind: 'prompt', text: text.replace(/^\s*<user_query>\s*|\s*<\/user_query>\s*$/g, '') });
        else sink.record({ ...base, kind: 'assistant' });
        return;
      }
      if (block.type !== 'tool_use') return;
      const name = str(block.name) ?? 'unknown';
      const input = obj(block.input);
      sink.record({ ...base, kind: 'tool_call', toolName: name, toolCallId: recordId, text: name === 'Shell' ? str(input.command) : null });
      const path = str(input.path);
      if (!path) return;
      const absPath = path.startsWith('/') || !this.cwd ? path : resolve(this.cwd, path);
      const edit = (addedText: string, removedText: string | null): EditInput => ({
        sessionId: this.sessionId,
        editId: recordId,
        recordId,
        toolName: name,
        absPath,
        status: 'applied',
        timestamp: this.timestamp,
        addedText,
        removedText,
        textSource: 'input',
      });
      if (name === 'Write') sink.edit(edit(splitLines(str(input.contents)).join('\n'), null));
      else if (name === 'StrReplace')
        sink.edit(edit(splitLines(str(input.new_string)).join('\n'), splitLines(str(input.old_string)).join('\n')));
    });
  }

  end(): void {}
}

/** Status of a Cursor IDE tool call from its toolFormerData. */
function toolStatus(tool: Obj, result: Obj): EditStatus {
  const decision = str(tool.userDecision);
  if (decision === 'rejected' || decision === 'reject') return 'rejected';
  if (result.applyFailed === true) return 'failed';
  const status = str(tool.status);
  if (status === 'completed') return 'applied';
  if (status === 'error' || status === 'failed' || status === 'cancelled') return status === 'cancelled' ? 'rejected' : 'failed';
  return 'pending';
}

const IDE_EDIT_TOOLS = new Set([
  'edit_file',
  'edit_file_v2',
  'search_replace',
  'write',
  'MultiEdit',
  'apply_patch',
  'reapply',
  'edit_notebook',
]);

class StateDbParser implements LineParser {
  constructor(private readonly context: ParseContext) {}

  line(): void {}

  end(): void {}

  document(): void {
    const { sink, file } = this.context;
    // Read a copy: Cursor keeps the database open and must never wait on us.
    readDatabaseCopy(file.path, (db) => {
      const composers = db
        .prepare(`SELECT key, value FROM cursorDiskKV WHERE key LIKE 'composerData:%'`)
        .all<{ key: string; value: unknown }>();
      const bubble = db.prepare(`SELECT value FROM cursorDiskKV WHERE key = ?`);
      for (const row of composers) {
        const composer = parseJson(row.value instanceof Uint8Array ? Buffer.from(row.value).toString('utf8') : row.value);
        const composerId = str(composer.composerId) ?? row.key.slice('composerData:'.length);
        const sessionId = `${PROVIDER}:${composerId}`;
        const cwd = str(obj(obj(composer.workspaceIdentifier).uri).fsPath);
        const model = str(obj(composer.modelConfig).modelName);
        const created = typeof composer.createdAt === 'number' ? new Date(composer.createdAt).toISOString() : null;
        const base = { sessionId, nativeId: composerId, cwd, model, gitBranch: str(composer.createdOnBranch) };
        sink.session({ ...base, timestamp: created });
        const headers = list(composer.fullConversationHeadersOnly).map(obj);
        const inline = list(composer.conversation).map(obj);
        const bubbles =
          headers.length > 0
            ? headers.map((h) => {
                const raw = bubble.get<{ value: unknown }>([`bubbleId:${composerId}:${str(h.bubbleId)}`])?.value;
                return parseJson(raw instanceof Uint8Array ? Buffer.from(raw).toString('utf8') : raw);
              })
            : inline;
        bubbles.forEach((b, i) => {
          const bubbleId = str(b.bubbleId) ?? String(i);
          const recordId = `${composerId}:${bubbleId}`;
          const timestamp = str(b.createdAt) ?? created;
          sink.session({ ...base, timestamp });
          if (b.type === 1) {
            sink.record({ ...recordBase(sessionId, recordId, timestamp, i), kind: 'prompt', text: str(b.text) ?? '' });
            return;
          }
          const tokens = obj(b.tokenCount);
          const tool = obj(b.toolFormerData);
          const name = str(tool.name);
          if (!name) {
            sink.record({
              ...recordBase(sessionId, recordId, timestamp, i),
              kind: 'assistant',
              model: str(obj(b.modelInfo).modelName) ?? model,
              messageId: recordId,
              tokensIn: typeof tokens.inputTokens === 'number' && tokens.inputTokens > 0 ? tokens.inputTokens : null,
              tokensOut: typeof tokens.outputTokens === 'number' && tokens.outputTokens > 0 ? tokens.outputTokens : null,
            });
            return;
          }
          const result = parseJson(tool.result);
          const args = parseJson(tool.rawArgs);
          const params = parseJson(tool.params);
          const status = toolStatus(tool, result);
          sink.record({
            ...recordBase(sessionId, recordId, timestamp, i),
            kind: 'tool_call',
            toolName: name,
            toolCallId: str(tool.toolCallId) ?? recordId,
            text: name === 'run_terminal_cmd' ? str(args.command) : null,
          });
          sink.record({
            ...recordBase(sessionId, `${recordId}:result`, timestamp, i),
            kind: 'tool_result',
            toolCallId: str(tool.toolCallId) ?? recordId,
            isError: status === 'failed',
          });
          if (!IDE_EDIT_TOOLS.has(name)) return;
          const path = str(args.target_file) ?? str(args.file_path) ?? str(params.relativeWorkspacePath);
          if (!path) return;
          const lines = list(obj(result.diff).chunks).flatMap((c) => splitLines(str(obj(c).diffString)));
          const { added, removed } = diffLineChanges(lines);
          sink.edit({
            sessionId,
            editId: recordId,
            recordId,
            toolName: name,
            absPath: path.startsWith('/') || !cwd ? path : resolve(cwd, path),
            status: lines.length > 0 || status !== 'applied' ? status : 'pending',
            timestamp,
            addedText: added.join('\n'),
            removedText: removed.join('\n'),
            textSource: 'result',
          });
        });
      }
    });
  }
}

export function cursorHome({ env, home }: ProviderEnvironment): string {
  return resolve(env.CURSOR_HOME ?? join(home, '.cursor'));
}

export const cursor: SessionProvider = {
  name: PROVIDER,
  // Transcripts are appended JSONL; the IDE database is read whole (see parser()).
  format: 'jsonl',
  async discover(environment): Promise<Discovery> {
    const projects = join(cursorHome(environment), 'projects');
    const transcripts = await findFiles(
      projects,
      (name, parent) => name.endsWith('.jsonl') && parent.split(/[\\/]/).includes('agent-transcripts'),
      4,
    );
    const dbs = vscodeAppDirs(environment, ['Cursor']).map((dir) => join(dir, 'User', 'globalStorage'));
    const states = (await Promise.all(dbs.map((d) => findFiles(d, (name) => name === 'state.vscdb', 0)))).flat();
    return { locations: [projects, ...dbs], files: [...transcripts, ...states], skipped: [] };
  },
  parser: (context) => (context.file.path.endsWith('state.vscdb') ? new StateDbParser(context) : new TranscriptParser(context)),
  wholeFile: (path) => path.endsWith('state.vscdb'),
};
