import { BOUNDED_PACK_WINDOWS_EXCLUDING, streamGit } from './run.js';

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
    for await (const line of lines(
      streamGit([...BOUNDED_PACK_WINDOWS_EXCLUDING, 'rev-list', '--objects', '--missing=print', '--stdin'], { cwd, input }),
    )) {
      if (line.startsWith('?')) missing.add(line.slice(1));
    }
    if (missing.size === 0) return null;
    // A raw line is `:<mode> <mode> <old> <new> <status>\t<path>`; each commit comes first on a line
    // of its own with its parents.
    const commits: { sha: string; parents: string[]; touches: boolean }[] = [];
    for await (const line of lines(
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
      if (line.startsWith('\x01')) {
        const [sha, ...parents] = line.slice(1).split(' ');
        commits.push({ sha: sha!, parents: parents.filter(Boolean), touches: false });
      } else if (line.startsWith(':') && commits.length > 0) {
        const [, , before, after] = line.slice(1, line.indexOf('\t')).split(' ');
        if (missing.has(before!) || missing.has(after!)) commits[commits.length - 1]!.touches = true;
      }
    }
    // Which commits reach one that names a missing object: those, and their descendants by the
    // walk's parents (git's --topo-order would give parents first, but held the whole walk: 330 MB).
    const children = new Map<string, string[]>();
    for (const c of commits)
      for (const p of c.parents) {
        const list = children.get(p);
        if (list) list.push(c.sha);
        else children.set(p, [c.sha]);
      }
    const reaches = new Set<string>();
    const queue = commits.filter((c) => c.touches).map((c) => c.sha);
    while (queue.length > 0) {
      const sha = queue.pop()!;
      if (reaches.has(sha)) continue;
      reaches.add(sha);
      queue.push(...(children.get(sha) ?? []));
    }
    if (reaches.size === 0) return null;
    const listed = new Set(commits.map((c) => c.sha));
    // A tip the walk did not list (a tag object: the walk lists its commit) is checked too.
    return new Set(include.filter((sha) => reaches.has(sha) || !listed.has(sha)));
  } catch {
    return null;
  }
}

/** git's output as lines (latin1: shas, modes and the status are ASCII; paths are not compared). */
async function* lines(chunks: AsyncIterable<Buffer>): AsyncGenerator<string> {
  let rest = '';
  for await (const chunk of chunks) {
    const text = rest + chunk.toString('latin1');
    const parts = text.split('\n');
    rest = parts.pop()!;
    yield* parts;
  }
  if (rest !== '') yield rest;
}
