import { CatFileBatch } from '../../git/cat-file.js';
import { wasmLineKeys } from '../line-keys.js';
import { normalLineHashesLent } from '../lines.js';

/**
 * Lines as their normalLineHash keys (53-bit numbers), a key as often as its line stands: a
 * commit's lines, which the content rule looks for in file versions (HeldKeys).
 */
export type LineKeys = Float64Array;

/**
 * A file version's lines as the reader holds them: each key's low 48 bits, in the order the lines
 * stand, in two columns — `lo` its bits 0–31, `hi` 32–47 — of which [start, end) are this version's
 * (a view the reader lends, valid for the call). How many of a commit's lines a file holds is one
 * pass over the file's keys against a table of the commit's (keysInBoth), and a version compared
 * again (the same file at the same candidate, for another branch commit) is not read or hashed
 * again. Every line counts, the empty one after a last newline too.
 *
 * Why 48 bits, not the key's 53: six bytes a line instead of eight, and the ring of versions held
 * (KeyRing, 4M lines then) was 24 MB instead of 32 — it stood under the content rule's whole run,
 * where git's own history with its pull requests peaked (bench/README, session 73). Two lines sharing
 * their low 48 bits are one line to the rule: on that history (~6G file lines compared — 4.2M
 * versions asked, ~1,500 lines each — with commits of ~100 distinct lines) ~0.002 such matches
 * expected in the whole run, at 32 bits ~150.
 */
export interface HeldKeys {
  lo: Uint32Array;
  hi: Uint16Array;
  start: number;
  end: number;
}

/** A key's low 32 bits (ToUint32 of an integer below 2^53 is it modulo 2^32). */
const lowOf = (key: number): number => key >>> 0;
/** A key's bits 32–47 (ToInt32 truncates the quotient first). */
const highOf = (key: number): number => (key / 0x1_0000_0000) & 0xffff;

/** The key a held line stands for: its low 48 bits as one number. */
export function heldKey(key: number): number {
  return highOf(key) * 0x1_0000_0000 + lowOf(key);
}

/** Keys as held: a copy in columns of their own (a version larger than the ring, tests). */
export function heldKeysOf(keys: LineKeys): HeldKeys {
  const held: HeldKeys = { lo: new Uint32Array(keys.length), hi: new Uint16Array(keys.length), start: 0, end: keys.length };
  writeHeld(keys, held.lo, held.hi, 0);
  return held;
}

/** Held keys back as numbers (each heldKey of its line's), in order: what tests compare. */
export function heldKeyList(keys: HeldKeys): number[] {
  const out: number[] = [];
  for (let i = keys.start; i < keys.end; i++) out.push(keys.hi[i]! * 0x1_0000_0000 + keys.lo[i]!);
  return out;
}

function writeHeld(keys: LineKeys, lo: Uint32Array, hi: Uint16Array, at: number): void {
  for (let i = 0; i < keys.length; i++) {
    const key = keys[i]!;
    lo[at + i] = lowOf(key);
    hi[at + i] = highOf(key);
  }
}

/**
 * The keys of a file's lines, hashed from its bytes, lent until the next call (WasmLineKeys: the
 * loop in WebAssembly, ~1.5× quicker than normalLineHashesLent's, the same keys): the caller copies
 * what it keeps. Not sorted: each version was sorted once
 * for a walk over two sorted arrays, and on git's own history with its pull requests (~790k versions
 * hashed) V8's sort of a Float64Array — std::sort calling its comparison through a pointer — was 23 %
 * of the outcome build's main thread (perf), beside 39 % hashing. A comparison reads every key of
 * the file either way: a pass over them against a table of the commit's few is the walk's cost without the sort.
 */
export function lineKeysOf(content: Buffer): LineKeys {
  return wasmLineKeys()?.keysOf(content) ?? normalLineHashesLent(content);
}

/**
 * How many of `wanted`'s keys `file` holds (as held: their low 48 bits), each file line used once:
 * for each key, the lesser of how often each holds it. `file` in any order.
 */
