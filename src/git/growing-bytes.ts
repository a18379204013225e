/**
 * A buffer that grows without leaving its smaller selves behind: a plain Buffer while it is small,
 * and past `inPlaceFrom` bytes a WebAssembly memory, which grows in place (its address range is
 * reserved when it is made; only the pages written take memory) — nothing copied, nothing left for
 * V8 to collect.
 *
 * Why (#20, memory bounded): a parser's buffer grown by doubling left each smaller buffer behind
 * as garbage outside V8's heap, freed only when V8 next collected. One whole-tree branch commit of
 * git's own history with its pull requests (a 49.5 MB record) grew one to 64 MB with the 32, 16 and
 * 8 MB before it still held, and the run's peak stood there (bench/README, sessions 62, 64, 65).
 *
 * Why not a resizable ArrayBuffer, which could also give pages back: on node 20 (V8 11.3) every
 * function reading a view of one runs ~4× slower, and ~10× once it has read views of both kinds
 * (the record readers read the diff store's plain buffers too): session 65 measured it.
 * A WebAssembly memory's buffer is a plain ArrayBuffer to them.
 */
declare global {
  // Node has WebAssembly's Memory; TypeScript declares it only in its DOM lib, which is not this program's.
  namespace WebAssembly {
    class Memory {
      constructor(descriptor: { initial: number; maximum?: number });
      readonly buffer: ArrayBuffer;
      /** Adds `delta` pages of 64 KiB; the old buffer is detached (its views read nothing after). */
      grow(delta: number): number;
    }
  }
}

export class GrowingBytes {
  /** Where the bytes live once past `inPlaceFrom` (null: a plain buffer). */
  private memory: WebAssembly.Memory | null = null;
  /** The bytes: a view that `grow` and `reset` replace. */
  bytes: Buffer;

  /**
   * `initial`: the size it starts at and `reset` goes back to. `inPlaceFrom`: the size from which it
   * grows in place; `largest`: the most it grows so (past it, plain buffers, copied into).
   */
  constructor(
    private readonly initial: number,
    private readonly inPlaceFrom: number,
    private readonly largest = IN_PLACE_LARGEST,
  ) {
    this.bytes = Buffer.allocUnsafe(initial);
  }

  /** Room for at least `total` bytes, the first `kept` of those held kept (views taken before may read nothing after). */
  grow(total: number, kept: number): void {
    if (total <= this.bytes.length) return;
    const size = Math.max(this.bytes.length * 2, total);
    if (size >= this.inPlaceFrom && size <= this.largest && this.growInPlace(size, kept)) return;
    const larger = Buffer.allocUnsafe(size);
    this.bytes.copy(larger, 0, 0, kept);
    this.memory = null;
    this.bytes = larger;
  }

  private growInPlace(size: number, kept: number): boolean {
    const pages = Math.ceil(size / PAGE);
    try {
      if (this.memory) this.memory.grow(pages - this.memory.buffer.byteLength / PAGE);
      else {
        const memory = new WebAssembly.Memory({ initial: pages, maximum: Math.ceil(this.largest / PAGE) });
        this.bytes.copy(Buffer.from(memory.buffer), 0, 0, kept);
        this.memory = memory;
      }
    } catch {
      // No address space to reserve (a limit on it, ulimit -v): plain buffers, as before.
      return false;
    }
    this.bytes = Buffer.from(this.memory.buffer);
    return true;
  }

  /** Whether its bytes are a WebAssembly memory's (it grew past `inPlaceFrom`). */
  get inPlace(): boolean {
    return this.memory !== null;
  }

  /** Whether it has grown past `size` bytes. */
  largerThan(size: number): boolean {
    return this.bytes.length > size;
  }

  /**
   * Starts again at the initial size: the bytes held go to whoever holds a view of them (they
   * stay as they are, and go when the last view does).
   */
  reset(): void {
    this.memory = null;
    this.bytes = Buffer.allocUnsafe(this.initial);
  }
}

/** A WebAssembly page. */
const PAGE = 64 << 10;

/**
 * The most a buffer grows in place: 1 GiB, more than any commit's diff paceflow has met (the
 * largest, 49.5 MB).
 */
const IN_PLACE_LARGEST = 1 << 30;
