import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { hasKeyValue, SKIM_MIN_BYTES, skimLongStrings, stringValuesOf } from '../src/providers/skim.js';
import { snapshot, tempDatabase } from './helpers/db.js';
import { cleanupTempDirs } from './helpers/git-repo.js';
import { FIXTURES, fixtureSessionHome, ingestHome, itShared } from './helpers/sessions.js';

afterAll(cleanupTempDirs);

const skim = (value: unknown, min = 8) => JSON.parse(skimLongStrings(Buffer.from(JSON.stringify(value)), min).toString('utf8')) as unknown;

/** The same value with every string of at least `min` UTF-8 bytes replaced by "…": what skimming must give. */
function expected(value: unknown, min: number): unknown {
  if (typeof value === 'string') return Buffer.byteLength(JSON.stringify(value)) - 2 >= min ? '…' : value;
  if (Array.isArray(value)) return value.map((v) => expected(v, min));
  if (value && typeof value === 'object') {
    return Object.fromEntries(
      Object.entries(value).map(([k, v]) => [Buffer.byteLength(JSON.stringify(k)) - 2 >= min ? '…' : k, expected(v, min)]),
    );
  }
  return value;
}

describe('skimLongStrings', () => {
  it.each([
    ['short strings stay', { a: 'short', b: [1, 'x'] }],
    ['a long value goes', { out: 'a'.repeat(20), id: 'k' }],
    ['escaped quotes and backslashes inside', { out: 'say \\"hi\\" \\\\', ok: true }],
    ['a string ending in a backslash', { out: 'C:\\dir\\long\\path\\', next: 'n' }],
    ['multi-byte text', { out: 'ünïcödé ✓ 漢字 text here', id: 'é' }],
    ['nested blocks', { content: [{ type: 'text', text: 'x'.repeat(30) }, { type: 'image' }] }],
    ['escapes of control characters', { out: 'line\nline\ttab\u0001 and more' }],
  ])('%s', (_name, value) => {
    expect(skim(value)).toEqual(expected(value, 8));
  });

  it('returns the very same buffer when there is nothing to drop, and an unterminated string untouched', () => {
    const line = Buffer.from('{"a":"b"}');
    expect(skimLongStrings(line)).toBe(line);
    const broken = Buffer.from('{"a":"unterminated and long enough');
    expect(skimLongStrings(broken, 4)).toBe(broken);
  });

  it('keeps invalid JSON invalid', () => {
    expect(() => JSON.parse(skimLongStrings(Buffer.from('{"a":"long enough value" "b"}'), 4).toString())).toThrow();
  });

  itShared('on every line of the real fixtures, gives the parsed line with only its long strings dropped', () => {
    const walk = (dir: string): string[] =>
      readdirSync(dir).flatMap((name) => (statSync(join(dir, name)).isDirectory() ? walk(join(dir, name)) : [join(dir, name)]));
    let lines = 0;
    let skimmed = 0;
    for (const file of walk(FIXTURES).filter((f) => f.endsWith('.jsonl'))) {
      for (const text of readFileSync(file, 'utf8').split('\n')) {
        let value: unknown;
        try {
          value = JSON.parse(text);
        } catch {
          continue;
        }
        lines++;
        const bytes = Buffer.from(text);
        const out = skimLongStrings(bytes);
        if (out !== bytes) skimmed++;
        expect(JSON.parse(out.toString('utf8'))).toEqual(expected(value, SKIM_MIN_BYTES));
      }
    }
    expect({ lines, skimmed }).toEqual({ lines: 799, skimmed: 61 });
  });
});

describe('skimLongStrings keeping the head of each long string', () => {
  it('cuts to a prefix of at most that many bytes, never inside an escape or a character (randomized)', () => {
    const pieces = ['a', 'xyz ', '\\', '"', '\n', '\t', '\u0001', 'é', '✓', '漢', '😀', '\\n'];
    let seed = 7;
    const random = (n: number) => {
      seed = (Math.imul(seed, 1103515245) + 12345) >>> 0;
      return (seed >>> 8) % n;
    };
    let cut = 0;
    for (let i = 0; i < 3000; i++) {
      let s = '';
      for (let n = 5 + random(60); n > 0; n--) s += pieces[random(pieces.length)];
      const keep = random(48);
      const value = { s, id: 'short' };
      const out = JSON.parse(skimLongStrings(Buffer.from(JSON.stringify(value)), 32, keep).toString('utf8')) as typeof value;
      expect(out.id).toBe('short');
      if (Buffer.byteLength(JSON.stringify(s)) - 2 < 32) {
        expect(out.s).toBe(s);
        continue;
      }
      cut++;
      expect(out.s.endsWith('…')).toBe(true);
      const head = out.s.slice(0, -1);
      expect(s.startsWith(head)).toBe(true);
      expect(Buffer.byteLength(JSON.stringify(head)) - 2).toBeLessThanOrEqual(keep);
    }
    expect(cut).toBeGreaterThan(1000);
  });

  it('keeps exactly that many bytes of plain text, and "…" alone with none', () => {
    const line = Buffer.from(JSON.stringify({ out: `Exit code: 1\n${'y'.repeat(100)}`, n: 1 }));
    expect(JSON.parse(skimLongStrings(line, 64, 20).toString('utf8'))).toEqual({ out: 'Exit code: 1\nyyyyyy…', n: 1 });
    expect(JSON.parse(skimLongStrings(line, 64, 0).toString('utf8'))).toEqual({ out: '…', n: 1 });
  });
});

describe('key patterns', () => {
  it('finds a key with a string value only where it is structure, not inside a string', () => {
    const line = Buffer.from(
      JSON.stringify({ out: '"type":"tool_result" in text', nested: { type: 'tool_result', tool_use_id: 'toolu_1' } }),
    );
    expect(hasKeyValue(line, 'type', 'tool_result')).toBe(true);
    expect(hasKeyValue(Buffer.from(JSON.stringify({ out: '"type":"tool_result"' })), 'type', 'tool_result')).toBe(false);
    expect(hasKeyValue(line, 'type', 'tool_result', 10)).toBe(false);
    expect(
      stringValuesOf(
        Buffer.from(JSON.stringify([{ tool_use_id: 'a' }, { x: '"tool_use_id":"fake"' }, { tool_use_id: 'b' }])),
        'tool_use_id',
      ),
    ).toEqual(['a', 'b']);
  });
});

describe('ingest with skimming', () => {
  itShared('writes exactly the rows a full parse writes, on every Claude Code and Codex fixture', async () => {
    const h = fixtureSessionHome();
    const skimmed = tempDatabase();
    const full = tempDatabase();
    await ingestHome(skimmed, h);
    await ingestHome(full, h, undefined, { skim: false });
    const rows = snapshot(skimmed);
    expect([rows.fact_session_records!.length, rows.fact_session_file_edits!.length]).toEqual([579, 13]);
    expect(rows).toEqual(snapshot(full));
  });
});
