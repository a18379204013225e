import { existsSync, readFileSync } from 'node:fs';
import { basename, isAbsolute, join, resolve } from 'node:path';
import { expandHome, findFiles } from './discover.js';
import { diffLineChanges, splitLines } from './patch.js';
import { heredocEdits } from './shell-writes.js';
import { recordBase } from './record-base.js';
import { hasKeyValue, stringValuesOf } from './skim.js';
import type {
  Discovery,
  EditOutcome,
  JsonLine,
  LineParser,
  ParseContext,
  ProviderEnvironment,
  RecordInput,
  SessionInfo,
  SessionProvider,
} from './types.js';

/**
 * Claude Code: `~/.claude/projects/<encoded cwd>/<sessionId>.jsonl`, one JSON event per line
 * (research/session-formats.md §1). Sub-agents live in `<sessionId>/subagents/agent-<id>.jsonl`
 * (2.x) or beside the main file as `agent-<id>.jsonl` (older). Resumed sessions copy earlier lines
 * with their uuids, so a line whose uuid is already stored is skipped.
 */
export const PROVIDER = 'claude-code' as const;

export function claudeRoots({ env, home }: ProviderEnvironment): string[] {
  const configured = env.CLAUDE_CONFIG_DIR?.split(',')
    .map((p) => p.trim())
    .filter(Boolean);
  const roots = configured && configured.length > 0 ? configured : [join(home, '.claude'), join(home, '.config', 'claude')];
  return roots.map((r) => resolve(expandHome(r, home)));
}

const EDIT_TOOLS = new Set(['Write', 'Edit', 'MultiEdit', 'NotebookEdit']);
const SHELL_TOOLS = new Set(['Bash']);
/** Record types that carry nothing paceflow uses; known, so not counted as unknown. */
const IGNORED_TYPES = new Set([
  'file-history-snapshot',
  'queue-operation',
  'progress',
  'attachment',
  'permission-mode',
  'mode',
  'worktree-state',
  'agent-name',
  'custom-title',
  'ai-title',
  'last-prompt',
  'pr-link',
  'frame-link',
  'attribution-snapshot',
  'relocated',
  'tag',
]);

/** The envelope fields paceflow reads; anything else on a line is ignored. */
interface Envelope {
  type: string;
  uuid: string;
  timestamp?: string;
  sessionId?: string;
  cwd?: string;
  gitBranch?: string;
  version?: string;
  isSidechain?: boolean;
  isMeta?: boolean;
  isCompactSummary?: boolean;
  isApiErrorMessage?: boolean;
  subtype?: string;
  requestId?: string;
  toolUseResult?: unknown;
  message?: {
    id?: string;
    model?: string;
    content?: string | Block[];
    usage?: { input_tokens?: number; output_tokens?: number; cache_read_input_tokens?: number; cache_creation_input_tokens?: number };
  };
}

/** Present and not a string (null counts as absent). */
function notString(x: unknown): boolean {
  return x !== undefined && x !== null && typeof x !== 'string';
}

/**
 * Checks the shape of a line (hand-written: this runs on every line and a schema library costs
 * more than the rest of the parse). Returns the failing field, or null when the line is usable.
 */
function envelopeProblem(v: Record<string, unknown>): string | null {
  if (typeof v.uuid !== 'string' || v.uuid === '') return 'uuid';
  // Named loads, not a loop over key names: keyed loads on envelopes of many shapes miss V8's caches.
  if (notString(v.timestamp)) return 'timestamp';
  if (notString(v.sessionId)) return 'sessionId';
  if (notString(v.cwd)) return 'cwd';
  if (notString(v.gitBranch)) return 'gitBranch';
  if (notString(v.version)) return 'version';
  if (notString(v.subtype)) return 'subtype';
  if (notString(v.requestId)) return 'requestId';
  if (v.message === undefined) return null;
  if (!v.message || typeof v.message !== 'object' || Array.isArray(v.message)) return 'message';
  const content = (v.message as Record<string, unknown>).content;
  if (content !== undefined && typeof content !== 'string' && !Array.isArray(content)) return 'message.content';
  if (
    Array.isArray(content) &&
    content.some((b) => !b || typeof b !== 'object' || typeof (b as Record<string, unknown>).type !== 'string')
  ) {
    return 'message.content[].type';
  }
  return null;
}

type Block = Record<string, unknown> & { type: string };

interface FileRole {
  nativeId: string | null;
  parentSessionId: string | null;
  kind: 'main' | 'subagent';
  /** Legacy sub-agent files take their parent from the lines' sessionId. */
  parentFromLines: boolean;
  agentId: string | null;
}

