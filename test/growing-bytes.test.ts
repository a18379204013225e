import { describe, expect, it } from 'vitest';
import { GrowingBytes } from '../src/git/growing-bytes.js';

const filled = (n: number, from = 0) => Buffer.from(Array.from({ length: n }, (_, i) => (from + i) % 251));

describe('GrowingBytes', () => {
  it('keeps what it holds as it grows: copied while small, in place from the size given, by doubling or to the size asked', () => {
    const g = new GrowingBytes(16, 1 << 16, 1 << 22);
    filled(16).copy(g.bytes);
    g.grow(20, 16);
    expect(g.bytes.length).toBe(32);
    expect(g.bytes.subarray(0, 16)).toEqual(filled(16));
    g.bytes.fill(7, 16, 32);
    g.grow(1000, 32);
    expect(g.bytes.length).toBe(1000);
    expect(g.inPlace).toBe(false);
    filled(1000).copy(g.bytes);
    // Past 64 KiB: a WebAssembly memory of whole pages, the bytes copied into it once.
    g.grow(100_000, 1000);
    expect(g.inPlace).toBe(true);
    expect(g.bytes.length).toBe(131072);
    expect(g.bytes.subarray(0, 1000)).toEqual(filled(1000));
    filled(100_000, 3).copy(g.bytes);
    const before = g.bytes;
    // Then in place: the same memory, larger; the view of it before is detached.
    g.grow(300_000, 100_000);
    expect(g.bytes.length).toBe(327680);
    expect(g.bytes.subarray(0, 100_000)).toEqual(filled(100_000, 3));
    expect(before.length).toBe(0);
    g.grow(10, 10); // room enough already: nothing changes
    expect(g.bytes.length).toBe(327680);
    expect(g.largerThan(300_000)).toBe(true);
  });

  it('starts again small, and the bytes it held stay as they are for whoever holds them', () => {
    const g = new GrowingBytes(16, 1 << 16, 1 << 22);
    g.grow(200_000, 0);
    filled(200_000).copy(g.bytes);
    const kept = g.bytes.subarray(0, 200_000);
    g.reset();
    expect(g.bytes.length).toBe(16);
    expect(g.largerThan(16)).toBe(false);
    g.grow(200_000, 0);
    g.bytes.fill(0);
    g.grow(400_000, 200_000);
    g.reset();
    expect(kept).toEqual(filled(200_000));
  });

  it('past the most it grows in place, allocates and copies', () => {
    const g = new GrowingBytes(16, 1 << 16, 1 << 17);
    g.grow(100_000, 0);
    filled(100_000).copy(g.bytes);
    g.grow(200_000, 100_000);
    expect(g.inPlace).toBe(false);
    expect(g.bytes.length).toBe(262144);
    expect(g.bytes.subarray(0, 100_000)).toEqual(filled(100_000));
  });
});
