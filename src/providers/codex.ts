import { obj, str, type Obj } from './json-values.js';
import { hash } from 'node:crypto';
import { recordBase } from './record-base.js';
import { hasKeyValue } from './skim.js';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { expandHome, findFiles } from './discover.js';
import { applyPatchFromShell, parseApplyPatch, splitLines, unifiedDiffChanges } from './patch.js';
import { heredocEdits } from './shell-writes.js';
import type {
  Discovery,
  EditInput,
  JsonLine,
  LineParser,
  ParseContext,
  ProviderEnvironment,
  RecordInput,
  SessionProvider,
  SourceFile,
} from './types.js';

/**
 * Codex CLI (and the IDE extension): `$CODEX_HOME/sessions/YYYY/MM/DD/rollout-*.jsonl` plus
 * `archived_sessions/`, one `{timestamp, type, payload}` envelope per line
 * (research/session-formats.md §2). Edits are apply_patch calls confirmed by `patch_apply_end`.
 * Lines carry no ids: a record's id is a hash of its bytes, so a fork's verbatim replay of its
 * parent's history is recognized and not stored twice.
 */
export const PROVIDER = 'codex' as const;

export function codexHome({ env, home }: ProviderEnvironment): string {
  return resolve(expandHome(env.CODEX_HOME || join(home, '.codex'), home));
}

