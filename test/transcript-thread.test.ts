import { appendFileSync, copyFileSync, cpSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, describe, expect } from 'vitest';
import { buildSessionEvents } from '../src/builders/sessions.js';
import type { Database } from '../src/db/driver.js';
import { ingestSessions, type SessionIngestOptions, startTranscriptDiscovery } from '../src/ingest/sessions.js';
import { codex } from '../src/providers/codex.js';
import { selectProviders } from '../src/providers/index.js';
import type { SessionProvider } from '../src/providers/types.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { CODEX_ROLLOUT, emptySessionHome, FIXTURES, fixtureSessionHome, itShared, type SessionHome } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

/** The thread's bundle as `npm test` builds it (npm run build, then vitest): the real worker, not the sources. */
const THREAD_URL = new URL('../dist/transcript-thread.cjs', import.meta.url);
const NOW = () => new Date('2026-11-30T12:00:00Z');

/**
 * Claude Code and Codex (JSON Lines, read on the thread), then Gemini's files (documents, read on
 * the main thread) and Cursor's agent transcript (JSON Lines again, after them): the order a run
 * reads providers in, so the thread must learn what the main thread saved in between.
 */
function mixedHome(): SessionHome {
  const h = fixtureSessionHome();
  const gemini = join(h.home, '.gemini', 'tmp', 'legacy', 'chats');
  mkdirSync(gemini, { recursive: true });
  cpSync(
    join(FIXTURES, 'gemini-cli/legacy_json_codemie/chats/session-2025-12-01T21-45-5b959dae.json'),
    join(gemini, 'session-2025-12-01T21-45-5b959dae.json'),
  );
  const cursor = join(h.home, '.cursor', 'projects', 'Users-dev-project', 'agent-transcripts');
  mkdirSync(cursor, { recursive: true });
  cpSync(join(FIXTURES, 'cursor/agent-transcript_gitai_REDACTED/cursor-session-simple.jsonl'), join(cursor, 'cursor-session-simple.jsonl'));
  return h;
}

/** Every transcript fact and session event, each table sorted on all its columns. */
function rows(db: Database): Record<string, unknown[]> {
  const out: Record<string, unknown[]> = {};
  for (const table of [
    'fact_session_records',
    'fact_session_file_edits',
    'metadata_sessions',
    'metadata_repositories',
    'fact_ingest_watermarks',
    'fact_unreadable_sources',
    'event_session_messages',
    'event_session_code_changes',
    'event_session_quality',
  ]) {
    const columns = db.prepare(`SELECT * FROM ${table} LIMIT 0`).columns();
    out[table] = db.prepare(`SELECT * FROM ${table} ORDER BY ${columns.map((_, i) => i + 1).join(', ')}`).all();
  }
  return out;
}

async function read(h: SessionHome, extra: Partial<SessionIngestOptions> = {}, before?: (db: Database) => Promise<void>) {
  const db = tempDatabase();
  const options = { db, providers: selectProviders(undefined), environment: { env: h.env, home: h.home }, now: NOW };
  await before?.(db);
  const result = await ingestSessions({ ...options, ...extra });
  buildSessionEvents(db, result.touchedSessions);
  return { db, result, rows: rows(db) };
}

const onThread = { parseThread: { fromBytes: 0, url: THREAD_URL, cores: 2 } } satisfies Partial<SessionIngestOptions>;

