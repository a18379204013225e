import { spawn } from 'node:child_process';
import { GitError } from '../errors.js';
import { gitText, runGit } from './run.js';

export interface FirstParentCommit {
  sha: string;
  parents: string[];
  /** Committer time, seconds. */
  time: number;
}

/** The mainline's first-parent history, newest first. */
export async function firstParentHistory(tip: string, cwd: string): Promise<FirstParentCommit[]> {
  const out = await gitText(['rev-list', '--first-parent', '--parents', '--timestamp', tip], { cwd });
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => {
      const [time, sha, ...parents] = line.split(' ');
      return { sha: sha!, parents, time: Number(time) };
    });
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
  const log = spawn(
    'git',
    // No a/ b/ prefixes: -R would swap them, and patch-id hashes the header.
    ['log', '--no-walk=unsorted', '--stdin', '-p', '--no-prefix', '--no-color', '--no-ext-diff', '--no-textconv', '--format=commit %H', ...(options.reverse ? ['-R'] : [])],
    { cwd, stdio: ['pipe', 'pipe', 'pipe'] },
  );
  const patchId = spawn('git', ['patch-id', '--stable'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
  log.stdout.pipe(patchId.stdin);
  log.stdin.on('error', () => undefined);
  patchId.stdin.on('error', () => undefined);
  log.stdin.end(shas.join('\n') + '\n');
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

export async function mergeBase(a: string, b: string, cwd: string): Promise<string | null> {
  const { stdout, code } = await runGit(['merge-base', a, b], { cwd, okCodes: [1] });
  return code === 0 ? stdout.toString('latin1').trim() : null;
}

/** The text of files at a revision (`rev:path`), missing ones left out. */
export async function filesAt(rev: string, paths: readonly string[], cwd: string): Promise<Map<string, string>> {
  const files = new Map<string, string>();
  if (paths.length === 0) return files;
  const { stdout } = await runGit(['cat-file', '--batch'], { cwd, input: paths.map((p) => `${rev}:${p}`).join('\n') + '\n' });
  let offset = 0;
  for (const path of paths) {
    const end = stdout.indexOf(0x0a, offset);
    if (end < 0) break;
    const header = stdout.toString('utf8', offset, end);
    if (header.endsWith(' missing')) {
      offset = end + 1;
      continue;
    }
    const size = Number(header.split(' ')[2]);
    files.set(path, stdout.toString('utf8', end + 1, end + 1 + size));
    offset = end + 1 + size + 1;
  }
  return files;
}
