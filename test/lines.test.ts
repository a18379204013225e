import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  isNontrivialBytes,
  isNontrivialLine,
  isNontrivialRange,
  KEYWORD_ONLY,
  normalizeLine,
  normalLineHash,
  normalLineHashesLent,
  normalLineHashOfBytes,
} from '../src/builders/lines.js';

/** The definition normalizeLine's scan must keep: trim, and each run of whitespace one space. */
const byDefinition = (line: string) => line.trim().split(/\s+/).join(' ');

// Every code unit JavaScript's \s holds, some it does not (zero-width space, NEL, the file
// separators Python calls whitespace), and ordinary text.
const UNITS = [
  ...[' ', '\t', '\n', '\v', '\f', '\r', '\u00a0', '\u1680', '\u2000', '\u2005', '\u200a', '\u2028', '\u2029'],
  ...['\u202f', '\u205f', '\u3000', '\ufeff', '\u200b', '\u0085', '\u001c', '\u001f', 'a', 'Z', '0', 'é', '{', ';', '\ud83d'],
];

describe('normalizeLine', () => {
  it.each([
    ['    return foo(bar, baz);', 'return foo(bar, baz);'],
    ['\tif (a)  {\t', 'if (a) {'],
    ['x', 'x'],
    ['   ', ''],
    ['', ''],
    ['a \u00a0b', 'a b'],
    ['a\u200bb', 'a\u200bb'],
    ['  tail ', 'tail'],
  ])('%j → %j', (line, normal) => {
    expect(normalizeLine(line)).toBe(normal);
  });

  it('gives what trim, split on \\s+ and join give, for any text', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...UNITS), { maxLength: 16 }), (units) => {
        const line = units.join('');
        expect(normalizeLine(line)).toBe(byDefinition(line));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (line) => {
        expect(normalizeLine(line)).toBe(byDefinition(line));
      }),
      { numRuns: 5_000 },
    );
  });

  it('never keeps the text a line was cut from (kept as map keys by the hundred thousand)', () => {
    setFlagsFromString('--expose-gc');
    const gc = runInNewContext('gc') as () => void;
    gc();
    const before = process.memoryUsage().heapUsed;
    const kept: string[] = [];
    for (let c = 0; c < 200; c++) {
      // A chunk of diff text as a stream reads it (one flat string), a line cut from it (a slice).
      const chunk = Buffer.alloc(100_000, `    const value_${c} = compute(1);\n`).toString('latin1');
      kept.push(normalizeLine(chunk.substring(0, 36)));
    }
    gc();
    // 200 chunks of 100 kB kept through slices would be 20 MB; the lines alone are a few kB.
    expect(process.memoryUsage().heapUsed - before).toBeLessThan(5_000_000);
    expect(kept[5]).toBe('const value_5 = compute(1);');
  });

  it.each([
    ['  \tif (a)  {'],
    ['x'],
    ['   '],
    ['  caf\u00e9 = "\u{1f600}";  '],
    // A lone surrogate (a transcript's JSON may hold one).
    ['  x = "\ud83d" + compute(value);'],
    ['a\u00a0\u3000 b\u2028c'],
  ])('normalLineHash(%j) is its normal line’s: stored takings (normalized) find the written lines they took', (line) => {
    expect(normalLineHash(normalizeLine(line))).toBe(normalLineHash(line));
    expect(normalLineHash(`  ${line}\t`)).toBe(normalLineHash(line));
  });

  it('keeps the trivial-line rule on lines that needed no split', () => {
    expect(isNontrivialLine('    } else {')).toBe(false);
    expect(isNontrivialLine('\treturn;')).toBe(false);
    expect(isNontrivialLine('  count += 1;')).toBe(true);
  });
});

