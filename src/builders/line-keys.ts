import type { LineKey, SignedKeys } from '../git/patch-record.js';
import { LINE_KEYS_WASM } from './line-keys-wasm-bytes.js';
import { normalLineHash, normalLineHashOfBytes } from './lines.js';

/** WebAssembly's JavaScript API, as much as this module uses (the build's types have no DOM library, where it is declared). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => unknown;
  Instance: new (module: unknown) => { exports: unknown };
}
/** Absent where node runs without it (`--jitless`): the keys then come from JavaScript's loops. */
const webAssembly = (globalThis as unknown as { WebAssembly?: WebAssemblyApi }).WebAssembly;

/** What line-keys.wat exports. */
interface LineKeysExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  /**
   * Keys the lines of memory[p, end) at memory[out] (f64 each); with `last`, the one `end` ends too;
   * with `signs` (an address, not 0), each line's first byte is its sign, stored there.
   */
  keys(p: number, end: number, out: number, last: number, signs: number): number;
  /** Where the last call stopped: past the last line it keyed, or the first byte of the line it left. */
  stop: { readonly value: number };
  /** How many of the last call's keys are negative: lines with a byte past ASCII (-(offset + 1)). */
  wide: { readonly value: number };
}

/**
 * The bytes copied in at a time: 64 KiB, and room for a key and a sign per byte and one more (a
 * line a byte long, the empty one after a last newline) — 640 KiB of memory for the process,
 * whatever the text (git's own history with its pull requests peaks at the edge of its 300 MB
 * budget). Most file versions and records are one call, their keys lent straight from it.
 */
export const CHUNK_BYTES = 64 << 10;

/**
 * The most keys a larger text's gathered arrays keep for the next one (9 bytes a key): a text of
 * more lines gets arrays of its own, let go with it — a first run's largest file version or record
 * would otherwise stand in memory to the run's end.
 */
const GATHERED_KEPT = 1 << 16;

/**
 * normalLineHash of every line of a text's bytes, the loop in WebAssembly (line-keys.wat): the
 * content rule keys every line of every file version it reads, churn every line of mainline's
 * records. A file version (keysOf) is every line split at each newline, the empty one after a last
 * newline too — normalLineHashesLent's keys; a diff store record's lines (signedKeysOf) each start
 * with a sign that is not part of the line. The text is copied into the module's memory a chunk at a
 * time, each chunk ending where a line does; a line longer than a chunk, or one with a byte past
 * ASCII, is keyed here by normalLineHashOfBytes. Keys are lent until the next call (the caller copies
 * what it keeps): a text of one chunk lends views of the module's own memory.
 */
export class WasmLineKeys {
  private readonly wasm: LineKeysExports;
  /** The module's memory as bytes (at 0), keys (at `chunk`) and signs (after them); its size never changes. */
  private readonly bytes: Uint8Array;
  private readonly keyed: Float64Array;
  private readonly signs: Uint8Array;
  private readonly signsAt: number;
  /** A text of more than one chunk: its keys (and signs) gathered here, grown as texts need. */
  private gathered = new Float64Array(1 << 12);
  private gatheredSigns = new Uint8Array(1 << 12);

  constructor(private readonly chunk = CHUNK_BYTES) {
    if (chunk < 8 || chunk % 8 !== 0) throw new Error(`a chunk of ${chunk} bytes: it must be a multiple of 8`);
    if (!webAssembly) throw new Error('this node runs without WebAssembly');
    const { Module, Instance } = webAssembly;
    this.wasm = new Instance(new Module(Buffer.from(LINE_KEYS_WASM, 'base64'))).exports as LineKeysExports;
    this.signsAt = chunk + 8 * (chunk + 1);
    const pages = Math.ceil((this.signsAt + chunk + 1) / 65536) - this.wasm.memory.buffer.byteLength / 65536;
    if (pages > 0) this.wasm.memory.grow(pages);
    this.bytes = new Uint8Array(this.wasm.memory.buffer, 0, chunk);
    this.keyed = new Float64Array(this.wasm.memory.buffer, chunk, chunk + 1);
    this.signs = new Uint8Array(this.wasm.memory.buffer, this.signsAt, chunk + 1);
  }

  /** The keys of every line of `data`, lent until the next call. */
  keysOf(data: Buffer): Float64Array {
    if (data.length <= this.chunk) return this.keyed.subarray(0, this.keyChunk(data, 0, data.length, true, false));
    this.fresh();
    let n = 0;
    for (let at = 0; ; ) {
      const end = Math.min(at + this.chunk, data.length);
      const last = end === data.length;
      const k = this.keyChunk(data, at, end, last, false);
      n = this.gather(n, k, false);
      if (last) return this.gathered.subarray(0, n);
      if (k > 0) {
        at += this.wasm.stop.value;
        continue;
      }
      // Not one line ended in the chunk: a line longer than it, keyed alone; the next starts after.
      const newline = data.indexOf(0x0a, at);
      n = this.gatherOne(n, normalLineHashOfBytes(data, at, newline < 0 ? data.length : newline), 0);
      if (newline < 0) return this.gathered.subarray(0, n);
      at = newline + 1;
      // The empty line after a last newline.
      if (at === data.length) return this.gathered.subarray(0, this.gatherOne(n, normalLineHashOfBytes(data, at, at), 0));
    }
  }

