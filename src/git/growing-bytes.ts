/**
 * A buffer that grows in place and gives its pages back when it shrinks: a resizable ArrayBuffer
 * (ES2024; node 20's V8 has it), whose address range is reserved once and whose pages are committed
 * as it grows and returned to the system as it shrinks, at once.
 *
 * Why (#20, memory bounded): a parser's buffer grown by doubling left each smaller buffer behind
 * as garbage outside V8's heap, freed only when V8 next collected. One whole-tree branch commit of
 * git's own history with its pull requests (a 49.5 MB record) grew one to 64 MB with the 32, 16,
 * 8 … MB before it still held, and the run's peak stood there (bench/README, sessions 62 and 64).
 * Grown in place nothing is copied or left behind, and once its reader is done, `shrink` returns
 * the 64 MB before the next commit is read instead of at some later collection.
 */
export class GrowingBytes {
  private store: ArrayBuffer;
  /** The bytes: a view that `grow` and `shrink` replace (views taken before read the same bytes while they stay in range). */
  bytes: Buffer;

  /**
   * `initial`: the size it starts at and shrinks back to. `largest`: the most it grows in place
   * (address space only, reserved at once); past it, a plain buffer is allocated and copied into,
   * as a doubling buffer would, and views taken before read the old bytes.
   */
  constructor(
    private readonly initial: number,
    private readonly largest = RESERVED_BYTES,
  ) {
    this.store = resizableStore(initial, largest);
    this.bytes = Buffer.from(this.store, 0, initial);
  }

  /** Room for at least `total` bytes, the first `kept` of those held kept. */
  grow(total: number, kept: number): void {
    if (total <= this.bytes.length) return;
    const size = Math.max(this.bytes.length * 2, total);
    if (this.store.resizable && size <= this.store.maxByteLength) {
      this.store.resize(size);
      this.bytes = Buffer.from(this.store, 0, size);
      return;
    }
    // Past what it reserved (or none could be): a buffer of its own, the bytes copied.
    const store = new ArrayBuffer(size);
    const bytes = Buffer.from(store);
    this.bytes.copy(bytes, 0, 0, kept);
    this.store = store;
    this.bytes = bytes;
  }

  /** Whether it has grown past `size` bytes. */
  largerThan(size: number): boolean {
    return this.bytes.length > size;
  }

  /**
   * Back to the initial size, its pages past it returned to the system now: every view of those
   * bytes reads nothing after (a view past a resizable buffer's end has length 0).
   */
  shrink(): void {
    if (this.bytes.length <= this.initial) return;
    if (this.store.resizable) {
      this.store.resize(this.initial);
      this.bytes = Buffer.from(this.store, 0, this.initial);
    } else this.release();
  }

  /** Lets the bytes go to whoever holds a view of them (kept as they are): a new store from here. */
  release(): void {
    this.store = resizableStore(this.initial, this.largest);
    this.bytes = Buffer.from(this.store, 0, this.initial);
  }
}

/**
 * The address space a growing buffer reserves: 1 GiB, more than any commit's diff paceflow has met
 * (the largest, 49.5 MB); only the pages written take memory.
 */
const RESERVED_BYTES = 1 << 30;

function resizableStore(size: number, largest: number): ArrayBuffer {
  try {
    return new ArrayBuffer(size, { maxByteLength: largest });
  } catch {
    // The address space refused (a limit on it, ulimit -v): a buffer of the size asked.
    return new ArrayBuffer(size);
  }
}