describe('normalLineHash', () => {
  it.each([
    ['    return foo(bar, baz);', 'return foo(bar, baz);'],
    ['\tif (a)  {\t', 'if (a) {'],
    ['a \u00a0b', 'a b'],
    ['\u3000x\ufeff', 'x'],
    ['   ', ''],
  ])('%j hashes as its normal form %j', (line, normal) => {
    expect(normalLineHash(line)).toBe(normalLineHash(normal));
    expect(normalLineHash(line)).toBe(normalLineHash(normalizeLine(line)));
  });

  it.each([
    ['a b', 'ab'], // a space inside is kept (lineBalanceHash drops it; this does not)
    ['a\u200bb', 'ab'], // a zero-width space is not whitespace
    ['x = 1', 'x = 2'],
    ['', '   .'],
    ['ab', 'ba'],
    ['\ud83d', '\ude00'],
  ])('%j and %j differ', (one, other) => {
    expect(normalLineHash(one)).not.toBe(normalLineHash(other));
  });

  it('reads a range of a text in place, as if it were cut out', () => {
    const text = '  x  = 1\n\ty = 2 \n';
    expect(normalLineHash(text, 0, 8)).toBe(normalLineHash('x = 1'));
    expect(normalLineHash(text, 9, 16)).toBe(normalLineHash('y = 2'));
    expect(normalLineHash(text, 17, 17)).toBe(normalLineHash(''));
  });

  it('is a whole number below 2^53 (a Map key compared by value)', () => {
    for (const line of ['', 'x', 'const value = compute(1);', '\u{1f600}'.repeat(40)]) {
      const h = normalLineHash(line);
      expect(Number.isSafeInteger(h) && h >= 0).toBe(true);
    }
  });

  it('two texts hash alike exactly when their normal forms are equal, for any text', () => {
    fc.assert(
      fc.property(
        fc.array(fc.constantFrom(...UNITS), { maxLength: 12 }),
        fc.array(fc.constantFrom(...UNITS), { maxLength: 12 }),
        (a, b) => {
          const [one, other] = [a.join(''), b.join('')];
          expect(normalLineHash(one) === normalLineHash(other)).toBe(byDefinition(one) === byDefinition(other));
        },
      ),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (line) => {
        expect(normalLineHash(line)).toBe(normalLineHash(byDefinition(line)));
      }),
      { numRuns: 5_000 },
    );
  });

  it('keeps 200,000 distinct code-like lines apart', () => {
    const seen = new Set<number>();
    for (let i = 0; i < 200_000; i++) seen.add(normalLineHash(`  const v${i % 997} = compute(${i}, "${(i * 7919) % 65_521}");`));
    expect(seen.size).toBe(200_000);
  });
});

/**
 * DESIGN §4's non-trivial line as it reads: four ASCII letters or digits, and not a keyword-only
 * line once trimmed of whitespace and `{}()[];,:`, whitespace collapsed, in any case.
 */
const byTheDefinition = (line: string) =>
  (line.match(/[0-9A-Za-z]/g)?.length ?? 0) >= 4 &&
  !KEYWORD_ONLY.has(
    byDefinition(line)
      .replace(/^[\s{}()[\];,:]+|[\s{}()[\];,:]+$/g, '')
      .toLowerCase(),
  );

// The history's pass counts added lines from git's bytes (isNontrivialBytes): the answer must be
// isNontrivialLine's of the text those bytes decode to, whatever they hold.
describe('isNontrivialBytes', () => {
  // Keywords and their pieces, the punctuation a keyword-only line may hold, and what it may not.
  const TOKENS = [
    ...['else', 'return', 'end if', 'protected', 'self', 'if', 'x', 'ab', 'Else', 'RETURN', 'q7', '9'],
    ...[' ', '\t', '{', '}', '(', ')', '[', ']', ';', ',', ':', '.', '=', '_', '-', '"', '\u00a0', '\u3000', 'é', '\u{1f600}'],
  ];
  const bytesSay = (bytes: Buffer) => {
    // In place in a longer buffer, as the pass reads it.
    const around = Buffer.concat([Buffer.from('+x = 1;\n+'), bytes, Buffer.from('\n+tail\n')]);
    return isNontrivialBytes(around, 9, 9 + bytes.length);
  };

  it.each([
    ['} else {', false],
    ['\treturn;', false],
    ['  count += 1;', true],
    ['end if', false],
    ['protected:', false],
    ['(self)', false],
    ['else1', true],
    ['\u00a0else\u3000', false],
    ['é else', true],
    ['init();', true],
    ['x', false],
  ])('%j: %s', (line, expected) => {
    expect(isNontrivialLine(line)).toBe(expected);
    expect(bytesSay(Buffer.from(line, 'utf8'))).toBe(expected);
  });

  it('says what isNontrivialLine says of the decoded text, for any line of tokens and any bytes', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...TOKENS), { maxLength: 10 }), (tokens) => {
        const line = tokens.join('');
        expect(bytesSay(Buffer.from(line, 'utf8'))).toBe(isNontrivialLine(line));
        // Both are the definition's answer as it reads, not only each other's (they share the
        // shortcut past nine letters and digits); a line inside a longer text too.
        expect(isNontrivialLine(line)).toBe(byTheDefinition(line));
        expect(isNontrivialRange(`x = 1;${line}\nend`, 6, 6 + line.length)).toBe(byTheDefinition(line));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (raw) => {
        const bytes = Buffer.from(raw.filter((b) => b !== 0x0a));
        expect(bytesSay(bytes)).toBe(isNontrivialLine(bytes.toString('utf8')));
      }),
      { numRuns: 20_000 },
    );
  });
});

