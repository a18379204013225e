import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { ingestSessions } from '../src/ingest/sessions.js';
import { ALL_PROVIDERS } from '../src/providers/index.js';
import type { ProviderName } from '../src/providers/types.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { FIXTURES } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

/**
 * Every parser under property-based damage (fast-check), on the project's own transcripts and, when
 * ../shared is beside the project, on real ones: garbage lines inserted (invalid JSON, invalid UTF-8,
 * a cut line, an oversized line, an unknown record shape), records reordered, the file cut short
 * and bytes flipped. The invariants: the ingest never throws; every inserted bad line is counted as
 * skipped; every record a clean parse yields is still there when only lines were added.
 */
const OWN = fileURLToPath(new URL('fixtures/sessions/', import.meta.url));
const MAX_LINE = 64 * 1024;
const RUNS = 8;

interface Seed {
  name: string;
  provider: ProviderName;
  /** Where the file goes under a fresh HOME (with its name). */
  at: string;
  /** The source file. */
  from: string;
  /** Line-oriented (JSONL, or JSONL read whole): inserted lines are counted one by one. */
  lines: boolean;
  /** Record ids come from line positions (Cursor): a clean parse's records are compared by content. */
  positional?: boolean;
  env?: (home: string, path: string) => NodeJS.ProcessEnv;
}

const ws = '.config/Code/User/workspaceStorage/ws';
const seeds: Seed[] = [
  {
    name: 'claude (own)',
    provider: 'claude-code',
    at: '.claude/projects/-x/s1.jsonl',
    from: `${OWN}claude-code/-home-dev-shop/5d1c0a7e-3f41-4b8e-9c2a-6e0f1b2c3d4e.jsonl`,
    lines: true,
  },
  {
    name: 'codex (own)',
    provider: 'codex',
    at: '.codex/sessions/2026/03/03/rollout-2026-03-03T10-00-00-0195f3a0-1111-7222-8333-944455566677.jsonl',
    from: `${OWN}codex/sessions/2026/03/03/rollout-2026-03-03T10-00-00-0195f3a0-1111-7222-8333-944455566677.jsonl`,
    lines: true,
  },
  {
    name: 'cursor transcript (own)',
    provider: 'cursor',
    at: '.cursor/projects/home-dev-shop/agent-transcripts/c.jsonl',
    from: `${OWN}cursor/projects/home-dev-shop/agent-transcripts/cur-0001.jsonl`,
    lines: true,
    positional: true,
  },
  {
    name: 'gemini jsonl (own)',
    provider: 'gemini-cli',
    at: '.gemini/tmp/p/chats/session-2026-03-04T08-00-gem-shop.jsonl',
    from: `${OWN}gemini-cli/tmp/shop/chats/session-2026-03-04T08-00-gem-shop.jsonl`,
    lines: true,
  },
  {
    name: 'gemini legacy json (own)',
    provider: 'gemini-cli',
    at: '.gemini/tmp/p/chats/session-2026-03-05T08-00-gemlegac.json',
    from: `${OWN}gemini-cli/tmp/shop/chats/session-2026-03-05T08-00-gemlegac.json`,
    lines: false,
  },
  {
    name: 'copilot v3 (own)',
    provider: 'copilot',
    at: `${ws}/chatSessions/cop-v3-0001.json`,
    from: `${OWN}copilot/Code/User/workspaceStorage/ws-shop/chatSessions/cop-v3-0001.json`,
    lines: false,
  },
  {
    name: 'copilot mutation log (own)',
    provider: 'copilot',
    at: `${ws}/chatSessions/cop-log-0002.jsonl`,
    from: `${OWN}copilot/Code/User/workspaceStorage/ws-shop/chatSessions/cop-log-0002.jsonl`,
    lines: true,
  },
  {
    name: 'copilot event stream (own)',
    provider: 'copilot',
    at: `${ws}/GitHub.copilot-chat/transcripts/cop-ev-0003.jsonl`,
    from: `${OWN}copilot/Code/User/workspaceStorage/ws-events/GitHub.copilot-chat/transcripts/cop-ev-0003.jsonl`,
    lines: true,
  },
  {
    name: 'amp (own)',
    provider: 'amp',
    at: '.local/share/amp/threads/T-0a0b0c0d-1111-4222-8333-444455556666.json',
    from: `${OWN}amp/threads/T-0a0b0c0d-1111-4222-8333-444455556666.json`,
    lines: false,
  },
  {
    name: 'aider (own)',
    provider: 'aider',
    at: 'repo/.aider.chat.history.md',
    from: `${OWN}aider/.aider.chat.history.md`,
    lines: false,
    env: (_home, path) => ({ AIDER_CHAT_HISTORY_FILE: path }),
  },
];
// The real transcripts, when ../shared is beside the project (CI always has it).
if (existsSync(FIXTURES)) {
  seeds.push(
    {
      name: 'claude 2.0.69 (real)',
      provider: 'claude-code',
      at: '.claude/projects/-x/r1.jsonl',
      from: `${FIXTURES}claude-code/v2.0.69_gitai_thinking/dac34307-159f-4fcd-9c21-35210246ad38.jsonl`,
      lines: true,
    },
    {
      name: 'claude 1.0.111 (real)',
      provider: 'claude-code',
      at: '.claude/projects/-x/r2.jsonl',
      from: `${FIXTURES}claude-code/v1.0.111_gitai_multiedit/cb947e5b-246e-4253-a953-631f7e464c6b.jsonl`,
      lines: true,
    },
    {
      name: 'codex 0.125 (real)',
      provider: 'codex',
      at: '.codex/sessions/2026/05/11/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl',
      from: `${FIXTURES}codex/v0.125.0_codemie/sessions/2026/05/11/rollout-2026-05-11T11-26-55-019e1625-789d-76c0-80ab-3724b5ddb799.jsonl`,
      lines: true,
    },
    {
      name: 'cursor transcript (real)',
      provider: 'cursor',
      at: '.cursor/projects/p/agent-transcripts/r.jsonl',
      from: `${FIXTURES}cursor/agent-transcript_gitai_REDACTED/cursor-session-simple.jsonl`,
      lines: true,
      positional: true,
    },
    {
      name: 'gemini jsonl (real)',
      provider: 'gemini-cli',
      at: '.gemini/tmp/p/chats/session-2026-04-29T21-39-real.jsonl',
      from: `${FIXTURES}gemini-cli/jsonl_agent-sessions_SANITIZED/jsonl_v040.jsonl`,
      lines: true,
    },
    {
      name: 'gemini legacy (real)',
      provider: 'gemini-cli',
      at: '.gemini/tmp/p/chats/session-2025-12-01T21-45-5b959dae.json',
      from: `${FIXTURES}gemini-cli/legacy_json_codemie/chats/session-2025-12-01T21-45-5b959dae.json`,
      lines: false,
    },
    {
      name: 'copilot v3 (real)',
      provider: 'copilot',
      at: `${ws}/chatSessions/331fed7f-cfd6-409c-8502-06a56322b636.json`,
      from: `${FIXTURES}copilot-vscode/chatSessions_v3_json/331fed7f-cfd6-409c-8502-06a56322b636.json`,
      lines: false,
    },
    {
      name: 'copilot mutation log (real)',
      provider: 'copilot',
      at: `${ws}/chatSessions/7de89a80-6d93-43e7-be0a-0a9afe980198.jsonl`,
      from: `${FIXTURES}copilot-vscode/chatSessions_jsonl_mutationlog/7de89a80-6d93-43e7-be0a-0a9afe980198.jsonl`,
      lines: true,
    },
    {
      name: 'amp (real)',
      provider: 'amp',
      at: '.local/share/amp/threads/T-019ca1f6-7f21-77b5-a308-65416ebbdf48.json',
      from: `${FIXTURES}amp/threads/T-019ca1f6-7f21-77b5-a308-65416ebbdf48.json`,
      lines: false,
    },
    {
      name: 'aider (real)',
      provider: 'aider',
      at: 'repo/.aider.chat.history.md',
      from: `${FIXTURES}aider/aider.chat.history.EXCERPT-lines1-2700.md`,
      lines: false,
      env: (_home, path) => ({ AIDER_CHAT_HISTORY_FILE: path }),
    },
  );
}

