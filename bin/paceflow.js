#!/usr/bin/env node
// The CLI is built into dist/ (by `npm install` through the prepare script): two bundles, run with
// V8's code cache (src/cli/bundle-loader.ts, built into dist/bundle-loader.cjs). What the hooks
// start after every commit (`paceflow hooks worker …`) has a bundle of its own, without the
// command-line parser (src/cli/worker-main.ts). CommonJS (bin/package.json), like the bundles.
const { join } = require('node:path');

const args = process.argv.slice(2);
const worker = args[0] === 'hooks' && args[1] === 'worker';
const bundle = join(__dirname, '..', 'dist', worker ? 'paceflow-worker.cjs' : 'paceflow.cjs');
const fail = (error) => {
  const notBuilt =
    (error?.code === 'MODULE_NOT_FOUND' && String(error.message).includes('bundle-loader.cjs')) ||
    (error?.code === 'ENOENT' && error.path === bundle);
  process.stderr.write(
    notBuilt
      ? 'paceflow: not built yet; run `npm install` (or `npm run build`) in the paceflow checkout\n'
      : `paceflow: ${error?.stack ? error.stack : String(error)}\n`,
  );
  process.exitCode = 70;
};
const run = () => {
  try {
    require('../dist/bundle-loader.cjs').runBundle({ bundle, argv: process.argv }).catch(fail);
  } catch (error) {
    fail(error);
  }
};
// The hooks' worker starts in the background the moment a commit's hook returns, while git still
// finishes the commit (its auto-maintenance check, its exit): loading the worker's bundle then
// took the CPU git needed, and the commit waited. 30 ms later git is done; the worker's whole run
// stays ~0.3 s of its 0.5 s budget (bench/README, session 28).
// (PACEFLOW_WORKER_NO_DELAY=1: at once, for bench/hook-variants.mjs's comparison.)
if (worker && process.env.PACEFLOW_WORKER_NO_DELAY !== '1') setTimeout(run, 30);
else run();