export function keysInBoth(wanted: LineKeys, file: HeldKeys): number {
  if (wanted.length === 0) return 0;
  const table = countTable(wanted);
  const { lo, hi, end } = file;
  let found = 0;
  for (let f = file.start; f < end; f++) {
    const slot = table.slotOf(lo[f]!, hi[f]!);
    if (slot >= 0 && table.left[slot]! > 0) {
      table.left[slot]!--;
      found++;
    }
  }
  return found;
}

/** The keys of `wanted` that `file` does not hold (each file line used once), in `wanted`'s order. `file` in any order. */
export function keysNotIn(wanted: LineKeys, file: HeldKeys): LineKeys {
  if (wanted.length === 0) return wanted.slice();
  const table = countTable(wanted);
  const { lo, hi, end } = file;
  // How many of each key the file holds, up to as many as `wanted` has: those are not absent.
  for (let f = file.start; f < end; f++) {
    const slot = table.slotOf(lo[f]!, hi[f]!);
    if (slot >= 0 && table.left[slot]! > 0) {
      table.left[slot]!--;
      table.held[slot]!++;
    }
  }
  const out = new Float64Array(wanted.length);
  let n = 0;
  for (let w = 0; w < wanted.length; w++) {
    const slot = table.slotOf(lowOf(wanted[w]!), highOf(wanted[w]!));
    if (table.held[slot]! > 0) table.held[slot]!--;
    else out[n++] = wanted[w]!;
  }
  return n === out.length ? out : out.slice(0, n);
}

/**
 * `wanted`'s distinct keys (as held) with how often each stands (`left`; `held` zero), in an
 * open-addressing table at most half full. One table for the process, made larger as needed up to
 * SCRATCH_SLOTS and cleared for each use: keysInBoth runs for every file of every candidate of every
 * branch commit. A larger one (a commit adding a generated file of many thousand lines) is made for
 * the call and let go: held for the process, it would stay on the peak of every later build.
 */
function countTable(wanted: LineKeys): KeyCounts {
  let size = 8;
  while (size < wanted.length * 2) size *= 2;
  if (size <= SCRATCH_SLOTS && scratch.lo.length < size) scratch = new KeyCounts(size);
  const table = size > SCRATCH_SLOTS ? new KeyCounts(size) : scratch;
  table.reset(size);
  for (let w = 0; w < wanted.length; w++) table.add(lowOf(wanted[w]!), highOf(wanted[w]!));
  return table;
}

/** The most slots the process's table keeps (15 bytes each: ~1 MB). */
const SCRATCH_SLOTS = 1 << 16;

class KeyCounts {
  /** Each slot's key, as held: bits 0–31 and 32–47. */
  readonly lo: Uint32Array;
  readonly hi: Uint16Array;
  /** How often each slot's key stands in `wanted` and is not yet matched; zero: a free slot (`used` tells). */
  readonly left: Int32Array;
  /** How many of a slot's key the file held (keysNotIn). */
  readonly held: Int32Array;
  private readonly used: Uint8Array;
  private mask = 0;

  constructor(capacity: number) {
    this.lo = new Uint32Array(capacity);
    this.hi = new Uint16Array(capacity);
    this.left = new Int32Array(capacity);
    this.held = new Int32Array(capacity);
    this.used = new Uint8Array(capacity);
  }

  /** Empties the first `size` slots (a power of two) and uses only them. */
  reset(size: number): void {
    this.mask = size - 1;
    this.used.fill(0, 0, size);
    this.left.fill(0, 0, size);
    this.held.fill(0, 0, size);
  }

  add(lo: number, hi: number): void {
    // A key's low 32 bits are as mixed as any (bits of both of normalLineHash's 32-bit mixes).
    for (let slot = lo & this.mask; ; slot = (slot + 1) & this.mask) {
      if (this.used[slot] === 0) {
        this.used[slot] = 1;
        this.lo[slot] = lo;
        this.hi[slot] = hi;
        this.left[slot] = 1;
        return;
      }
      if (this.lo[slot] === lo && this.hi[slot] === hi) {
        this.left[slot]!++;
        return;
      }
    }
  }

