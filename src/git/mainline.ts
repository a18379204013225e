import { ParentGraph } from './parent-graph.js';
import { PatchIdStream } from './patch-id.js';
import { PATCH_ID_CONFIG, PATCH_ID_DIFF } from './patches.js';
import { BOUNDED_PACK_WINDOWS, runGit, streamGit } from './run.js';

/** Where a commit reached mainline: the first-parent commit that brought it in and its committer time (seconds); the commit's own. */
export interface Landing {
  via: string;
  time: number;
  /** The commit's own committer time (seconds). */
  committed: number;
  isMerge: boolean;
}

/**
 * For every commit reachable from the mainline tip, the first-parent mainline commit that brought
 * it in (itself, or the merge that introduced it), from one `rev-list --parents` and a linear walk.
 * In landing order: the first-parent chain oldest first, each merge's side commits after it.
 */
export async function mainlineLanding(tip: string, cwd: string): Promise<Map<string, Landing>> {
  return walkLanding(await readGraph(['rev-list', '--parents', '--timestamp', tip], cwd), tip).landing;
}

/**
 * The commits mainline gained since `since`, when `tip` descends from it along first parents (a
 * fast-forward, a merge, a pull of new commits): their landing, in the order mainlineLanding would
 * list them after every commit `since` already brought. Null when `since` is not on the tip's
 * first-parent chain (mainline was rewritten, or reset onto a side branch): then only a whole walk
 * gives the right landing.
 */
export async function mainlineLandingSince(tip: string, since: string, cwd: string): Promise<Map<string, Landing> | null> {
  const { landing, oldestParent } = walkLanding(await readGraph(['rev-list', '--parents', '--timestamp', tip, `^${since}`], cwd), tip);
  return oldestParent === since ? landing : null;
}

/**
 * Reads `rev-list --parents --timestamp` as it streams into a ParentGraph: each sha a string read
 * from git's bytes, once, its parents places, its time a column. (The whole text read at once,
 * then a map of objects and an array per line's fields, peaked ~120 MB above the rest of a first
 * run on git's own history, 85k commits: the top of its memory.)
 */
async function readGraph(args: readonly string[], cwd: string): Promise<ParentGraph> {
  const graph = new ParentGraph();
  const parents: string[] = [];
  let carry: Buffer | null = null;
  const line = (data: Buffer, start: number, end: number) => {
    const timeEnd = data.indexOf(SPACE, start);
    if (timeEnd === -1 || timeEnd >= end) return;
    let shaEnd = data.indexOf(SPACE, timeEnd + 1);
    if (shaEnd === -1 || shaEnd > end) shaEnd = end;
    parents.length = 0;
    for (let from = shaEnd + 1; from < end; ) {
      let space = data.indexOf(SPACE, from);
      if (space === -1 || space > end) space = end;
      if (space > from) parents.push(data.toString('latin1', from, space));
      from = space + 1;
    }
    graph.add(data.toString('latin1', timeEnd + 1, shaEnd), parents, Number(data.toString('latin1', start, timeEnd)));
  };
  for await (const chunk of streamGit(args, { cwd })) {
    const data: Buffer = carry ? Buffer.concat([carry, chunk]) : chunk;
    let start = 0;
    for (let nl = data.indexOf(0x0a, start); nl !== -1; nl = data.indexOf(0x0a, start)) {
      line(data, start, nl);
      start = nl + 1;
    }
    carry = start < data.length ? Buffer.from(data.subarray(start)) : null;
  }
  if (carry) line(carry, 0, carry.length);
  return graph;
}

/**
 * What mainlineLandingSince gives, from a graph of the commits `tip` reaches and `since` does not
 * read elsewhere (the database's record of them, each commit's time given): null when `since` is
 * not on the tip's first-parent chain.
 */
export function landingSinceGraph(graph: ParentGraph, tip: string, since: string): Map<string, Landing> | null {
  const { landing, oldestParent } = walkLanding(graph, tip);
  return oldestParent === since ? landing : null;
}

/** What mainlineLanding gives, from a graph of every commit `tip` reaches read elsewhere (the database's record of them, each commit's time given). */
export function landingOfGraph(graph: ParentGraph, tip: string): Map<string, Landing> {
  return walkLanding(graph, tip).landing;
}

