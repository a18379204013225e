import { obj, str, type Obj } from './json-values.js';
import { fileURLToPath } from 'node:url';
import { join, resolve } from 'node:path';
import { expandHome, findFiles } from './discover.js';
import { splitLines, unifiedDiffChanges } from './patch.js';
import { recordBase } from './record-base.js';
import type { Discovery, EditStatus, LineParser, ParseContext, ProviderEnvironment, SessionProvider } from './types.js';

/**
 * Amp: one JSON document per thread, `$AMP_DATA_DIR` or `$XDG_DATA_HOME/amp/threads/T-*.json`
 * (default `~/.local/share/amp/threads`), rewritten in place — read whole when it changes
 * (research/session-formats.md §9). Edits are `edit_file` / `create_file` tool uses; the applied
 * lines come from the result's `run.result.diff`. The repository comes from `env.initial.trees`.
 */
export const PROVIDER = 'amp' as const;

export function ampThreadsDir({ env, home }: ProviderEnvironment): string {
  if (env.AMP_DATA_DIR) return resolve(expandHome(env.AMP_DATA_DIR, home), 'threads');
  if (process.platform === 'win32' && env.LOCALAPPDATA) return resolve(env.LOCALAPPDATA, 'amp', 'threads');
  return resolve(expandHome(env.XDG_DATA_HOME || join(home, '.local', 'share'), home), 'amp', 'threads');
}

const arr = (v: unknown): Obj[] => (Array.isArray(v) ? v.map(obj) : []);

function runStatus(run: Obj): EditStatus {
  const status = str(run.status);
  if (status === 'done') return 'applied';
  if (status === 'rejected-by-user' || status === 'cancelled' || status === 'rejected') return 'rejected';
  return status === null || status === 'in-progress' ? 'pending' : 'failed';
}

/** A tool call seen in an assistant message, settled by a later tool_result. */
interface Call {
  name: string;
  path: string | null;
  recordId: string;
  input: Obj;
}

/** What every record of one thread shares. */
interface ThreadBase {
  sessionId: string;
  nativeId: string;
  cwd: string | null;
  gitBranch: string | null;
}

/** Where one content block sits: its message, record id, time and model. */
interface BlockPlace {
  recordId: string;
  timestamp: string | null;
  order: number;
  model: string | null;
}