  /** The key's slot, or -1. */
  slotOf(lo: number, hi: number): number {
    for (let slot = lo & this.mask; ; slot = (slot + 1) & this.mask) {
      if (this.used[slot] === 0) return -1;
      if (this.lo[slot] === lo && this.hi[slot] === hi) return slot;
    }
  }
}

let scratch = new KeyCounts(1 << 10);

/**
 * How many file versions' keys a reader holds at most, counted in lines (6 bytes each as held: 18 MB).
 * Git's Makefile is ~3,000 lines; the candidates of branch commits written about the same time are
 * mostly the same mainline commits. On git's own history with its pull requests the rule asked 4.2M
 * times for 76,952 distinct versions (113.6M lines); replayed through this ring (bench/README,
 * session 64), the lines hashed were, rewritten from half behind, 1,102M held 2M (what the runs
 * hashed: 1,097M), 841M held 3M and 501M held 4M; from REWRITTEN_BEHIND, 416M held 4M and 269M held
 * 5M — the versions a stretch of commits shares are ~3–4M lines. Since the filters (KeyFilters)
 * answer most asks, the keys are read for fewer of them: that run hashed 140,383 versions holding 4M
 * lines, 150,815 holding 3M and 173,877 holding 2M (293,854 before the filters), and its peak was
 * 287,856, 279,968 and 281,684 KB (session 80): 3M, 6 MB under the peak that 4M made.
 */
const LINE_KEYS_HELD = 3_000_000;

/**
 * How many `<rev>:<path>` names a reader keeps (~200 bytes each: ~5 MB). On git's own history with
 * its pull requests 50,000 asked git 957,770 names, 25,000 asked 992,992 (+4 %), and the run's peak
 * came down ~5 MB (bench/README, session 69).
 */
const NAMES_HELD = 25_000;

/**
 * What every reader in this process asked of git (they only grow): `<rev>:<path>` names resolved,
 * names the database answered instead (`recorded`), file versions read and hashed. What tests and
 * benches count.
 */
export const lineKeysWork = { namesAsked: 0, namesRecorded: 0, versionsHashed: 0 };

/**
 * Is given a file version's keys, lent for the call: they may be written over once it returns (a
 * visitor copies what it keeps).
 */
export type LineKeysVisitor = (index: number, keys: HeldKeys) => void;

/**
 * The line keys of files at revisions, for the content rule. Each `<rev>:<path>` is resolved to its
 * blob by the lookup it is given (`recorded`), else by one `git cat-file --batch-check` (trees
 * only), and a blob not held is read by one `git cat-file --batch` and hashed once; the versions
 * read last are kept, up to LINE_KEYS_HELD lines (KeyRing). Read whole for each of a commit's
 * candidates, file after file was most of a first build's time on git's own history with its pull
 * requests: ~100k branch commits, each comparing up to 50 candidates' files (17 of 30 s sampled
 * hashing lines, git inflating the same blobs again beside it).
 */
export class FileLineKeysReader {
  private names: CatFileBatch | null = null;
  private contents: CatFileBatch | null = null;
  private readonly held: KeyRing;
  /**
   * Which blob each `<rev>:<path>` asked names, those used in the older half moved to the newest
   * end (a least recently used cache's order, roughly) and the oldest let go: the candidates of commits
   * written about the same time are the same, and asked again they cost git a walk of the trees and
   * this process a request, an answer and a promise each (git's own history with its pull requests:
   * the batch-check process was the busier git, node waiting on it 12 of 30 s sampled).
   */
  private readonly named = new Map<string, { blob: string | null; at: number }>();
  /** How many names were put at the newest end of `named`: an entry's age is this less its `at`. */
  private placed = 0;
  /**
   * Names the recorded history could not give, until git's answer for each is remembered (or,
   * past NAMES_HELD of them, all forgotten): presentAtMost asks first, and a visit of the same
   * candidate then asked the database the same question again.
   */
  private readonly unrecorded = new Set<string>();
  /**
   * Blobs being read, with whoever waits for them: a version asked twice before its answer came is
   * read once, and each visitor is given its keys as they are hashed.
   */
  private readonly reading = new Map<string, { visitors: ((keys: HeldKeys) => void)[]; done: Promise<void> }>();
  /** A filter of each version hashed lately, kept longer than its keys: what presentAtMost reads. */
  private readonly filters = new KeyFilters(FILTER_BYTES);

