import { isAscii } from 'node:buffer';
import {
  closeSync,
  fstatSync,
  lstatSync,
  mkdirSync,
  openSync,
  readdirSync,
  readFileSync,
  renameSync,
  rmSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { setFlagsFromString } from 'node:v8';
import { Script } from 'node:vm';
import { commandWord } from './commands/index.js';

// bin/paceflow.js asks it before it runs the worker's bundle.
export { workerStartWait } from './worker-start.js';

/**
 * Runs one of the CLI's bundles (scripts/build-cli.mjs) with V8's code cache, what bin/paceflow.js
 * does for every command. Compiling the CLI's code took about a third of a run with nothing new
 * (~0.1 s): the cache keeps the compiled functions of the bundle, per command, in the user's cache
 * directory ($XDG_CACHE_HOME/paceflow/compile, else ~/.cache/…), written after the first run of a
 * command and read by the next. Node 20 has no compile cache for ES modules, hence one CommonJS
 * file run through vm.Script.
 *
 * The cache holds machine code V8 runs without parsing the source again, so it is only read from
 * a folder this user owns and nobody else can write, and it is keyed by the bundle file's identity
 * (size, inode, change and modification times — any rewrite changes them) and by the Node version,
 * platform and flags (V8 refuses a cache from other flags; a file per set keeps each from
 * overwriting the other's). A cache V8 rejects anyway is written anew; a new build's first
 * write removes the caches of the builds before it. A run longer than LONGEST_CACHED_RUN_MS
 * writes none (see there). Nothing about it can fail a
 * command: any error reading or writing it leaves the run uncached.
 * PACEFLOW_COMPILE_CACHE=0 turns it off; PACEFLOW_COMPILE_CACHE_LOG=1 says on stderr what it did.
 */
export interface BundleRun {
  /** The bundle file (dist/paceflow.cjs, dist/paceflow-worker.cjs). */
  bundle: string;
  argv: string[];
  env?: NodeJS.ProcessEnv;
}

export type CacheOutcome = 'off' | 'none' | 'used' | 'rejected' | 'untrusted';

export async function runBundle(run: BundleRun): Promise<void> {
  keepYoungGenerationSmall();
  const env = run.env ?? process.env;
  const log = env.PACEFLOW_COMPILE_CACHE_LOG === '1' ? (line: string) => process.stderr.write(`compile cache: ${line}\n`) : undefined;
  const fd = openSync(run.bundle, 'r');
  let source: string;
  let identity: string;
  try {
    const stat = fstatSync(fd, { bigint: true });
    identity = `${stat.size}:${stat.ino}:${stat.ctimeNs}:${stat.mtimeNs}`;
    // The build keeps the bundles ASCII (scripts/build-cli.mjs): read so, no UTF-8 decoding.
    const bytes = readFileSync(fd);
    source = bytes.toString(isAscii(bytes) ? 'latin1' : 'utf8');
  } finally {
    closeSync(fd);
  }
  const cache = cacheFile(run, identity, env);
  let outcome: CacheOutcome = cache ? 'none' : 'off';
  let cachedData: Buffer | undefined;
  if (cache) {
    const folder = folderState(cache.dir);
    if (folder === 'untrusted') outcome = 'untrusted';
    else if (folder === 'trusted') cachedData = readIfPresent(cache.file);
  }
  // The bundle is one function expression of CommonJS's arguments (scripts/build-cli.mjs), compiled as read.
  const script = new Script(source, {
    filename: run.bundle,
    ...(cachedData ? { cachedData } : {}),
  });
  if (cachedData) outcome = script.cachedDataRejected ? 'rejected' : 'used';
  log?.(`${outcome} ${cache ? basename(cache.file) : ''}`.trimEnd());

  const module = { exports: {} as { main?: (argv: string[]) => Promise<void> } };
  const factory = script.runInThisContext() as (...args: unknown[]) => void;
  factory.call(module.exports, module.exports, createRequire(run.bundle), module, run.bundle, dirname(run.bundle));
  try {
    await module.exports.main!(run.argv);
  } finally {
    if (cache) {
      const write = cacheToWrite({ outcome, argv: run.argv, exitCode: process.exitCode, runMs: performance.now() });
      if (write === 'write') {
        const written = writeCache(cache, script);
        log?.(written ? `written ${basename(cache.file)}` : 'not written');
      } else if (write === 'long run') log?.(`skipped after a run of ${(performance.now() / 1000).toFixed(1)} s`);
    }
  }
}

/**
 * Keeps V8's young generation at the size it starts at (two 1 MB semi-spaces) for the whole run.
 * V8 doubles it up to two 16 MB semi-spaces while many young objects survive, and a busy run never
 * gets it back: on git's own history with its pull requests the resumed outcome build's peak was
 * 375 MB with it grown, 334 MB kept small, node's CPU 200.7 against 190.4 s (bench/README,
 * session 66). Its limit (--max-semi-space-size) is read only as node starts; the growth factor is
 * read each time V8 would grow it. Set before the bundle is compiled, at the same point every run:
 * V8 refuses a code cache made under other flags.
 */
function keepYoungGenerationSmall(): void {
  try {
    setFlagsFromString('--semi-space-growth-factor=1');
  } catch {
    // A runtime without the flag grows it as it chooses.
  }
}

/**
 * The longest run (ms since the process started) after which the cache is written. V8 drops the
 * compiled code of functions a run has not used for a while (bytecode flushing, at its major
 * collections), so a long run — a first `paceflow ingest` — ends without most of the start-up
 * functions every later run needs: such a cache made each later run with nothing new 80 ms slower
 * (256 against 177 ms on the 20k bench history). In a run that long, compiling is a small share;
 * the next short run writes the cache.
 */
export const LONGEST_CACHED_RUN_MS = 2000;

/**
 * Whether a run writes the cache: after the run, so the cache holds the functions this command
 * compiled, not only the top level; when there was none or V8 refused it; and only after a short
 * run that did the command's work — a cache from `report --help` or a usage error would hold
 * little of `report`, and stay until the next build.
 */
export function cacheToWrite(run: {
  outcome: CacheOutcome;
  argv: readonly string[];
  exitCode: number | string | undefined;
  runMs: number;
}): 'write' | 'keep' | 'long run' {
  if (run.outcome !== 'none' && run.outcome !== 'rejected') return 'keep';
  if (asksForHelp(run.argv) || (run.exitCode !== undefined && run.exitCode !== 0 && run.exitCode !== '0')) return 'keep';
  return run.runMs > LONGEST_CACHED_RUN_MS ? 'long run' : 'write';
}

/** Help or the version, not the command's work: `-h`, `--help`, `help <command>`, `-v`, `--version`. */
export function asksForHelp(argv: readonly string[]): boolean {
  const args = argv.slice(2);
  return args.some((a) => a === '-h' || a === '--help' || a === '-v' || a === '--version') || commandWord(args) === 'help';
}

interface CacheFile {
  dir: string;
  file: string;
  /** The start of the names of this bundle's caches for this command: older builds' are removed. */
  prefix: string;
  /** The start of the names of this build's (one per Node version and flags). */
  build: string;
  /** The start of the names an older paceflow gave this command's caches (LEGACY_NAME after it). */
  legacy: string;
}

/** Where this bundle's cache for this command lives, or null when the cache is off. */
export function cacheFile(run: BundleRun, identity: string, env: NodeJS.ProcessEnv = process.env): CacheFile | null {
  if (env.PACEFLOW_COMPILE_CACHE === '0') return null;
  const base = env.XDG_CACHE_HOME?.startsWith('/') ? env.XDG_CACHE_HOME : join(env.HOME || homedir(), '.cache');
  const dir = join(base, 'paceflow', 'compile');
  const name = basename(run.bundle).replace(/\.cjs$/, '');
  // The command (`ingest`, `report`): each compiles different functions. A word that is no
  // command (`paceflow --db x nonsense`) only names a cache of its own.
  const word = commandWord(run.argv.slice(2)) ?? '';
  const command = /^[a-z][a-z-]{0,31}$/.test(word) ? word : 'none';
  // <bundle>-<command>-<where the bundle is>-<which build of it>-<which node and flags>.v8
  const prefix = `${name}-${command}-${fingerprint(run.bundle)}-`;
  const build = `${prefix}${fingerprint(identity)}-`;
  const runtime = fingerprint([process.version, process.platform, process.arch, ...process.execArgv].join('\0'));
  return { dir, file: join(dir, `${build}${runtime}.v8`), prefix, build, legacy: `${name}-${command}-` };
}

/**
 * A name's key for a text: FNV-1a, 64 bits, of its UTF-8 bytes, in hex. Not node:crypto's sha256:
 * loading node:crypto was ~6 ms of every start, and the names only need to differ by accident's
 * odds — who may write a cache is the folder's to say (folderState), not the name's.
 */
export function fingerprint(text: string): string {
  let hash = 0xcbf29ce484222325n;
  for (const byte of Buffer.from(text)) hash = ((hash ^ BigInt(byte)) * 0x100000001b3n) & 0xffffffffffffffffn;
  return hash.toString(16).padStart(16, '0');
}

/** The names of the caches an older paceflow wrote (sha256 pieces of 8, 12 and 8 hex digits), after `<bundle>-<command>-`. */
const LEGACY_NAME = /^[0-9a-f]{8}-[0-9a-f]{12}-[0-9a-f]{8}\.v8$/;

/**
 * Whether the cache folder can be trusted: a folder (not a link) this user owns and no one else
 * can write. The cache is read from and written to no other.
 */
export function folderState(dir: string): 'trusted' | 'untrusted' | 'missing' {
  try {
    const stat = lstatSync(dir);
    const uid = process.getuid?.();
    return stat.isDirectory() && (uid === undefined || stat.uid === uid) && (stat.mode & 0o022) === 0 ? 'trusted' : 'untrusted';
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === 'ENOENT' ? 'missing' : 'untrusted';
  }
}

function readIfPresent(file: string): Buffer | undefined {
  try {
    return readFileSync(file);
  } catch {
    return undefined;
  }
}

/** Writes the cache whole or not at all (a temporary file renamed), and removes older builds' caches of this command. */
function writeCache(cache: CacheFile, script: Script): boolean {
  const temp = `${cache.file}.${process.pid}.tmp`;
  try {
    mkdirSync(cache.dir, { recursive: true, mode: 0o700 });
    if (folderState(cache.dir) !== 'trusted') return false;
    try {
      writeFileSync(temp, script.createCachedData(), { mode: 0o600 });
      renameSync(temp, cache.file);
    } catch (error) {
      // A full disk leaves no part of a file behind.
      rmSync(temp, { force: true });
      throw error;
    }
    for (const other of readdirSync(cache.dir)) {
      const older = other.startsWith(cache.prefix) && !other.startsWith(cache.build);
      const legacy = other.startsWith(cache.legacy) && LEGACY_NAME.test(other.slice(cache.legacy.length));
      if (older || legacy) unlinkSync(join(cache.dir, other));
    }
    return true;
  } catch {
    return false;
  }
}