/** What a transcript file is, from where it sits. */
export function claudeFileRole(path: string): FileRole {
  const name = basename(path, '.jsonl');
  const agent = /^agent-(.+)$/.exec(name);
  if (agent) {
    const parts = path.split(/[\\/]/);
    const sub = parts.lastIndexOf('subagents');
    if (sub > 0) {
      const parent = parts[sub - 1]!;
      return {
        nativeId: `${parent}/agent-${agent[1]}`,
        parentSessionId: `${PROVIDER}:${parent}`,
        kind: 'subagent',
        parentFromLines: false,
        agentId: agent[1]!,
      };
    }
    return { nativeId: null, parentSessionId: null, kind: 'subagent', parentFromLines: true, agentId: agent[1]! };
  }
  return { nativeId: name, parentSessionId: null, kind: 'main', parentFromLines: false, agentId: null };
}

function textOf(content: string | Block[] | undefined): string {
  if (typeof content === 'string') return content;
  return (content ?? [])
    .filter((b) => b.type === 'text' && typeof b.text === 'string')
    .map((b) => b.text as string)
    .join('\n');
}

const REJECTION = /doesn't want to proceed|user (rejected|denied|declined)|was rejected|permission to use .* (was|has been) denied/i;

function errorText(result: unknown, blockContent: unknown): string {
  if (typeof result === 'string') return result;
  if (typeof blockContent === 'string') return blockContent;
  if (Array.isArray(blockContent)) return textOf(blockContent as Block[]);
  return '';
}

/** How a tool_result settles the edit its tool_use proposed (the text really applied, when given). */
export function claudeEditOutcome(isError: boolean, result: unknown, blockContent: unknown): EditOutcome {
  if (isError || (typeof result === 'string' && /^(Error|<tool_use_error>)/.test(result))) {
    return { status: REJECTION.test(errorText(result, blockContent)) ? 'rejected' : 'failed' };
  }
  if (!result || typeof result !== 'object') return { status: 'applied' };
  const r = result as Record<string, unknown>;
  const userModified = r.userModified === true;
  const hunks = Array.isArray(r.structuredPatch) ? (r.structuredPatch as { lines?: unknown }[]) : [];
  const lines = hunks.flatMap((h) =>
    Array.isArray(h.lines) ? (h.lines as unknown[]).filter((l): l is string => typeof l === 'string') : [],
  );
  if (lines.length > 0) {
    const { added, removed } = diffLineChanges(lines);
    return { status: 'applied', addedText: added.join('\n'), removedText: removed.join('\n'), userModified };
  }
  if (r.type === 'create' && typeof r.content === 'string') {
    return { status: 'applied', addedText: splitLines(r.content).join('\n'), removedText: '', userModified };
  }
  if (typeof r.new_source === 'string' && r.edit_mode !== 'delete') {
    return { status: 'applied', addedText: splitLines(r.new_source).join('\n'), userModified };
  }
  return { status: 'applied', userModified };
}

/** The lines an edit tool's input proposes (used until, or unless, its result says otherwise). */
function proposedText(name: string, input: Record<string, unknown>): { path: unknown; added: string; removed: string } {
  const str = (v: unknown) => (typeof v === 'string' ? v : '');
  switch (name) {
    case 'Write':
      return { path: input.file_path, added: splitLines(str(input.content)).join('\n'), removed: '' };
    case 'Edit':
      return {
        path: input.file_path,
        added: splitLines(str(input.new_string)).join('\n'),
        removed: splitLines(str(input.old_string)).join('\n'),
      };
    case 'MultiEdit': {
      const edits = Array.isArray(input.edits) ? (input.edits as Record<string, unknown>[]) : [];
      return {
        path: input.file_path,
        added: edits.flatMap((e) => splitLines(str(e.new_string))).join('\n'),
        removed: edits.flatMap((e) => splitLines(str(e.old_string))).join('\n'),
      };
    }
    case 'NotebookEdit':
      return {
        path: input.notebook_path,
        added: input.edit_mode === 'delete' ? '' : splitLines(str(input.new_source)).join('\n'),
        removed: '',
      };
    default:
      return { path: null, added: '', removed: '' };
  }
}

class ClaudeParser implements LineParser {
  private readonly role: FileRole;
  private sessionId: string | null = null;
  private nativeId: string | null = null;
  private parentSessionId: string | null;
  private cwd: string | null = null;

