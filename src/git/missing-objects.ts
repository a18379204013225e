import { BOUNDED_PACK_WINDOWS_EXCLUDING, streamGit } from './run.js';
import { ShaPlaces } from './sha-places.js';
import { grown } from './typed-arrays.js';

/**
 * The tips whose history (beyond `exclude`) names an object the repository lacks — a partial
 * clone, a snapshot without its largest files — found in two git processes: the missing objects
 * (`rev-list --objects --missing=print`, which checks each object is there without reading it),
 * then the commits whose diff names one and, from the same walk's parents, every commit that
 * reaches one (`log --raw -t`; `for-each-ref --contains` of those commits ran for
 * minutes over 4,288 refs). A walk per tip found them before: on a first run, which excludes
 * nothing, each tip's whole history again — git's own history with its 3,277 pull requests' refs
 * and 25 objects missing ran for hours. Returns the tips (of `include`, by sha) to check one by one,
 * or null when this cannot narrow them (nothing missing: a corrupt object or a missing commit, which
 * rev-list reports by failing) — the caller then checks every tip. Both walks map their packs in
 * bounded windows: with git's own (an 8 GiB limit) they reached 587 and 552 MB on git's own history,
 * 181 and 149 MB under 192 MB of windows.
 */
export async function tipsReachingMissingObjects(
  include: readonly string[],
  exclude: readonly string[],
  cwd: string,
): Promise<Set<string> | null> {
  const input = `${[...include, ...exclude.map((sha) => `^${sha}`)].join('\n')}\n`;
  try {
    const missing = new Set<string>();
    for await (const [data, start, end] of byteLines(
      streamGit([...BOUNDED_PACK_WINDOWS_EXCLUDING, 'rev-list', '--objects', '--missing=print', '--stdin'], { cwd, input }),
    )) {
      if (data[start] === QUESTION) missing.add(data.toString('latin1', start + 1, end));
    }
    if (missing.size === 0) return null;
    // A raw line is `:<mode> <mode> <old> <new> <status>\t<path>`; each commit comes first on a line
    // of its own with its parents.
    const graph = new ParentEdges();
    let current = -1;
    for await (const [data, start, end] of byteLines(
      streamGit(
        [
          ...BOUNDED_PACK_WINDOWS_EXCLUDING,
          'log',
          '--raw',
          '-t',
          '--no-renames',
          '--no-abbrev',
          '--diff-merges=off',
          // Whatever the user's config says: root commits' files listed, no colour in the lines parsed.
          '--root',
          '--no-color',
          '--format=%x01%H %P',
          '--stdin',
        ],
        { cwd, input },
      ),
    )) {
      if (data[start] === COMMIT_LINE) {
        // Each sha its own string, read from the bytes: one sliced from a line of the chunk's text
        // kept that whole text alive (git's own history with its pull requests: the heap grew to
        // 216 MB while this read).
        const shas: string[] = [];
        for (let from = start + 1; from < end; ) {
          let space = data.indexOf(SPACE, from);
          if (space < 0 || space > end) space = end;
          if (space > from) shas.push(data.toString('latin1', from, space));
          from = space + 1;
        }
        current = graph.commit(shas[0]!, shas.slice(1));
      } else if (data[start] === COLON && current >= 0) {
        const tab = data.indexOf(TAB, start);
        const [, , before, after] = data.toString('latin1', start + 1, tab < 0 || tab > end ? end : tab).split(' ');
        if (missing.has(before!) || missing.has(after!)) graph.mark(current);
      }
    }
    const reaches = graph.reachingMarked();
    if (reaches === null) return null;
    // A tip the walk did not list (a tag object: the walk lists its commit) is checked too.
    return new Set(
      include.filter((sha) => {
        const i = graph.indexOf(sha);
        return i === undefined || !graph.listed(i) || reaches[i] === 1;
      }),
    );
  } catch {
    return null;
  }
}

const QUESTION = 0x3f;
const COMMIT_LINE = 0x01;
const COLON = 0x3a;
const TAB = 0x09;
const SPACE = 0x20;
const NEWLINE = 0x0a;

