import { gitText, runGit } from './run.js';

export interface BlamedLine {
  /** The commit that last changed the line. */
  sha: string;
  /** The file's path in that commit (blame follows renames). */
  path: string;
  text: string;
}

/** Every line of a file at a revision with the commit that introduced it (`git blame --line-porcelain`). */
export async function blameFile(rev: string, path: string, cwd: string): Promise<BlamedLine[]> {
  const { stdout } = await runGit(['blame', '--line-porcelain', rev, '--', path], { cwd, okCodes: [128] });
  const out: BlamedLine[] = [];
  let sha = '';
  let file = path;
  for (const line of stdout.toString('utf8').split('\n')) {
    if (line.startsWith('\t')) {
      out.push({ sha, path: file, text: line.slice(1) });
      file = path;
    } else if (/^[0-9a-f]{40}( |$)/.test(line)) sha = line.slice(0, 40);
    else if (line.startsWith('filename ')) file = line.slice(9);
  }
  return out;
}

/** Files of revision `to` that the range from..to added or modified, limited by pathspecs. */
export async function filesChangedInRange(from: string, to: string, pathspecs: readonly string[], cwd: string): Promise<string[]> {
  const out = await gitText(
    ['-c', 'core.quotePath=false', 'diff', '--name-only', '--no-renames', '--diff-filter=AMR', from, to, '--', ...pathspecs],
    { cwd },
  );
  return out.split('\n').filter(Boolean);
}

export async function revListRange(from: string, to: string, cwd: string): Promise<Set<string>> {
  const out = await gitText(['rev-list', `${from}..${to}`], { cwd });
  return new Set(out.split('\n').filter(Boolean));
}

export async function resolveCommit(rev: string, cwd: string): Promise<string | null> {
  const { stdout, code } = await runGit(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd, okCodes: [1, 128] });
  return code === 0 ? stdout.toString('latin1').trim() : null;
}