/** The thread's id, folder and branch from `env.initial.trees`, or why it has none. */
function threadBase(thread: Obj): ThreadBase | null {
  const nativeId = str(thread.id);
  if (!nativeId) return null;
  const tree = arr(obj(obj(thread.env).initial).trees)[0] ?? {};
  let cwd: string | null = null;
  try {
    cwd = str(tree.uri)?.startsWith('file:') ? fileURLToPath(str(tree.uri)!) : null;
  } catch {
    cwd = null;
  }
  const ref = str(obj(tree.repository).ref);
  return { sessionId: `${PROVIDER}:${nativeId}`, nativeId, cwd, gitBranch: ref ? ref.replace(/^refs\/heads\//, '') : null };
}

class AmpParser implements LineParser {
  private readonly calls = new Map<string, Call>();

  constructor(private readonly context: ParseContext) {}

  line(): void {
    // read whole (format: 'document')
  }

  end(): void {}

  document(text: string): void {
    const { sink } = this.context;
    let thread: Obj;
    try {
      thread = obj(JSON.parse(text));
    } catch (error) {
      sink.skip('invalid_json', 1, (error as Error).message.slice(0, 80));
      return;
    }
    const base = threadBase(thread);
    if (!base) {
      sink.skip('bad_record', 1, 'no thread id');
      return;
    }
    let clock = typeof thread.created === 'number' ? thread.created : null;
    sink.session({ ...base, timestamp: clock ? new Date(clock).toISOString() : null });
    for (const message of arr(thread.messages)) {
      const usage = obj(message.usage);
      const sent = obj(message.meta).sentAt ?? usage.timestamp;
      if (typeof sent === 'number') clock = sent;
      else if (typeof sent === 'string' && !Number.isNaN(Date.parse(sent))) clock = Date.parse(sent);
      this.message(base, message, clock ? new Date(clock).toISOString() : null);
    }
  }

  private message(base: ThreadBase, message: Obj, timestamp: string | null): void {
    const { sink } = this.context;
    const messageId = String(message.messageId ?? '');
    const usage = obj(message.usage);
    const model = str(usage.model);
    sink.session({ ...base, model, timestamp });
    const role = str(message.role);
    const order = Number(messageId) || 0;
    if (role === 'assistant') {
      // One record per model response carries its usage, whatever its blocks are.
      sink.record({
        ...recordBase(base.sessionId, `${base.nativeId}:${messageId}`, timestamp, order),
        kind: 'assistant',
        model,
        messageId: `${base.nativeId}:${messageId}`,
        tokensIn: typeof usage.inputTokens === 'number' ? usage.inputTokens : null,
        tokensOut: typeof usage.outputTokens === 'number' ? usage.outputTokens : null,
        tokensCacheRead: typeof usage.cacheReadInputTokens === 'number' ? usage.cacheReadInputTokens : null,
        tokensCacheWrite: typeof usage.cacheCreationInputTokens === 'number' ? usage.cacheCreationInputTokens : null,
      });
    }
    arr(message.content).forEach((block, k) => {
      const place: BlockPlace = { recordId: `${base.nativeId}:${messageId}:${k}`, timestamp, order, model };
      const type = str(block.type);
      if (role === 'user' && type === 'text') {
        sink.record({ ...recordBase(base.sessionId, place.recordId, timestamp, order), kind: 'prompt', text: str(block.text) ?? '' });
      } else if (role === 'user' && type === 'tool_result') this.toolResult(base, block, place);
      else if (role === 'assistant' && type === 'tool_use') this.toolUse(base, block, place);
    });
  }

  /** A tool's result; for an edit, the lines it applied (from the result's diff, else the call's input). */
  private toolResult(base: ThreadBase, block: Obj, place: BlockPlace): void {
    const { sink } = this.context;
    const callId = str(block.toolUseID);
    const run = obj(block.run);
    const status = runStatus(run);
    sink.record({
      ...recordBase(base.sessionId, place.recordId, place.timestamp, place.order),
      kind: 'tool_result',
      toolCallId: callId,
      isError: status === 'failed',
    });
    const call = callId ? this.calls.get(callId) : undefined;
    if (!call?.path) return;
    const diff = str(obj(run.result).diff);
    const { added, removed } = diff
      ? unifiedDiffChanges(diff.replace(/^```diff\n|```\s*$/g, ''))
      : { added: splitLines(str(call.input.content) ?? str(call.input.new_str)), removed: splitLines(str(call.input.old_str)) };
    sink.edit({
      sessionId: base.sessionId,
      editId: callId!,
      recordId: call.recordId,
      toolName: call.name,
      absPath: call.path,
      status,
      timestamp: place.timestamp,
      addedText: added.join('\n'),
      removedText: removed.join('\n'),
      textSource: diff ? 'result' : 'input',
    });
  }

  /** A tool call; an edit_file / create_file is recorded now as pending, settled by its result. */
  private toolUse(base: ThreadBase, block: Obj, place: BlockPlace): void {
    const { sink } = this.context;
    const name = str(block.name) ?? 'unknown';
    const callId = str(block.id);
    const input = obj(block.input);
    sink.record({
      ...recordBase(base.sessionId, place.recordId, place.timestamp, place.order),
      kind: 'tool_call',
      toolName: name,
      toolCallId: callId,
      text: name === 'Bash' ? (str(input.cmd) ?? str(input.command)) : null,
      model: place.model,
    });
    if (!callId) return;
    const path = name === 'edit_file' || name === 'create_file' ? str(input.path) : null;
    const absPath = path && base.cwd && !path.startsWith('/') ? resolve(base.cwd, path) : path;
    this.calls.set(callId, { name, path: absPath, recordId: place.recordId, input });
    if (!absPath) return;
    // Proposed now, settled by its tool_result (which may be missing in a live thread).
    sink.edit({
      sessionId: base.sessionId,
      editId: callId,
      recordId: place.recordId,
      toolName: name,
      absPath,
      status: 'pending',
      timestamp: place.timestamp,
      addedText: splitLines(str(input.content) ?? str(input.new_str)).join('\n'),
      removedText: splitLines(str(input.old_str)).join('\n'),
      textSource: 'input',
    });
  }
}

export const amp: SessionProvider = {
  name: PROVIDER,
  format: 'document',
  async discover(environment): Promise<Discovery> {
    const dir = ampThreadsDir(environment);
    return { locations: [dir], files: await findFiles(dir, (name) => /^T-.+\.json$/.test(name), 0), skipped: [] };
  },
  parser: (context) => new AmpParser(context),
};
