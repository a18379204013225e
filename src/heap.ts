import { getHeapStatistics, setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';

/**
 * Bounds the heap of a long build by its live set, not by V8's appetite (#20: memory bounded by a
 * constant plus the working set). V8 lets garbage pile up to a multiple of what survived its last
 * full collection before it collects again — on the 80k-commit bench history's first run the heap
 * reached 300–600 MB between collections that left 50–200 MB — and its limits cannot be set once
 * node runs (`--max-old-space-size` through v8.setFlagsFromString is ignored). A builder calls
 * collectIfGrown() between batches: it collects when the heap has grown past a floor and a quarter
 * again (plus some slack) over what the last collection left.
 */
export interface HeapPacer {
  /** Collects now if the heap grew enough since the last collection; true when it did. */
  collectIfGrown(): boolean;
  /**
   * Collects now if the heap and what is held outside it (`outside`) are past the floor, whatever
   * the last collection left: a phase of the run (a builder, git's ingest) ended, so the live set
   * it measured is mostly garbage now. Without it the next phase piled its own garbage on top of
   * the last one's until its first pacer call — the 80k bench history's first run peaked at the
   * start of the outcome build that way (heap 185 MB, of which 27 MB live; node's peak 303–316 MB
   * against 282 MB with it). The heap alone was not enough: on git's own history with its pull
   * requests churn ended with its heap under the floor and its typed arrays garbage, and the tasks'
   * commits were read on top of them (node's peak 305 MiB there, against 288 MiB in a run whose
   * heap was past the floor when churn ended).
   */
  collectAfterPhase(): boolean;
}

export interface HeapPacerOptions {
  /** Bytes of heap in use now. */
  used: () => number;
  /**
   * A full collection (null: none can be had, and the pacer does nothing); one that returns false
   * found none could be had, and nothing is recorded.
   */
  collect: (() => unknown) | null;
  /** Below this many bytes in use nothing is collected. */
  floor: number;
  /** Bytes allowed over 1.25 × the last collection's live set before the next one. */
  slack: number;
  /**
   * The most bytes in use before a collection, whatever the last one left, while it left under
   * three quarters of this: each collection the ceiling asks for then has a quarter of it or more to
   * free. From a larger live set, the ratio alone (never a collection after each call freeing little).
   */
  ceiling?: number;
  /** Told the live set each collection left. */
  collected?: (live: number) => void;
  /**
   * After each collection: gives back to the system what the collection freed outside V8's heap
   * (array buffers' memory, which malloc keeps resident otherwise; src/db/freed-memory.ts).
   */
  release?: () => unknown;
  /**
   * Bytes held outside the heap that a collection frees with their owners (array buffers),
   * counted with the heap by collectAfterPhase: a phase's typed arrays are garbage once it ends,
   * while its heap may be under the floor.
   */
  outside?: () => number;
}

export function heapPacer(options: HeapPacerOptions): HeapPacer {
  let liveAfterLast = 0;
  const collectPast = (threshold: number, outside = 0) => {
    if (!options.collect || options.used() + outside < threshold) return false;
    if (options.collect() === false) return false;
    liveAfterLast = options.used();
    options.collected?.(liveAfterLast);
    options.release?.();
    return true;
  };
  return {
    collectIfGrown: () => {
      let bound = liveAfterLast * 1.25 + options.slack;
      if (options.ceiling !== undefined && liveAfterLast < options.ceiling * 0.75) bound = Math.min(bound, options.ceiling);
      return collectPast(Math.max(options.floor, bound));
    },
    collectAfterPhase: () => collectPast(options.floor, options.outside?.() ?? 0),
  };
}

/**
 * V8's own full collection, exposed at run time (null where the flag cannot be set). The flag is
 * set back once `gc` is had: V8 refuses a code cache made under other flags, and the CLI writes its
 * cache after the run (src/cli/bundle-loader.ts) — made with --expose-gc on, the next run (without
 * it) would refuse it every time.
 */
function fullCollection(): (() => void) | null {
  try {
    setFlagsFromString('--expose-gc');
    const gc: unknown = runInNewContext('gc');
    return typeof gc === 'function' ? (gc as () => void) : null;
  } catch {
    return null;
  } finally {
    setFlagsFromString('--no-expose-gc');
  }
}

/**
 * fullCollection, had the first time a collection is asked for: exposing `gc` makes a new context,
 * ~60 page faults and ~1 ms of every run that reached the pacer (the hooks' worker after each commit
 * included; bench/README, session 72), where most runs stay under the floor and never collect.
 * Where none can be had, asking does nothing and says so (false).
 */
function fullCollectionWhenFirstAsked(): () => boolean {
  let had = false;
  let collect: (() => void) | null = null;
  return () => {
    if (!had) {
      collect = fullCollection();
      had = true;
    }
    if (!collect) return false;
    collect();
    return true;
  };
}

const MB = 1024 * 1024;
let processPacer: HeapPacer | undefined;
/** What gives back, after each of the process pacer's collections, the memory it freed outside V8's heap. */
let releaseFreed: (() => unknown) | undefined;

/**
 * Sets what the process pacer calls after each collection (HeapPacerOptions.release): the pipeline
 * installs glibc's trim (src/db/freed-memory.ts), which this module, below db/, cannot import.
 */
export function releaseAfterEachCollection(release: () => unknown): void {
  releaseFreed = release;
}

/** The process's pacer between a long build's batches (HeapPacer.collectIfGrown). */
export function collectIfGrown(): boolean {
  return thePacer().collectIfGrown();
}

/** The process's pacer at the end of a phase (HeapPacer.collectAfterPhase): below the floor, nothing. */
export function collectAfterPhase(): boolean {
  return thePacer().collectAfterPhase();
}

/**
 * The process's pacer. Floor 64 MB, slack 24 MB, a quarter over the live set: node's own peak on the
 * bench histories' first runs 391 → 255 MB (20k) and 790 → 330 MB (80k), with the same CPU time
 * (half again instead of a quarter: 269 and 352 MB, no faster). Ceiling 88 MB: the live set a
 * collection measures holds what was in flight then, and on git's own history with its pull
 * requests the content rule's collections left 61–66 MB for a stretch, the next asked at ~100–106
 * MB in use — that stretch was the whole run's peak (299 MiB). With the ceiling: heap samples at 90
 * MB or more 14 → 4 of ~650, peak 292 MiB (bench/README, session 73). A smaller slack everywhere
 * instead (12 MB, session 71) cost the outcome build 30 s of CPU for no lower peak.
 */
function thePacer(): HeapPacer {
  processPacer ??= heapPacer({
    used: () => getHeapStatistics().used_heap_size,
    collect: fullCollectionWhenFirstAsked(),
    floor: 64 * MB,
    slack: 24 * MB,
    ceiling: 88 * MB,
    collected: (live) => heapGrowth.live(live),
    outside: () => getHeapStatistics().external_memory,
    release: () => releaseFreed?.(),
  });
  return processPacer;
}

/**
 * V8's own heap limit while builders run. Left to itself V8 grew its limit by ~1.2× the live set (it
 * grows the heap slowly once its memory reducer has run) and started marking whenever less than its
 * young generation was left below it: on git's own history with its pull requests, a full
 * collection of the 130 MB live set every ~0.4 s through the content rule (399 in 200 s; node's
 * other threads 234 s of CPU, nearly all marking, beside its main thread's 408 s). From a live set
 * of LARGE_LIVE_SET the limit is set at 1.5× it (--heap-growing-percent), from 96 MB above the
 * pacer's bound (1.25× + 24 MB): the pacer decides when a large build collects. Below it V8 chooses:
 * forced to 1.5× from any live set, the 80k bench history's first run made 65 full collections
 * instead of 46 (V8 grows a small heap faster than that), churn ~1 s slower.
 */
export class HeapGrowth {
  private builds = 0;
  private percent = 0;

  constructor(private readonly set: (percent: number) => void) {}

  /** A build starts: the growth follows the pacer's collections until the last build ends. */
  enter(): void {
    this.builds++;
  }

  /** A build ends; with the last one V8 chooses again. */
  leave(): void {
    if (--this.builds === 0) this.use(0);
  }

  /** The live set a collection left: past LARGE_LIVE_SET in a build, V8's limit is set at 1.5× it. */
  live(bytes: number): void {
    if (this.builds > 0) this.use(bytes >= LARGE_LIVE_SET ? LARGE_HEAP_GROWING_PERCENT : 0);
  }

  private use(percent: number): void {
    if (percent === this.percent) return;
    this.percent = percent;
    this.set(percent);
  }
}

/**
 * The live set from which V8's limit is set (1.5×). It was 96 MB, where 1.5× passes the pacer's
 * 1.25× + 24 MB; once a whole outcome build held its commits in columns (session 65) the content
 * rule's live set on git's own history with its pull requests came down to about that (full
 * collections left 98–105 MB, less in stretches) and V8's own choice came back when it dipped
 * under: node's other threads 17 → 77 s of marking. Between 64 and 96 MB V8 collects at 1.5×
 * before the pacer would: still far fewer collections than its own ~1.1×. The 80k bench history's
 * first run with it and the columns against the revision before, three pairs: the same CPU within
 * the noise.
 */
const LARGE_LIVE_SET = 64 * MB;
const LARGE_HEAP_GROWING_PERCENT = 50;

/** V8's --heap-growing-percent (0: V8 chooses), read each time V8 sets its limit after a full collection. */
function setHeapGrowingPercent(percent: number): void {
  try {
    setFlagsFromString(`--heap-growing-percent=${percent}`);
  } catch {
    // A runtime without the flag grows its heap as it chooses.
  }
}

/**
 * The process's growth: the CLI's code cache, written after a short run, must be made under the
 * flags the next run starts with (src/cli/bundle-loader.ts), so the flag is back at 0 once no build runs.
 */
const heapGrowth = new HeapGrowth(setHeapGrowingPercent);

/** Runs a build with V8's heap limit following the pacer's collections (HeapGrowth). */
export async function withPacedHeap<T>(build: () => Promise<T>, growth: HeapGrowth = heapGrowth): Promise<T> {
  growth.enter();
  try {
    return await build();
  } finally {
    growth.leave();
  }
}
