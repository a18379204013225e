#!/usr/bin/env node
// The CLI is built into dist/ (by `npm install` through the prepare script): two bundles, run with
// V8's code cache (src/cli/bundle-loader.ts, built into dist/bundle-loader.cjs). What the hooks
// start after every commit (`paceflow hooks worker …`) has a bundle of its own, without the
// command-line parser (src/cli/worker-main.ts). CommonJS (bin/package.json), like the bundles.
const { join } = require('node:path');

const args = process.argv.slice(2);
const bundle = join(__dirname, '..', 'dist', args[0] === 'hooks' && args[1] === 'worker' ? 'paceflow-worker.cjs' : 'paceflow.cjs');
let runBundle;
try {
  ({ runBundle } = require('../dist/bundle-loader.cjs'));
} catch (error) {
  if (error?.code !== 'MODULE_NOT_FOUND') throw error;
}
const notBuilt = () => process.stderr.write('paceflow: not built yet; run `npm install` (or `npm run build`) in the paceflow checkout\n');
if (!runBundle) {
  notBuilt();
  process.exitCode = 70;
} else {
  runBundle({ bundle, argv: process.argv }).catch((error) => {
    if (error?.code === 'ENOENT' && error.path === bundle) notBuilt();
    else process.stderr.write(`paceflow: ${error?.stack ? error.stack : String(error)}\n`);
    process.exitCode = 70;
  });
}
