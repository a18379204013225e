import { spawnSync } from 'node:child_process';

/**
 * The pinned definition, by hand (an oracle, so not PATCH_ID_DIFF itself): git log's patches —
 * no context, renames found, no prefixes, paths unquoted — into `git patch-id --stable`. `revs`:
 * what git log walks (one revision) or the commits themselves, each alone. Keyed by commit; an
 * empty diff has none.
 */
export function gitPatchIds(cwd: string, revs: string | readonly string[], options: { reverse?: boolean } = {}): Map<string, string> {
  const ids = spawnSync('git', ['patch-id', '--stable'], {
    cwd,
    input: gitPatchText(cwd, revs, options),
    encoding: 'utf8',
    maxBuffer: 64 << 20,
  });
  return new Map(
    ids.stdout
      .split('\n')
      .filter(Boolean)
      .map((l) => l.split(' '))
      .map(([id, sha]) => [sha!, id!]),
  );
}

/** The text gitPatchIds hands git patch-id: each commit's diff after a line `commit <sha>`. */
export function gitPatchText(cwd: string, revs: string | readonly string[], options: { reverse?: boolean } = {}): Buffer {
  const list = typeof revs === 'string' ? [revs] : revs;
  const log = spawnSync(
    'git',
    [
      '-c',
      'core.quotePath=false',
      'log',
      ...(typeof revs !== 'string' ? ['--no-walk=unsorted'] : []),
      '--stdin',
      '-p',
      '--unified=0',
      '-M',
      '--no-prefix',
      '--no-color',
      '--no-ext-diff',
      '--no-textconv',
      '--format=commit %H',
      ...(options.reverse ? ['-R'] : []),
    ],
    { cwd, input: `${list.join('\n')}\n`, maxBuffer: 256 << 20 },
  );
  if (log.status !== 0) throw new Error(`git log failed: ${log.stderr}`);
  return log.stdout;
}
