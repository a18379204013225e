import { spawn } from 'node:child_process';
import { GitError } from '../errors.js';
import { countProcess, gitText, runGit } from './run.js';

/**
 * For every commit reachable from the mainline tip, the first-parent mainline commit that brought
 * it in (itself, or the merge that introduced it), from one `rev-list --parents` and a linear walk.
 */
export async function mainlineLanding(tip: string, cwd: string): Promise<Map<string, { via: string; time: number }>> {
  const out = await gitText(['rev-list', '--parents', '--timestamp', tip], { cwd });
  const graph = new Map<string, { parents: string[]; time: number }>();
  for (const line of out.split('\n')) {
    if (!line) continue;
    const [time, sha, ...parents] = line.split(' ');
    graph.set(sha!, { parents, time: Number(time) });
  }
  const chain: string[] = [];
  for (let at: string | undefined = tip; at && graph.has(at); at = graph.get(at)!.parents[0]) chain.push(at);
  const landing = new Map<string, { via: string; time: number }>();
  for (const m of chain.reverse()) {
    const node = graph.get(m)!;
    landing.set(m, { via: m, time: node.time });
    const stack = node.parents.slice(1);
    while (stack.length > 0) {
      const sha = stack.pop()!;
      if (landing.has(sha) || !graph.has(sha)) continue;
      landing.set(sha, { via: m, time: node.time });
      stack.push(...graph.get(sha)!.parents);
    }
  }
  return landing;
}

/** Every commit reachable from `tip`. */
export async function ancestorsOf(tip: string, cwd: string): Promise<Set<string>> {
  const { stdout } = await runGit(['rev-list', tip], { cwd });
  return new Set(stdout.toString('latin1').split('\n').filter(Boolean));
}

/**
 * `git patch-id --stable` of each commit's diff against its first parent (or of the reversed diff,
 * for finding reverts), keyed by commit. git log's patch output is piped into git patch-id here,
 * process to process, with no shell.
 */
export async function patchIds(shas: readonly string[], cwd: string, options: { reverse?: boolean } = {}): Promise<Map<string, string>> {
  const ids = new Map<string, string>();
  if (shas.length === 0) return ids;
  countProcess(['log']);
  countProcess(['patch-id']);
  const log = spawn(
    'git',
    // No a/ b/ prefixes: -R would swap them, and patch-id hashes the header.
    [
      'log',
      '--no-walk=unsorted',
      '--stdin',
      '-p',
      '--no-prefix',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '--format=commit %H',
      ...(options.reverse ? ['-R'] : []),
    ],
    { cwd, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const patchId = spawn('git', ['patch-id', '--stable'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  log.stdout.pipe(patchId.stdin);
  log.stdin.on('error', () => undefined);
  patchId.stdin.on('error', () => undefined);
  log.stdin.end(`${shas.join('\n')}\n`);
  let out = '';
  patchId.stdout.setEncoding('utf8');
  patchId.stdout.on('data', (chunk: string) => (out += chunk));
  const exit = (child: ReturnType<typeof spawn>, name: string) =>
    new Promise<void>((resolve, reject) => {
      child.once('error', reject);
      child.once('close', (code) => (code === 0 ? resolve() : reject(new GitError(`git ${name} failed (exit ${code})`, [name]))));
    });
  await Promise.all([exit(log, 'log'), exit(patchId, 'patch-id')]);
  for (const line of out.split('\n')) {
    const [id, sha] = line.split(' ');
    if (id && sha) ids.set(sha, id);
  }
  return ids;
}

/** The patch-id of the net diff between two commits (a branch's whole change, squashed). */
export async function netDiffPatchId(base: string, tip: string, cwd: string): Promise<string | null> {
  const diff = await runGit(['diff', '--no-prefix', '--no-color', '--no-ext-diff', '--no-textconv', base, tip], { cwd });
  if (diff.stdout.length === 0) return null;
  const { stdout } = await runGit(['patch-id', '--stable'], { cwd, input: diff.stdout });
  return stdout.toString('latin1').split(' ')[0] || null;
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
