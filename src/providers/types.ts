/**
 * The interface every assistant's module implements (one module per provider in this folder).
 * A provider finds its transcript files and turns their lines into normalized rows through a
 * SessionSink; it never touches the database or git itself.
 */
export const PROVIDERS = ['claude-code', 'codex', 'gemini-cli', 'amp', 'copilot', 'cursor', 'aider', 'opencode'] as const;
export type ProviderName = (typeof PROVIDERS)[number];

export type RecordKind = 'prompt' | 'assistant' | 'tool_call' | 'tool_result' | 'system' | 'compaction' | 'meta';
export type EditStatus = 'applied' | 'rejected' | 'failed' | 'pending';

export interface SourceFile {
  path: string;
  size: number;
  mtimeMs: number;
}

export interface Discovery {
  /** Every place looked at, found or not (for `doctor` and messages). */
  locations: string[];
  files: SourceFile[];
  /** Files found but not readable here, with the reason. */
  skipped: { path: string; reason: string }[];
}

export interface ProviderEnvironment {
  env: NodeJS.ProcessEnv;
  home: string;
  /** Work-tree roots of the repositories paceflow knows (Aider keeps its log in each). */
  knownRoots?: string[];
}

export interface SessionInfo {
  sessionId: string;
  nativeId: string;
  parentSessionId?: string | null;
  kind?: 'main' | 'subagent' | 'fork';
  cwd?: string | null;
  gitBranch?: string | null;
  model?: string | null;
  clientVersion?: string | null;
  timestamp?: string | null;
}

export interface RecordInput {
  sessionId: string;
  recordId: string;
  kind: RecordKind;
  timestamp?: string | null;
  text?: string | null;
  toolName?: string | null;
  toolCallId?: string | null;
  isError?: boolean;
  isSidechain?: boolean;
  isMeta?: boolean;
  model?: string | null;
  messageId?: string | null;
  requestId?: string | null;
  tokensIn?: number | null;
  tokensOut?: number | null;
  tokensCacheRead?: number | null;
  tokensCacheWrite?: number | null;
  offset: number;
}

export interface EditInput {
  sessionId: string;
  editId: string;
  recordId?: string | null;
  toolName: string;
  absPath: string;
  status: EditStatus;
  timestamp?: string | null;
  addedText?: string | null;
  removedText?: string | null;
  textSource: 'result' | 'input';
  userModified?: boolean;
}

export interface EditOutcome {
  status: Exclude<EditStatus, 'pending'>;
  addedText?: string | null;
  removedText?: string | null;
  userModified?: boolean;
}

export type SkipReason = 'invalid_json' | 'invalid_utf8' | 'oversized' | 'truncated' | 'unknown_record' | 'bad_record';

/** Where a provider's parser writes what it finds. */
export interface SessionSink {
  /** Declares (or refreshes) a session; cheap to call on every line. */
  session(info: SessionInfo): void;
  /** True when a record with this id is already stored for this provider (a copied line). */
  hasRecord(recordId: string): boolean;
  record(record: RecordInput): void;
  /** An edit as proposed or as applied; an existing row with the same id is replaced. */
  edit(edit: EditInput): void;
  /** True when this call proposed an edit that no result has settled yet (its result must be read whole). */
  awaitsResult(callId: string): boolean;
  /** The result of a tool call: settles the pending edits that the call proposed. */
  settleEdits(sessionId: string, callId: string, outcome: EditOutcome): void;
  /** Replaces the edits a call proposed with what was really applied (Codex patch_apply_end). */
  replaceEdits(sessionId: string, callId: string, edits: EditInput[]): void;
  /** True when another session already holds edits of this tool call (a fork's replayed history). */
  callBelongsElsewhere(sessionId: string, callId: string): boolean;
  /** The session a file was already known to hold (incremental reads start mid-file). */
  knownSession(sourcePath: string): { sessionId: string; cwd: string | null } | null;
  title(leafRecordId: string, title: string): void;
  /** The known repository root whose sha256 is this hash (Gemini's projectHash), if any. */
  rootForHash(sha256Hex: string): string | null;
  skip(reason: SkipReason, lineNumber: number, detail?: string): void;
}

export interface ParseContext {
  file: SourceFile;
  sink: SessionSink;
  /**
   * A record id of this provider's already in the database, read before this run wrote anything
   * (null when there is none): a provider whose id scheme changed keeps using the old one for a
   * database whose records have it, so that copies are still recognized.
   */
  storedRecordId?: string | null;
}

/** One JSONL line handed to a provider: its parsed value, byte offset and 1-based line number. */
export interface JsonLine {
  value: unknown;
  /** The raw line; valid only during the call (the read buffer is reused). */
  bytes: Buffer;
  offset: number;
  lineNumber: number;
}

export interface LineParser {
  line(line: JsonLine): void;
  /**
   * True when nothing this parser reads from the line is a long string (a tool's output that no
   * edit waits for): the line is then parsed with its long strings dropped (skim.ts).
   */
  skimmable?(bytes: Buffer): boolean;
  /** How many bytes of each long string a skimmed line keeps (what the parser reads is at their start); 0 when absent. */
  skimKeepsHead?: number;
  /** Called after the last line of this read. */
  end(): void;
  /** For `document` providers: the whole file, read again whenever it changes. */
  document?(text: string): void;
}

export interface SessionProvider {
  readonly name: ProviderName;
  discover(environment: ProviderEnvironment): Promise<Discovery>;
  /** A parser for one file's lines; state lives only for this read. */
  parser(context: ParseContext): LineParser;
  /**
   * `jsonl`: read incrementally, line by line. `document`: a file the assistant rewrites in place
   * (one JSON document, or JSONL with in-place updates); read whole when it changes.
   */
  readonly format: 'jsonl' | 'document';
  /** For a `jsonl` provider, files that are read whole all the same (e.g. a database). */
  wholeFile?(path: string): boolean;
}
