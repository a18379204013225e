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
const loader = () => require('../dist/bundle-loader.cjs');
// The worker ends the moment its work is done (its database closed, its lock gone): node's own
// teardown (the heap and every native object freed) was ~14 ms of the worker's run after each
// commit (bench/README, session 40). A failure exits as usual, its message written out first.
const done = () => {
  if (worker && !process.exitCode) process.exit();
};
const run = () => {
  try {
    loader().runBundle({ bundle, argv: process.argv }).then(done, fail);
  } catch (error) {
    fail(error);
  }
};
// The hooks' worker starts in the background the moment a commit's hook returns, while git may
// still finish the commit (or a rebase go on): it waits until the hook's parent
// (PACEFLOW_HOOK_PARENT, from the shim) has exited — 10 s at the most; without one, a fixed 30 ms —
// before it loads its bundle (src/cli/worker-start.ts).
if (worker) {
  try {
    loader().workerStartWait(process.env).then(run, fail);
  } catch (error) {
    fail(error);
  }
} else run();
