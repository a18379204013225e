/**
 * Ref globs (`refs.exclude`, `--exclude-ref`): `*` matches within one path segment, `**` across
 * segments, `?` one character. A glob is matched against the ref's full name
 * (`refs/heads/entire/checkpoints/a1`) and its short one (`entire/checkpoints/a1`, `origin/x`, `v1.0`).
 */
export function globToRegExp(glob: string): RegExp {
  let source = '';
  for (let i = 0; i < glob.length; i++) {
    const c = glob[i]!;
    if (c === '*' && glob[i + 1] === '*') {
      source += '.*';
      i++;
    } else if (c === '*') source += '[^/]*';
    else if (c === '?') source += '[^/]';
    else source += c.replace(/[.+^${}()|[\]\\]/g, '\\$&');
  }
  return new RegExp(`^${source}$`);
}

const SHORT = /^refs\/(?:heads|remotes|tags)\//;

export function refExcluded(refName: string, globs: readonly string[]): boolean {
  if (globs.length === 0 || refName === 'HEAD') return false;
  const short = refName.replace(SHORT, '');
  return globs.some((glob) => {
    const re = globToRegExp(glob);
    return re.test(refName) || re.test(short);
  });
}