interface Parsed {
  records: string[];
  /** kind and text of each record, for positional ids. */
  contents: string[];
  skipped: number;
  /** The file was read (a watermark row) or reported as skipped with a reason: never silently lost. */
  accounted: boolean;
  /** Records or edits whose session is not in metadata_sessions: half-written rows. */
  orphans: number;
}

/** The real ingest of one file through its provider into a fresh database. */
async function ingest(seed: Seed, content: Buffer): Promise<Parsed> {
  const home = tempDir('paceflow-fuzz-');
  const path = join(home, seed.at);
  mkdirSync(dirname(path), { recursive: true });
  writeFileSync(path, content);
  if (seed.provider === 'copilot') writeFileSync(join(home, ws, 'workspace.json'), JSON.stringify({ folder: 'file:///home/dev/shop' }));
  const db = tempDatabase();
  try {
    const env: NodeJS.ProcessEnv = { HOME: home, ...(seed.env?.(home, path) ?? {}) };
    const result = await ingestSessions({
      db,
      providers: [ALL_PROVIDERS[seed.provider]],
      environment: { env, home },
      maxLineBytes: MAX_LINE,
    });
    const stat = result.stats[0]!;
    const rows = db
      .prepare(`SELECT record_id, kind, coalesce(text, '') AS text FROM fact_session_records ORDER BY record_id`)
      .all<{ record_id: string; kind: string; text: string }>();
    return {
      records: rows.map((r) => r.record_id),
      contents: rows.map((r) => `${r.kind}\u0000${r.text}`).sort(),
      skipped: Object.values(stat.skippedLines).reduce((n, k) => n + (k ?? 0), 0) + stat.skippedFiles.length,
      accounted:
        (stat.filesRead === 1 && db.prepare(`SELECT count(*) AS n FROM fact_ingest_watermarks`).get<{ n: number }>()!.n === 1) ||
        stat.skippedFiles.some((f) => f.path === path && f.reason.length > 0),
      orphans: db
        .prepare(
          `SELECT (SELECT count(*) FROM fact_session_records WHERE session_id NOT IN (SELECT session_id FROM metadata_sessions))
                + (SELECT count(*) FROM fact_session_file_edits WHERE session_id NOT IN (SELECT session_id FROM metadata_sessions)) AS n`,
        )
        .get<{ n: number }>()!.n,
    };
  } finally {
    db.close();
  }
}

