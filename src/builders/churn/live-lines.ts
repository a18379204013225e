import type { KeyedFile } from '../../git/record-patches.js';

/** A mainline commit whose lines churn is counted for (one event_commit_churn row). */
export interface ChurnSubject {
  sha: string;
  /** When it reached mainline (ms). */
  at: number;
  /** Non-trivial added lines. */
  lines: number;
  /** AI lines among them (a weight when only a share is known). */
  aiWeight: number;
  churned: number;
  aiChurned: number;
}

/**
 * One live line as a small integer: which entry of the subjects it belongs to (LiveLines.entries)
 * times four, plus its weight's kind — 0 and 1 for a line without and with AI evidence, 2 for the
 * entry's share (a subject with only an AI line count spreads one share over all its lines). Held
 * as objects ({subject, weight}), every line added made one that lived through its window: on git's
 * own history's first run the churn pass spent 2.5 s of its 8.7 s in the collector — scavenges
 * copying the lines young, then full collections freeing them old (bench/README, session 43).
 */
type LiveLine = number;

const NO_AI = 0;
const AI = 1;
const SHARE = 2;

/**
 * One path's live lines by normal line (its normalLineHash), each text's lines oldest first: an
 * open-addressing table in typed arrays, not a Map. Keyed by a number past 31 bits, a Map boxed
 * every key, and its tables grew and shrank by copying as a window's lines came and went: ~380 MB
 * of the churn pass's ~900 MB of garbage on the 80k bench history's first run (set 284 MB, delete
 * 95 MB). A text present once (most are) holds its line in the table; one present more often, a
 * list of them (`lists`), the table holding the list's index as ~index.
 */
class PathLines {
  private keys: Float64Array;
  private values: Int32Array;
  /** EMPTY, FULL or GONE (a deleted slot, which a probe passes over). */
  private states: Uint8Array;
  private readonly lists: (LiveLine[] | null)[] = [];
  private readonly freeLists: number[] = [];
  /** Texts present, and slots not EMPTY. */
  size = 0;
  private taken = 0;

  constructor(private readonly pool: SlotPool) {
    [this.keys, this.values, this.states] = pool.take(MIN_SLOTS);
  }

  /** Hands its slots back to the pool: the table is not used again. */
  release(): void {
    this.pool.give(this.keys, this.values, this.states);
  }

  /** Adds a line of this text, as its newest. */
  add(key: number, line: LiveLine): void {
    const slot = this.slotOf(key);
    if (slot >= 0) {
      const value = this.values[slot]!;
      if (value >= 0) this.values[slot] = ~this.newList(value, line);
      else this.lists[~value]!.push(line);
      return;
    }
    if ((this.taken + 1) * 4 > this.keys.length * 3) this.resize(this.size + 1);
    this.insert(key, line);
  }

  has(key: number): boolean {
    return this.slotOf(key) >= 0;
  }

  /** Removes this text's newest line; undefined when none is present. */
  pop(key: number): LiveLine | undefined {
    const slot = this.slotOf(key);
    if (slot < 0) return undefined;
    const value = this.values[slot]!;
    if (value >= 0) {
      this.drop(slot);
      return value;
    }
    const list = this.lists[~value]!;
    const line = list.pop()!;
    if (list.length === 1) {
      this.values[slot] = list[0]!;
      this.freeList(~value);
    }
    return line;
  }

  /**
   * Calls `each` with every text's lines, oldest first (a list lent for the call), and keeps of
   * them what it returns: `true` all of them, `false` none, or a filter to keep those it passes.
   */
  keep(each: (lines: readonly LiveLine[] | LiveLine) => boolean | ((line: LiveLine) => boolean)): void {
    for (let slot = 0; slot < this.states.length; slot++) {
      if (this.states[slot] !== FULL) continue;
      const value = this.values[slot]!;
      const lines = value >= 0 ? value : this.lists[~value]!;
      const kept = each(lines);
      if (kept === true) continue;
      if (kept === false) {
        if (value < 0) this.freeList(~value);
        this.drop(slot);
        continue;
      }
      // A list, some of its lines closed (a single line is kept or not).
      const list = (lines as LiveLine[]).filter(kept);
      if (list.length === 0) {
        this.freeList(~value);
        this.drop(slot);
      } else if (list.length === 1) {
        this.freeList(~value);
        this.values[slot] = list[0]!;
      } else this.lists[~value] = list;
    }
    // Mostly deleted slots after a sweep: a smaller table, its probes short again.
    if (this.keys.length > MIN_SLOTS && this.size * 16 < this.keys.length) this.resize(this.size);
  }

  /** Every text's key and lines, oldest first (a list lent for the call). */
  forEach(each: (key: number, lines: readonly LiveLine[] | LiveLine) => void): void {
    for (let slot = 0; slot < this.states.length; slot++) {
      if (this.states[slot] !== FULL) continue;
      const value = this.values[slot]!;
      each(this.keys[slot]!, value >= 0 ? value : this.lists[~value]!);
    }
  }

  /** How many lines are present. */
  lineCount(): number {
    let lines = 0;
    this.forEach((_, l) => {
      lines += typeof l === 'number' ? 1 : l.length;
    });
    return lines;
  }