  /**
   * `recorded`: the blob a path holds at a revision as the database knows it without git (the
   * outcome build's: recordedBlobs), null when it knows the path is not there, else undefined and
   * git is asked.
   */
  constructor(
    private readonly cwd: string,
    budget = LINE_KEYS_HELD,
    private readonly recorded: (rev: string, path: string) => string | null | undefined = () => undefined,
  ) {
    this.held = new KeyRing(budget);
  }

  /**
   * Gives `visit` the keys of each path's file at `rev` (its index in `paths`), lent for the call: a
   * version held at once, one git must answer as it is hashed. A missing path, or one that is not a
   * file, is not visited. Resolves when every file was; undefined when each was visited already (its
   * version held, or its name known missing): nothing to wait for. The keys are lent, not returned: each
   * version's own array, held until evicted, was ~750k arrays outside V8's heap on git's own history
   * with its pull requests, and V8 ran a full collection of its 130 MB heap every ~0.4 s to free
   * them (472 in 200 s; node's other threads 310 s of CPU beside its main thread's 413 s).
   */
  visit(rev: string, paths: readonly string[], visit: LineKeysVisitor): Promise<void> | undefined {
    const waiting: Promise<void>[] = [];
    for (let i = 0; i < paths.length; i++) {
      const blob = this.blobAt(rev, paths[i]!);
      if (blob === null) continue;
      const use = (keys: HeldKeys) => visit(i, keys);
      if (typeof blob === 'string') {
        const wait = this.visitBlob(blob, use);
        if (wait) waiting.push(wait);
      } else waiting.push(blob.then((named) => (named === null ? undefined : this.visitBlob(named, use))));
    }
    return waiting.length > 0 ? Promise.all(waiting).then(() => undefined) : undefined;
  }

  /**
   * At most how many of `wanted`'s lines (by path) the files at `rev` hold, from what this reader
   * knows without asking git (names it remembers, or the recorded history gives): a path whose
   * version it hashed before counts the lines its filter (KeyFilters) may hold, one missing at
   * `rev` none, any other all of its lines. Never less than the count a visit with LinesPresent
   * makes, so a candidate whose bound is below a share cannot reach it. Stops counting at `enough`
   * (the bound is then at least that). The recorded history named none here before: a candidate's
   * version of the path it changed counted all its lines, and was read and hashed again where
   * its filter would have answered (git's own history with its pull requests: 150,593 versions
   * hashed → 136,290; bench/README, session 82).
   */
  presentAtMost(rev: string, paths: readonly string[], wanted: ReadonlyMap<string, LineKeys>, enough: number): number {
    let bound = 0;
    for (const path of paths) {
      const keys = wanted.get(path);
      if (!keys) continue;
      const blob = this.blobNow(rev, path);
      if (blob === null) continue;
      bound += (blob === undefined ? undefined : this.filters.mayHold(blob, keys)) ?? keys.length;
      if (bound >= enough) return bound;
    }
    return bound;
  }

