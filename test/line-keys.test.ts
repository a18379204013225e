import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { assemble, bytesModule, WASM_MODULES } from '../scripts/build-wasm.mjs';
import { normalLineHash, normalLineHashesLent } from '../src/builders/lines.js';
import { CHUNK_BYTES, WasmLineKeys } from '../src/builders/line-keys.js';

const root = new URL('..', import.meta.url).pathname;

// The keys the content rule compares lines by come from WebAssembly; each must be the key
// JavaScript gives the same line (normalLineHash of it decoded alone; normalLineHashesLent of the
// version), whatever the bytes and wherever the chunks split them.
describe('WasmLineKeys', () => {
  const byLine = (bytes: Buffer) =>
    bytes
      .toString('utf8')
      .split('\n')
      .map((line) => normalLineHash(line));
  const small = new WasmLineKeys(16);
  const wide = new WasmLineKeys();

  it.each([
    [''],
    ['\n'],
    ['\n\n\n'],
    ['x = 1'],
    ['x = 1\n'],
    ['  a\t b \r\n\n\u00a0café\n\u{1f389}'],
    ['\tif (a)  {\t\n  return  b;\n}\n'],
    // Longer than a small chunk: alone, then ending with a newline, then with a line after it.
    ['a line longer than sixteen bytes'],
    ['a line longer than sixteen bytes\n'],
    ['a line longer than sixteen bytes\nand one more after it\nx'],
    ['exactly 15 bytes\nexactly 15 bytes\n'],
    ['é line past ASCII, longer than a chunk\nplain\n\u3000wide\u3000space\n'],
  ])('%j', (text) => {
    const bytes = Buffer.from(text, 'utf8');
    expect([...small.keysOf(bytes)]).toEqual(byLine(bytes));
    expect([...wide.keysOf(bytes)]).toEqual(byLine(bytes));
    expect([...wide.keysOf(bytes)]).toEqual([...normalLineHashesLent(bytes)]);
  });

  it('keys any bytes as their lines decoded alone, in chunks of any size', () => {
    const chunks = [8, 16, 24, 64].map((chunk) => new WasmLineKeys(chunk));
    fc.assert(
      fc.property(
        // Newlines, whitespace, ASCII and bytes past it, invalid sequences included.
        fc.array(fc.constantFrom(0x0a, 0x20, 0x09, 0x0d, 0x0b, 0x61, 0x7a, 0x30, 0x7b, 0xc3, 0xa9, 0xe3, 0x80, 0xff), { maxLength: 120 }),
        fc.nat(chunks.length - 1),
        (raw, pick) => {
          const bytes = Buffer.from(raw);
          expect([...chunks[pick]!.keysOf(bytes)]).toEqual(byLine(bytes));
        },
      ),
      { numRuns: 20_000 },
    );
  });

  it('gathers a version of many chunks, and lends a one-chunk version from its own memory', () => {
    const many = Buffer.from(
      Array.from({ length: 40_000 }, (_, i) => `${' '.repeat(i % 9)}line ${i}\t${'é'.repeat(i % 5 === 0 ? 1 : 0)}`).join('\n'),
    );
    expect(many.length).toBeGreaterThan(CHUNK_BYTES);
    const keys = [...wide.keysOf(many)];
    expect(keys).toHaveLength(40_000);
    expect(keys).toEqual(byLine(many));
    // A line longer than the chunk, between others.
    const long = Buffer.from(`first\n${'x '.repeat(CHUNK_BYTES)}\nlast\n`);
    expect([...wide.keysOf(long)]).toEqual(byLine(long));
    // Lent: the next call's keys stand where the last call's did.
    const one = wide.keysOf(Buffer.from('one\ntwo\n'));
    const first = [...one];
    wide.keysOf(Buffer.from('three\n'));
    expect([...one]).not.toEqual(first);
  });

  // A diff store record's lines: a sign, then the line; the key is of the line alone.
  const signedExpected = (text: string) => {
    const lines = text.split('\n').slice(0, -1);
    return { keys: lines.map((l) => normalLineHash(l.slice(1))), signs: lines.map((l) => l.charCodeAt(0)) };
  };
  const signed = (keyer: WasmLineKeys, bytes: Buffer, start = 0, end = bytes.length) => {
    const got = keyer.signedKeysOf(bytes, start, end);
    return got && { keys: [...got.keys], signs: [...got.signs] };
  };

  it.each([
    [''],
    ['+a\n'],
    ['+\n-\n'],
    ['+  x = 1;\n*\tif (a)  {\n-y\n'],
    ['+a line longer than sixteen bytes\n-x\n'],
    ['*é past ASCII, longer than a chunk\n+plain\n-\u3000wide\u3000space\n'],
  ])('a record %j', (text) => {
    const bytes = Buffer.from(text, 'utf8');
    expect(signed(small, bytes)).toEqual(signedExpected(text));
    expect(signed(wide, bytes)).toEqual(signedExpected(text));
    // Where the record stands in a larger buffer.
    const padded = Buffer.concat([Buffer.from('xx\n'), bytes, Buffer.from('yy')]);
    expect(signed(small, padded, 3, 3 + bytes.length)).toEqual(signedExpected(text));
  });

  it('says a record that does not end with a newline is not one', () => {
    expect(signed(wide, Buffer.from('+a\n-b'))).toBeNull();
    expect(signed(small, Buffer.from('+a\n-a line longer than sixteen bytes'))).toBeNull();
  });

  it('keys any record’s lines as each line alone, in chunks of any size', () => {
    const chunks = [8, 16, 24, 64].map((chunk) => new WasmLineKeys(chunk));
    const line = fc
      .tuple(
        fc.constantFrom('+', '*', '-'),
        fc.array(fc.constantFrom(' ', '\t', '\r', 'a', 'z', '0', '{', 'é', '\u3000', '\u00a0'), { maxLength: 40 }),
      )
      .map(([sign, units]) => `${sign}${units.join('')}\n`);
    fc.assert(
      fc.property(fc.array(line, { maxLength: 12 }), fc.nat(chunks.length - 1), (lines, pick) => {
        const text = lines.join('');
        expect(signed(chunks[pick]!, Buffer.from(text, 'utf8'))).toEqual(signedExpected(text));
      }),
      { numRuns: 10_000 },
    );
    // Many chunks' worth: gathered.
    const many = Array.from({ length: 30_000 }, (_, i) => `${'+-*'[i % 3]}${' '.repeat(i % 4)}line ${i}\n`).join('');
    expect(Buffer.byteLength(many)).toBeGreaterThan(CHUNK_BYTES);
    expect(signed(wide, Buffer.from(many))).toEqual(signedExpected(many));
  });

  it('keys a text of more lines than it keeps arrays for, then smaller ones, each right', () => {
    const keyer = new WasmLineKeys(64);
    const large = Buffer.from(Array.from({ length: 70_000 }, (_, i) => `l${i}`).join('\n'));
    expect([...keyer.keysOf(large)]).toEqual(byLine(large));
    const record = Array.from({ length: 50 }, (_, i) => `${'+-'[i % 2]}line ${i}\n`).join('');
    expect(signed(keyer, Buffer.from(record))).toEqual(signedExpected(record));
    const smaller = Buffer.from(Array.from({ length: 300 }, (_, i) => `  s ${i}`).join('\n'));
    expect([...keyer.keysOf(smaller)]).toEqual(byLine(smaller));
  });

  it('refuses a chunk its keys could not line up after', () => {
    expect(() => new WasmLineKeys(12)).toThrow('a chunk of 12 bytes: it must be a multiple of 8');
  });
});