/**
 * The commits of a walk and their parents, each sha held once and a commit its place: as an
 * object per commit with its parents' strings and a Map of children, git's own history with its
 * pull requests (~200k commits) held ~60 MB more.
 */
class ParentEdges {
  private readonly shas: string[] = [];
  private readonly place = new ShaPlaces(1 << 16, this.shas);
  /** 1: the walk listed the commit (not only named it as a parent). */
  private listedFlags = new Uint8Array(1 << 16);
  /** 1: the commit's diff names a missing object. */
  private marked = new Uint8Array(1 << 16);
  private children = new Int32Array(1 << 16);
  private parents = new Int32Array(1 << 16);
  private edges = 0;

  /** The commit listed with its parents; its place. */
  commit(sha: string, parents: readonly string[]): number {
    const i = this.intern(sha);
    this.listedFlags[i] = 1;
    for (const parent of parents) {
      const j = this.intern(parent);
      if (this.edges === this.children.length) {
        this.children = grown(this.children, this.edges * 2);
        this.parents = grown(this.parents, this.edges * 2);
      }
      this.children[this.edges] = i;
      this.parents[this.edges] = j;
      this.edges++;
    }
    return i;
  }

  mark(i: number): void {
    this.marked[i] = 1;
  }

  indexOf(sha: string): number | undefined {
    return this.place.find(sha);
  }

  listed(i: number): boolean {
    return this.listedFlags[i] === 1;
  }

  /**
   * 1 for each commit that is marked or has a marked ancestor, by place (null: none marked).
   * Walked from the marked ones down their children (git's --topo-order would give parents first,
   * but held the whole walk: 330 MB).
   */
  reachingMarked(): Uint8Array | null {
    const n = this.shas.length;
    // Each commit's children, in one array in parent order (first[j]..first[j + 1]).
    const first = new Int32Array(n + 1);
    for (let e = 0; e < this.edges; e++) first[this.parents[e]! + 1]!++;
    for (let j = 0; j < n; j++) first[j + 1]! += first[j]!;
    const next = first.slice(0, n);
    const childList = new Int32Array(this.edges);
    for (let e = 0; e < this.edges; e++) childList[next[this.parents[e]!]!++] = this.children[e]!;
    const reaches = new Uint8Array(n);
    const stack: number[] = [];
    for (let i = 0; i < n; i++) if (this.marked[i] === 1) stack.push(i);
    if (stack.length === 0) return null;
    while (stack.length > 0) {
      const i = stack.pop()!;
      if (reaches[i] === 1) continue;
      reaches[i] = 1;
      for (let k = first[i]!; k < first[i + 1]!; k++) if (reaches[childList[k]!] === 0) stack.push(childList[k]!);
    }
    return reaches;
  }

  private intern(sha: string): number {
    const known = this.place.find(sha);
    if (known !== undefined) return known;
    const i = this.shas.length;
    if (i === this.listedFlags.length) {
      this.listedFlags = grown(this.listedFlags, i * 2);
      this.marked = grown(this.marked, i * 2);
    }
    this.shas.push(sha);
    this.place.add(i);
    return i;
  }
}

/**
 * git's output as lines, each where it stands in a buffer ([data, start, end), lent until the next
 * line): a line split across chunks is joined into a buffer of its own.
 */
export async function* byteLines(chunks: AsyncIterable<Buffer>): AsyncGenerator<[Buffer, number, number]> {
  let rest: Buffer | null = null;
  for await (const chunk of chunks) {
    let start = 0;
    let end = chunk.indexOf(NEWLINE);
    if (rest !== null && end >= 0) {
      const line: Buffer = Buffer.concat([rest, chunk.subarray(0, end)]);
      rest = null;
      yield [line, 0, line.length];
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    while (end >= 0) {
      yield [chunk, start, end];
      start = end + 1;
      end = chunk.indexOf(NEWLINE, start);
    }
    if (start < chunk.length) rest = rest === null ? Buffer.from(chunk.subarray(start)) : Buffer.concat([rest, chunk.subarray(start)]);
  }
  if (rest !== null && rest.length > 0) yield [rest, 0, rest.length];
}
