import { createHash } from 'node:crypto';

/**
 * The paceflow note (refs/notes/paceflow), version 2: what the attribution builder found for a
 * commit from local transcripts, so that a clone without them (a teammate, CI) gets the same
 * numbers. It carries counts, provider and model names and a hashed session id: no prompt text,
 * no code, no paths. Version 2 adds each session's `work` counts (how the session went, for the PR
 * comment); version 1 notes are read as before. Documented in docs/notes.md.
 */
export const NOTE_VERSION = 2;

/** How a session went, in counts only (event_session_quality and its edits). */
export interface SessionWork {
  prompts: number;
  rejected_edits: number;
  debug_loop: 0 | 1;
  error_paste: 0 | 1;
}

export interface NoteAttribution {
  provider: string;
  model: string | null;
  session: string;
  lines: number;
  work?: SessionWork;
}

export interface PaceflowNote {
  schema: 'paceflow/attribution';
  version: 1 | 2;
  tool: string;
  nontrivial_added_lines: number;
  attributions: NoteAttribution[];
}

/** A session id as it may leave the machine: the first 16 hex digits of its SHA-256. */
export function hashSessionId(sessionId: string): string {
  return createHash('sha256').update(sessionId).digest('hex').slice(0, 16);
}

export function composeNote(
  tool: string,
  nontrivial: number,
  credits: readonly { provider: string; model: string | null; sessionId: string; lines: number; work?: SessionWork | undefined }[],
): string {
  return composeNoteFromHashed(
    tool,
    nontrivial,
    credits.map((c) => ({
      provider: c.provider,
      model: c.model,
      session: hashSessionId(c.sessionId),
      lines: c.lines,
      // Keys in the documented order, whatever order the query returned them in.
      ...(c.work
        ? {
            work: {
              prompts: c.work.prompts,
              rejected_edits: c.work.rejected_edits,
              debug_loop: c.work.debug_loop,
              error_paste: c.work.error_paste,
            },
          }
        : {}),
    })),
  );
}

/** The same, from credits whose session ids are hashed already (read back from notes). */
export function composeNoteFromHashed(tool: string, nontrivial: number, credits: readonly NoteAttribution[]): string {
  const note: PaceflowNote = {
    schema: 'paceflow/attribution',
    version: NOTE_VERSION,
    tool,
    nontrivial_added_lines: nontrivial,
    attributions: [...credits].sort((a, b) => b.lines - a.lines || a.session.localeCompare(b.session)),
  };
  return `${JSON.stringify(note)}\n`;
}

/** A paceflow note read back; null when it is not one this version understands. */
export function parseNote(text: string): PaceflowNote | null {
  try {
    const value = JSON.parse(text) as Partial<PaceflowNote>;
    if (value.schema !== 'paceflow/attribution' || (value.version !== 1 && value.version !== 2) || !Array.isArray(value.attributions))
      return null;
    if (typeof value.nontrivial_added_lines !== 'number') return null;
    const ok = value.attributions.every(
      (a) =>
        a &&
        typeof a.provider === 'string' &&
        typeof a.session === 'string' &&
        typeof a.lines === 'number' &&
        (a.model === null || typeof a.model === 'string') &&
        (a.work === undefined || isWork(a.work)),
    );
    return ok ? (value as PaceflowNote) : null;
  } catch {
    return null;
  }
}

function isWork(work: unknown): work is SessionWork {
  const w = work as Partial<SessionWork> | null;
  return (
    typeof w === 'object' &&
    w !== null &&
    [w.prompts, w.rejected_edits, w.debug_loop, w.error_paste].every((n) => typeof n === 'number' && Number.isInteger(n) && n >= 0)
  );
}

/**
 * git-ai's authorship log (refs/notes/ai, 3.x): an attestation section — file paths, each followed
 * by indented "<prompt hash> <line ranges>" lines — then "---" and JSON metadata whose `prompts`
 * name each hash's agent (tool, model). Returns lines per (tool, model, hash); null if unreadable.
 */
export function parseGitAiNote(text: string): { provider: string; model: string | null; session: string; lines: number }[] | null {
  const divider = text.indexOf('\n---\n');
  if (divider < 0) return null;
  let meta: { prompts?: Record<string, { agent_id?: { tool?: string; model?: string } }> };
  try {
    meta = JSON.parse(text.slice(divider + 5));
  } catch {
    return null;
  }
  const counts = new Map<string, number>();
  for (const line of text.slice(0, divider).split('\n')) {
    const m = /^\s+(\S+)\s+([\d,\s-]+)$/.exec(line);
    if (!m) continue;
    let n = 0;
    for (const range of m[2]!.split(',')) {
      const [a, b] = range.trim().split('-').map(Number);
      if (a !== undefined && Number.isFinite(a)) n += b !== undefined && Number.isFinite(b) ? b - a + 1 : 1;
    }
    counts.set(m[1]!, (counts.get(m[1]!) ?? 0) + n);
  }
  const out: { provider: string; model: string | null; session: string; lines: number }[] = [];
  for (const [hash, lines] of counts) {
    const agent = meta.prompts?.[hash]?.agent_id;
    out.push({ provider: agent?.tool ?? 'unknown', model: agent?.model ?? null, session: hash, lines });
  }
  return out;
}
