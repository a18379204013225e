import { normalLineHashOfBytes } from '../lines.js';
import { LINE_KEYS_WASM } from './wasm-line-keys-bytes.js';

/** WebAssembly's JavaScript API, as much as this module uses (the build's types have no DOM library, where it is declared). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown) => { exports: unknown };
}
const { Module, Instance } = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** What line-keys.wat exports. */
interface LineKeysExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /** Keys the lines of memory[p, end) at memory[out] (f64 each); with `last`, the one `end` ends too. */
  keys(p: number, end: number, out: number, last: number): number;
  /** Where the last call stopped: past the last line it keyed, or the first byte of the line it left. */
  stop: { readonly value: number };
  /** How many of the last call's keys are negative: lines with a byte past ASCII (-(offset + 1)). */
  wide: { readonly value: number };
}

/**
 * The bytes of a file version copied in at a time: 256 KiB, and room for a key per byte and one
 * more after them (a line a byte long, the empty one after a last newline) — 2.3 MB of memory for
 * the process, whatever the file. Most versions are one call, their keys lent straight from it.
 */
export const CHUNK_BYTES = 256 << 10;

/**
 * normalLineHashesLent (lines.ts) of a file version, the loop in WebAssembly (line-keys.wat): every
 * line, split at each newline, the empty line after a last one too, each key equal to
 * normalLineHash of its line decoded alone. The version is copied into the module's memory a chunk
 * at a time, each chunk ending where a line does; a line longer than a chunk, or one with a byte past
 * ASCII, is keyed here by normalLineHashOfBytes. The keys are lent until the next call (the caller
 * copies what it keeps): a version of one chunk lends a view of the module's own memory.
 */
export class WasmLineKeys {
  private readonly wasm: LineKeysExports;
  /** The module's memory as bytes (data at 0) and as keys (at `chunk`); its size never changes. */
  private readonly bytes: Uint8Array;
  private readonly keyed: Float64Array;
  /** A version of more than one chunk: its keys gathered here, grown as versions need. */
  private gathered = new Float64Array(1 << 12);

  constructor(private readonly chunk = CHUNK_BYTES) {
    if (chunk < 8 || chunk % 8 !== 0) throw new Error(`a chunk of ${chunk} bytes: it must be a multiple of 8`);
    this.wasm = new Instance(new Module(Buffer.from(LINE_KEYS_WASM, 'base64'))).exports as LineKeysExports;
    const size = chunk + 8 * (chunk + 1);
    const pages = Math.ceil(size / 65536) - this.wasm.memory.buffer.byteLength / 65536;
    if (pages > 0) this.wasm.memory.grow(pages);
    this.bytes = new Uint8Array(this.wasm.memory.buffer, 0, chunk);
    this.keyed = new Float64Array(this.wasm.memory.buffer, chunk, chunk + 1);
  }

  /** The keys of every line of `data`, lent until the next call. */
  keysOf(data: Buffer): Float64Array {
    if (data.length <= this.chunk) return this.keyed.subarray(0, this.keyChunk(data, 0, data.length, true));
    let n = 0;
    for (let at = 0; ; ) {
      const end = Math.min(at + this.chunk, data.length);
      const last = end === data.length;
      const k = this.keyChunk(data, at, end, last);
      this.gather(n, k);
      this.gathered.set(this.keyed.subarray(0, k), n);
      n += k;
      if (last) return this.gathered.subarray(0, n);
      const stop = this.wasm.stop.value + at;
      if (k > 0) {
        at = stop;
        continue;
      }
      // Not one line ended in the chunk: a line longer than it, keyed alone; the next starts after.
      const newline = data.indexOf(0x0a, at);
      this.gather(n, 1);
      this.gathered[n++] = normalLineHashOfBytes(data, at, newline < 0 ? data.length : newline);
      if (newline < 0) return this.gathered.subarray(0, n);
      at = newline + 1;
      if (at === data.length) {
        // The empty line after a last newline.
        this.gather(n, 1);
        this.gathered[n++] = normalLineHashOfBytes(data, at, at);
        return this.gathered.subarray(0, n);
      }
    }
  }

  /** Keys data[start, end) into `keyed` (the lines a non-last chunk leaves unended left out); how many. */
  private keyChunk(data: Buffer, start: number, end: number, last: boolean): number {
    this.bytes.set(data.subarray(start, end), 0);
    const k = this.wasm.keys(0, end - start, this.chunk, last ? 1 : 0);
    if (this.wasm.wide.value > 0) this.keyWide(data, start, end, k);
    return k;
  }

  /**
   * The chunk's lines with a byte past ASCII, keyed from their bytes where they stand: the module
   * left each key as -(the line's offset in the chunk + 1).
   */
  private keyWide(data: Buffer, start: number, end: number, k: number): void {
    const keyed = this.keyed;
    for (let i = 0; i < k; i++) {
      const key = keyed[i]!;
      if (key >= 0) continue;
      const line = start - key - 1;
      const newline = data.indexOf(0x0a, line);
      keyed[i] = normalLineHashOfBytes(data, line, newline < 0 || newline >= end ? end : newline);
    }
  }

  private gather(n: number, more: number): void {
    if (n + more <= this.gathered.length) return;
    const larger = new Float64Array(Math.max(this.gathered.length * 2, n + more));
    larger.set(this.gathered.subarray(0, n));
    this.gathered = larger;
  }
}

let shared: WasmLineKeys | null = null;

/** WasmLineKeys for the process, made when first asked (a run that keys no file compiles nothing). */
export function wasmLineKeys(): WasmLineKeys {
  shared ??= new WasmLineKeys();
  return shared;
}
