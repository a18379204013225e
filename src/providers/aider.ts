import { createHash } from 'node:crypto';
import { existsSync, statSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { recordBase } from './record-base.js';
import type { Discovery, EditInput, LineParser, ParseContext, SessionProvider, SourceFile } from './types.js';

/**
 * Aider (research/session-formats.md §5): `.aider.chat.history.md` in each known repository root
 * (and `$AIDER_CHAT_HISTORY_FILE`), one Markdown log appended across sessions. A session starts at
 * `# aider chat started at <local time>`; typed input is `#### ` lines; aider's own output is
 * `> ` lines (`> Model:`, `> Applied edit to <file>`, `> Commit <sha7> <message>`, `> Tokens:`);
 * the rest is the model's answer, whose SEARCH/REPLACE blocks are the edits. Only a block whose
 * file aider then reports as `Applied edit to` counts as applied. The file is read whole when it
 * changes; session and record ids come from the file and line positions, which appending keeps.
 */
export const PROVIDER = 'aider' as const;
/** The tool name of the record written for a commit aider made (`> Commit <sha7>`). */
export const AIDER_COMMIT = 'aider:commit';

const START = /^# aider chat started at (\d{4}-\d{2}-\d{2} \d{2}:\d{2}:\d{2})\s*$/;

interface Turn {
  promptLine: number;
  prompt: string[];
  answer: { line: number; text: string }[];
  applied: Set<string>;
}

class AiderParser implements LineParser {
  constructor(private readonly context: ParseContext) {}

  line(): void {}

  end(): void {}

  document(text: string): void {
    const { sink, file } = this.context;
    const root = dirname(file.path);
    const fileKey = createHash('sha1').update(file.path).digest('hex').slice(0, 8);
    const lines = text.split('\n');
    let native = `${fileKey}:1`;
    let sessionId = `${PROVIDER}:${native}`;
    let started: string | null = null;
    let model: string | null = null;
    let turn: Turn | null = null;
    let inPrompt = false;

    const flush = () => {
      if (!turn) return;
      const t = turn;
      turn = null;
      if (t.prompt.length > 0) {
        const text = t.prompt.join('\n');
        // `/diff`, `/ex`, `/add …` are aider commands, not prompts.
        const command = /^\s*\/\w+/.test(text);
        sink.record({
          ...recordBase(sessionId, `${native}:${t.promptLine}`, started, t.promptLine),
          kind: command ? 'meta' : 'prompt',
          text,
          isMeta: command,
        });
      }
      if (t.answer.length > 0) {
        sink.record({ ...recordBase(sessionId, `${native}:${t.answer[0]!.line}`, started, t.answer[0]!.line), kind: 'assistant', model });
      }
      for (const edit of searchReplaceEdits(t, { sessionId, native, root, started })) sink.edit(edit);
    };

    lines.forEach((raw, i) => {
      const n = i + 1;
      const line = raw.replace(/\s+$/, '');
      const start = START.exec(line);
      if (start) {
        flush();
        native = `${fileKey}:${start[1]!.replace(/\D/g, '')}`;
        sessionId = `${PROVIDER}:${native}`;
        started = new Date(start[1]!.replace(' ', 'T')).toISOString(); // local wall-clock time
        model = null;
        sink.session({ sessionId, nativeId: native, cwd: root, timestamp: started });
        return;
      }
      if (n === 1 || (i === 0 && !started)) sink.session({ sessionId, nativeId: native, cwd: root, timestamp: null });
      if (line.startsWith('####')) {
        // One input is one run of `####` lines; a blank line or anything else ends it.
        if (!inPrompt || !turn) {
          flush();
          turn = { promptLine: n, prompt: [], answer: [], applied: new Set() };
        }
        inPrompt = true;
        turn.prompt.push(line.replace(/^#### ?/, ''));
        return;
      }
      inPrompt = false;
      if (line.startsWith('> ') || line === '>') {
        const said = line.slice(2).trim();
        const m = /^Models?: (\S+)/.exec(said);
        if (m) {
          model = m[1]!;
          sink.session({ sessionId, nativeId: native, cwd: root, model, timestamp: started });
        }
        const applied = /^Applied edit to (.+)$/.exec(said);
        if (applied && turn) turn.applied.add(applied[1]!.trim());
        const commit = /^Commit ([0-9a-f]{7,40})\b/.exec(said);
        if (commit)
          sink.record({
            ...recordBase(sessionId, `${native}:${n}`, started, n),
            kind: 'system',
            toolName: AIDER_COMMIT,
            toolCallId: commit[1]!,
            isMeta: true,
          });
        const tokens = /^Tokens: ([\d,.]+k?) sent, ([\d,.]+k?) received/.exec(said);
        if (tokens) {
          const num = (s: string) => Math.round(parseFloat(s.replace(/,/g, '')) * (s.endsWith('k') ? 1000 : 1));
          sink.record({
            ...recordBase(sessionId, `${native}:${n}`, started, n),
            kind: 'meta',
            isMeta: true,
            tokensIn: num(tokens[1]!),
            tokensOut: num(tokens[2]!),
            messageId: `${native}:${n}`,
          });
        }
        return;
      }
      if (line === '' && (!turn || turn.answer.length === 0)) return; // spacing around a prompt
      if (!turn) turn = { promptLine: n, prompt: [], answer: [], applied: new Set() };
      turn.answer.push({ line: n, text: raw });
    });
    flush();
  }
}

/** The SEARCH/REPLACE blocks of an answer (`diff` and `diff-fenced` formats), as edits. */
function searchReplaceEdits(turn: Turn, ctx: { sessionId: string; native: string; root: string; started: string | null }): EditInput[] {
  const edits: EditInput[] = [];
  const a = turn.answer;
  for (let i = 0; i < a.length; i++) {
    if (a[i]!.text.trim() !== '<<<<<<< SEARCH') continue;
    let file: string | null = null;
    for (let j = i - 1; j >= 0 && j >= i - 3; j--) {
      const t = a[j]!.text.trim();
      if (t === '' || t.startsWith('```')) continue;
      file = t;
      break;
    }
    const search: string[] = [];
    const replace: string[] = [];
    let k = i + 1;
    for (; k < a.length && a[k]!.text.trim() !== '======='; k++) search.push(a[k]!.text);
    for (k++; k < a.length && a[k]!.text.trim() !== '>>>>>>> REPLACE'; k++) replace.push(a[k]!.text);
    if (!file) continue;
    const clean = file.replace(/^[`*]+|[`*]+$/g, '');
    edits.push({
      sessionId: ctx.sessionId,
      editId: `${ctx.native}:${a[i]!.line}`,
      recordId: `${ctx.native}:${a[0]!.line}`,
      toolName: 'search-replace',
      absPath: isAbsolute(clean) ? clean : resolve(ctx.root, clean),
      status: turn.applied.has(clean) ? 'applied' : 'failed',
      timestamp: ctx.started,
      addedText: replace.join('\n'),
      removedText: search.join('\n'),
      textSource: 'input',
    });
    i = k;
  }
  return edits;
}

export const aider: SessionProvider = {
  name: PROVIDER,
  format: 'document',
  async discover(environment): Promise<Discovery> {
    const candidates = [
      ...(environment.knownRoots ?? []).map((root) => join(root, '.aider.chat.history.md')),
      ...(environment.env.AIDER_CHAT_HISTORY_FILE ? [resolve(environment.env.AIDER_CHAT_HISTORY_FILE)] : []),
    ];
    const files: SourceFile[] = [];
    for (const path of [...new Set(candidates)]) {
      if (!existsSync(path)) continue;
      const s = statSync(path);
      files.push({ path, size: s.size, mtimeMs: Math.floor(s.mtimeMs) });
    }
    return { locations: candidates.length > 0 ? candidates : ['.aider.chat.history.md in each known repository root'], files, skipped: [] };
  },
  parser: (context) => new AiderParser(context),
};
