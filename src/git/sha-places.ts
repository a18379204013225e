/**
 * Each commit's place by its sha, in one open-addressing table of places over the columns' own
 * sha strings: a Map of 201k shas (git's own history with its pull requests) was a 7.3 MB table
 * held through the whole build, this one is 2 MB. At most half full; a sha is found by its first
 * characters, hashed (a commit's sha is random in all of them), and compared whole.
 */
export class ShaPlaces {
  /** A place plus one per slot; 0: free. */
  private slots: Int32Array;
  private mask: number;
  private count = 0;

  constructor(
    expected: number,
    private readonly shas: readonly string[],
  ) {
    let size = 16;
    while (size < expected * 2) size *= 2;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
  }

  /** Adds `shas[i]` (a sha added again now names `i`, as a Map's set would). */
  add(i: number): void {
    if ((this.count + 1) * 2 > this.slots.length) this.rehash(this.slots.length * 2);
    const sha = this.shas[i]!;
    let slot = hashOf(sha) & this.mask;
    for (;;) {
      const held = this.slots[slot]!;
      if (held === 0) {
        this.slots[slot] = i + 1;
        this.count++;
        return;
      }
      if (this.shas[held - 1] === sha) {
        this.slots[slot] = i + 1;
        return;
      }
      slot = (slot + 1) & this.mask;
    }
  }

  /** The place of `sha`, or undefined. */
  find(sha: string): number | undefined {
    for (let slot = hashOf(sha) & this.mask; ; slot = (slot + 1) & this.mask) {
      const held = this.slots[slot]!;
      if (held === 0) return undefined;
      if (this.shas[held - 1] === sha) return held - 1;
    }
  }

  private rehash(size: number): void {
    const old = this.slots;
    this.slots = new Int32Array(size);
    this.mask = size - 1;
    for (const held of old) {
      if (held === 0) continue;
      let slot = hashOf(this.shas[held - 1]!) & this.mask;
      while (this.slots[slot] !== 0) slot = (slot + 1) & this.mask;
      this.slots[slot] = held;
    }
  }
}

/** FNV-1a over a string's first 12 characters and its length. */
function hashOf(sha: string): number {
  let h = 0x811c9dc5 ^ sha.length;
  const n = Math.min(sha.length, 12);
  for (let k = 0; k < n; k++) h = Math.imul(h ^ sha.charCodeAt(k), 0x01000193);
  // The low bits index the table: fold the high ones in.
  return (h ^ (h >>> 15)) >>> 0;
}