const KNOWN_ENVELOPES = new Set([
  'session_meta',
  'response_item',
  'event_msg',
  'turn_context',
  'compacted',
  'world_state',
  'inter_agent_communication_metadata',
]);
const INJECTED =
  /^\s*(<environment_context>|<user_instructions>|<permissions instructions>|# AGENTS\.md instructions|<INSTRUCTIONS>|<user_shell_command>|<turn_aborted>)/;

function contentText(content: unknown): string {
  if (typeof content === 'string') return content;
  if (!Array.isArray(content)) return '';
  return content
    .map((c) => str(obj(c).text) ?? '')
    .filter(Boolean)
    .join('\n');
}

/** A shell call's command as one string: `["bash","-lc","x"]` → "x". */
function shellCommand(args: Obj): string | null {
  const cmd = args.cmd ?? args.command;
  if (typeof cmd === 'string') return cmd;
  if (Array.isArray(cmd) && cmd.every((c) => typeof c === 'string')) {
    const parts = cmd as string[];
    if (parts.length >= 3 && /(^|\/)(ba|z)?sh$/.test(parts[0]!) && /^-l?c$/.test(parts[1]!)) return parts.slice(2).join(' ');
    return parts.join(' ');
  }
  return null;
}

function parseArguments(raw: unknown): Obj {
  if (typeof raw !== 'string') return obj(raw);
  try {
    return obj(JSON.parse(raw));
  } catch {
    return {};
  }
}

/** Whether a tool output says the call failed: an exit code, or apply_patch's own words. */
export function codexOutputFailed(output: unknown): boolean {
  let text = typeof output === 'string' ? output : contentText(output);
  if (text.startsWith('{')) {
    try {
      const parsed = obj(JSON.parse(text));
      const code = obj(parsed.metadata).exit_code;
      if (typeof code === 'number') return code !== 0;
      text = str(parsed.output) ?? text;
    } catch {
      // plain text after all
    }
  }
  const header = outputHeader(text);
  const exited = /Process exited with code (\d+)/.exec(header) ?? /Exit code: (\d+)/.exec(header);
  if (exited) return exited[1] !== '0';
  return /^(error|apply_patch verification failed|Failed to apply patch|write_stdin failed)/i.test(header.trim());
}

/**
 * Where a tool output says how the call went: its header ("Chunk ID: …\nWall time: …\nProcess
 * exited with code N\n…Output:" or "Exit code: N\nWall time: …\nOutput:"), never the command's own
 * output after it, which may print anything. At most OUTPUT_HEADER_CHARS characters, so a skimmed
 * line (which keeps SKIM_KEEPS_HEAD bytes of the output) gives the same answer as a full parse.
 */
function outputHeader(text: string): string {
  const head = text.slice(0, OUTPUT_HEADER_CHARS);
  const body = head.indexOf('\nOutput:');
  return body === -1 ? head : head.slice(0, body);
}

/** The headers seen are 40–140 characters. */
const OUTPUT_HEADER_CHARS = 256;
/**
 * Bytes of each long string a skimmed line keeps: a character takes at most six bytes of JSON text
 * (\uXXXX), and the cut moves back a few bytes to stay out of a character or an escape.
 */
const SKIM_KEEPS_HEAD = 6 * OUTPUT_HEADER_CHARS + 16;

const OUTPUT_STRING = Buffer.from('"output":"');

/** Lines up to this long are hashed whole. */
const HASHED_WHOLE = 4096;

/**
 * A line's record id. A long line (a tool output) is hashed by its first and last 2 KiB and its
 * length: in an envelope line the first part holds the timestamp, the item type and the call id,
 * so two different lines do not share all three; hashing long outputs whole was 4% of a first
 * ingest. (A pre-envelope line has no timestamp: two of its long messages that differ only in the
 * middle, at equal length, would share an id and the second be taken for a copy.) Ids of the first
 * scheme ("codex-", the whole line hashed) are kept for a database that already has them.
 */
function recordIdOf(bytes: Buffer, wholeLine: boolean): string {
  if (wholeLine) return `codex-${hash('sha1', bytes, 'hex').slice(0, 24)}`;
  const hashed =
    bytes.length <= HASHED_WHOLE
      ? bytes
      : Buffer.concat([
          bytes.subarray(0, HASHED_WHOLE / 2),
          bytes.subarray(bytes.length - HASHED_WHOLE / 2),
          Buffer.from(String(bytes.length)),
        ]);
  return `codex2-${hash('sha1', hashed, 'hex').slice(0, 24)}`;
}

function nativeIdFromFileName(path: string): string | null {
  const m = /([0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12})\.jsonl(\.zst)?$/i.exec(basename(path));
  return m ? m[1]!.toLowerCase() : null;
}

class CodexParser implements LineParser {
  private sessionId: string | null = null;
  private cwd: string | null = null;
  /** Pre-envelope rollouts (mid-2025) have bare items and no event_msg prompts. */
  private bare = false;
  /** The database keys Codex records by the first id scheme (see recordIdOf). */
  private readonly wholeLineIds: boolean;

  constructor(private readonly context: ParseContext) {
    this.wholeLineIds = context.storedRecordId?.startsWith('codex-') === true;
    const known = context.sink.knownSession(context.file.path);
    if (known) {
      this.sessionId = known.sessionId;
      this.cwd = known.cwd;
    }
  }

  line(line: JsonLine): void {
    const sink = this.context.sink;
    const v = obj(line.value);
    let type = str(v.type);
    let payload = obj(v.payload);
    const timestamp = str(v.timestamp);
    if (v.payload === undefined) {
      if (v.record_type !== undefined) return;
      if (type === null && typeof v.id === 'string') {
        this.meta({ ...v, id: v.id }, timestamp);
        this.bare = true;
        return;
      }
      if (type !== null && !KNOWN_ENVELOPES.has(type)) {
        // A bare ResponseItem of the pre-envelope format.
        this.bare = true;
        payload = v;
        type = 'response_item';
      }
    }
    if (type === null || !KNOWN_ENVELOPES.has(type)) {
      sink.skip('unknown_record', line.lineNumber, type ? `type "${type}"` : 'no type');
      return;
    }
    if (type === 'session_meta') {
      this.meta(payload, timestamp);
      return;
    }
    if (type === 'turn_context') {
      this.cwd = str(payload.cwd) ?? this.cwd;
      this.touch(timestamp, str(payload.model) ?? str(obj(obj(payload.collaboration_mode).settings).model));
      return;
    }
    if (type === 'world_state' || type === 'inter_agent_communication_metadata') return;
    if (this.sessionId === null) {
      const native = nativeIdFromFileName(this.context.file.path);
      if (!native) {
        sink.skip('bad_record', line.lineNumber, 'no session_meta before the first item');
        return;
      }
      this.meta({ id: native }, timestamp);
    }
    const recordId = recordIdOf(line.bytes, this.wholeLineIds);
    if (sink.hasRecord(recordId)) return;
    this.touch(timestamp, null);
    const base = recordBase(this.sessionId!, recordId, timestamp, line.offset);
    if (type === 'compacted') {
      sink.record({ ...base, kind: 'compaction', isMeta: true });
    } else if (type === 'response_item') {
      this.responseItem(payload, base);
    } else {
      this.event(payload, base);
    }
  }

  /**
   * Lines whose long strings are read at most to their header: exec_command_end (its call_id and
   * exit_code only), a tool output given as plain text (outputHeader), and reasoning (nothing).
   * An output that is JSON in a string is parsed whole.
   */
  skimmable(bytes: Buffer): boolean {
    if (hasKeyValue(bytes, 'type', 'exec_command_end', 256) || hasKeyValue(bytes, 'type', 'reasoning', 256)) return true;
    if (!hasKeyValue(bytes, 'type', 'function_call_output', 256) && !hasKeyValue(bytes, 'type', 'custom_tool_call_output', 256))
      return false;
    const at = bytes.indexOf(OUTPUT_STRING);
    return at !== -1 && bytes[at + OUTPUT_STRING.length] !== 0x7b; // "{"
  }

  /** An output's header is all that is read of it. */
  readonly skimKeepsHead = SKIM_KEEPS_HEAD;

  end(): void {}

  private meta(payload: Obj, timestamp: string | null): void {
    if (this.sessionId !== null) return; // a resume writes session_meta again
    const id = str(payload.id) ?? str(payload.session_id);
    if (!id) return;
    const source = obj(payload.source);
    const spawn = obj(obj(source.subagent).thread_spawn);
    const parentThread = str(payload.parent_thread_id) ?? str(spawn.parent_thread_id);
    const forkedFrom = str(payload.forked_from_id);
    this.sessionId = `${PROVIDER}:${id}`;
    this.cwd = str(payload.cwd);
    this.context.sink.session({
      sessionId: this.sessionId,
      nativeId: id,
      parentSessionId: parentThread ? `${PROVIDER}:${parentThread}` : forkedFrom ? `${PROVIDER}:${forkedFrom}` : null,
      kind: parentThread || source.subagent !== undefined ? 'subagent' : forkedFrom ? 'fork' : 'main',
      cwd: this.cwd,
      gitBranch: str(obj(payload.git).branch),
      clientVersion: str(payload.cli_version),
      timestamp: timestamp ?? str(payload.timestamp),
    });
  }

  private touch(timestamp: string | null, model: string | null): void {
    if (this.sessionId === null) return;
    this.context.sink.session({
      sessionId: this.sessionId,
      nativeId: this.sessionId.slice(PROVIDER.length + 1),
      timestamp,
      model,
      cwd: null,
    });
  }

  private responseItem(p: Obj, base: Omit<RecordInput, 'kind'>): void {
    const sink = this.context.sink;
    switch (str(p.type)) {
      case 'message': {
        const role = str(p.role);
        const text = contentText(p.content);
        if (role === 'assistant') sink.record({ ...base, kind: 'assistant' });
        else if (role === 'user' && this.bare && !INJECTED.test(text)) sink.record({ ...base, kind: 'prompt', text });
        // The typed prompt is recorded from event_msg user_message; this raw copy and injected
        // context are meta.
        else sink.record({ ...base, kind: 'meta', isMeta: true });
        return;
      }
      case 'function_call':
      case 'custom_tool_call':
      case 'local_shell_call': {
        const name = str(p.name) ?? (p.type === 'local_shell_call' ? 'local_shell' : 'unknown');
        const callId = str(p.call_id) ?? str(p.id);
        const args =
          p.type === 'custom_tool_call' ? {} : p.type === 'local_shell_call' ? obj(obj(p.action).exec) : parseArguments(p.arguments);
        const command = shellCommand(args);
        sink.record({ ...base, kind: 'tool_call', toolName: name, toolCallId: callId, text: command });
        if (!callId) return;
        const patch =
          name === 'apply_patch' ? (str(p.input) ?? str(args.input) ?? str(args.patch)) : command ? applyPatchFromShell(command) : null;
        if (patch) this.proposePatch(base, callId, patch, name);
        else if (command) this.proposeHeredocs(base, callId, command, name, str(args.workdir));
        return;
      }
      case 'function_call_output':
      case 'custom_tool_call_output': {
        const callId = str(p.call_id);
        const failed = codexOutputFailed(p.output);
        sink.record({ ...base, kind: 'tool_result', toolCallId: callId, isError: failed });
        if (callId) sink.settleEdits(base.sessionId, callId, { status: failed ? 'failed' : 'applied' });
        return;
      }
      default:
        return; // reasoning, web searches, ghost snapshots…: nothing paceflow counts
    }
  }

  private event(p: Obj, base: Omit<RecordInput, 'kind'>): void {
    const sink = this.context.sink;
    switch (str(p.type)) {
      case 'user_message':
        sink.record({ ...base, kind: 'prompt', text: str(p.message) ?? '' });
        return;
      case 'token_count': {
        const info = obj(p.info);
        const last = obj(info.last_token_usage);
        const total = obj(info.total_token_usage);
        if (typeof last.input_tokens !== 'number') return;
        sink.record({
          ...base,
          kind: 'meta',
          isMeta: true,
          // Consecutive token_count events repeat the same totals: one key per running total.
          messageId: `total:${String(total.total_tokens ?? '')}:${String(total.input_tokens ?? '')}`,
          tokensIn: last.input_tokens,
          tokensOut: typeof last.output_tokens === 'number' ? last.output_tokens : null,
          tokensCacheRead: typeof last.cached_input_tokens === 'number' ? last.cached_input_tokens : null,
        });
        return;
      }
      case 'exec_command_end': {
        const callId = str(p.call_id);
        const code = p.exit_code;
        sink.record({
          ...base,
          kind: 'tool_result',
          toolCallId: callId,
          toolName: 'exec_command',
          isError: typeof code === 'number' && code !== 0,
        });
        return;
      }
      case 'patch_apply_end':
        this.patchApplied(p, base);
        return;
      case 'context_compacted':
        sink.record({ ...base, kind: 'compaction', isMeta: true });
        return;
      case 'turn_aborted':
        sink.record({ ...base, kind: 'system', isMeta: true });
        return;
      case 'error':
        sink.record({ ...base, kind: 'system', isError: true, isMeta: true });
        return;
      default:
        return;
    }
  }

  private absolute(path: string, workdir?: string | null): string {
    const base = workdir && isAbsolute(workdir) ? workdir : this.cwd;
    return isAbsolute(path) || !base ? path : resolve(base, path);
  }

  private proposePatch(base: Omit<RecordInput, 'kind'>, callId: string, patch: string, toolName: string): void {
    const sink = this.context.sink;
    if (sink.callBelongsElsewhere(base.sessionId, callId)) return;
    for (const file of parseApplyPatch(patch)) {
      const absPath = this.absolute(file.movePath ?? file.path);
      sink.edit({
        sessionId: base.sessionId,
        editId: `${callId}#${absPath}`,
        recordId: base.recordId,
        toolName,
        absPath,
        status: 'pending',
        timestamp: base.timestamp ?? null,
        addedText: file.added.join('\n'),
        removedText: file.removed.join('\n'),
        textSource: 'input',
      });
    }
  }

  private proposeHeredocs(
    base: Omit<RecordInput, 'kind'>,
    callId: string,
    command: string,
    toolName: string,
    workdir: string | null,
  ): void {
    const call = { sessionId: base.sessionId, callId, recordId: base.recordId, toolName, timestamp: base.timestamp ?? null };
    for (const edit of heredocEdits(command, call, (p) => this.absolute(p, workdir))) this.context.sink.edit(edit);
  }

  /** patch_apply_end: what was really applied, with absolute paths and real diffs. */
  private patchApplied(p: Obj, base: Omit<RecordInput, 'kind'>): void {
    const sink = this.context.sink;
    const callId = str(p.call_id);
    const success = p.success === true || str(p.status) === 'completed';
    sink.record({ ...base, kind: 'tool_result', toolCallId: callId, toolName: 'apply_patch', isError: !success });
    if (!callId || sink.callBelongsElsewhere(base.sessionId, callId)) return;
    const edits: EditInput[] = [];
    for (const [path, change] of Object.entries(obj(p.changes))) {
      const c = obj(change);
      const kind = str(c.type);
      const absPath = this.absolute(str(c.move_path) ?? path);
      let added: string[] = [];
      let removed: string[] = [];
      if (kind === 'add') added = splitLines(str(c.content));
      else if (kind === 'delete') removed = splitLines(str(c.content));
      else ({ added, removed } = unifiedDiffChanges(str(c.unified_diff) ?? ''));
      edits.push({
        sessionId: base.sessionId,
        editId: `${callId}#${absPath}`,
        recordId: base.recordId,
        toolName: 'apply_patch',
        absPath,
        status: success ? 'applied' : 'failed',
        timestamp: base.timestamp ?? null,
        addedText: added.join('\n'),
        removedText: removed.join('\n'),
        textSource: 'result',
      });
    }
    sink.replaceEdits(base.sessionId, callId, edits);
  }
}

/** Rollouts in sessions/ and archived_sessions/; the active copy and the plain .jsonl win. */
export async function discoverCodex(environment: ProviderEnvironment): Promise<Discovery> {
  const home = codexHome(environment);
  const locations = [join(home, 'sessions'), join(home, 'archived_sessions')];
  const accept = (name: string) => /^rollout-.*\.jsonl(\.zst)?$/.test(name);
  const [active, archived] = await Promise.all(locations.map((dir) => findFiles(dir, accept)));
  const byName = new Map<string, SourceFile>();
  for (const file of [...active!, ...archived!]) {
    const name = basename(file.path);
    if (!byName.has(name)) byName.set(name, file);
  }
  const files: SourceFile[] = [];
  const skipped: Discovery['skipped'] = [];
  for (const [name, file] of byName) {
    if (!name.endsWith('.zst')) {
      files.push(file);
      continue;
    }
    if (byName.has(name.slice(0, -4))) continue; // the decompressed copy is read instead
    files.push(file);
  }
  return { locations, files, skipped };
}

export const codex: SessionProvider = {
  name: PROVIDER,
  format: 'jsonl',
  discover: discoverCodex,
  parser: (context) => new CodexParser(context),
};