  /** The blob a `<rev>:<path>` names as known (null: missing, or not a file; undefined: not asked yet, or let go). */
  private knownBlob(request: string): string | null | undefined {
    const known = this.named.get(request);
    if (known === undefined) return undefined;
    // Used again: moved to the newest end once it is in the older half. A move at every use
    // deleted and added an entry of a 25k-entry Map per file asked, and V8 rebuilt its table
    // again and again (Map sets, 0.7 of 9.5 GB of the outcome build's allocation sampled).
    if (this.placed - known.at > NAMES_HELD / 2) {
      this.named.delete(request);
      known.at = this.placed++;
      this.named.set(request, known);
    }
    return known.blob;
  }

  /**
   * The blob a path names at a revision as known without git (null: missing there, or not a file;
   * undefined: git must be asked): remembered, else from the recorded history, kept as git's
   * answer would be.
   */
  private blobNow(rev: string, path: string): string | null | undefined {
    const request = `${rev}:${path}`;
    const known = this.knownBlob(request);
    if (known !== undefined || this.unrecorded.has(request)) return known;
    const blob = this.recorded(rev, path);
    if (blob === undefined) {
      if (this.unrecorded.size >= NAMES_HELD) this.unrecorded.clear();
      this.unrecorded.add(request);
      return undefined;
    }
    lineKeysWork.namesRecorded++;
    this.remember(request, blob);
    return blob;
  }

  /** The blob a path names at a revision (null: missing there, or not a file), asked of git once while held. */
  private blobAt(rev: string, path: string): string | null | Promise<string | null> {
    const now = this.blobNow(rev, path);
    if (now !== undefined) return now;
    const request = `${rev}:${path}`;
    this.names ??= new CatFileBatch(this.cwd, 'names');
    lineKeysWork.namesAsked++;
    return this.names.nameOf(request).then((object) => {
      const blob = object?.type === 'blob' ? object.sha : null;
      this.remember(request, blob);
      return blob;
    });
  }

  /** Keeps the blob a name resolved to, at the newest end, the oldest let go past NAMES_HELD. */
  private remember(request: string, blob: string | null): void {
    this.unrecorded.delete(request);
    this.named.set(request, { blob, at: this.placed++ });
    if (this.named.size > NAMES_HELD) this.named.delete(this.named.keys().next().value!);
  }

  /** Gives `use` a version's keys: now when held (nothing to wait for), else once read and hashed. */
  private visitBlob(sha: string, use: (keys: HeldKeys) => void): Promise<void> | undefined {
    const keys = this.held.get(sha);
    if (keys) {
      use(keys);
      return undefined;
    }
    return this.read(sha, use);
  }

  /** A version not held, read and hashed once however often it is asked before its answer came. */
  private read(sha: string, use: (keys: HeldKeys) => void): Promise<void> {
    const reading = this.reading.get(sha);
    if (reading) {
      reading.visitors.push(use);
      return reading.done;
    }
    const visitors = [use];
    this.contents ??= new CatFileBatch(this.cwd);
    // Hashed where git's answer stands, as it comes (the bytes are lent for the call), and each
    // visitor given the keys there and then: nothing else is read before they are used.
    const ended = () => {
      if (this.reading.get(sha)?.visitors === visitors) this.reading.delete(sha);
    };
    const done = this.contents
      .read(sha, (bytes) => {
        ended();
        lineKeysWork.versionsHashed++;
        const keys = this.held.put(sha, lineKeysOf(bytes));
        this.filters.add(sha, keys);
        for (const visitor of visitors) visitor(keys);
      })
      .then(ended, (error: unknown) => {
        ended();
        throw error;
      });
    this.reading.set(sha, { visitors, done });
    return done;
  }

  /** Ends the git processes (each exits when its input closes). */
  close(): void {
    this.names?.close();
    this.contents?.close();
    this.names = null;
    this.contents = null;
  }
}

/**
 * The bytes of filters a reader keeps (KeyFilters): ~16k versions of git's ~1,500 lines at 512
 * bytes, where KeyRing's 18 MB hold the keys of ~2,000.
 */
const FILTER_BYTES = 8 << 20;
/** A filter's bits per line of its version (a power of two at least this): ~40 % of them set. */
const FILTER_BITS_PER_LINE = 2;
const MIN_FILTER_BITS = 64;
const MAX_FILTER_BITS = 1 << 20;

