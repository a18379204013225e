import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { balancesCancel, hashedLineEnd, lineBalanceHash, lineHashOfBytes, oppositeBalance } from '../src/git/line-balance.js';
import type { FilePatch } from '../src/git/patches.js';

const file = (added: string[], removed: string[], path = 'a.ts'): FilePatch => ({ path, oldPath: null, added, removed });

// A diff's line balance: its removed lines less its added ones, whitespace dropped, in any order
// and over any split into files. Equal texts balance alike; a diff and any diff of the same two
// sides the other way round cancel.
describe('lineBalanceHash', () => {
  it.each([
    { case: 'lines in another order', a: [file(['x', 'y'], ['z'])], b: [file(['y', 'x'], ['z'])] },
    { case: 'other whitespace (what patch-id drops)', a: [file(['if (a) {'], ['\treturn 1;'])], b: [file(['if(a){ '], ['return\t1 ;\r'])] },
    {
      case: 'split over other files (a rename paired or not)',
      a: [file(['x', 'y'], ['z'])],
      b: [file(['x'], [], 'b'), file(['y'], ['z'], 'c')],
    },
    { case: 'a line added and removed again (an alignment that kept less)', a: [file(['x'], [])], b: [file(['x', 'k'], ['k'])] },
  ])('balances alike: $case', ({ a, b }) => {
    expect(lineBalanceHash(a)).toBe(lineBalanceHash(b));
  });

  it.each([
    { case: 'another line', a: [file(['x'], [])], b: [file(['y'], [])] },
    { case: 'added where the other removes', a: [file(['x'], [])], b: [file([], ['x'])] },
    { case: 'one line more', a: [file(['x'], [])], b: [file(['x', 'x'], [])] },
    { case: 'letters inside a line moved', a: [file(['ab'], [])], b: [file(['ba'], [])] },
  ])('balances differently: $case', ({ a, b }) => {
    expect(lineBalanceHash(a)).not.toBe(lineBalanceHash(b));
  });

  it('cancels the same sides taken the other way round, however aligned', () => {
    // c's diff of c, b, b, a → a, a, c, a, b, a, b as git aligns it, and git's diff of the two the
    // other way round (which is not c's turned round: see test/outcomes.test.ts).
    const forward = lineBalanceHash([file(['a', 'a', 'a', 'b'], ['b'])]);
    const back = lineBalanceHash([file(['a'], ['a', 'a', 'a', 'a'])]);
    expect(balancesCancel(forward, back)).toBe(true);
    expect(oppositeBalance(forward)).toBe(back);
    expect(balancesCancel(forward, forward)).toBe(false);
    expect(lineBalanceHash([])).toBe(0);
    expect(oppositeBalance(0)).toBe(0);
  });
});

// The history's pass hashes each diff line from git's bytes (lineHashOfBytes) and finds its end
// in the same loop: the hash must be lineBalanceHash's of the text those bytes decode to.
describe('lineHashOfBytes', () => {
  const balanceOf = (bytes: Buffer) => {
    const around = Buffer.concat([Buffer.from('-x\n+'), bytes, Buffer.from('\n+tail')]);
    const hash = lineHashOfBytes(around, 4, around.length);
    expect(hashedLineEnd.at).toBe(4 + bytes.length);
    return -hash >>> 0;
  };

  it.each([['plain ascii = 1;'], ['\tif (a) {\r'], ['naïve 名前 = "🎉"'], [''], ['\u00a0\u2028']])('%j', (line) => {
    expect(balanceOf(Buffer.from(line, 'utf8'))).toBe(lineBalanceHash([file([line], [])]));
  });

  it('is the decoded text’s for any bytes, and stops at the end it is given', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 40 }), (raw) => {
        const bytes = Buffer.from(raw.filter((b) => b !== 0x0a));
        expect(balanceOf(bytes)).toBe(lineBalanceHash([file([bytes.toString('utf8')], [])]));
      }),
      { numRuns: 20_000 },
    );
    const text = Buffer.from('+abc def');
    expect(-lineHashOfBytes(text, 1, 5) >>> 0).toBe(lineBalanceHash([file(['abc '], [])]));
    expect(hashedLineEnd.at).toBe(5);
  });
});
