import { type ChildProcess, spawn } from 'node:child_process';
import { GitError } from '../errors.js';
import { PATCH_ID_CONFIG, PATCH_ID_DIFF } from './patches.js';
import { BOUNDED_PACK_WINDOWS, countProcess, gitText, runGit, subcommandOf } from './run.js';

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
  return walkLanding(await gitText(['rev-list', '--parents', '--timestamp', tip], { cwd }), tip).landing;
}

/**
 * The commits mainline gained since `since`, when `tip` descends from it along first parents (a
 * fast-forward, a merge, a pull of new commits): their landing, in the order mainlineLanding would
 * list them after every commit `since` already brought. Null when `since` is not on the tip's
 * first-parent chain (mainline was rewritten, or reset onto a side branch): then only a whole walk
 * gives the right landing.
 */
export async function mainlineLandingSince(tip: string, since: string, cwd: string): Promise<Map<string, Landing> | null> {
  const { landing, oldestParent } = walkLanding(await gitText(['rev-list', '--parents', '--timestamp', tip, `^${since}`], { cwd }), tip);
  return oldestParent === since ? landing : null;
}

/** The landing walk over `rev-list --parents --timestamp` lines; `oldestParent`: the first parent of the chain's oldest commit. */
function walkLanding(out: string, tip: string): { landing: Map<string, Landing>; oldestParent: string | undefined } {
  const graph = new Map<string, { parents: string[]; time: number }>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [time, sha, ...parents] = line.split(' ');
    graph.set(sha!, { parents, time: Number(time) });
  }
  const chain: string[] = [];
  for (let at: string | undefined = tip; at && graph.has(at); at = graph.get(at)!.parents[0]) chain.push(at);
  const oldestParent = chain.length > 0 ? graph.get(chain[chain.length - 1]!)!.parents[0] : undefined;
  const landing = new Map<string, Landing>();
  for (const m of chain.reverse()) {
    const node = graph.get(m)!;
    landing.set(m, { via: m, time: node.time, committed: node.time, isMerge: node.parents.length > 1 });
    const stack = node.parents.slice(1);
    while (stack.length > 0) {
      const sha = stack.pop()!;
      // A commit outside the graph landed before (it is reachable from `since`) or is missing.
      if (landing.has(sha) || !graph.has(sha)) continue;
      const own = graph.get(sha)!;
      landing.set(sha, { via: m, time: node.time, committed: own.time, isMerge: own.parents.length > 1 });
      stack.push(...own.parents);
    }
  }
  return { landing, oldestParent };
}

/** Every commit reachable from `tip`. */
export async function ancestorsOf(tip: string, cwd: string): Promise<Set<string>> {
  const { stdout } = await runGit(['rev-list', tip], { cwd });
  return new Set(stdout.toString('latin1').split('\n').filter(Boolean));
}

/**
 * `git patch-id --stable` of each commit's diff against its first parent (or of the reversed diff,
 * for finding reverts), keyed by commit: git log's patch output goes into git patch-id process to
 * process, with no shell. The diff is PATCH_ID_DIFF, the one attribution's stream hashes (merges
 * show none here: they have no id).
 */
export async function patchIds(shas: readonly string[], cwd: string, options: { reverse?: boolean } = {}): Promise<Map<string, string>> {
  if (shas.length === 0) return new Map();
  countProcess(['log']);
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
 * empty diff): one `git diff-tree --stdin -p` piped into one `git patch-id --stable`, instead of a
 * `git diff` and a `git patch-id` per branch. A line `<head> <base>` makes diff-tree diff base →
 * head (the head as a commit whose parent is the base) and print the head's id before it, the line
 * patch-id splits on (it reads diff-tree's output as it is). Renames are found (-M) as `git diff` does.
 */
export async function netDiffPatchIds(pairs: readonly { base: string; head: string }[], cwd: string): Promise<Map<string, string>> {
  if (pairs.length === 0) return new Map();
  countProcess(['diff-tree']);
  return patchIdsOf(
    [...BOUNDED_PACK_WINDOWS, ...PATCH_ID_CONFIG, 'diff-tree', '--stdin', '-r', ...PATCH_ID_DIFF],
    `${pairs.map((p) => `${p.head} ${p.base}`).join('\n')}\n`,
    cwd,
  );
}

/**
 * `git patch-id --stable` over what the git command `producer` prints given `input` (each patch
 * after a line holding its commit id); waits for both and returns each id by that commit id. The
 * producer writes into patch-id's input directly (its end of the pipe is handed over at spawn and
 * this process closes its own): the diff text — the whole history's, in a first build — never
 * passes through this process.
 */
async function patchIdsOf(producer: readonly string[], input: string, cwd: string): Promise<Map<string, string>> {
  countProcess(['patch-id']);
  const patchId = spawn('git', ['patch-id', '--stable'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  const name = subcommandOf(producer);
  let diff: ChildProcess;
  try {
    diff = spawn('git', [...producer], { cwd, stdio: ['pipe', patchId.stdin, 'pipe'] });
  } finally {
    // patch-id sees the end of its input when the producer exits (or never started), not before.
    patchId.stdin.destroy();
  }
  diff.stdin!.on('error', () => undefined);
  diff.stdin!.end(input);
  diff.stderr!.resume();
  patchId.stderr.resume();
  let out = '';
  patchId.stdout.setEncoding('utf8');
  patchId.stdout.on('data', (chunk: string) => (out += chunk));
  const exit = (child: ChildProcess, command: string) =>
    new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new GitError(`git ${command} failed (exit ${code})`, [command]))));
    });
  await Promise.all([exit(diff, name), exit(patchId, 'patch-id')]);
  const ids = new Map<string, string>();
  for (const line of out.split('\n')) {
    const [id, sha] = line.split(' ');
    if (id && sha) ids.set(sha, id);
  }
  return ids;
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
