import { describe, expect, it } from 'vitest';
import { GrowingBytes } from '../src/git/growing-bytes.js';

const filled = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) % 251));

describe('GrowingBytes', () => {
  it('grows in place, keeping what it holds and the views taken of it, by doubling or to the size asked', () => {
    const g = new GrowingBytes(16, 1 << 20);
    filled(16).copy(g.bytes);
    const early = g.bytes.subarray(0, 16);
    g.grow(20, 16);
    expect(g.bytes.length).toBe(32);
    expect(g.bytes.subarray(0, 16)).toEqual(filled(16));
    g.bytes.fill(7, 16, 32);
    const before = g.bytes;
    g.grow(1000, 32);
    expect(g.bytes.length).toBe(1000);
    expect(g.bytes.subarray(0, 16)).toEqual(filled(16));
    expect(g.bytes.subarray(16, 32)).toEqual(Buffer.alloc(16, 7));
    // In place: the views taken before read the same bytes, and see what is written after.
    g.bytes[3] = 200;
    expect(before[3]).toBe(200);
    expect(early[3]).toBe(200);
    g.grow(10, 10); // room enough already: nothing changes
    expect(g.bytes.length).toBe(1000);
  });

  it('shrinks back to its first size, and the views of what it held read nothing', () => {
    const g = new GrowingBytes(16, 1 << 20);
    g.grow(100_000, 0);
    filled(100_000).copy(g.bytes);
    const view = g.bytes.subarray(50_000, 50_010);
    expect(g.largerThan(64)).toBe(true);
    g.shrink();
    expect(g.bytes.length).toBe(16);
    expect(g.largerThan(64)).toBe(false);
    expect(view.length).toBe(0);
    // And grows again from there.
    g.grow(40, 0);
    filled(40, 9).copy(g.bytes);
    expect(g.bytes.subarray(0, 40)).toEqual(filled(40, 9));
  });

  it('lets its bytes go to a holder, who keeps them as they stand while it goes on with new ones', () => {
    const g = new GrowingBytes(16, 1 << 20);
    g.grow(5000, 0);
    filled(5000).copy(g.bytes);
    const kept = g.bytes.subarray(0, 5000);
    g.release();
    expect(g.bytes.length).toBe(16);
    g.grow(5000, 0);
    g.bytes.fill(0);
    g.shrink();
    expect(kept).toEqual(filled(5000));
  });

  it('past the most it grows in place, allocates and copies', () => {
    const g = new GrowingBytes(16, 64);
    filled(16).copy(g.bytes);
    g.grow(48, 16);
    filled(32, 16).copy(g.bytes, 16);
    g.grow(200, 48);
    expect(g.bytes.length).toBe(200);
    expect(g.bytes.subarray(0, 48)).toEqual(filled(48));
    g.shrink();
    expect(g.bytes.length).toBe(16);
  });
});