  constructor(private readonly context: ParseContext) {
    this.role = claudeFileRole(context.file.path);
    this.parentSessionId = this.role.parentSessionId;
    const known = context.sink.knownSession(context.file.path);
    if (known) {
      this.sessionId = known.sessionId;
      this.cwd = known.cwd;
    } else if (this.role.nativeId) {
      this.nativeId = this.role.nativeId;
      this.sessionId = `${PROVIDER}:${this.role.nativeId}`;
    }
  }

  line({ value, offset, lineNumber }: JsonLine): void {
    const sink = this.context.sink;
    const type = (value as { type?: unknown } | null)?.type;
    if (type === 'summary') {
      const v = value as { leafUuid?: unknown; summary?: unknown };
      if (typeof v.leafUuid === 'string' && typeof v.summary === 'string') sink.title(v.leafUuid, v.summary);
      return;
    }
    if (typeof type === 'string' && IGNORED_TYPES.has(type)) return;
    if (type !== 'user' && type !== 'assistant' && type !== 'system') {
      sink.skip('unknown_record', lineNumber, typeof type === 'string' ? `type "${type}"` : 'no type');
      return;
    }
    const problem = envelopeProblem(value as Record<string, unknown>);
    if (problem) {
      sink.skip('bad_record', lineNumber, problem);
      return;
    }
    const line = value as Envelope;
    // A copied line (resume, duplicate write): the first file that had it keeps it.
    if (sink.hasRecord(line.uuid)) return;
    const sessionId = this.ensureSession(line);
    if (!sessionId) {
      sink.skip('bad_record', lineNumber, 'no session id');
      return;
    }
    const base = recordBase(sessionId, line.uuid, line.timestamp, offset);
    base.isSidechain = line.isSidechain === true;
    switch (line.type) {
      case 'user':
        this.user(line, base);
        break;
      case 'assistant':
        this.assistant(line, base);
        break;
      case 'system':
        sink.record({
          ...base,
          recordId: line.uuid,
          kind: line.subtype === 'compact_boundary' ? 'compaction' : 'system',
          isError: line.subtype === 'api_error',
          isMeta: true,
        });
        break;
      default: {
        const unreachable: never = line.type as never;
        throw new Error(`unhandled ${String(unreachable)}`);
      }
    }
  }

  /**
   * A tool-result line whose calls proposed no edit that is still waiting: its outputs (and
   * toolUseResult) are never read, only the ids, error flags and envelope.
   */
  skimmable(bytes: Buffer): boolean {
    // The first result block follows the envelope: within 4 KiB, or the line is parsed whole.
    if (!hasKeyValue(bytes, 'type', 'tool_result', 4096)) return false;
    const calls = stringValuesOf(bytes, 'tool_use_id');
    return calls.length > 0 && calls.every((id) => !id.includes('\\') && !this.context.sink.awaitsResult(id));
  }

  end(): void {}

  private ensureSession(line: Envelope): string | null {
    if (this.sessionId === null && this.role.parentFromLines && line.sessionId && this.role.agentId) {
      this.nativeId = `${line.sessionId}/agent-${this.role.agentId}`;
      this.sessionId = `${PROVIDER}:${this.nativeId}`;
      this.parentSessionId = `${PROVIDER}:${line.sessionId}`;
    }
    if (this.sessionId === null) return null;
    if (line.cwd) this.cwd = line.cwd;
    const model = line.type === 'assistant' && line.message?.model && line.message.model !== '<synthetic>' ? line.message.model : null;
    const info: SessionInfo = {
      sessionId: this.sessionId,
      nativeId: this.nativeId ?? this.sessionId.slice(PROVIDER.length + 1),
      parentSessionId: this.parentSessionId,
      kind: this.role.kind,
      cwd: line.cwd ?? null,
      gitBranch: line.gitBranch ?? null,
      model,
      clientVersion: line.version ?? null,
      timestamp: line.timestamp ?? null,
    };
    this.context.sink.session(info);
    return this.sessionId;
  }