describe('a first run parses on a second thread (src/ingest/parse-thread.ts)', () => {
  itShared('writes the rows of a read on one thread, every provider in its turn', async () => {
    expect(existsSync(fileURLToPath(THREAD_URL)), 'dist/transcript-thread.cjs: run `npm run build` first').toBe(true);
    const h = mixedHome();
    const one = await read(h, { parseThread: false });
    const two = await read(h, onThread);
    expect(one.result.filesOnThread).toBe(0);
    // Every Claude Code, Codex and Cursor file went to the thread; Gemini's document did not.
    const jsonl = two.result.stats.filter((s) => s.provider !== 'gemini-cli').reduce((n, s) => n + s.filesRead, 0);
    expect(jsonl).toBeGreaterThan(5);
    expect(two.result.filesOnThread).toBe(jsonl);
    expect(two.result.stats.find((s) => s.provider === 'gemini-cli')!.filesRead).toBe(1);
    // Real rows, and edits among them (the thread's pending calls and its call sessions at work).
    expect(one.rows.fact_session_records!.length).toBeGreaterThan(100);
    expect(one.rows.fact_session_file_edits!.length).toBeGreaterThan(0);
    expect(two.rows).toEqual(one.rows);
    expect(two.result.stats).toEqual(one.result.stats);
    expect(two.result.touchedSessions).toEqual(one.result.touchedSessions);
    // A message every few ops and a small bound on what waits unread: the thread waits on the main
    // thread's reading (flow control) at nearly every message, its questions included. A thread that
    // never went on would leave its files to the main thread (filesOnThread below).
    const small = await read(h, {
      parseThread: { ...onThread.parseThread, opsPerMessage: 8, waitMs: 5000, inFlight: { entries: 24, messages: 2 } },
    });
    expect(small.result.filesOnThread).toBe(jsonl);
    expect(small.rows).toEqual(one.rows);
  });

  itShared('a file gone before its turn is left for the next run, as on one thread', async () => {
    const h = mixedHome();
    const codexDay = join(h.codexHome, 'sessions', '2026', '05', '11');
    const gone = join(codexDay, readdirSync(codexDay).sort()[0]!);
    const saved = `${gone}.saved`;
    cpSync(gone, saved, { preserveTimestamps: true });
    // Found by the walk, deleted before it is read.
    const readWithout = (extra: Partial<SessionIngestOptions>) => {
      const options = { ...extra };
      return read(h, options, async (db) => {
        const discovery = await startTranscriptDiscovery(db, {
          providers: selectProviders(undefined),
          environment: { env: h.env, home: h.home },
        });
        rmSync(gone);
        options.discovery = Promise.resolve(discovery);
      }).finally(() => cpSync(saved, gone, { preserveTimestamps: true }));
    };
    const one = await readWithout({ parseThread: false });
    const two = await readWithout(onThread);
    expect(two.rows.fact_unreadable_sources).toEqual([
      expect.objectContaining({ source_path: gone, provider: 'codex', reason: expect.stringContaining('(ENOENT)') }),
    ]);
    expect(two.result.stats.find((s) => s.provider === 'codex')!.skippedFiles).toEqual([
      { path: gone, reason: expect.stringContaining('(ENOENT)') },
    ]);
    expect(two.result.filesOnThread).toBeGreaterThan(0);
    expect(two.rows).toEqual(one.rows);
    // The file put back between the runs keeps its time to the millisecond only.
    const unreadPaths = (r: typeof one) => r.result.stats.map((s) => ({ ...s, unread: s.unread.map((u) => u.path) }));
    expect(unreadPaths(two)).toEqual(unreadPaths(one));
  });

  itShared(
    'Codex forks read on the thread, their parent before them on either thread: no replayed record or edit stored again',
    async () => {
      const h = emptySessionHome();
      const dir = join(h.codexHome, 'sessions', '2026', '05', '11');
      mkdirSync(dir, { recursive: true });
      const parentId = '019e1625-789d-76c0-80ab-3724b5ddb799';
      copyFileSync(CODEX_ROLLOUT, join(dir, `rollout-2026-05-11T11-26-55-${parentId}.jsonl`));
      const lines = readFileSync(CODEX_ROLLOUT, 'utf8').split('\n').filter(Boolean);
      const fork = (id: string, replay: string[]) => {
        const meta = JSON.parse(lines[0]!) as { payload: Record<string, unknown> };
        meta.payload = { ...meta.payload, id, forked_from_id: parentId };
        writeFileSync(join(dir, `rollout-2026-05-11T12-00-00-${id}.jsonl`), `${[JSON.stringify(meta), ...replay].join('\n')}\n`);
      };
      // One fork replays its parent's lines as they were (its records are copies, known by id); the
      // other replays them a day later (new records, the same tool calls: its edits are the parent's).
      const sameLines = '019e2000-0000-7000-8000-000000000001';
      const dayLater = '019e2000-0000-7000-8000-000000000002';
      fork(sameLines, lines.slice(1));
      fork(
        dayLater,
        lines.slice(1).map((l) => l.replaceAll('"timestamp":"2026-05-11T', '"timestamp":"2026-05-12T')),
      );
      // The parent alone, by a provider the thread does not take (not the registry's object): read
      // on the main thread first, so what it saved reaches the thread only as a message.
      const parentOnMain: SessionProvider = {
        ...codex,
        discover: async (e) => {
          const found = await codex.discover(e);
          return { ...found, files: found.files.filter((f) => f.path.includes(parentId)) };
        },
      };
      const readAll = async (providers: SessionProvider[], extra: Partial<SessionIngestOptions>) => {
        const db = tempDatabase();
        const result = await ingestSessions({ db, providers, environment: { env: h.env, home: h.home }, now: NOW, ...extra });
        buildSessionEvents(db, result.touchedSessions);
        return { result, rows: rows(db) };
      };
      const sessionRecords = (r: { rows: Record<string, unknown[]> }, id: string) =>
        r.rows.fact_session_records!.filter((x) => (x as { session_id: string }).session_id === `codex:${id}`).length;
      for (const providers of [[codex], [parentOnMain, codex]]) {
        const one = await readAll(providers, { parseThread: false });
        const two = await readAll(providers, onThread);
        // With the parent first on the main thread, the registry's codex lists it too and reads nothing more of it.
        expect(two.result.filesOnThread).toBe(3);
        // The parent's three edits, once; the copied records are not stored again, the moved ones are.
        expect(one.rows.fact_session_file_edits).toHaveLength(3);
        expect(sessionRecords(one, sameLines)).toBe(0);
        expect(sessionRecords(one, dayLater)).toBeGreaterThan(100);
        expect(two.rows).toEqual(one.rows);
      }
    },
  );

  itShared('a file listed twice is read once, its second listing from the watermark the first left, as on one thread', async () => {
    const h = mixedHome();
    const readTwice = async (extra: Partial<SessionIngestOptions>) => {
      const db = tempDatabase();
      const result = await ingestSessions({ db, providers: [codex, codex], environment: { env: h.env, home: h.home }, now: NOW, ...extra });
      buildSessionEvents(db, result.touchedSessions);
      return { result, rows: rows(db) };
    };
    const one = await readTwice({ parseThread: false });
    const two = await readTwice(onThread);
    expect(two.result.filesOnThread).toBe(two.result.stats.reduce((n, s) => n + s.filesRead, 0));
    // The second listing read nothing more.
    expect(one.result.stats[1]!.bytesRead).toBe(0);
    expect(two.result.stats).toEqual(one.result.stats);
    expect(two.rows).toEqual(one.rows);
  });

  itShared('a thread that never answers: the run reads on one thread and writes the same rows', async () => {
    const h = mixedHome();
    const silent = join(tempDir('paceflow-thread-'), 'silent.cjs');
    writeFileSync(silent, '// reads nothing, answers nothing\n');
    const one = await read(h, { parseThread: false });
    const two = await read(h, { parseThread: { fromBytes: 0, url: pathToFileURL(silent), waitMs: 300, cores: 2 } });
    expect(two.result.filesOnThread).toBe(0);
    expect(two.rows).toEqual(one.rows);
  });

  itShared('past the record ids kept in memory, the files after are read on the main thread', async () => {
    const h = mixedHome();
    const one = await read(h, { parseThread: false, recordIdsInMemory: 200 });
    const two = await read(h, { ...onThread, recordIdsInMemory: 200 });
    expect(two.result.filesOnThread).toBeGreaterThan(0);
    expect(two.result.filesOnThread).toBeLessThan(two.result.stats.reduce((n, s) => n + s.filesRead, 0) - 1);
    expect(two.rows).toEqual(one.rows);
  });

  itShared('one core: one thread', async () => {
    const h = mixedHome();
    const { result } = await read(h, { parseThread: { ...onThread.parseThread, cores: 1 } });
    expect(result.filesOnThread).toBe(0);
    expect(result.stats.reduce((n, s) => n + s.filesRead, 0)).toBeGreaterThan(5);
  });

  itShared('a run with records stored before reads on one thread', async () => {
    const h = mixedHome();
    const first = await read(h, onThread);
    const claude = readdirSync(h.claudeProjects, { recursive: true, encoding: 'utf8' }).find((f) => f.endsWith('.jsonl'))!;
    appendFileSync(join(h.claudeProjects, claude), '\n');
    const again = await ingestSessions({
      db: first.db,
      providers: selectProviders(undefined),
      environment: { env: h.env, home: h.home },
      now: NOW,
      ...onThread,
    });
    expect(again.stats.reduce((n, s) => n + s.filesRead, 0)).toBe(1);
    expect(again.filesOnThread).toBe(0);
  });
});
