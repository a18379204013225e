import type { RecordInput } from './types.js';

/**
 * A record with every field present, always in this order, for a provider to spread and override:
 * `{ ...base, kind: 'prompt', text }` keeps the one shape. The writer reads every field of every
 * record; built as literals with different optional fields, records came in so many shapes that
 * those reads missed V8's inline caches on nearly every record (the miss handlers were 9% of a
 * first ingest's instructions).
 */
export function recordBase(
  sessionId: string,
  recordId: string,
  timestamp: string | null | undefined,
  offset: number,
): Omit<RecordInput, 'kind'> {
  const record: RecordInput = {
    sessionId,
    recordId,
    kind: 'meta', // a placeholder: the type makes every record state its own
    timestamp: timestamp ?? null,
    text: null,
    toolName: null,
    toolCallId: null,
    isError: false,
    isSidechain: false,
    isMeta: false,
    model: null,
    messageId: null,
    requestId: null,
    tokensIn: null,
    tokensOut: null,
    tokensCacheRead: null,
    tokensCacheWrite: null,
    offset,
  };
  return record;
}
