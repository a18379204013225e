import { ShaPlaces } from './sha-places.js';
import { grown } from './typed-arrays.js';

/** A kept record's place in the diff store's file. */
export interface KeptPlace {
  offset: number;
  length: number;
}

/**
 * The diff store's index: each kept commit's record (offset and length in the file) and its
 * patch-id once known, one column per field and a commit its place in them. A first run keeps
 * every commit: as a Map of an object per commit, with the patch-id a string of its own, git's
 * own history with its pull requests (~200k commits) held ~45 MB through the whole run — at its
 * top, the end of the history's pass. Here the shas stay strings; a patch-id of 40 hex digits is
 * its 20 bytes (another form, a SHA-256 repository's, is kept as its text).
 */
export class KeptIndex {
  private shas: string[] = [];
  private place = new ShaPlaces(16, this.shas);
  private offsets = new Float64Array(16);
  private lengths = new Float64Array(16);
  /** ID_UNKNOWN, ID_NONE (an empty diff), ID_HELD (in idBytes), ID_TEXT (in idTexts). */
  private idState = new Uint8Array(16);
  private idBytes = Buffer.alloc(16 * ID_LENGTH);
  private idTexts = new Map<number, string>();

  get size(): number {
    return this.shas.length;
  }

  has(sha: string): boolean {
    return this.place.find(sha) !== undefined;
  }

  /** The index's own string of a kept commit's sha (undefined: not kept). */
  stringOf(sha: string): string | undefined {
    const i = this.place.find(sha);
    return i === undefined ? undefined : this.shas[i];
  }

  /** Where the commit's record is, or undefined when it is not kept. */
  get(sha: string): KeptPlace | undefined {
    const i = this.place.find(sha);
    return i === undefined ? undefined : { offset: this.offsets[i]!, length: this.lengths[i]! };
  }

  /** Keeps a commit's record's place (a commit kept already keeps its first). */
  add(sha: string, offset: number, length: number): void {
    if (this.has(sha)) return;
    const i = this.shas.length;
    if (i === this.offsets.length) this.grow(i * 2);
    this.shas.push(sha);
    this.place.add(i);
    this.offsets[i] = offset;
    this.lengths[i] = length;
  }

  /** The commit's patch-id: null for an empty diff, undefined when not known (or not kept). */
  patchId(sha: string): string | null | undefined {
    const i = this.place.find(sha);
    if (i === undefined) return undefined;
    switch (this.idState[i]) {
      case ID_NONE:
        return null;
      case ID_HELD:
        return this.idBytes.toString('hex', i * ID_LENGTH, (i + 1) * ID_LENGTH);
      case ID_TEXT:
        return this.idTexts.get(i)!;
      default:
        return undefined;
    }
  }

  /** Sets the patch-id of each kept commit that has none yet: `found`'s, else null (an empty diff). */
  settle(found: ReadonlyMap<string, string>): void {
    for (let i = 0; i < this.shas.length; i++) {
      if (this.idState[i] !== ID_UNKNOWN) continue;
      const id = found.get(this.shas[i]!);
      if (id === undefined) this.idState[i] = ID_NONE;
      else if (HEX_ID.test(id)) {
        this.idBytes.write(id, i * ID_LENGTH, ID_LENGTH, 'hex');
        this.idState[i] = ID_HELD;
      } else {
        this.idTexts.set(i, id);
        this.idState[i] = ID_TEXT;
      }
    }
  }

  clear(): void {
    this.shas = [];
    this.place = new ShaPlaces(16, this.shas);
    this.offsets = new Float64Array(16);
    this.lengths = new Float64Array(16);
    this.idState = new Uint8Array(16);
    this.idBytes = Buffer.alloc(16 * ID_LENGTH);
    this.idTexts.clear();
  }

  private grow(size: number): void {
    this.offsets = grown(this.offsets, size);
    this.lengths = grown(this.lengths, size);
    this.idState = grown(this.idState, size);
    const bytes = Buffer.alloc(size * ID_LENGTH);
    this.idBytes.copy(bytes);
    this.idBytes = bytes;
  }
}

const ID_UNKNOWN = 0;
const ID_NONE = 1;
const ID_HELD = 2;
const ID_TEXT = 3;
/** A SHA-1 patch-id's bytes. */
const ID_LENGTH = 20;
/** A patch-id as SHA-1 repositories' git writes it. */
const HEX_ID = /^[0-9a-f]{40}$/;
