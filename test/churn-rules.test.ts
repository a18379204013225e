import { describe, expect, it } from 'vitest';
import { type Evidence, evidenceFingerprint } from '../src/builders/churn/evidence.js';
import { type ChurnSubject, LiveLines, POOLED_BYTES, SlotPool } from '../src/builders/churn/live-lines.js';
import { NORMAL_LINE_KEY } from '../src/builders/line-keys.js';
import { isNontrivialRange, normalLineHash } from '../src/builders/lines.js';
import { type KeyedFile, keyedFiles } from '../src/git/record-patches.js';
import type { CommitPatch, FilePatch } from '../src/git/patches.js';

/** The churn rules of src/builders/churn on their own: lines, windows, moves and renames. */

const DAY = 86400e3;
const file = (path: string, change: Partial<FilePatch> = {}): FilePatch => ({ path, oldPath: null, added: [], removed: [], ...change });
/** A patch's files by their lines' keys, as the churn pass hands them to LiveLines. */
const keyed = (patch: CommitPatch) => keyedFiles(patch, NORMAL_LINE_KEY, isNontrivialRange);
const subjectAt = (at: number): ChurnSubject => ({ sha: 's', at, lines: 0, aiWeight: 0, churned: 0, aiChurned: 0 });

describe('LiveLines', () => {
  it.each([
    ['a deletion inside the window churns', [file('a.ts', { removed: ['  x = compute()'] })], 3 * DAY, 1, 1],
    ['a deletion after the window does not', [file('a.ts', { removed: ['x = compute()'] })], 20 * DAY, 0, 0],
    ['a move within the file is not churn', [file('a.ts', { removed: ['x = compute()'], added: ['x = compute()'] })], DAY, 0, 0],
    [
      'a move to another file is not churn',
      [file('a.ts', { removed: ['x = compute()'] }), file('b.ts', { added: ['x = compute()'] })],
      DAY,
      0,
      0,
    ],
    ['a reformat (whitespace only) is not churn', [file('a.ts', { removed: ['x = compute()'], added: ['x  =  compute()'] })], DAY, 0, 0],
    ['an edit of the line is churn', [file('a.ts', { removed: ['x = compute()'], added: ['x = compute(2)'] })], DAY, 1, 1],
    ['a deletion in another file is not', [file('b.ts', { removed: ['x = compute()'] })], DAY, 0, 0],
  ] as const)('%s', (_name, files, after, churned, aiChurned) => {
    const live = new LiveLines(14 * DAY);
    const s = subjectAt(0);
    live.add(s, 'a.ts', normalLineHash('x = compute()'), 1);
    live.remove(keyed({ sha: 'later', files: [...files] }), after);
    expect([s.churned, s.aiChurned]).toEqual([churned, aiChurned]);
  });

  it('a renamed file carries its lines to the new path', () => {
    const live = new LiveLines(14 * DAY);
    const s = subjectAt(0);
    live.add(s, 'a.ts', normalLineHash('x = compute()'), 0.5);
    live.remove(keyed({ sha: 'rename', files: [file('b.ts', { oldPath: 'a.ts' })] }), DAY);
    live.remove(keyed({ sha: 'edit', files: [file('b.ts', { removed: ['x = compute()'] })] }), 2 * DAY);
    expect([s.churned, s.aiChurned]).toEqual([1, 0.5]);
  });

  it('a rename onto a path with the same text keeps every copy; deletions take the newest first, one each', () => {
    const live = new LiveLines(14 * DAY);
    const [onB, onA1, onA2] = [subjectAt(0), subjectAt(DAY), subjectAt(2 * DAY)];
    live.add(onB, 'b.ts', normalLineHash('x = compute()'), 1);
    live.add(onA1, 'a.ts', normalLineHash('x = compute()'), 0);
    live.add(onA2, 'a.ts', normalLineHash('x = compute()'), 0.5);
    live.remove(keyed({ sha: 'rename', files: [file('b.ts', { oldPath: 'a.ts' })] }), 3 * DAY);
    const deleteOne = (at: number) => live.remove(keyed({ sha: 'd', files: [file('b.ts', { removed: ['x = compute()'] })] }), at);
    deleteOne(4 * DAY);
    expect([onB.churned, onA1.churned, onA2.churned]).toEqual([0, 0, 1]);
    deleteOne(5 * DAY);
    deleteOne(6 * DAY);
    deleteOne(7 * DAY);
    expect([onB.churned, onA1.churned, onA2.churned, onB.aiChurned, onA2.aiChurned]).toEqual([1, 1, 1, 1, 0.5]);
  });

  it('each line churns with the weight it was added with, also a subject added under two shares', () => {
    const live = new LiveLines(14 * DAY);
    const s = subjectAt(0);
    const other = subjectAt(0);
    live.add(s, 'a.ts', normalLineHash('x = 1'), 0.25);
    live.add(other, 'a.ts', normalLineHash('v = 5'), 0.5);
    live.add(s, 'a.ts', normalLineHash('y = 2'), 1);
    live.add(s, 'a.ts', normalLineHash('z = 3'), 0.75);
    live.add(s, 'a.ts', normalLineHash('w = 4'), 0);
    live.remove(keyed({ sha: 'd1', files: [file('a.ts', { removed: ['x = 1'] })] }), DAY);
    expect([s.churned, s.aiChurned]).toEqual([1, 0.25]);
    live.remove(keyed({ sha: 'd2', files: [file('a.ts', { removed: ['y = 2', 'z = 3', 'w = 4', 'v = 5'] })] }), 2 * DAY);
    expect([s.churned, s.aiChurned, other.churned, other.aiChurned]).toEqual([4, 2, 1, 0.5]);
  });

  it('a line deleted once churns once: the second deletion finds nothing', () => {
    const live = new LiveLines(14 * DAY);
    const s = subjectAt(0);
    live.add(s, 'a.ts', normalLineHash('x = compute()'), 1);
    const removal = { sha: 'del', files: [file('a.ts', { removed: ['x = compute()'] })] };
    live.remove(keyed(removal), DAY);
    live.remove(keyed(removal), 2 * DAY);
    expect(s.churned).toBe(1);
  });

  it('sweep drops lines whose window closed, and keeps open ones', () => {
    const live = new LiveLines(14 * DAY);
    const old = subjectAt(0);
    const fresh = subjectAt(10 * DAY);
    live.add(old, 'a.ts', normalLineHash('x = compute()'), 1);
    live.add(fresh, 'a.ts', normalLineHash('x = compute()'), 1);
    live.sweep(15 * DAY);
    // Both copies were live; after the sweep only the fresh one is, so two deletions churn it once.
    live.remove(keyed({ sha: 'd1', files: [file('a.ts', { removed: ['x = compute()', 'x = compute()'] })] }), 16 * DAY);
    expect([old.churned, fresh.churned]).toEqual([0, 1]);
  });

  it('sweep keeps exactly the lines whose window is open at its time, single or in a list, and drops emptied paths', () => {
    const live = new LiveLines(14 * DAY);
    const old = subjectAt(0);
    const edge = subjectAt(DAY); // its window closes at 15 days: still open at a sweep then
    const fresh = subjectAt(10 * DAY);
    const lines: [ChurnSubject, string, string][] = [
      [old, 'a.ts', 'single old'],
      [fresh, 'a.ts', 'single fresh'],
      [edge, 'a.ts', 'single edge'],
      [old, 'a.ts', 'list'],
      [edge, 'a.ts', 'list'],
      [fresh, 'a.ts', 'list'],
      [edge, 'a.ts', 'both open'],
      [fresh, 'a.ts', 'both open'],
      [old, 'a.ts', 'both closed'],
      [old, 'a.ts', 'both closed'],
      [old, 'b.ts', 'gone'],
    ];
    for (const [s, path, text] of lines) live.add(s, path, normalLineHash(text), 1);
    expect(live.size()).toEqual({ lines: 11, paths: 2 });
    live.sweep(15 * DAY);
    expect(live.size()).toEqual({ lines: 6, paths: 1 });
    live.sweep(15 * DAY); // nothing more closed
    expect(live.size()).toEqual({ lines: 6, paths: 1 });
    const removed = ['single old', 'single fresh', 'single edge', 'list', 'list', 'list', 'both open', 'both open', 'both closed'];
    live.remove(keyed({ sha: 'd1', files: [file('a.ts', { removed }), file('b.ts', { removed: ['gone'] })] }), 15 * DAY);
    expect([old.churned, edge.churned, fresh.churned]).toEqual([0, 3, 3]);
    expect(live.size()).toEqual({ lines: 0, paths: 1 });
    live.sweep(40 * DAY);
    expect(live.size()).toEqual({ lines: 0, paths: 0 });
  });
});