/** The landing walk over the graph; `oldestParent`: the first parent of the chain's oldest commit. */
function walkLanding(graph: ParentGraph, tip: string): { landing: Map<string, Landing>; oldestParent: string | undefined } {
  const chain: number[] = [];
  let oldestParent: string | undefined;
  for (let at = graph.listed(tip); at !== undefined; ) {
    chain.push(at);
    const first = graph.parentCountAt(at) > 0 ? graph.parentAt(at, 0) : -1;
    oldestParent = first < 0 ? undefined : graph.shaAt(first);
    at = first >= 0 && graph.isListed(first) ? first : undefined;
  }
  const landed = new Uint8Array(graph.size);
  const landing = new Map<string, Landing>();
  const stack: number[] = [];
  for (const m of chain.reverse()) {
    const count = graph.parentCountAt(m);
    const via = graph.shaAt(m);
    const time = graph.timeAt(m);
    landed[m] = 1;
    landing.set(via, { via, time, committed: time, isMerge: count > 1 });
    for (let k = 1; k < count; k++) stack.push(graph.parentAt(m, k));
    while (stack.length > 0) {
      const i = stack.pop()!;
      // A commit outside the graph landed before (it is reachable from `since`) or is missing.
      if (!graph.isListed(i) || landed[i] === 1) continue;
      const own = graph.parentCountAt(i);
      landed[i] = 1;
      landing.set(graph.shaAt(i), { via, time, committed: graph.timeAt(i), isMerge: own > 1 });
      for (let k = 0; k < own; k++) stack.push(graph.parentAt(i, k));
    }
  }
  return { landing, oldestParent };
}

const SPACE = 0x20;

/** Every commit reachable from `tip`. */
export async function ancestorsOf(tip: string, cwd: string): Promise<Set<string>> {
  const { stdout } = await runGit(['rev-list', tip], { cwd });
  return new Set(stdout.toString('latin1').split('\n').filter(Boolean));
}

/**
 * `git patch-id --stable` of each commit's diff against its first parent (or of the reversed diff,
 * for finding reverts), keyed by commit, from one git log's patch output (patchIdsOf). The diff is
 * PATCH_ID_DIFF, the one attribution's stream hashes (merges show none here: they have no id).
 */
export async function patchIds(shas: readonly string[], cwd: string, options: { reverse?: boolean } = {}): Promise<Map<string, string>> {
  if (shas.length === 0) return new Map();
  return patchIdsOf(
    [
      ...BOUNDED_PACK_WINDOWS,
      ...PATCH_ID_CONFIG,
      'log',
      '--no-walk=unsorted',
      '--stdin',
      ...PATCH_ID_DIFF,
      '--format=commit %H',
      ...(options.reverse ? ['-R'] : []),
    ],
    `${shas.join('\n')}\n`,
    cwd,
  );
}

/** The patch-id of the net diff between two commits (a branch's whole change, squashed). */
export async function netDiffPatchId(base: string, tip: string, cwd: string): Promise<string | null> {
  return (await netDiffPatchIds([{ base, head: tip }], cwd)).get(tip) ?? null;
}

/**
 * The patch-ids of many net diffs (base → head, one base per head), keyed by head (absent: an
 * empty diff): one `git diff-tree --stdin -p`, instead of a `git diff` and a `git patch-id` per
 * branch. A line `<head> <base>` makes diff-tree diff base → head (the head as a commit whose
 * parent is the base) and print the head's id before it, the line patch-id splits on. Renames
 * are found (-M) as `git diff` does.
 */
export async function netDiffPatchIds(pairs: readonly { base: string; head: string }[], cwd: string): Promise<Map<string, string>> {
  if (pairs.length === 0) return new Map();
  return patchIdsOf(
    [...BOUNDED_PACK_WINDOWS, ...PATCH_ID_CONFIG, 'diff-tree', '--stdin', '-r', ...PATCH_ID_DIFF],
    `${pairs.map((p) => `${p.head} ${p.base}`).join('\n')}\n`,
    cwd,
  );
}

/**
 * `git patch-id --stable` of what the git command `producer` prints given `input` (each patch
 * after a line holding its commit id), computed as the text streams in (patch-id.ts): one git
 * process, no `git patch-id` beside it. Returns each id by that commit id.
 */
async function patchIdsOf(producer: readonly string[], input: string, cwd: string): Promise<Map<string, string>> {
  const ids = new PatchIdStream();
  for await (const chunk of streamGit(producer, { cwd, input })) ids.write(chunk);
  return ids.end();
}

/** Whether `a` is an ancestor of `b` (or `b` itself). */
export async function isAncestor(a: string, b: string, cwd: string): Promise<boolean> {
  const { code } = await runGit(['merge-base', '--is-ancestor', a, b], { cwd, okCodes: [1] });
  return code === 0;
}

export async function mergeBase(a: string, b: string, cwd: string): Promise<string | null> {
  const { stdout, code } = await runGit(['merge-base', a, b], { cwd, okCodes: [1] });
  return code === 0 ? stdout.toString('latin1').trim() : null;
}
