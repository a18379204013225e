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
   * Collects now if the heap is past the floor, whatever the last collection left: a phase of the
   * run (a builder, git's ingest) ended, so the live set it measured is mostly garbage now. Without
   * it the next phase piled its own garbage on top of the last one's until its first pacer call —
   * the 80k bench history's first run peaked at the start of the outcome build that way (heap
   * 185 MB, of which 27 MB live; node's peak 303–316 MB against 282 MB with it).
   */
  collectAfterPhase(): boolean;
}

export interface HeapPacerOptions {
  /** Bytes of heap in use now. */
  used: () => number;
  /** A full collection (null: none can be had, and the pacer does nothing). */
  collect: (() => void) | null;
  /** Below this many bytes in use nothing is collected. */
  floor: number;
  /** Bytes allowed over 1.25 × the last collection's live set before the next one. */
  slack: number;
}

export function heapPacer(options: HeapPacerOptions): HeapPacer {
  let liveAfterLast = 0;
  const collectPast = (threshold: number) => {
    if (!options.collect || options.used() < threshold) return false;
    options.collect();
    liveAfterLast = options.used();
    return true;
  };
  return {
    collectIfGrown: () => collectPast(Math.max(options.floor, liveAfterLast * 1.25 + options.slack)),
    collectAfterPhase: () => collectPast(options.floor),
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

const MB = 1024 * 1024;
let processPacer: HeapPacer | undefined;

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
 * (half again instead of a quarter: 269 and 352 MB, no faster).
 */
function thePacer(): HeapPacer {
  processPacer ??= heapPacer({
    used: () => getHeapStatistics().used_heap_size,
    collect: fullCollection(),
    floor: 64 * MB,
    slack: 24 * MB,
  });
  return processPacer;
}
