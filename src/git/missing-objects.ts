import { runGit, streamGit } from './run.js';

/** Past this many commits naming a missing object, the tips are not narrowed (every tip is walked). */
const MAX_TOUCHING = 500;

/**
 * The tips whose history (beyond `exclude`) names an object the repository lacks — a partial
 * clone, a snapshot without its largest files — found in three git processes: the missing objects
 * (`rev-list --objects --missing=print`, which checks each object is there without reading it), the
 * commits whose diff names one (`log --raw -t`), and the refs that hold one of those commits
 * (`for-each-ref --contains`). A walk per tip found them before: on a first run, which excludes
 * nothing, each tip's whole history again — git's own history with its 3,277 pull requests' refs
 * and 25 objects missing ran for hours. Returns the tips (of `include`, by sha) to check one by one,
 * or null when this cannot narrow them (nothing missing: a corrupt object or a missing commit, which
 * rev-list reports by failing) — the caller then checks every tip.
 */
export async function tipsReachingMissingObjects(
  include: readonly string[],
  exclude: readonly string[],
  cwd: string,
): Promise<Set<string> | null> {
  const input = `${[...include, ...exclude.map((sha) => `^${sha}`)].join('\n')}\n`;
  try {
    const missing = new Set<string>();
    for await (const line of lines(streamGit(['rev-list', '--objects', '--missing=print', '--stdin'], { cwd, input }))) {
      if (line.startsWith('?')) missing.add(line.slice(1));
    }
    if (missing.size === 0) return null;
    // A raw line is `:<mode> <mode> <old> <new> <status>\t<path>`; the commit's sha comes first on a line of its own.
    const touching = new Set<string>();
    let commit = '';
    for await (const line of lines(
      streamGit(['log', '--raw', '-t', '--no-renames', '--no-abbrev', '--diff-merges=off', '--format=%x01%H', '--stdin'], { cwd, input }),
    )) {
      if (line.startsWith('\x01')) commit = line.slice(1);
      else if (line.startsWith(':')) {
        const [, , before, after] = line.slice(1, line.indexOf('\t')).split(' ');
        if (missing.has(before!) || missing.has(after!)) touching.add(commit);
      }
    }
    if (touching.size === 0 || touching.size > MAX_TOUCHING) return null;
    const { stdout } = await runGit(
      ['for-each-ref', '--format=%(objectname) %(*objectname)', ...[...touching].flatMap((sha) => ['--contains', sha])],
      { cwd },
    );
    const holding = new Set(stdout.toString('latin1').split(/[\s]+/).filter(Boolean));
    const wanted = new Set(include);
    return new Set([...holding].filter((sha) => wanted.has(sha)));
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
