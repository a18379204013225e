import { list, obj, str, type Obj } from './json-values.js';
import { existsSync, readFileSync } from 'node:fs';
import { basename, dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { findFiles } from './discover.js';
import { vscodeAppDirs } from './vscode-paths.js';
import { parseApplyPatch, splitLines } from './patch.js';
import { recordBase } from './record-base.js';
import type { Discovery, EditInput, LineParser, ParseContext, ProviderEnvironment, SessionProvider, SourceFile } from './types.js';

/**
 * GitHub Copilot Chat in VS Code (research/session-formats.md §8.1):
 * `<AppData>/<Code variant>/User/workspaceStorage/<hash>/chatSessions/<sessionId>.json` (v3
 * document) or `.jsonl` (an object mutation log: kind 0 = whole state, 1 = set at a path, 2 = push
 * onto an array at a path, truncating it to `i` first), and the newer event stream
 * `GitHub.copilot-chat/transcripts/<sessionId>.jsonl`, read only when no chatSessions file has the
 * same session. The applied edits are the `textEditGroup` parts of a response; the workspace folder
 * comes from the storage folder's `workspace.json`. Files are read whole when they change.
 */
export const PROVIDER = 'copilot' as const;

const VARIANTS = ['Code', 'Code - Insiders', 'VSCodium'];

export function vscodeUserDirs(environment: ProviderEnvironment): string[] {
  return vscodeAppDirs(environment, VARIANTS).map((dir) => join(dir, 'User'));
}

/** Replays a chatSessions mutation log into the session document it describes. */
export function replayMutationLog(text: string, onBadLine: (line: number) => void): Obj {
  let state: unknown = {};
  text.split('\n').forEach((line, n) => {
    if (line.trim() === '') return;
    let entry: Obj;
    try {
      entry = obj(JSON.parse(line));
    } catch {
      onBadLine(n + 1);
      return;
    }
    const path = list(entry.k).map((p) => (typeof p === 'number' ? p : String(p)));
    if (entry.kind === 0) {
      state = entry.v;
      return;
    }
    let target: Record<string | number, unknown> = state as Record<string | number, unknown>;
    for (const key of path.slice(0, -1)) {
      if (target[key] === undefined || target[key] === null) target[key] = {};
      target = target[key] as Record<string | number, unknown>;
    }
    const last = path[path.length - 1];
    if (last === undefined) return;
    if (entry.kind === 1) target[last] = entry.v;
    else if (entry.kind === 2) {
      const items = Array.isArray(target[last]) ? (target[last] as unknown[]) : [];
      if (typeof entry.i === 'number') items.length = Math.min(items.length, entry.i);
      items.push(...list(entry.v));
      target[last] = items;
    }
  });
  return obj(state);
}

function workspaceFolder(storageDir: string): string | null {
  const file = join(storageDir, 'workspace.json');
  if (!existsSync(file)) return null;
  try {
    const folder = str(obj(JSON.parse(readFileSync(file, 'utf8'))).folder);
    return folder?.startsWith('file:') ? fileURLToPath(folder) : null;
  } catch {
    return null;
  }
}

function uriPath(uri: unknown): string | null {
  const u = obj(uri);
  return str(u.fsPath) ?? str(u.path);
}

class CopilotParser implements LineParser {
  constructor(private readonly context: ParseContext) {}

  line(): void {
    // read whole (format: 'document')
  }

  end(): void {}

  document(text: string): void {
    const { file } = this.context;
    if (basename(dirname(file.path)) === 'transcripts') this.eventStream(text, dirname(dirname(dirname(file.path))));
    else
      this.chatSession(
        file.path.endsWith('.jsonl') ? replayMutationLog(text, (n) => this.context.sink.skip('invalid_json', n)) : JSON.parse(text),
        dirname(dirname(file.path)),
      );
  }

  private chatSession(doc: Obj, storageDir: string): void {
    const { sink, file } = this.context;
    const nativeId = str(doc.sessionId) ?? basename(file.path).replace(/\.jsonl?$/, '');
    const sessionId = `${PROVIDER}:${nativeId}`;
    const cwd = workspaceFolder(storageDir);
    const base = { sessionId, nativeId, cwd };
    const created = typeof doc.creationDate === 'number' ? new Date(doc.creationDate).toISOString() : null;
    sink.session({ ...base, timestamp: created });
    list(doc.requests)
      .map(obj)
      .forEach((request, r) => {
        const requestId = str(request.requestId) ?? String(r);
        const timestamp = typeof request.timestamp === 'number' ? new Date(request.timestamp).toISOString() : created;
        const result = obj(request.result);
        const metadata = obj(result.metadata);
        const model = str(metadata.resolvedModel) ?? str(request.modelId)?.replace(/^copilot\//, '') ?? null;
        sink.session({ ...base, model, timestamp });
        sink.record({
          ...recordBase(sessionId, `${nativeId}:${requestId}`, timestamp, r),
          kind: 'prompt',
          text: str(obj(request.message).text) ?? '',
        });
        const usage = obj(result.usage);
        sink.record({
          ...recordBase(sessionId, `${nativeId}:${requestId}:response`, timestamp, r),
          kind: 'assistant',
          model,
          messageId: `${nativeId}:${requestId}`,
          tokensIn: typeof usage.promptTokens === 'number' ? usage.promptTokens : null,
          tokensOut: typeof usage.completionTokens === 'number' ? usage.completionTokens : null,
          isError: obj(result.errorDetails).message !== undefined,
        });
        list(metadata.toolCallRounds)
          .map(obj)
          .forEach((round, k) => {
            list(round.toolCalls)
              .map(obj)
              .forEach((call, j) => {
                const name = str(call.name) ?? 'unknown';
                let args: Obj = {};
                try {
                  args = obj(JSON.parse(str(call.arguments) ?? '{}'));
                } catch {
                  args = {};
                }
                sink.record({
                  ...recordBase(sessionId, `${nativeId}:${requestId}:call${k}.${j}`, timestamp, r),
                  kind: 'tool_call',
                  toolName: name,
                  toolCallId: str(call.id),
                  text: name === 'run_in_terminal' ? str(args.command) : null,
                });
              });
          });
        // The edits actually applied: replacement texts of textEditGroup parts.
        list(request.response)
          .map(obj)
          .forEach((part, p) => {
            if (part.kind !== 'textEditGroup') return;
            const path = uriPath(part.uri);
            if (!path) return;
            const texts = list(part.edits).flatMap((group) => list(group).map((e) => str(obj(e).text) ?? ''));
            const edit: EditInput = {
              sessionId,
              editId: `${nativeId}:${requestId}:edit${p}`,
              recordId: `${nativeId}:${requestId}:response`,
              toolName: 'textEditGroup',
              absPath: path,
              status: request.isCanceled === true ? 'rejected' : part.done === false ? 'pending' : 'applied',
              timestamp,
              addedText: texts.flatMap((t) => splitLines(t)).join('\n'),
              removedText: null,
              textSource: 'result',
            };
            sink.edit(edit);
          });
      });
  }

  private eventStream(text: string, storageDir: string): void {
    const { sink, file } = this.context;
    const nativeId = basename(file.path, '.jsonl');
    const sessionId = `${PROVIDER}:${nativeId}`;
    const cwd = workspaceFolder(storageDir);
    let model: string | null = null;
    const calls = new Map<string, { name: string; args: Obj; recordId: string; timestamp: string | null }>();
    text.split('\n').forEach((line, n) => {
      if (line.trim() === '') return;
      let event: Obj;
      try {
        event = obj(JSON.parse(line));
      } catch {
        sink.skip('invalid_json', n + 1);
        return;
      }
      const type = str(event.type);
      const data = obj(event.data);
      const timestamp = str(event.timestamp);
      const recordId = `${nativeId}:${str(event.id) ?? n}`;
      if (type === 'session.model_change') model = str(data.newModel) ?? model;
      sink.session({ sessionId, nativeId, cwd, model, timestamp, clientVersion: str(data.copilotVersion) });
      switch (type) {
        case 'user.message':
          sink.record({ ...recordBase(sessionId, recordId, timestamp, n), kind: 'prompt', text: str(data.content) ?? '' });
          return;
        case 'assistant.message': {
          sink.record({ ...recordBase(sessionId, recordId, timestamp, n), kind: 'assistant', model, messageId: str(data.messageId) });
          list(data.toolRequests)
            .map(obj)
            .forEach((req, k) => {
              const callId = str(req.toolCallId);
              const name = str(req.name) ?? 'unknown';
              let args: Obj = {};
              try {
                args = typeof req.arguments === 'string' ? obj(JSON.parse(req.arguments)) : obj(req.arguments);
              } catch {
                args = {};
              }
              const callRecord = `${recordId}#${k}`;
              sink.record({
                ...recordBase(sessionId, callRecord, timestamp, n),
                kind: 'tool_call',
                toolName: name,
                toolCallId: callId,
                text: name === 'run_in_terminal' ? str(args.command) : null,
              });
              if (callId) calls.set(callId, { name, args, recordId: callRecord, timestamp });
            });
          return;
        }
        case 'tool.execution_start': {
          const callId = str(data.toolCallId);
          if (callId && !calls.has(callId))
            calls.set(callId, { name: str(data.toolName) ?? 'unknown', args: obj(data.arguments), recordId, timestamp });
          const call = callId ? calls.get(callId) : undefined;
          if (callId && call) for (const edit of eventEdits(sessionId, callId, call)) sink.edit(edit);
          return;
        }
        case 'tool.execution_complete': {
          const callId = str(data.toolCallId);
          const ok = data.success !== false;
          sink.record({ ...recordBase(sessionId, recordId, timestamp, n), kind: 'tool_result', toolCallId: callId, isError: !ok });
          if (callId) sink.settleEdits(sessionId, callId, { status: ok ? 'applied' : 'failed' });
          return;
        }
        default:
          return;
      }
    });
  }
}

/** Proposed edits of an event-stream tool call (apply_patch, create_file, replace_string_in_file). */
function eventEdits(
  sessionId: string,
  callId: string,
  call: { name: string; args: Obj; recordId: string; timestamp: string | null },
): EditInput[] {
  const common = {
    sessionId,
    recordId: call.recordId,
    toolName: call.name,
    status: 'pending' as const,
    timestamp: call.timestamp,
    textSource: 'input' as const,
  };
  const a = call.args;
  if (call.name === 'apply_patch' && typeof a.input === 'string') {
    return parseApplyPatch(a.input).map((f) => ({
      ...common,
      editId: `${callId}#${f.movePath ?? f.path}`,
      absPath: f.movePath ?? f.path,
      addedText: f.added.join('\n'),
      removedText: f.removed.join('\n'),
    }));
  }
  const path = str(a.filePath);
  if (!path) return [];
  if (call.name === 'create_file')
    return [{ ...common, editId: callId, absPath: path, addedText: splitLines(str(a.content)).join('\n'), removedText: null }];
  if (call.name === 'replace_string_in_file') {
    return [
      {
        ...common,
        editId: callId,
        absPath: path,
        addedText: splitLines(str(a.newString)).join('\n'),
        removedText: splitLines(str(a.oldString)).join('\n'),
      },
    ];
  }
  return [];
}

export const copilot: SessionProvider = {
  name: PROVIDER,
  format: 'document',
  async discover(environment): Promise<Discovery> {
    const locations = vscodeUserDirs(environment).map((dir) => join(dir, 'workspaceStorage'));
    const found: SourceFile[] = [];
    for (const dir of locations) {
      found.push(
        ...(await findFiles(
          dir,
          (name, parent) =>
            (basename(parent) === 'chatSessions' && /\.jsonl?$/.test(name)) ||
            (basename(parent) === 'transcripts' && basename(dirname(parent)) === 'GitHub.copilot-chat' && name.endsWith('.jsonl')),
          3,
        )),
      );
    }
    // A session kept both as a chatSessions file and as a transcript is read once, from chatSessions.
    const chatIds = new Set(
      found.filter((f) => basename(dirname(f.path)) === 'chatSessions').map((f) => basename(f.path).replace(/\.jsonl?$/, '')),
    );
    const files = found.filter((f) => basename(dirname(f.path)) === 'chatSessions' || !chatIds.has(basename(f.path, '.jsonl')));
    return { locations, files, skipped: [] };
  },
  parser: (context) => new CopilotParser(context),
};
