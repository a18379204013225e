import { gitText, runGit } from './run.js';

export interface BlamedLine {
  /** The commit that last changed the line. */
  sha: string;
  /** The file's path in that commit (blame follows renames). */
  path: string;
  text: string;
}

/** Every line of a file at a revision with the commit that introduced it (`git blame --line-porcelain`). */
/**
 * `moves`: blame with -M -C, so that a line moved within its file, or moved or copied from another
 * file the same commit changed, keeps the commit that first wrote it (release figures credit
 * writing, not moving). -C once, not -C -C -C: copies from files the commit did not touch would
 * make git read every file of every commit, and a copy of untouched code is rare.
 */
export async function blameFile(rev: string, path: string, cwd: string, options: { moves?: boolean } = {}): Promise<BlamedLine[]> {
  const moves = options.moves ? ['-M', '-C'] : [];
  const { stdout } = await runGit(['blame', '--line-porcelain', ...moves, rev, '--', path], { cwd, okCodes: [128] });
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

/**
 * Files any commit of from..to touched, limited by pathspecs, as paths from the repository's top.
 * Not the net diff from..to: a file the range changed and changed back (or changed on a side branch
 * and merged) still has lines blame credits to the range. `cwd` is where the pathspecs are read
 * from (the person's directory); git prints the paths from the top all the same.
 */
export async function filesTouchedInRange(from: string, to: string, pathspecs: readonly string[], cwd: string): Promise<string[]> {
  const { stdout } = await runGit(
    ['-c', 'core.quotePath=false', 'log', '--format=', '--name-only', '-z', '--no-renames', `${from}..${to}`, '--', ...pathspecs],
    { cwd },
  );
  return [
    ...new Set(
      stdout
        .toString('utf8')
        .split('\0')
        .map((p) => p.replace(/^\n+/, ''))
        .filter(Boolean),
    ),
  ];
}

export async function revListRange(from: string, to: string, cwd: string): Promise<Set<string>> {
  const out = await gitText(['rev-list', `${from}..${to}`], { cwd });
  return new Set(out.split('\n').filter(Boolean));
}

export async function resolveCommit(rev: string, cwd: string): Promise<string | null> {
  const { stdout, code } = await runGit(['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd, okCodes: [1, 128] });
  return code === 0 ? stdout.toString('latin1').trim() : null;
}