  /**
   * The lines of a diff store record's text, data[start, end): each line's key without its first
   * byte, and that byte (its sign), in order, lent until the next call. Null when the text does not
   * end with a newline (a damaged record: the caller's own reading says so).
   */
  signedKeysOf(data: Buffer, start: number, end: number): SignedKeys | null {
    this.fresh();
    let n = 0;
    for (let at = start; at < end; ) {
      const stop = Math.min(at + this.chunk, end);
      const k = this.keyChunk(data, at, stop, false, true);
      if (k > 0) {
        if (at === start && at + this.wasm.stop.value === end) return { keys: this.keyed.subarray(0, k), signs: this.signs.subarray(0, k) };
        n = this.gather(n, k, true);
        at += this.wasm.stop.value;
        continue;
      }
      // A line longer than the chunk: its sign, and the rest keyed alone.
      const newline = data.indexOf(0x0a, at);
      if (newline < 0 || newline >= end) return null;
      n = this.gatherOne(n, normalLineHashOfBytes(data, at + 1, newline), data[at]!);
      at = newline + 1;
    }
    return { keys: this.gathered.subarray(0, n), signs: this.gatheredSigns.subarray(0, n) };
  }

  /** Keys data[start, end) into `keyed` (a non-last chunk's unended line left out); how many. */
  private keyChunk(data: Buffer, start: number, end: number, last: boolean, signed: boolean): number {
    this.bytes.set(data.subarray(start, end), 0);
    const k = this.wasm.keys(0, end - start, this.chunk, last ? 1 : 0, signed ? this.signsAt : 0);
    if (this.wasm.wide.value > 0) this.keyWide(data, start, end, k, signed ? 1 : 0);
    return k;
  }

  /**
   * The chunk's lines with a byte past ASCII, keyed from their bytes where they stand: the module
   * left each key as -(the line's offset in the chunk + 1), its sign's when it has one.
   */
  private keyWide(data: Buffer, start: number, end: number, k: number, sign: number): void {
    const keyed = this.keyed;
    for (let i = 0; i < k; i++) {
      const key = keyed[i]!;
      if (key >= 0) continue;
      const line = start - key - 1 + sign;
      const newline = data.indexOf(0x0a, line);
      keyed[i] = normalLineHashOfBytes(data, line, newline < 0 || newline >= end ? end : newline);
    }
  }

  /** The chunk's k keys (and signs) added to the gathered ones after the first n; how many now. */
  private gather(n: number, k: number, signed: boolean): number {
    this.grow(n + k);
    this.gathered.set(this.keyed.subarray(0, k), n);
    if (signed) this.gatheredSigns.set(this.signs.subarray(0, k), n);
    return n + k;
  }

  private gatherOne(n: number, key: number, sign: number): number {
    this.grow(n + 1);
    this.gathered[n] = key;
    this.gatheredSigns[n] = sign;
    return n + 1;
  }

  /** Gathered arrays for a new text: the last one's, unless they grew past GATHERED_KEPT. */
  private fresh(): void {
    if (this.gathered.length <= GATHERED_KEPT) return;
    this.gathered = new Float64Array(1 << 12);
    this.gatheredSigns = new Uint8Array(1 << 12);
  }

  private grow(size: number): void {
    if (size <= this.gathered.length) return;
    const length = Math.max(this.gathered.length * 2, size);
    const keys = new Float64Array(length);
    keys.set(this.gathered);
    this.gathered = keys;
    const signs = new Uint8Array(length);
    signs.set(this.gatheredSigns);
    this.gatheredSigns = signs;
  }
}

let shared: WasmLineKeys | null | undefined;

/**
 * WasmLineKeys for the process, made when first asked (a run that keys no line compiles nothing);
 * null where node has no WebAssembly.
 */
export function wasmLineKeys(): WasmLineKeys | null {
  if (shared === undefined) shared = webAssembly ? new WasmLineKeys() : null;
  return shared;
}

/**
 * normalLineHash, asked of a line in place in a text or of its UTF-8 bytes, or of a diff store
 * record's lines all at once (signedLines, WebAssembly): the key churn, the content rule and the
 * revert rules give each line.
 */
export const NORMAL_LINE_KEY: LineKey = {
  text: normalLineHash,
  bytes: normalLineHashOfBytes,
  signedLines: (data, start, end) => wasmLineKeys()?.signedKeysOf(data, start, end) ?? null,
};
