// Builds the GitHub Action's committed bundle (action/index.mjs) from src/action with esbuild:
// one ESM file for Node 24 with the SQL files and the version embedded, no native addon.
// `node scripts/build-action.mjs --check` rebuilds in memory and fails when the committed file differs.
import { readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
const read = (dir) =>
  Object.fromEntries(
    readdirSync(root + dir)
      .filter((f) => f.endsWith('.sql'))
      .sort()
      .map((f) => [f, readFileSync(`${root}${dir}${f}`, 'utf8')]),
  );
const { version } = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
const outfile = `${root}action/index.mjs`;

const result = await build({
  entryPoints: [`${root}src/action/index.ts`],
  bundle: true,
  platform: 'node',
  format: 'esm',
  target: 'node24',
  write: false,
  outfile,
  external: ['better-sqlite3'],
  define: {
    PACEFLOW_BUNDLED_SQL: JSON.stringify({
      files: read('sql/'),
      views: read('sql/views/'),
      tempViews: read('sql/temp-views/'),
      warehouse: read('sql/warehouse/'),
    }),
    PACEFLOW_BUNDLED_VERSION: JSON.stringify(version),
  },
  // CommonJS dependencies bundled into ESM still call require() for Node built-ins.
  banner: {
    js: "import { createRequire as __paceflowCreateRequire } from 'node:module';\nconst require = __paceflowCreateRequire(import.meta.url);",
  },
  legalComments: 'none',
  logLevel: 'warning',
});
const text = result.outputFiles[0].text;
if (process.argv.includes('--check')) {
  let committed = '';
  try {
    committed = readFileSync(outfile, 'utf8');
  } catch {
    // missing: differs
  }
  if (committed !== text) {
    console.error('action/index.mjs is not built from the current sources: run `npm run build:action` and commit it');
    process.exit(1);
  }
  console.log('action/index.mjs is current');
} else {
  writeFileSync(outfile, text);
  console.log(`action/index.mjs: ${(text.length / 1024).toFixed(0)} KiB`);
}