// Churn keys the diff store's lines from their bytes (normalLineHashOfBytes): the key must be
// normalLineHash's of the text those bytes decode to, whatever they hold.
describe('normalLineHashOfBytes', () => {
  const bytesKey = (bytes: Buffer) => {
    // In place in a longer buffer, as a record holds it.
    const around = Buffer.concat([Buffer.from('+x = 1;\n+'), bytes, Buffer.from('\n+tail\n')]);
    return normalLineHashOfBytes(around, 9, 9 + bytes.length);
  };

  it.each([
    ['    return foo(bar, baz);'],
    ['\tif (a)  {\t'],
    [''],
    ['   '],
    ['a \u00a0b'],
    ['é else'],
    ['const emoji = "\u{1f389} party";'],
  ])('%j', (line) => {
    expect(bytesKey(Buffer.from(line, 'utf8'))).toBe(normalLineHash(line));
  });

  it("is normalLineHash's of the decoded text, for any line of these code units and any bytes", () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...UNITS.filter((u) => u !== '\n')), { maxLength: 12 }), (units) => {
        // A lone surrogate has no UTF-8: its bytes decode to U+FFFD, which is what a record holds.
        const bytes = Buffer.from(units.join(''), 'utf8');
        expect(bytesKey(bytes)).toBe(normalLineHash(bytes.toString('utf8')));
      }),
      { numRuns: 20_000 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 24 }), (raw) => {
        const bytes = Buffer.from(raw.filter((b) => b !== 0x0a));
        expect(bytesKey(bytes)).toBe(normalLineHash(bytes.toString('utf8')));
      }),
      { numRuns: 20_000 },
    );
  });
});

// The content rule keys whole file versions in one pass (normalLineHashesLent): each key must be
// the one its line gets alone, whatever the bytes, and every line counted, the empty last one too.
describe('normalLineHashesLent', () => {
  const linesKeys = (bytes: Buffer) => [...normalLineHashesLent(bytes)];
  const splitKeys = (bytes: Buffer) =>
    bytes
      .toString('utf8')
      .split('\n')
      .map((line) => normalLineHash(line));

  it.each([[''], ['\n'], ['x = 1'], ['x = 1\n'], ['  a\t b \r\n\n\u00a0café\n\u{1f389}'], ['\n\n\n']])('%j', (text) => {
    expect(linesKeys(Buffer.from(text, 'utf8'))).toEqual(splitKeys(Buffer.from(text, 'utf8')));
  });

  it('keys any bytes as their lines decoded alone, past the size it starts with', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (raw) => {
        const bytes = Buffer.from(raw.map((b) => (b % 7 === 0 ? 0x0a : b)));
        expect(linesKeys(bytes)).toEqual(splitKeys(bytes));
      }),
      { numRuns: 20_000 },
    );
    // More lines than its first scratch holds (4,096): grown, none lost.
    const many = Buffer.from(Array.from({ length: 10_000 }, (_, i) => `line ${i}`).join('\n'));
    const keys = linesKeys(many);
    expect(keys).toHaveLength(10_000);
    expect(keys).toEqual(splitKeys(many));
  });
});
