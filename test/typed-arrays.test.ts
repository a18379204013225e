import { describe, expect, it } from 'vitest';
import { grown } from '../src/git/typed-arrays.js';

// The graphs and indexes grow their columns by doubling; a parent graph's "not listed" is -1, so a
// grown column's new places must hold the fill asked, and the old ones their values.
describe('grown', () => {
  it.each([
    ['Int32Array, filled -1', Int32Array.from([5, -7, 9]), -1, [5, -7, 9, -1, -1, -1]],
    ['Int32Array', Int32Array.from([5, -7, 9]), 0, [5, -7, 9, 0, 0, 0]],
    ['Uint8Array', Uint8Array.from([1, 0, 255]), 0, [1, 0, 255, 0, 0, 0]],
    ['Float64Array', Float64Array.from([0.5, Number.NaN, 1.7e9]), 0, [0.5, Number.NaN, 1.7e9, 0, 0, 0]],
  ] as const)('%s keeps its values and type, its new places the fill', (_, array, fill, expected) => {
    const bigger = grown(array, 6, fill);
    expect(bigger.constructor).toBe(array.constructor);
    expect([...bigger]).toEqual(expected);
    expect(bigger).not.toBe(array);
  });
});
