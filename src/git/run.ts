import { spawn, spawnSync } from 'node:child_process';
import { accessSync, constants, existsSync, statSync } from 'node:fs';
import { delimiter, join } from 'node:path';
import { GitError, NotAGitRepositoryError } from '../errors.js';

export interface GitOptions {
  cwd: string;
  /** Written to git's standard input, then closed. */
  input?: string | Buffer;
  env?: NodeJS.ProcessEnv;
  /** Exit codes that are answers rather than failures (e.g. 1 from `git config --get`). */
  okCodes?: readonly number[];
  /**
   * Called as the process starts: work that runs beside other work (the notes write beside the
   * builders, src/pipeline/builders.ts) counts its own processes, which the global count cannot tell apart.
   */
  onSpawn?: () => void;
  /**
   * Git's standard output written in OUTPUT_WRITE_BYTES pieces, through `stdbuf` when this system
   * has it (see stdbufOn): for a pass whose output is hundreds of megabytes (a first run's history).
   */
  largeWrites?: boolean;
}

export interface GitResult {
  stdout: Buffer;
  code: number;
}

const STDERR_LIMIT = 64 * 1024;

/**
 * For the passes that read every blob of a history (`log -p`, `--numstat`, `diff-tree --stdin`):
 * git maps a pack in windows of up to 1 GiB (its 64-bit default) and keeps what it mapped, so its
 * resident memory grew with the pack (the 80k bench history's 252 MB pack: 384–437 MB for one `log
 * -p`). Windows of 16 MB, at most 224 MB of them mapped, and delta bases cached up to 32 MB (git's
 * default 96 MB): the resident size stays under limit + cache + a few MB (the 80k bench history's
 * pass in 264 MB). Session 15 chose a 128 MB limit and the default cache (147 MB): git then
 * unmapped and mapped windows again all through the pass — 35.3 s of git's CPU there against 31.8 s
 * with a 192 MB limit. The 192 MB limit (sessions 15–52) still did so on that pack, and re-inflated
 * delta bases it had dropped: the pass alone, alternated in one run (session 53), 23.5–28.9 s of
 * git's CPU at 192 MB against 21.2–21.8 s at 224 MB (sys 1.7 → 0.8 s) and 19.5–20.9 s unbounded
 * (one run 23.8 s; 384 MB); a 64 MB cache under 192 MB 21.4–23.4 s at 271 MB, 80 MB under 176 MB 23.1–23.4 s.
 * Mainline moving 20 commits on the 80k history: a 64 MB cache peaked at 167 MB against 131 MB
 * (session 49) — the limit, unlike the cache, costs only the windows a pass touches.
 */
export const BOUNDED_PACK_WINDOWS = [
  '-c',
  'core.packedGitWindowSize=16m',
  '-c',
  'core.packedGitLimit=224m',
  '-c',
  'core.deltaBaseCacheLimit=32m',
] as const;

/**
 * BOUNDED_PACK_WINDOWS for the history pass that excludes nothing (a first run's, or the whole walk
 * after a shallow clone is unshallowed: every commit read once) — and so for commitLogArgs' other
 * such use, the numstat recount of the few commits a patch cannot count (git reads only those, and
 * a cache fills only with what is read): delta bases cached up to git's default 96 MB under 160 MB
 * of windows. There the cache is what git's CPU turns on: with 32 MB under 224 MB it re-inflated the
 * delta bases it had dropped, ~2 s more of its CPU on the 80k bench history's pass (three pairs run
 * side by side, session 78: 30.3 / 32.5 / 29.2 s against 27.4 / 31.9 / 26.7 s; git's unbounded pass
 * ~0.7 s less again, at 381 MB) and 13 MB more resident (260 against 247 MB). A lower limit costs
 * CPU in windows unmapped and mapped again (128 MB: 147 MB resident, ~1 s more), a larger cache
 * resident size (128 MB: 281 MB). The other passes keep the 32 MB cache: they hold more beside it, and a part of a history
 * fills it too — given the 96 MB cache, 2,923 pull requests' refs fetched into the 80k history took
 * that run's largest git process to 315,664 KB (280,336 without), mainline moving 20 commits to
 * 196,764 KB (132,520).
 */
export const FIRST_PASS_PACK_WINDOWS = [
  '-c',
  'core.packedGitWindowSize=16m',
  '-c',
  'core.packedGitLimit=160m',
  '-c',
  'core.deltaBaseCacheLimit=96m',
] as const;

