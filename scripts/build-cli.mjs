// Builds the CLI's two bundles from src/cli (run by `npm run build`, after tsc has written dist/):
// dist/paceflow.cjs (every command) and dist/paceflow-worker.cjs (what the hooks start after each
// commit). One CommonJS file each, so that bin/paceflow.js can compile it with V8's code cache
// (src/cli/bundle-loader.ts): Node 20 has no compile cache for ES modules, and loading ~70 of
// them, commander and the providers took ~0.14 s of every run before any work.
//
// The bundles sit in dist/, and each module keeps the URL it has in tsc's dist/ (its
// `import.meta.url` is rewritten to that file's), so the paths it builds from there (sql/,
// hooks/, package.json, node_modules) are the same whichever way it was loaded.
import { writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));

export const CLI_BUNDLES = [
  { entry: 'src/cli/main.ts', outfile: 'dist/paceflow.cjs', wrapped: true },
  { entry: 'src/cli/worker-main.ts', outfile: 'dist/paceflow-worker.cjs', wrapped: true },
  // What runs the two above: CommonJS too, so bin/paceflow.js (CommonJS by bin/package.json)
  // starts without Node's ES module loader (~10 ms).
  { entry: 'src/cli/bundle-loader.ts', outfile: 'dist/bundle-loader.cjs' },
  // The thread a first run's transcripts are parsed on (src/ingest/parse-thread.ts starts it).
  { entry: 'src/ingest/transcript-thread.ts', outfile: 'dist/transcript-thread.cjs' },
];

/** `import.meta.url` of src/<x>.ts becomes the URL of dist/<x>.js, from the bundle's own place in dist/. */
const moduleUrls = {
  name: 'paceflow-module-urls',
  setup(b) {
    b.onLoad({ filter: /[\\/]src[\\/].*\.ts$/ }, async (args) => {
      const source = await readFile(args.path, 'utf8');
      const distPath = relative(`${root}src`, args.path).replace(/\\/g, '/').replace(/\.ts$/, '.js');
      return { contents: source.replaceAll('import.meta.url', `__paceflowModuleUrl(${JSON.stringify(distPath)})`), loader: 'ts' };
    });
  },
};

/**
 * better-sqlite3's JavaScript goes into the bundles (src/db/better-sqlite3-package.bundled.ts in
 * place of better-sqlite3-package.ts): compiled with the rest, and its addon named by path.
 */
const bundledBetterSqlite3 = {
  name: 'paceflow-bundled-better-sqlite3',
  setup(b) {
    b.onResolve({ filter: /^\.\/better-sqlite3-package\.js$/ }, (args) => ({
      path: `${args.resolveDir}/better-sqlite3-package.bundled.ts`,
    }));
  },
};

/**
 * Node's modules a run may never use — `child_process` (git, and commander's executable
 * subcommands, which paceflow has none of), `zlib` (zstd transcripts), `worker_threads` (a large
 * first read's transcript thread), `crypto` (digests; the compile cache's names no longer need it)
 * — are loaded when first used instead of as the bundle starts: ~15 ms of each start, the
 * transcripts' re-run's and the hooks' worker's included (bench/README, session 72). Each becomes a module of getters that load the real one on the first
 * property read: esbuild reads an import's properties where they are used (`(0, x.spawn)(…)`), not
 * where they are imported. The names are node's own, listed as the build runs.
 */
export const LAZY_BUILTINS = ['child_process', 'zlib', 'worker_threads', 'crypto'];
const lazyBuiltins = {
  name: 'paceflow-lazy-builtins',
  setup(b) {
    const filter = new RegExp(`^(node:)?(${LAZY_BUILTINS.join('|')})$`);
    b.onResolve({ filter }, (args) =>
      // The getters' own require of the module is node's.
      args.namespace === 'paceflow-lazy'
        ? { path: args.path, external: true }
        : { path: args.path.replace(/^(node:)?/, 'node:'), namespace: 'paceflow-lazy' },
    );
    b.onLoad({ filter: /.*/, namespace: 'paceflow-lazy' }, async (args) => {
      const names = Object.keys(await import(args.path)).filter((name) => name !== 'default');
      return {
        loader: 'js',
        contents: [
          `let loaded;`,
          `const load = () => (loaded ??= require(${JSON.stringify(args.path)}));`,
          `for (const name of ${JSON.stringify(names)}) Object.defineProperty(exports, name, { enumerable: true, get: () => load()[name] });`,
        ].join('\n'),
      };
    });
  },
};