// LiveLines keeps each path's lines in a table of its own (open addressing over the keys' low
// bits): keys that share their low bits probe past one another and past deleted slots, tables
// grow, and shrink after a sweep. Held against a model of the rules as plain lists, over seeded
// random histories whose keys mostly collide (k + i·2³²: the same low 32 bits).
describe('LiveLines against a model of its rules', () => {
  type ModelLine = { s: ChurnSubject; w: number };
  class Model {
    readonly byPath = new Map<string, Map<number, ModelLine[]>>();
    constructor(private readonly windowMs: number) {}
    add(s: ChurnSubject, path: string, key: number, w: number) {
      const byKey = this.byPath.get(path) ?? new Map<number, ModelLine[]>();
      this.byPath.set(path, byKey);
      byKey.set(key, [...(byKey.get(key) ?? []), { s, w }]);
    }
    remove(files: readonly KeyedFile[], at: number) {
      const readded = new Map<number, number>();
      for (const f of files) for (const key of f.added) readded.set(key, (readded.get(key) ?? 0) + 1);
      for (const f of files) {
        const from = f.oldPath ?? f.path;
        const byKey = this.byPath.get(from);
        if (!byKey) continue;
        for (const key of f.removed) {
          const lines = byKey.get(key) ?? [];
          if (lines.length === 0) continue;
          if ((readded.get(key) ?? 0) > 0) {
            readded.set(key, readded.get(key)! - 1);
            continue;
          }
          const { s, w } = lines.pop()!;
          if (lines.length === 0) byKey.delete(key);
          if (at > s.at && at <= s.at + this.windowMs) {
            s.churned++;
            s.aiChurned += w;
          }
        }
        if (f.oldPath && f.oldPath !== f.path) {
          this.byPath.delete(f.oldPath);
          const into = this.byPath.get(f.path);
          if (!into) this.byPath.set(f.path, byKey);
          else for (const [key, lines] of byKey) into.set(key, [...(into.get(key) ?? []), ...lines]);
        }
      }
    }
    sweep(at: number) {
      for (const [path, byKey] of this.byPath) {
        for (const [key, lines] of byKey) {
          const open = lines.filter((l) => l.s.at >= at - this.windowMs);
          if (open.length === 0) byKey.delete(key);
          else byKey.set(key, open);
        }
        if (byKey.size === 0) this.byPath.delete(path);
      }
    }
    size() {
      let lines = 0;
      for (const byKey of this.byPath.values()) for (const l of byKey.values()) lines += l.length;
      return { lines, paths: this.byPath.size };
    }
  }

  it.each([1, 2, 3, 4, 5, 6, 7, 8])('seed %i: the same churn, line for line, and the same lines left', (seed) => {
    let state = seed;
    const random = (n: number) => {
      state = (state * 1103515245 + 12345) % 2147483648;
      return state % n;
    };
    // 40 texts: most share their low bits with others (a few slots for many keys), some not.
    const keys = Array.from({ length: 40 }, (_, i) => (i < 30 ? 5 + (i % 3) * 8 + Math.floor(i / 3) * 2 ** 32 : 2 ** 40 + i * 977));
    const paths = ['a.ts', 'b.ts', 'c.ts', 'd.ts'];
    const window = 14 * DAY;
    const live = new LiveLines(window);
    const model = new Model(window);
    const subjects: [ChurnSubject, ChurnSubject][] = [];
    let at = 0;
    for (let step = 0; step < 600; step++) {
      at += (random(3) * DAY) / 2;
      const op = random(10);
      if (op < 5) {
        const s: [ChurnSubject, ChurnSubject] = [subjectAt(at), subjectAt(at)];
        subjects.push(s);
        const weight = [0, 1, 0.5][random(3)]!;
        for (let n = 1 + random(12); n > 0; n--) {
          const path = paths[random(paths.length)]!;
          const key = keys[random(keys.length)]!;
          live.add(s[0], path, key, weight);
          model.add(s[1], path, key, weight);
        }
      } else if (op < 9) {
        const files: KeyedFile[] = paths
          .filter(() => random(2) === 0)
          .map((path) => {
            const renamed = random(8) === 0;
            return {
              path: renamed ? paths[random(paths.length)]! : path,
              oldPath: renamed ? path : null,
              added: Float64Array.from({ length: random(4) }, () => keys[random(keys.length)]!),
              addedFlags: new Uint8Array(0),
              removed: Float64Array.from({ length: random(16) }, () => keys[random(keys.length)]!),
            };
          });
        live.remove(files, at);
        model.remove(files, at);
      } else {
        live.sweep(at);
        model.sweep(at);
      }
      expect(live.size(), `step ${step}`).toEqual(model.size());
    }
    const churn = (s: ChurnSubject) => [s.churned, s.aiChurned];
    expect(subjects.map(([l]) => churn(l))).toEqual(subjects.map(([, m]) => churn(m)));
    // Not an empty comparison: lines churned, lines moved, and lines left.
    expect(subjects.reduce((n, [l]) => n + l.churned, 0)).toBeGreaterThan(20);
    expect(live.size().lines).toBeGreaterThan(0);
  });
});