  /** The slot holding this key, or -1. */
  private slotOf(key: number): number {
    const mask = this.keys.length - 1;
    // The key is a hash already: its low bits are as good as any.
    for (let slot = key & mask; ; slot = (slot + 1) & mask) {
      const state = this.states[slot];
      if (state === EMPTY) return -1;
      if (state === FULL && this.keys[slot] === key) return slot;
    }
  }

  /** Puts a key known absent in its first free slot. */
  private insert(key: number, value: number): void {
    const mask = this.keys.length - 1;
    let slot = key & mask;
    while (this.states[slot] === FULL) slot = (slot + 1) & mask;
    if (this.states[slot] === EMPTY) this.taken++;
    this.states[slot] = FULL;
    this.keys[slot] = key;
    this.values[slot] = value;
    this.size++;
  }

  private drop(slot: number): void {
    this.states[slot] = GONE;
    this.size--;
  }

  /** A table of slots for `size` texts (at most half full), every present text put in again. */
  private resize(size: number): void {
    let slots = MIN_SLOTS;
    while (slots < size * 2) slots *= 2;
    const { keys, values, states } = this;
    [this.keys, this.values, this.states] = this.pool.take(slots);
    this.size = 0;
    this.taken = 0;
    for (let slot = 0; slot < states.length; slot++) if (states[slot] === FULL) this.insert(keys[slot]!, values[slot]!);
    this.pool.give(keys, values, states);
  }

  private newList(first: LiveLine, second: LiveLine): number {
    const at = this.freeLists.pop();
    if (at === undefined) return this.lists.push([first, second]) - 1;
    this.lists[at] = [first, second];
    return at;
  }

  private freeList(at: number): void {
    this.lists[at] = null;
    this.freeLists.push(at);
  }
}

/**
 * A commit's added lines anywhere, by key, each one taken at most once (by a removed line of its
 * text that is then a move, not churn): the keys sorted in a typed array, not counted in a Map
 * (a Map per such commit boxed every key: ~70 MB of the churn pass's garbage on the 80k bench
 * history's first run).
 */
class ReaddedLines {
  private readonly keys: Float64Array;
  /** How many of each key's run in `keys` are taken, at the run's first index. */
  private readonly taken: Uint32Array;

  constructor(files: readonly KeyedFile[]) {
    let n = 0;
    for (const f of files) n += f.added.length;
    this.keys = new Float64Array(n);
    n = 0;
    for (const f of files) {
      this.keys.set(f.added, n);
      n += f.added.length;
    }
    this.keys.sort();
    this.taken = new Uint32Array(n);
  }

  /** Takes one added line of this text; false when none is left. */
  take(key: number): boolean {
    const { keys } = this;
    let lo = 0;
    let hi = keys.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (keys[mid]! < key) lo = mid + 1;
      else hi = mid;
    }
    if (lo === keys.length || keys[lo] !== key) return false;
    const taken = this.taken[lo]!;
    if (lo + taken >= keys.length || keys[lo + taken] !== key) return false;
    this.taken[lo] = taken + 1;
    return true;
  }
}

/**
 * Tables' slots, kept for the next table of their size when a table grows, shrinks or goes: a
 * window's paths come and go, and a new ArrayBuffer per table made and dropped was most of the
 * tables' own cost (~0.3 s of the 80k bench history's first run). One buffer per table holds its
 * keys, values and states. Bounded in bytes too: on git's own history with its pull requests the
 * pool held 7.2 MiB near churn's end, where the whole first run peaks at the edge of its budget.
 */
export class SlotPool {
  private readonly free = new Map<number, [Float64Array, Int32Array, Uint8Array][]>();
  /** The bytes of the buffers kept. */
  private bytes = 0;

  take(slots: number): [Float64Array, Int32Array, Uint8Array] {
    const kept = this.free.get(slots)?.pop();
    if (kept) {
      this.bytes -= slots * SLOT_BYTES;
      kept[2].fill(EMPTY);
      return kept;
    }
    const buffer = new ArrayBuffer(slots * SLOT_BYTES);
    return [new Float64Array(buffer, 0, slots), new Int32Array(buffer, slots * 8, slots), new Uint8Array(buffer, slots * 12, slots)];
  }

  give(keys: Float64Array, values: Int32Array, states: Uint8Array): void {
    let list = this.free.get(keys.length);
    if (!list) {
      list = [];
      this.free.set(keys.length, list);
    }
    // Bounded: past a few of a size, or past the pool's bytes, a buffer goes to the collector as it
    // would without the pool.
    const size = keys.length * SLOT_BYTES;
    if (list.length >= POOLED_PER_SIZE || this.bytes + size > POOLED_BYTES) return;
    list.push([keys, values, states]);
    this.bytes += size;
  }
}

const POOLED_PER_SIZE = 4096;
/** The most bytes the pool keeps: 4,096 of the smallest tables are 0.8 MiB. */
export const POOLED_BYTES = 2 << 20;
/** A slot's bytes: its key (8), value (4) and state (1). */
const SLOT_BYTES = 13;
const MIN_SLOTS = 16;
const EMPTY = 0;
const FULL = 1;
const GONE = 2;

