import { ShaPlaces } from './sha-places.js';
import { grown } from './typed-arrays.js';

/**
 * The commits a `git rev-list --parents` listed, each with its parents, a sha its place: every
 * sha named (a listed commit, or a parent outside the walk) is held once, as a string read from
 * git's bytes, and the parents are places. A run keeps its walks for the outcome build
 * (BranchWalks): as a Map of each line's split — a parents array per commit and shas sliced from
 * the whole output, which they kept alive — git's own history with its pull requests' ~120k commits
 * off mainline held ~40 MB through the whole build.
 */
export class ParentGraph {
  private readonly shas: string[] = [];
  private readonly place = new ShaPlaces(1 << 12, this.shas);
  /** Where a listed commit's parents start in `parents` (-1: not listed, only named as a parent). */
  private firstParent = new Int32Array(1 << 12).fill(-1);
  private parentCount = new Int32Array(1 << 12);
  private parents = new Int32Array(1 << 12);
  private edges = 0;
  /** Each listed commit's time, when the lister gave one (NaN: none). */
  private times = new Float64Array(1 << 12);
  /** Each place's mark of the last walk that visited it (walkFrom). */
  private visited: Int32Array | null = null;
  private walks = 0;

  /** The graph of rev-list's `--parents` output: a line per commit, its sha then its parents'. */
  static parse(output: Buffer): ParentGraph {
    const graph = new ParentGraph();
    const ids: string[] = [];
    for (let start = 0; start < output.length; ) {
      let end = output.indexOf(NEWLINE, start);
      if (end < 0) end = output.length;
      ids.length = 0;
      for (let from = start; from < end; ) {
        let space = output.indexOf(SPACE, from);
        if (space < 0 || space > end) space = end;
        if (space > from) ids.push(output.toString('latin1', from, space));
        from = space + 1;
      }
      if (ids.length > 0) graph.add(ids[0]!, ids.slice(1));
      start = end + 1;
    }
    return graph;
  }

  /**
   * Lists a commit with its parents and, optionally, a time (a commit listed twice keeps its first
   * parents). The commit's own string is held from now on, not a parent's named before it (a piece
   * of another line's text).
   */
  add(sha: string, parents: readonly string[], time = Number.NaN): void {
    const i = this.intern(sha);
    if (this.firstParent[i]! >= 0) return;
    this.shas[i] = sha;
    this.times[i] = time;
    const at = this.edges;
    for (const parent of parents) {
      const j = this.intern(parent);
      if (this.edges === this.parents.length) this.parents = grown(this.parents, this.edges * 2);
      this.parents[this.edges++] = j;
    }
    this.firstParent[i] = at;
    this.parentCount[i] = parents.length;
  }

  /** Whether rev-list listed the commit. */
  has(sha: string): boolean {
    const i = this.place.find(sha);
    return i !== undefined && this.firstParent[i]! >= 0;
  }

  /** A listed commit's place (undefined: not listed — unknown, or only named as a parent). */
  listed(sha: string): number | undefined {
    const i = this.place.find(sha);
    return i !== undefined && this.firstParent[i]! >= 0 ? i : undefined;
  }

  /** The sha at a place. */
  shaAt(i: number): string {
    return this.shas[i]!;
  }

  /** The time a listed commit was given (NaN: none). */
  timeAt(i: number): number {
    return this.times[i]!;
  }

  /** How many parents a listed commit has (0 for one not listed). */
  parentCountAt(i: number): number {
    return this.firstParent[i]! >= 0 ? this.parentCount[i]! : 0;
  }

  /** The place of a listed commit's k-th parent (listed or not: `isListed`). */
  parentAt(i: number, k: number): number {
    return this.parents[this.firstParent[i]! + k]!;
  }

  isListed(i: number): boolean {
    return this.firstParent[i]! >= 0;
  }

  /** How many shas the graph names (listed commits and parents alone). */
  get size(): number {
    return this.shas.length;
  }

  /**
   * What `head` has in the graph — every listed commit reachable from it through listed commits,
   * depth first from the head, parents in the order listed — and the parents it reaches outside
   * the graph. A head not listed has nothing.
   */
  walkFrom(head: string): { own: string[]; leaves: Set<string> } {
    const own: string[] = [];
    const leaves = new Set<string>();
    const start = this.place.find(head);
    if (start === undefined || this.firstParent[start]! < 0) return { own, leaves };
    if (this.visited === null || this.visited.length < this.shas.length) this.visited = new Int32Array(this.shas.length);
    const mark = ++this.walks;
    const visited = this.visited;
    const stack = [start];
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (visited[i] === mark) continue;
      visited[i] = mark;
      own.push(this.shas[i]!);
      const from = this.firstParent[i]!;
      for (let k = from; k < from + this.parentCount[i]!; k++) {
        const p = this.parents[k]!;
        if (this.firstParent[p]! >= 0) stack.push(p);
        else leaves.add(this.shas[p]!);
      }
    }
    return { own, leaves };
  }

  private intern(sha: string): number {
    const known = this.place.find(sha);
    if (known !== undefined) return known;
    const i = this.shas.length;
    if (i === this.firstParent.length) {
      this.firstParent = grown(this.firstParent, i * 2, -1);
      this.parentCount = grown(this.parentCount, i * 2);
      this.times = grown(this.times, i * 2);
    }
    this.shas.push(sha);
    this.place.add(i);
    return i;
  }
}

const NEWLINE = 0x0a;
const SPACE = 0x20;