/**
 * A filter of the keys of each file version hashed (a bit per line, at its key's low bits as held),
 * kept for many more versions than KeyRing holds the keys of: how many of a commit's lines a version
 * may hold is then known without reading it again. The content rule asks each candidate whether
 * it holds 80 % of a commit's lines, and most hold few: a bound from the filter (every line whose
 * bit is set) below the share answers it exactly (no false negative: a line the version holds has
 * its bit set). On git's own history with its pull requests the rule asked 4.2M versions of 77k,
 * hashing versions the ring had let go again and again (bench/README, session 64).
 *
 * The filters stand in one array used as a ring, as KeyRing's keys do, a filter used when over
 * REWRITTEN_BEHIND of the ring behind written again at the head: an array per filter, ~140k of them
 * made and let go in that run, kept their memory until a collection found them, and the run's peak
 * rose ~30 MB.
 */
export class KeyFilters {
  private words: Uint32Array | null = null;
  /** Where each filter stands in `words`. */
  private readonly places: RingPlaces;

  constructor(budgetBytes: number) {
    this.places = new RingPlaces(Math.floor(budgetBytes / 4));
  }

  /** Keeps the filter of a version's keys (as held), writing over the oldest. */
  add(sha: string, keys: HeldKeys): void {
    if (this.places.get(sha)) return;
    const n = keys.end - keys.start;
    let size = MIN_FILTER_BITS;
    while (size < n * FILTER_BITS_PER_LINE && size < MAX_FILTER_BITS) size *= 2;
    const length = size >>> 5;
    if (length > this.places.capacity) return;
    this.words ??= new Uint32Array(this.places.capacity);
    const start = this.places.room(length);
    const words = this.words;
    words.fill(0, start, start + length);
    const mask = size - 1;
    const { lo } = keys;
    for (let i = keys.start; i < keys.end; i++) {
      const bit = lo[i]! & mask;
      words[start + (bit >>> 5)]! |= 1 << (bit & 31);
    }
    this.places.place(sha, start, length);
  }

  /** How many of `keys` the version may hold (each key's bit set); undefined when no filter of it is kept. */
  mayHold(sha: string, keys: LineKeys): number | undefined {
    let place = this.places.get(sha);
    if (!place) return undefined;
    const words = this.words!;
    if (this.places.isBehind(place)) {
      // Soon written over: kept, at the head (copied within the array, which may overlap where it stands).
      const start = this.places.moveToHead(sha, place);
      words.copyWithin(start, place.start, place.start + place.length);
      place = this.places.place(sha, start, place.length);
    }
    const { start } = place;
    const mask = place.length * 32 - 1;
    let n = 0;
    for (let i = 0; i < keys.length; i++) {
      const bit = lowOf(keys[i]!) & mask;
      n += (words[start + (bit >>> 5)]! >>> (bit & 31)) & 1;
    }
    return n;
  }
}

/**
 * How far behind the head (a share of the ring) a version asked is written again at the head. Later
 * is better until it is too late: replayed on the asks of git's own history with its pull requests,
 * a 4M-line ring hashed 736M lines rewriting from a quarter behind, 501M from half, 416M from 0.85
 * and 425M from 0.95 (an LRU of the same size: 343M).
 */
const REWRITTEN_BEHIND = 0.85;

/**
 * File versions' keys (as held) in one pair of columns used as a ring: each version is written after
 * the last, and the oldest written over when the ring comes round to them. One pair for the reader's
 * life, not arrays per version: what the ring lends is a view of them (one object, moved to each
 * version lent), valid until the next get or put. A version asked when over REWRITTEN_BEHIND of the
 * ring behind is written again at the head, so what is used stays (as a least recently used cache
 * would keep it). A version larger than the ring is lent in columns of its own, not held.
 */