/**
 * BOUNDED_PACK_WINDOWS for a history pass that excludes what a database already holds (`^<tip>` of
 * every recorded ref: a later run's pass). Git walks the excluded history too, to know where the new
 * commits stop, and holds its commits beside the windows: 2,923 pull requests' refs fetched into a
 * clone of the 80k bench history (13,180 commits new) took the pass to 303 MB under 224 MB of
 * windows, 257 MB under 192 MB (git's CPU 6.08 → 6.44 s, one run each; 160 MB: 196 MB, 7.12 s).
 * A first run excludes nothing and keeps the larger limit, where it is worth 2–7 s (above). The
 * walks that look for missing objects (missing-objects.ts) use it too, on any run: they hold every
 * commit or object they list beside the windows.
 */
export const BOUNDED_PACK_WINDOWS_EXCLUDING = [
  '-c',
  'core.packedGitWindowSize=16m',
  '-c',
  'core.packedGitLimit=192m',
  '-c',
  'core.deltaBaseCacheLimit=32m',
] as const;

/** The git subcommand of an argument list: `-c key=value` and `-C dir` come before it. */
export function subcommandOf(args: readonly string[]): string {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    if (arg === '-c' || arg === '-C') i++;
    else if (!arg.startsWith('-')) return arg;
  }
  return args[0] ?? '';
}

function gitFailure(args: readonly string[], stderr: string, code: number | null, cause?: unknown): GitError {
  const firstLine =
    stderr
      .split('\n')
      .find((l) => l.trim() !== '')
      ?.replace(/^(fatal|error): /, '') ?? '';
  if (/not a git repository/i.test(firstLine)) {
    return new NotAGitRepositoryError(`not a git repository: ${firstLine}`, args, stderr, code);
  }
  const what = `git ${subcommandOf(args)}`.trim();
  return new GitError(`${what} failed${code === null ? '' : ` (exit ${code})`}: ${firstLine || 'no message'}`, args, stderr, code, {
    cause,
  });
}

/**
 * Git processes started by this process, per subcommand: what the benches and the work-counting
 * tests read (a build's cost is counted, not only timed). Never reset here.
 */
export const gitProcessCounts = new Map<string, number>();

export function countProcess(args: readonly string[]): void {
  const sub = subcommandOf(args);
  gitProcessCounts.set(sub, (gitProcessCounts.get(sub) ?? 0) + 1);
}

/**
 * The size of git's writes to its standard output with `largeWrites`: a pipe's whole capacity
 * (Linux: 64 KiB). Git writes through stdio, whose buffer for a pipe is a page: 4 KiB writes,
 * each waking node to read it — 96k reads for git's own history's 442 MB pass. In 64 KiB pieces,
 * in whole first runs alternated with a build without (session 50, bench/README.md): git's own
 * history 96.6 / 92.2 → 89.8 / 89.7 s of CPU, the 80k bench history 66.8 / 71.2 → 61.3 / 65.9 s
 * (node's share of the ingest 2.8–4.1 s less: fewer, larger reads), wall time no longer. A whole
 * mebibyte saved as much CPU but made the first run 7–8 s longer: git filled its buffer while node
 * waited, then waited while node parsed it.
 */
export const OUTPUT_WRITE_BYTES = 65_536;

const stdbufFound = new Map<string, string | null>();

/**
 * coreutils' `stdbuf` on this PATH (Linux only: elsewhere it is rare and its preload differs), or
 * null: git's output then comes in its own 4 KiB writes. Found once per PATH; a stdbuf that then
 * fails to run git (no libstdbuf.so beside it) is forgotten and git run without (streamGit).
 */
export function stdbufOn(env: NodeJS.ProcessEnv): string | null {
  if (process.platform !== 'linux') return null;
  const path = env.PATH ?? '';
  let found = stdbufFound.get(path);
  if (found === undefined) {
    found = null;
    for (const dir of path.split(delimiter)) {
      if (dir === '' || !dir.startsWith('/')) continue; // a relative PATH entry would depend on git's cwd
      const candidate = join(dir, 'stdbuf');
      try {
        accessSync(candidate, constants.X_OK);
        if (!statSync(candidate).isFile()) continue;
        found = candidate;
        break;
      } catch {
        // not here
      }
    }
    stdbufFound.set(path, found);
  }
  return found;
}

/** What stdbuf says when it cannot run git with its buffers (exit 125–127): git is then run without it. */
const STDBUF_FAILED = /^stdbuf: /;

