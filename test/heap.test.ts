import { getHeapStatistics } from 'node:v8';
import { describe, expect, it } from 'vitest';
import { collectIfGrown, HeapGrowth, heapPacer, withPacedHeap } from '../src/heap.js';

const MB = 1024 * 1024;

describe('heap pacing (src/heap.ts)', () => {
  it.each([
    // [heap in use at each call (MB), which calls collect]
    { name: 'below the floor: never', uses: [10, 50, 63], collects: [false, false, false] },
    { name: 'past the floor: the first call', uses: [70, 71, 72], collects: [true, false, false] },
    // After one that left 40 MB: the next at 1.25 × 40 + 24 = 74 MB.
    { name: 'then at a quarter again over the live set plus slack', uses: [100, 73, 74, 70], collects: [true, false, true, false] },
    // A phase's end: past the floor is enough, however much the last collection left.
    { name: 'after a phase: past the floor', uses: [100, 'phase:70', 'phase:63'], collects: [true, true, false] },
    { name: 'after a phase whose live set was large', uses: [100, 100, 'phase:100'], collects: [true, false, true], live: 90 },
  ])('$name', ({ uses, collects, live = 40 }) => {
    let used = 0;
    let collected = 0;
    // What malloc kept is given back after each collection, and only then.
    let released = 0;
    const pacer = heapPacer({
      used: () => used * MB,
      collect: () => {
        collected++;
        used = live;
      },
      floor: 64 * MB,
      slack: 24 * MB,
      release: () => {
        expect(used).toBe(live);
        released++;
      },
    });
    const seen = uses.map((u) => {
      used = typeof u === 'number' ? u : Number(u.slice('phase:'.length));
      return typeof u === 'number' ? pacer.collectIfGrown() : pacer.collectAfterPhase();
    });
    expect(seen).toEqual(collects);
    expect(collected).toBe(collects.filter(Boolean).length);
    expect(released).toBe(collected);
  });

  it.each([
    // Live 60 MB: the ratio's bound is 1.25 × 60 + 24 = 99 MB, the ceiling's 88.
    { name: 'a ceiling under the ratio: collects at the ceiling', live: 60, uses: [100, 87, 88], collects: [true, false, true] },
    { name: 'no ceiling: at the ratio', live: 60, uses: [100, 88, 98, 99], collects: [true, false, false, true], ceiling: null },
    // Live 70 MB, over three quarters of 88: a collection there would free under 22 MB — the ratio alone (111.5 MB).
    { name: 'a live set near the ceiling: the ratio alone', live: 70, uses: [100, 95, 111, 112], collects: [true, false, false, true] },
    // Below the floor nothing, ceiling or not.
    { name: 'a ceiling under the floor: the floor', live: 10, uses: [100, 50, 63, 64], collects: [true, false, false, true], ceiling: 40 },
  ])('$name', ({ live, uses, collects, ceiling = 88 as number | null }) => {
    let used = 0;
    const pacer = heapPacer({
      used: () => used * MB,
      collect: () => {
        used = live;
      },
      floor: 64 * MB,
      slack: 24 * MB,
      ceiling: ceiling === null ? undefined : ceiling * MB,
    });
    expect(
      uses.map((u) => {
        used = u;
        return pacer.collectIfGrown();
      }),
    ).toEqual(collects);
  });

  it('with a collector that finds none can be had, it records nothing', () => {
    const lives: number[] = [];
    const pacer = heapPacer({
      used: () => 500 * MB,
      collect: () => false,
      floor: 64 * MB,
      slack: 24 * MB,
      collected: (l) => lives.push(l),
    });
    expect(pacer.collectIfGrown()).toBe(false);
    expect(pacer.collectAfterPhase()).toBe(false);
    expect(lives).toEqual([]);
  });

  it.each([
    { name: 'a heap under the floor with array buffers past it: collects', heap: 30, outside: 40, collects: true },
    { name: 'a heap and array buffers under the floor together: nothing', heap: 30, outside: 20, collects: false },
    { name: 'a heap past the floor alone: collects', heap: 70, outside: 0, collects: true },
  ])('after a phase, $name', ({ heap, outside, collects }) => {
    let collected = 0;
    const pacer = heapPacer({
      used: () => heap * MB,
      outside: () => outside * MB,
      collect: () => {
        collected++;
      },
      floor: 64 * MB,
      slack: 24 * MB,
    });
    expect(pacer.collectAfterPhase()).toBe(collects);
    expect(collected).toBe(collects ? 1 : 0);
    // Between batches only the heap counts: 30 MB in use is under the floor whatever else is held.
    if (heap < 64) expect(pacer.collectIfGrown()).toBe(false);
  });

  it('without a collector it does nothing', () => {
    const pacer = heapPacer({ used: () => 500 * MB, collect: null, floor: 64 * MB, slack: 24 * MB });
    expect(pacer.collectIfGrown()).toBe(false);
  });

  it("the process's pacer runs V8's full collection: garbage past the floor is gone after it", () => {
    const baseline = getHeapStatistics().used_heap_size;
    let garbage: string[] | null = Array.from({ length: 1_500_000 }, (_, i) => `line ${i} of text no one keeps`);
    const before = getHeapStatistics().used_heap_size;
    // Past the floor (64 MB) whatever the heap held before: the garbage alone is more.
    expect(before - baseline).toBeGreaterThan(64 * MB);
    garbage = null;
    expect(garbage).toBeNull();
    expect(collectIfGrown()).toBe(true);
    expect(getHeapStatistics().used_heap_size).toBeLessThan(before - 60 * MB);
  });

  it.each([
    // [what happens, the percents V8 is given]
    { name: 'a small live set: V8 chooses', steps: ['enter', 'live:60', 'live:63', 'leave'], set: [] },
    { name: 'from 64 MB: 50%', steps: ['enter', 'live:63', 'live:64', 'live:80', 'leave'], set: [50, 0] },
    { name: 'a large live set in a build: 50%, back to V8 at its end', steps: ['enter', 'live:130', 'live:140', 'leave'], set: [50, 0] },
    { name: 'the live set shrinks: V8 chooses again', steps: ['enter', 'live:130', 'live:40', 'live:120', 'leave'], set: [50, 0, 50, 0] },
    { name: 'outside a build: nothing', steps: ['live:200', 'enter', 'leave', 'live:200'], set: [] },
    { name: 'nested builds: back once the last ends', steps: ['enter', 'enter', 'live:100', 'leave', 'live:100', 'leave'], set: [50, 0] },
  ])("V8's heap growth: $name", ({ steps, set }) => {
    const seen: number[] = [];
    const growth = new HeapGrowth((percent) => seen.push(percent));
    for (const step of steps) {
      if (step === 'enter') growth.enter();
      else if (step === 'leave') growth.leave();
      else growth.live(Number(step.slice('live:'.length)) * MB);
    }
    expect(seen).toEqual(set);
  });

  it('a build gives its growth back when it ends, thrown or not', async () => {
    const seen: number[] = [];
    const growth = new HeapGrowth((percent) => seen.push(percent));
    await expect(
      withPacedHeap(async () => {
        growth.live(200 * MB);
        throw new Error('a build that fails');
      }, growth),
    ).rejects.toThrow('a build that fails');
    expect(seen).toEqual([50, 0]);
    expect(await withPacedHeap(async () => 1, growth)).toBe(1);
    expect(seen).toEqual([50, 0]);
  });
});