export class KeyRing {
  private lo: Uint32Array | null = null;
  private hi: Uint16Array | null = null;
  private readonly lent: HeldKeys = { lo: new Uint32Array(0), hi: new Uint16Array(0), start: 0, end: 0 };
  /** Where each held version's keys stand in the columns. */
  private readonly places: RingPlaces;

  constructor(capacity: number) {
    this.places = new RingPlaces(capacity);
  }

  /** A held version's keys (lent until the next get or put), or undefined. */
  get(sha: string): HeldKeys | undefined {
    const place = this.places.get(sha);
    if (!place) return undefined;
    if (this.places.isBehind(place)) {
      // Soon written over: kept, at the head (copied within the columns, which may overlap where it stands).
      const start = this.places.moveToHead(sha, place);
      this.lo!.copyWithin(start, place.start, place.start + place.length);
      this.hi!.copyWithin(start, place.start, place.start + place.length);
      this.places.place(sha, start, place.length);
      return this.lend(start, place.length);
    }
    return this.lend(place.start, place.length);
  }

  /** Holds a version's keys (written from `source`), writing over the oldest; returns the held copy, lent. */
  put(sha: string, source: LineKeys): HeldKeys {
    const n = source.length;
    const { capacity } = this.places;
    if (n > capacity) return heldKeysOf(source);
    this.lo ??= new Uint32Array(capacity);
    this.hi ??= new Uint16Array(capacity);
    const start = this.places.room(n);
    writeHeld(source, this.lo, this.hi, start);
    this.places.place(sha, start, n);
    return this.lend(start, n);
  }

  private lend(start: number, n: number): HeldKeys {
    const lent = this.lent;
    lent.lo = this.lo!;
    lent.hi = this.hi!;
    lent.start = start;
    lent.end = start + n;
    return lent;
  }
}

/** Where an entry of a ring stands: from `start`, `length` slots, written when `at` slots had been. */
interface RingPlace {
  start: number;
  length: number;
  at: number;
}

/**
 * Where the entries of an array used as a ring stand (KeyRing's keys, KeyFilters' words): each
 * written after the last, the oldest written over when the ring comes round to them. The owner
 * writes the slots; this keeps the places, the head and what it lets go.
 */
class RingPlaces {
  /** Where the next entry is written, and how many slots were written in all. */
  private head = 0;
  private written = 0;
  /** Held entries, in the order they were written: the ring's oldest first. */
  private readonly entries = new Map<string, RingPlace>();

  constructor(readonly capacity: number) {}

  get(sha: string): RingPlace | undefined {
    return this.entries.get(sha);
  }

  /** Whether an entry stands over REWRITTEN_BEHIND of the ring behind the head: soon written over. */
  isBehind(place: RingPlace): boolean {
    return this.written - place.at > this.capacity * REWRITTEN_BEHIND;
  }

  /** Takes an entry out to be written again at the head; returns where (its place then `place` again). */
  moveToHead(sha: string, place: RingPlace): number {
    this.entries.delete(sha);
    return this.room(place.length);
  }

  /** Where `n` slots are written next: past the head, or from the start when they do not fit (what stands there let go). */
  room(n: number): number {
    if (this.head + n > this.capacity) {
      // Round to the start: what stands past the head now is written over before anything else.
      this.evictFrom(this.head, this.capacity);
      this.head = 0;
    }
    this.evictFrom(this.head, this.head + n);
    return this.head;
  }

  /** Records an entry written at `start` (the head, from room). */
  place(sha: string, start: number, length: number): RingPlace {
    const place = { start, length, at: this.written };
    this.entries.set(sha, place);
    this.head += length;
    this.written += length;
    return place;
  }

  /**
   * Lets go the entries that start in [from, to): the oldest, past the head, in the order they were
   * written (those written since the ring last came round stand before the head and end the look).
   */
  private evictFrom(from: number, to: number): void {
    for (const [sha, place] of this.entries) {
      if (place.start < from || place.start >= to) break;
      this.entries.delete(sha);
    }
  }
}