/**
 * What the loader compiles (src/cli/bundle-loader.ts) is written as one function expression of
 * CommonJS's arguments, its text compiled as read: wrapped by the loader instead, the text was a new
 * string of the bundle's 1.4 MB that V8 copied flat before compiling — ~350 pages of memory touched
 * for the first time in every run, at ~16 µs each on this machine (bench/README, session 72).
 */
export const LOADER_WRAPPER = { head: '(function (exports, require, module, __filename, __dirname) {', tail: '})' };

/** esbuild's options for one bundle (write: false returns the text; tests read the module list). */
export function bundleOptions(bundle, overrides = {}) {
  return {
    entryPoints: [root + bundle.entry],
    outfile: root + bundle.outfile,
    bundle: true,
    platform: 'node',
    format: 'cjs',
    target: 'node20',
    // better-sqlite3's search for its addon (never run: the bundle names the addon), and
    // PostgreSQL's client (loaded only by sync, and optional native parts).
    external: ['bindings', 'pg', 'pg-copy-streams'],
    plugins: [bundledBetterSqlite3, moduleUrls, lazyBuiltins],
    banner: {
      js: [
        ...(bundle.wrapped ? [LOADER_WRAPPER.head] : []),
        '"use strict";',
        "const __paceflowModuleUrl = (p) => require('node:url').pathToFileURL(require('node:path').join(__dirname, p)).href;",
      ].join('\n'),
    },
    ...(bundle.wrapped ? { footer: { js: LOADER_WRAPPER.tail } } : {}),
    // Not minified: a stack trace of an unexpected error names readable lines.
    legalComments: 'none',
    logLevel: 'warning',
    ...overrides,
  };
}

/**
 * Builds the bundles. Fails when one still holds an `import()` (a vm.Script cannot run it without
 * a loader), or when its code is not ASCII: the loader reads an ASCII file as Latin-1, ~15 ms
 * faster than decoding a file with a few UTF-8 characters into a two-byte string. esbuild escapes
 * every string, regular expression and name; only comments keep their characters, so those are
 * replaced — after checking, on a build without comments, that the code itself is ASCII.
 */
export async function buildCli({ write = true } = {}) {
  const out = [];
  for (const bundle of CLI_BUNDLES) {
    const result = await build(bundleOptions(bundle, { write: false, metafile: true }));
    const dynamic = /\bimport\(\s*["'`]/.exec(result.outputFiles[0].text);
    if (dynamic)
      throw new Error(
        `${bundle.outfile}: a dynamic import() is left in the bundle: ${result.outputFiles[0].text.slice(dynamic.index, dynamic.index + 60)}`,
      );
    const code = (await build(bundleOptions(bundle, { write: false, minifyWhitespace: true }))).outputFiles[0].text;
    const wide = /[\u0080-\uffff]/.exec(code);
    if (wide)
      throw new Error(`${bundle.outfile}: the bundle's code is not ASCII: ${code.slice(Math.max(0, wide.index - 40), wide.index + 20)}`);
    const text = result.outputFiles[0].text.replace(/[\u0080-\uffff]/g, '?');
    if (write) writeFileSync(root + bundle.outfile, text);
    out.push({ ...bundle, bytes: text.length, inputs: Object.keys(Object.values(result.metafile.outputs)[0].inputs) });
  }
  return out;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  for (const b of await buildCli()) console.log(`${b.outfile}: ${(b.bytes / 1024).toFixed(0)} KiB from ${b.inputs.length} modules`);
}
