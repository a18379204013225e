import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { statementJournalsInMemory, withRollbackJournal } from '../src/db/journal.js';
import { openDatabase } from '../src/db/open.js';
import { ingest } from '../src/cli/commands/ingest.js';
import { tempDatabase } from './helpers/db.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { emptySessionHome, fixtureSessionHome, ingestHome, itShared } from './helpers/sessions.js';
import { ClaudeTranscript } from './helpers/claude-lines.js';
import { claudeCode } from '../src/providers/claude-code.js';
import type { SessionProvider } from '../src/providers/types.js';

afterAll(cleanupTempDirs);

const mode = (db: { pragma(sql: string): unknown }) => (db.pragma('journal_mode') as { journal_mode: string }[])[0]!.journal_mode;
/** The file format bytes of the header: 1 for a rollback journal, 2 for WAL (read without opening it in SQLite, which would set WAL). */
const fileMode = (path: string) => {
  const header = readFileSync(path).subarray(18, 20);
  return header[0] === 2 && header[1] === 2 ? 'wal' : header[0] === 1 && header[1] === 1 ? 'delete' : `unknown ${header.join(',')}`;
};
const timeout = (db: { pragma(sql: string): unknown }) => (db.pragma('busy_timeout') as { timeout: number }[])[0]!.timeout;

describe('a first load with the rollback journal', () => {
  it('runs without the WAL and puts the database back into WAL, also when the load fails', async () => {
    const db = tempDatabase();
    const seen = await withRollbackJournal(db, async () => {
      db.transaction(() => db.exec(`INSERT INTO paceflow_meta (key, value) VALUES ('journal-test', 'x')`));
      return mode(db);
    });
    expect(seen).toBe('delete');
    expect(mode(db)).toBe('wal');
    expect(fileMode(db.path)).toBe('wal');
    expect(db.prepare(`SELECT value FROM paceflow_meta WHERE key = 'journal-test'`).get()).toEqual({ value: 'x' });

    await expect(
      withRollbackJournal(db, async () => {
        throw new Error('load failed');
      }),
    ).rejects.toThrow('load failed');
    expect(mode(db)).toBe('wal');
    expect(timeout(db)).toBe(5000);
    db.close();
  });

  it('keeps the WAL, without waiting, when another connection has the database open', async () => {
    const path = `${tempDir('paceflow-journal-')}/paceflow.db`;
    const db = openDatabase(path);
    const other = openDatabase(path);
    other.prepare(`SELECT count(*) AS n FROM paceflow_meta`).get();
    const started = Date.now();
    const seen = await withRollbackJournal(db, async () => mode(db));
    expect(seen).toBe('wal');
    expect(Date.now() - started).toBeLessThan(2000); // the busy timeout is 5 s
    expect(timeout(db)).toBe(5000);
    other.close();
    db.close();
  });

  it('does not wait for a reader to put the WAL back: the next open does it', async () => {
    const path = `${tempDir('paceflow-journal-')}/paceflow.db`;
    const db = openDatabase(path);
    let reader: ReturnType<typeof openDatabase> | undefined;
    const started = Date.now();
    await withRollbackJournal(db, async () => {
      reader = openDatabase(path, { readonly: true });
      reader.exec('BEGIN');
      reader.prepare(`SELECT count(*) AS n FROM paceflow_meta`).get();
    });
    expect(Date.now() - started).toBeLessThan(2000); // the busy timeout is 5 s
    expect(fileMode(path)).toBe('delete');
    expect(timeout(db)).toBe(5000);
    reader!.exec('COMMIT');
    reader!.close();
    db.close();
    openDatabase(path).close();
    expect(fileMode(path)).toBe('wal');
  });

  itShared('a first `paceflow ingest` leaves the database in WAL, and a second one adds nothing', async () => {
    const h = fixtureSessionHome();
    const dbPath = `${tempDir('paceflow-journal-')}/paceflow.db`;
    const options = { cwd: h.home, db: dbPath, env: h.env, providers: ['claude-code', 'codex'] };
    await ingest(options);
    expect(fileMode(dbPath)).toBe('wal');
    const db = openDatabase(dbPath);
    const records = (db.prepare(`SELECT count(*) AS n FROM fact_session_records`).get() as { n: number }).n;
    expect(records).toBeGreaterThan(500);
    db.close();
    await ingest(options);
    const again = openDatabase(dbPath);
    expect((again.prepare(`SELECT count(*) AS n FROM fact_session_records`).get() as { n: number }).n).toBe(records);
    again.close();
  });
});

const tempStore = (db: { pragma(sql: string): unknown }) => (db.pragma('temp_store') as { temp_store: number }[])[0]!.temp_store;

describe('statement journals in memory while transcripts are written', () => {
  it('sets temp_store to memory and puts back what the database had', () => {
    const db = tempDatabase();
    const before = tempStore(db);
    expect(before).not.toBe(2); // openDatabase keeps sorts in a file where it can
    const restore = statementJournalsInMemory(db);
    expect(tempStore(db)).toBe(2);
    restore();
    expect(tempStore(db)).toBe(before);
    db.close();
  });

  it('leaves temp_store alone while the connection holds a temporary table (changing it would drop the table)', () => {
    const db = tempDatabase();
    const before = tempStore(db);
    db.exec(`CREATE TEMP TABLE journal_test_keep (x INTEGER)`);
    db.exec(`INSERT INTO journal_test_keep VALUES (1), (2)`);
    const restore = statementJournalsInMemory(db);
    expect(tempStore(db)).toBe(before);
    restore();
    expect(db.prepare(`SELECT count(*) AS n FROM journal_test_keep`).get()).toEqual({ n: 2 });
    db.close();
  });

  it('a transcript batch is written with them in memory; afterwards sorts go to a file again', async () => {
    const h = emptySessionHome();
    for (const id of ['11111111-1111-4111-8111-111111111111', '22222222-2222-4222-8222-222222222222']) {
      const t = new ClaudeTranscript(id, '/nowhere/project').prompt('change it').edit('toolu_1', '/nowhere/project/a.ts', 'a', 'b');
      mkdirSync(join(h.claudeProjects, '-nowhere-project'), { recursive: true });
      writeFileSync(join(h.claudeProjects, '-nowhere-project', `${id}.jsonl`), t.text());
    }
    const db = tempDatabase();
    const before = tempStore(db);
    const seen: number[] = [];
    // The parser is made inside the file's savepoint: what temp_store is while the file's rows are written.
    const watching: SessionProvider = {
      ...claudeCode,
      parser: (args) => {
        seen.push(tempStore(db));
        return claudeCode.parser(args);
      },
    };
    const result = await ingestHome(db, h, [watching]);
    expect(result.touchedSessions).toHaveLength(2);
    expect(seen).toEqual([2, 2]);
    expect(tempStore(db)).toBe(before);
    db.close();
  });
});