describe('churn evidence', () => {
  const cases: [Evidence, string][] = [
    [{ lines: [{ path: 'a', text: 'x' }] }, 'l1'],
    [{ count: 3 }, 'c3'],
    [{ count: 0 }, 'c0'],
  ];
  it.each(cases)('%j → %s', (e, expected) => {
    expect(evidenceFingerprint(e)).toBe(expected);
  });
});

// The churn tables' slots are kept for the next table of their size, within a bound in bytes: past
// it a buffer goes to the collector (git's own history's first run peaks where churn ends).
describe('SlotPool', () => {
  it('keeps buffers for their size up to its bound in bytes, and hands back what it kept', () => {
    const pool = new SlotPool();
    const slots = 1 << 14; // 13 bytes a slot: 208 KiB a table
    const tables = Array.from({ length: 12 }, () => pool.take(slots));
    const buffers = tables.map(([keys]) => keys.buffer);
    expect(new Set(buffers).size).toBe(12);
    for (const [keys, values, states] of tables) {
      states.fill(1);
      pool.give(keys, values, states);
    }
    const kept = Math.floor(POOLED_BYTES / (slots * 13));
    expect(kept).toBe(9);
    const again = Array.from({ length: 12 }, () => pool.take(slots));
    const reused = again.filter(([keys]) => buffers.includes(keys.buffer));
    expect(reused).toHaveLength(kept);
    // A kept table comes back empty.
    for (const [, , states] of reused) expect(states.every((s) => s === 0)).toBe(true);
  });
});