/**
 * The subjects' lines still present on mainline, by path and normal line (its normalLineHash;
 * newest last), as the churn pass walks mainline forward. A later commit that deletes one inside
 * its subject's window churns it; one that adds the same text back (a move, a reformat) does not.
 * A first run holds a window's lines of the whole mainline: each line a number (LiveLine), each
 * path's lines in a table of numbers (PathLines), its key the line's hash, not a copy of the line
 * (on git's own history a copy and its map entry cost twice the time of the hash's).
 */
export class LiveLines {
  private readonly byPath = new Map<string, PathLines>();
  private readonly pool = new SlotPool();
  /** The lines' subjects, each with the share its SHARE lines weigh (an entry per subject and share). */
  private readonly entries: { subject: ChurnSubject; share: number }[] = [];
  private readonly entryOf = new Map<ChurnSubject, number>();

  constructor(private readonly windowMs: number) {}

  /** Adds a subject's line, by its normalLineHash. */
  add(subject: ChurnSubject, path: string, key: number, weight: number): void {
    let lines = this.byPath.get(path);
    if (!lines) {
      lines = new PathLines(this.pool);
      this.byPath.set(path, lines);
    }
    lines.add(key, this.lineOf(subject, weight));
  }

  /**
   * A subject's line of this weight. A subject's SHARE lines all weigh the share of its entry; one
   * added under another share gets an entry of its own.
   */
  private lineOf(subject: ChurnSubject, weight: number): LiveLine {
    const kind = weight === 0 ? NO_AI : weight === 1 ? AI : SHARE;
    let entry = this.entryOf.get(subject);
    const share = entry === undefined ? Number.NaN : this.entries[entry]!.share;
    if (entry === undefined || (kind === SHARE && !Number.isNaN(share) && share !== weight)) {
      entry = this.entries.push({ subject, share: Number.NaN }) - 1;
      this.entryOf.set(subject, entry);
    }
    if (kind === SHARE) this.entries[entry]!.share = weight;
    return entry * 4 + kind;
  }

  private subjectOf(line: LiveLine): ChurnSubject {
    return this.entries[line >>> 2]!.subject;
  }

  private weightOf(line: LiveLine): number {
    const kind = line & 3;
    return kind === NO_AI ? 0 : kind === AI ? 1 : this.entries[line >>> 2]!.share;
  }

  /**
   * What a commit (its files keyed by normalLineHash, landed at `at`, ms) removes from earlier
   * subjects' lines, unless it adds the same text back; renames carry the lines to the new path.
   */
  remove(files: readonly KeyedFile[], at: number): void {
    // The commit's added lines by key, counted when a removed line first finds a live one: most
    // removed lines are older than any window (no live line).
    let addedAnywhere: ReaddedLines | null = null;
    const readdedOf = (): ReaddedLines => {
      addedAnywhere ??= new ReaddedLines(files);
      return addedAnywhere;
    };
    for (const f of files) {
      const from = f.oldPath ?? f.path;
      const lines = this.byPath.get(from);
      if (!lines) continue;
      for (const key of f.removed) this.removeOne(lines, key, readdedOf, at);
      if (f.oldPath && f.oldPath !== f.path) this.rename(f.oldPath, f.path, lines);
    }
  }

  private removeOne(lines: PathLines, key: number, readdedOf: () => ReaddedLines, at: number): void {
    if (!lines.has(key)) return;
    if (readdedOf().take(key)) return; // moved or reformatted: not churn
    const line = lines.pop(key)!;
    const s = this.subjectOf(line);
    if (at > s.at && at <= s.at + this.windowMs) {
      s.churned++;
      s.aiChurned += this.weightOf(line);
    }
  }

  private rename(from: string, to: string, lines: PathLines): void {
    this.byPath.delete(from);
    const into = this.byPath.get(to);
    if (!into) {
      this.byPath.set(to, lines);
      return;
    }
    // The renamed path's lines after those already at the new one, each text's oldest first.
    lines.forEach((key, l) => {
      if (typeof l === 'number') into.add(key, l);
      else for (const line of l) into.add(key, line);
    });
    lines.release();
  }

  /** How many lines are live, and on how many paths (what a sweep leaves: test/churn-rules.test.ts). */
  size(): { lines: number; paths: number } {
    let lines = 0;
    for (const path of this.byPath.values()) lines += path.lineCount();
    return { lines, paths: this.byPath.size };
  }

  /** Lines whose window closed by `at` can no longer churn: dropping them keeps memory to one window. */
  sweep(at: number): void {
    const since = at - this.windowMs;
    const open = (line: LiveLine) => this.subjectOf(line).at >= since;
    this.byPath.forEach((lines, path) => {
      lines.keep((l) => {
        if (typeof l === 'number') return open(l);
        let n = 0;
        for (const line of l) if (open(line)) n++;
        return n === l.length ? true : n === 0 ? false : open;
      });
      if (lines.size === 0) {
        this.byPath.delete(path);
        lines.release();
      }
    });
  }
}