// Node without WebAssembly (`--jitless`): the same keys from JavaScript's loops, nothing thrown.
describe('without WebAssembly', () => {
  it('keys file versions in JavaScript, and leaves records to be read line by line', () => {
    const text = '  a\t b \r\nx = 1\n\u00a0café\n';
    const script = `
      import { lineKeysOf } from ${JSON.stringify(`${root}dist/builders/outcomes/file-line-keys.js`)};
      import { NORMAL_LINE_KEY } from ${JSON.stringify(`${root}dist/builders/line-keys.js`)};
      const keys = [...lineKeysOf(Buffer.from(${JSON.stringify(text)}))];
      console.log(JSON.stringify({ wasm: typeof WebAssembly, keys, signed: NORMAL_LINE_KEY.signedLines(Buffer.from('+a\\n'), 0, 3) }));`;
    const r = spawnSync(process.execPath, ['--jitless', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(JSON.parse(r.stdout)).toEqual({ wasm: 'undefined', keys: [...normalLineHashesLent(Buffer.from(text))], signed: null });
  });
});

describe('scripts/build-wasm.mjs', () => {
  it.each(WASM_MODULES)('$out holds $wat as assembled', async ({ wat, out, name }) => {
    const bytes = await assemble(`${root}${wat}`);
    const carried: Record<string, unknown> = await import(`${root}${out}`);
    expect(carried[name]).toBe(bytes.toString('base64'));
    expect(readFileSync(`${root}${out}`, 'utf8')).toBe(bytesModule(name, wat, bytes));
  });
});