function spawnGit(args: readonly string[], options: GitOptions) {
  countProcess(args);
  options.onSpawn?.();
  // What the closures below need, not `options`: they live as long as the process, and the input
  // (megabytes of shas for a pass over a large history) with them.
  const { cwd, okCodes } = options;
  const env = options.env ?? process.env;
  const stdbuf = options.largeWrites ? stdbufOn(env) : null;
  // Argument array, no shell: nothing in a path or ref can be interpreted.
  const child = stdbuf
    ? spawn(stdbuf, ['-o', String(OUTPUT_WRITE_BYTES), 'git', ...args], { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] })
    : spawn('git', args, { cwd, env, stdio: ['pipe', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (chunk: string) => {
    if (stderr.length < STDERR_LIMIT) stderr += chunk;
  });
  const exit = new Promise<number | null>((resolve, reject) => {
    child.once('error', reject);
    child.once('close', (code) => resolve(code));
  });
  exit.catch(() => undefined);
  child.stdin.on('error', () => undefined); // git may exit before reading all input
  child.stdin.end(options.input ?? '');
  const settle = async (): Promise<number> => {
    let code: number | null;
    try {
      code = await exit;
    } catch (error) {
      const err = error as NodeJS.ErrnoException;
      if (stdbuf && err.code === 'ENOENT' && existsSync(cwd)) throw stdbufFailed(stdbuf, env); // gone since found
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR') {
        // spawn reports a missing cwd and a missing git binary the same way.
        const message = existsSync(cwd) ? 'git is not installed or not on PATH' : `directory does not exist: ${cwd}`;
        throw new GitError(message, args, '', null, { cause: error });
      }
      throw gitFailure(args, err.message, null, error);
    }
    if (code === 0 || (code !== null && okCodes?.includes(code))) return code;
    if (stdbuf && STDBUF_FAILED.test(stderr)) throw stdbufFailed(stdbuf, env);
    throw gitFailure(args, stderr, code);
  };
  return { child, settle };
}

/** stdbuf did not run git: runGit and streamGit run git without it. */
class StdbufFailed extends Error {}

/** Forgets this PATH's stdbuf, so no later pass asks it again, and says why. */
function stdbufFailed(stdbuf: string, env: NodeJS.ProcessEnv): StdbufFailed {
  stdbufFound.set(env.PATH ?? '', null);
  return new StdbufFailed(`${stdbuf} could not run git`);
}

/** Runs git and returns its whole standard output (for small outputs). */
export async function runGit(args: readonly string[], options: GitOptions): Promise<GitResult> {
  const { child, settle } = spawnGit(args, options);
  const chunks: Buffer[] = [];
  for await (const chunk of child.stdout) chunks.push(chunk as Buffer);
  try {
    const code = await settle();
    return { stdout: Buffer.concat(chunks), code };
  } catch (error) {
    if (error instanceof StdbufFailed) return runGit(args, { ...options, largeWrites: false });
    throw error;
  }
}

/** Runs git and returns its standard output as text with the final newline removed. */
export async function gitText(args: readonly string[], options: GitOptions): Promise<string> {
  const { stdout } = await runGit(args, options);
  const text = stdout.toString('utf8');
  // A slice, not a copy (replace() copied the whole text: megabytes for a rev-list of a large history).
  return text.endsWith('\n') ? text.slice(0, -1) : text;
}

/** Streams git's standard output chunk by chunk; memory stays bounded by the consumer. */
export function streamGit(args: readonly string[], options: GitOptions): AsyncGenerator<Buffer> {
  return streamGitOnce(args, { options });
}

/**
 * streamGit's pass. The options (with their input) are held only until git has written: no retry
 * runs git again after that (see below), and the input of a pass over a large history is megabytes
 * — the content rule's, every branch commit's sha, was 3 MB held through the whole rule on git's
 * own history with its pull requests. The generator's frame holds the box, never the options
 * themselves. (What git has not read yet stays in the pipe's own copy.)
 */
async function* streamGitOnce(args: readonly string[], given: { options: GitOptions | null }): AsyncGenerator<Buffer> {
  const { child, settle } = spawnGiven(args, given);
  let finished = false;
  let yielded = false;
  try {
    for await (const chunk of child.stdout) {
      yielded = true;
      given.options = null;
      yield chunk as Buffer;
    }
    await settle();
    finished = true;
  } catch (error) {
    // stdbuf failed before git wrote anything: the same pass, git's own writes.
    if (!(error instanceof StdbufFailed) || yielded) throw error;
  } finally {
    if (!finished && child.exitCode === null) child.kill();
  }
  if (!finished) yield* streamGitOnce(args, { options: withoutLargeWrites(given) });
}

// Outside the generator: a register of its frame that once held the options would keep them
// (a suspended generator keeps its registers, dead or not).
function spawnGiven(args: readonly string[], given: { options: GitOptions | null }) {
  return spawnGit(args, given.options!);
}

function withoutLargeWrites(given: { options: GitOptions | null }): GitOptions {
  return { ...given.options!, largeWrites: false };
}

/**
 * Runs a small git command synchronously (for lookups made while parsing, where an await would
 * split a transaction). Returns null when git fails; never throws for git's own errors.
 */
export function gitSync(args: readonly string[], cwd: string): string | null {
  countProcess(args);
  const result = spawnSync('git', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'] });
  return result.status === 0 ? result.stdout.replace(/\n$/, '') : null;
}
