import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { openDatabase } from '../src/db/open.js';
import { cleanupWarnings, PARTLY_READ_BEFORE } from '../src/pipeline/messages.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';

afterAll(cleanupTempDirs);

const DAY = 86400e3;

describe('the warning of transcripts Claude deletes before they are read', () => {
  it('names the old, partly read Claude transcripts and finds them by the partial index, not every watermark', () => {
    const home = tempDir('paceflow-home-');
    const db = openDatabase(join(tempDir('paceflow-db-'), 'paceflow.db'));
    try {
      const now = Date.now();
      const mark = db.prepare(
        `INSERT INTO fact_ingest_watermarks (source_path, provider, size, mtime_ms, byte_offset, updated_at, source_file_id)
         VALUES (?, ?, ?, ?, ?, '', ?)`,
      );
      let id = 0;
      // Many read to their end (old and new): what the warning must not read one by one.
      for (let i = 0; i < 400; i++) mark.run([`/t/done-${i}.jsonl`, 'claude-code', 100, now - (i % 60) * DAY, 100, ++id]);
      // [path, provider, days old, read to]: partly read, old — the one to name; partly read but
      // recent; partly read but another provider's; old and read to its end.
      const cases: [string, string, number, number][] = [
        ['/t/old-partial.jsonl', 'claude-code', 40, 50],
        ['/t/new-partial.jsonl', 'claude-code', 2, 50],
        ['/t/codex-partial.jsonl', 'codex', 40, 50],
        ['/t/old-whole.jsonl', 'claude-code', 40, 100],
      ];
      for (const [path, provider, age, read] of cases) mark.run([path, provider, 100, now - age * DAY, read, ++id]);

      const warnings = cleanupWarnings(db, { env: {}, home }, []);
      expect(warnings).toEqual([
        'claude-code: 1 transcripts are not fully read and Claude deletes them after 30 days (cleanupPeriodDays): /t/old-partial.jsonl',
      ]);
      const plan = db
        .prepare(`EXPLAIN QUERY PLAN ${PARTLY_READ_BEFORE}`)
        .all<{ detail: string }>([now - 23 * DAY])
        .map((r) => r.detail);
      expect(plan).toEqual(['SEARCH w USING INDEX fact_ingest_watermarks_partly_read (provider=? AND mtime_ms<?)']);
    } finally {
      db.close();
    }
  });
});
