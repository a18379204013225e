import { ShaPlaces } from '../git/sha-places.js';
import { grown } from '../git/typed-arrays.js';

/** A commit as attribution reads it (metadata_commits' columns it uses). */
export interface AttributionCommit {
  sha: string;
  committed_at: string;
  ai_marker: string | null;
}

/**
 * The commits an attribution run reads, one column per field and a commit its place in them,
 * sorted into commit order (committer time, then sha) once all are added. A first run reads every
 * commit: as a row object each, with a Map, a Set of the unread and a Set to drop the ones asked
 * twice, git's own history with its pull requests (~200k commits) held ~45 MB through the replay,
 * the run's top; here the shas stay strings, the times are numbers, the markers (few) a map.
 */
export class AttributionCommits {
  private shaList: string[] = [];
  private place = new ShaPlaces(16, this.shaList);
  /** Committer time, ms since the epoch (NaN: not a time). */
  private committed = new Float64Array(16);
  /** The committer time as text where it is not the ISO form of its ms (never, as paceflow writes it). */
  private oddTimes = new Map<number, string>();
  private markers = new Map<number, string>();

  /** Adds a commit's row (sha, committed_at, ai_marker); false when it is here already. */
  add(sha: string, committedAt: string, aiMarker: string | null): boolean {
    if (this.place.find(sha) !== undefined) return false;
    const i = this.shaList.length;
    if (i === this.committed.length) this.committed = grown(this.committed, i * 2);
    this.shaList.push(sha);
    this.place.add(i);
    const ms = Date.parse(committedAt);
    this.committed[i] = ms;
    if (Number.isNaN(ms) || new Date(ms).toISOString() !== committedAt) this.oddTimes.set(i, committedAt);
    if (aiMarker !== null) this.markers.set(i, aiMarker);
    return true;
  }

  /** Adds each row of (sha, committed_at, ai_marker) not here yet. */
  addRows(rows: Iterable<unknown[]>): this {
    for (const [sha, at, marker] of rows) this.add(sha as string, at as string, marker as string | null);
    return this;
  }

  get size(): number {
    return this.shaList.length;
  }

  /** The shas, in their places' order. */
  get shas(): readonly string[] {
    return this.shaList;
  }

  has(sha: string): boolean {
    return this.place.find(sha) !== undefined;
  }

  /** The commit's place, or undefined when it is not one of them. */
  indexOf(sha: string): number | undefined {
    return this.place.find(sha);
  }

  sha(i: number): string {
    return this.shaList[i]!;
  }

  committedAt(i: number): string {
    return this.oddTimes.get(i) ?? new Date(this.committed[i]!).toISOString();
  }

  /** The commit as a row of its own (made when asked: nothing keeps it). */
  row(i: number): AttributionCommit {
    return { sha: this.shaList[i]!, committed_at: this.committedAt(i), ai_marker: this.markers.get(i) ?? null };
  }

  /**
   * Puts the commits in commit order: committer time (as text, as metadata_commits holds it), then
   * sha — the order the replay gives writes to commits in.
   */
  sort(): this {
    const n = this.size;
    const order = new Int32Array(n);
    for (let i = 0; i < n; i++) order[i] = i;
    const ms = this.committed;
    const shas = this.shaList;
    const odd = this.oddTimes;
    order.sort((x, y) => {
      // ISO times of one form order as their ms do; an odd one is compared as text.
      if (odd.size > 0 && (odd.has(x) || odd.has(y))) {
        const a = this.committedAt(x);
        const b = this.committedAt(y);
        if (a !== b) return a < b ? -1 : 1;
      } else if (ms[x] !== ms[y]) return ms[x]! - ms[y]!;
      const a = shas[x]!;
      const b = shas[y]!;
      return a < b ? -1 : a > b ? 1 : 0;
    });
    const shaList: string[] = new Array(n);
    const committed = new Float64Array(Math.max(16, n));
    const oddTimes = new Map<number, string>();
    const markers = new Map<number, string>();
    for (let to = 0; to < n; to++) {
      const from = order[to]!;
      shaList[to] = shas[from]!;
      committed[to] = ms[from]!;
      const oddTime = odd.get(from);
      if (oddTime !== undefined) oddTimes.set(to, oddTime);
      const marker = this.markers.get(from);
      if (marker !== undefined) markers.set(to, marker);
    }
    this.shaList = shaList;
    this.committed = committed;
    this.oddTimes = oddTimes;
    this.markers = markers;
    this.place = new ShaPlaces(n, shaList);
    for (let i = 0; i < n; i++) this.place.add(i);
    return this;
  }
}