  private user(line: Envelope, base: Omit<RecordInput, 'kind'>): void {
    const sink = this.context.sink;
    const content = line.message?.content;
    const blocks = Array.isArray(content) ? (content as Block[]) : [];
    const results = blocks.filter((b) => b.type === 'tool_result');
    if (results.length === 0) {
      sink.record({
        ...base,
        recordId: line.uuid,
        kind: line.isCompactSummary ? 'meta' : line.isMeta ? 'meta' : 'prompt',
        text: textOf(content as string | Block[] | undefined),
        isMeta: line.isMeta === true || line.isCompactSummary === true,
      });
      return;
    }
    results.forEach((result, i) => {
      const callId = typeof result.tool_use_id === 'string' ? result.tool_use_id : null;
      const isError = result.is_error === true;
      sink.record({ ...base, recordId: i === 0 ? line.uuid : `${line.uuid}#${i}`, kind: 'tool_result', toolCallId: callId, isError });
      if (!callId) return;
      // toolUseResult describes the line's result; with several results on one line it is ambiguous.
      const structured = results.length === 1 ? line.toolUseResult : undefined;
      sink.settleEdits(base.sessionId, callId, claudeEditOutcome(isError, structured, result.content));
    });
  }

  private assistant(line: Envelope, base: Omit<RecordInput, 'kind'>): void {
    const sink = this.context.sink;
    const message = line.message ?? {};
    const blocks = Array.isArray(message.content) ? (message.content as Block[]) : [];
    const usage = message.usage;
    const synthetic = message.model === '<synthetic>' || line.isApiErrorMessage === true;
    const shared = {
      ...base,
      model: synthetic ? null : (message.model ?? null),
      messageId: message.id ?? null,
      requestId: line.requestId ?? null,
    };
    const tokens = {
      tokensIn: usage?.input_tokens ?? null,
      tokensOut: usage?.output_tokens ?? null,
      tokensCacheRead: usage?.cache_read_input_tokens ?? null,
      tokensCacheWrite: usage?.cache_creation_input_tokens ?? null,
    };
    const toolUses = blocks.filter((b) => b.type === 'tool_use');
    let n = 0;
    const nextId = () => (n++ === 0 ? line.uuid : `${line.uuid}#${n - 1}`);
    if (toolUses.length === 0 || blocks.some((b) => b.type !== 'tool_use')) {
      sink.record({ ...shared, ...tokens, recordId: nextId(), kind: synthetic ? 'system' : 'assistant', isError: synthetic });
    }
    for (const use of toolUses) {
      const name = typeof use.name === 'string' ? use.name : 'unknown';
      const callId = typeof use.id === 'string' ? use.id : null;
      const input = (use.input && typeof use.input === 'object' ? use.input : {}) as Record<string, unknown>;
      const command = SHELL_TOOLS.has(name) && typeof input.command === 'string' ? input.command : null;
      const recordId = nextId();
      sink.record({
        ...shared,
        ...(recordId === line.uuid ? tokens : {}),
        recordId,
        kind: 'tool_call',
        toolName: name,
        toolCallId: callId,
        text: command,
      });
      if (!callId) continue;
      if (EDIT_TOOLS.has(name)) {
        const proposed = proposedText(name, input);
        if (typeof proposed.path !== 'string') continue;
        sink.edit({
          sessionId: base.sessionId,
          editId: callId,
          recordId,
          toolName: name,
          absPath: this.absolute(proposed.path),
          status: 'pending',
          timestamp: base.timestamp ?? null,
          addedText: proposed.added,
          removedText: proposed.removed,
          textSource: 'input',
        });
      } else if (command) {
        const call = { sessionId: base.sessionId, callId, recordId, toolName: name, timestamp: base.timestamp ?? null };
        for (const edit of heredocEdits(command, call, (p) => this.absolute(p))) sink.edit(edit);
      }
    }
  }

  private absolute(path: string): string {
    return isAbsolute(path) || !this.cwd ? path : resolve(this.cwd, path);
  }
}

export const claudeCode: SessionProvider = {
  name: PROVIDER,
  format: 'jsonl',
  async discover(environment): Promise<Discovery> {
    const locations = claudeRoots(environment).map((root) => join(root, 'projects'));
    const files = (await Promise.all(locations.map((dir) => findFiles(dir, (name) => name.endsWith('.jsonl'))))).flat();
    return { locations, files, skipped: [] };
  },
  parser: (context) => new ClaudeParser(context),
};

/** Claude deletes transcripts older than `cleanupPeriodDays` (default 30) at start-up. */
export function claudeCleanupPeriodDays(environment: ProviderEnvironment): number {
  for (const root of claudeRoots(environment)) {
    const file = join(root, 'settings.json');
    if (!existsSync(file)) continue;
    try {
      const settings = JSON.parse(readFileSync(file, 'utf8')) as { cleanupPeriodDays?: unknown };
      if (typeof settings.cleanupPeriodDays === 'number' && settings.cleanupPeriodDays > 0) return settings.cleanupPeriodDays;
    } catch {
      // unreadable settings: Claude falls back to its default too
    }
  }
  return 30;
}