/** Lines that are not a record any parser can read (by name, so a counterexample prints short). */
const BAD_LINES: Record<string, () => Buffer> = {
  cut: () => Buffer.from('{"type": "user", "message": {"content": "cut he'),
  'not json': () => Buffer.from('not json at all'),
  'invalid utf-8': () => Buffer.from([0x7b, 0x22, 0x61, 0x22, 0x3a, 0x22, 0xff, 0xfe, 0x22, 0x7d]), // {"a":"\xff\xfe"}
  oversized: () => Buffer.from(`{"huge": "${'x'.repeat(MAX_LINE + 10)}"}`),
};
const badLine = fc.oneof(
  fc.constantFrom(...Object.keys(BAD_LINES)).map((kind) => ({ kind, payload: '' })),
  fc.string({ maxLength: 40 }).map((payload) => ({ kind: 'unknown shape', payload })),
);
const bytesOf = (line: { kind: string; payload: string }) =>
  BAD_LINES[line.kind]?.() ?? Buffer.from(JSON.stringify({ type: 'paceflow-unknown-shape', payload: line.payload }));
/**
 * Whether the reader must count the line as skipped: an unknown shape may be ignored; an oversized
 * line is refused only by the streaming reader (a document is read whole, and its long line is valid).
 */
const mustCount = (line: { kind: string }, seed: Seed) =>
  line.kind !== 'unknown shape' && (line.kind !== 'oversized' || ALL_PROVIDERS[seed.provider].format === 'jsonl');

function lines(content: Buffer): Buffer[] {
  const out: Buffer[] = [];
  let start = 0;
  for (let i = 0; i < content.length; i++) {
    if (content[i] === 0x0a) {
      out.push(content.subarray(start, i));
      start = i + 1;
    }
  }
  if (start < content.length) out.push(content.subarray(start));
  return out;
}

const join_ = (parts: Buffer[]) => Buffer.concat(parts.flatMap((p) => [p, Buffer.from('\n')]));

describe.each(seeds)('fuzzing $name', (seed) => {
  const original = readFileSync(seed.from);
  let clean: Parsed;

  it('a clean parse skips nothing', async () => {
    clean = await ingest(seed, original);
    expect(clean.skipped).toBe(0);
    expect(clean.records.length).toBeGreaterThan(0);
  });

  it('cut short, bytes flipped or lines reordered: never a throw, the file accounted for, no half-written rows', async () => {
    const damage = fc.oneof(
      fc.nat().map((n) => (c: Buffer) => c.subarray(0, n % (c.length + 1))),
      fc.array(fc.tuple(fc.nat(), fc.integer({ min: 0, max: 255 })), { minLength: 1, maxLength: 8 }).map((flips) => (c: Buffer) => {
        const copy = Buffer.from(c);
        for (const [at, byte] of flips) if (copy.length > 0) copy[at % copy.length] = byte;
        return copy;
      }),
      fc.nat().map((n) => (c: Buffer) => {
        const ls = lines(c);
        if (ls.length < 2) return c;
        const i = n % ls.length;
        const [moved] = ls.splice(i, 1);
        ls.splice((i * 7 + 3) % (ls.length + 1), 0, moved!);
        return join_(ls);
      }),
    );
    await fc.assert(
      fc.asyncProperty(damage, async (apply) => {
        const parsed = await ingest(seed, apply(original));
        expect(parsed.accounted).toBe(true);
        expect(parsed.orphans).toBe(0);
      }),
      { numRuns: RUNS, seed: 20261128 },
    );
  });
});

// Line-oriented formats only: a JSON document with a line inserted is one bad document.
describe.each(seeds.filter((seed) => seed.lines))('inserting bad lines into $name', (seed) => {
  const original = readFileSync(seed.from);
  it('inserted bad lines are each counted, and every clean record is still there', async () => {
    const clean = await ingest(seed, original);
    const base = lines(original).filter((l) => l.length > 0);
    await fc.assert(
      fc.asyncProperty(fc.array(fc.tuple(fc.nat(), badLine), { minLength: 1, maxLength: 4 }), async (inserts) => {
        const out = [...base];
        for (const [at, line] of inserts) out.splice(at % (out.length + 1), 0, bytesOf(line));
        const parsed = await ingest(seed, join_(out));
        expect(parsed.skipped).toBeGreaterThanOrEqual(inserts.filter(([, l]) => mustCount(l, seed)).length);
        if (seed.positional) expect(parsed.contents).toEqual(expect.arrayContaining(clean.contents));
        else expect(parsed.records).toEqual(expect.arrayContaining(clean.records));
      }),
      { numRuns: RUNS, seed: 20261128 },
    );
  });
});
