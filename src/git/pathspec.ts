import { streamGit } from './run.js';

/**
 * Every path (repository-relative) that some commit on a branch, tag or remote touched and that
 * the git pathspecs match, as git itself matches them from `cwd` (globs, `:!exclude`, `:(top)`).
 */
export async function pathsMatching(pathspecs: readonly string[], cwd: string): Promise<Set<string>> {
  const paths = new Set<string>();
  let carry = '';
  const args = [
    '-c',
    'core.quotePath=false',
    'log',
    '--branches',
    '--remotes',
    '--tags',
    'HEAD',
    '--no-renames',
    '--format=',
    '--name-only',
    '-z',
    '--',
    ...pathspecs,
  ];
  for await (const chunk of streamGit(args, { cwd })) {
    const parts = (carry + chunk.toString('utf8')).split('\0');
    carry = parts.pop() ?? '';
    for (const part of parts) {
      const path = part.replace(/^\n+/, '');
      if (path) paths.add(path);
    }
  }
  const last = carry.replace(/^\n+/, '');
  if (last) paths.add(last);
  return paths;
}
