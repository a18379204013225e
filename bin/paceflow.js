#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script). What the
// hooks start after every commit (`paceflow hooks worker …`) has an entry of its own, without the
// command-line parser (src/cli/worker-main.ts).
const args = process.argv.slice(2);
const entry = args[0] === 'hooks' && args[1] === 'worker' ? 'worker-main.js' : 'main.js';
import(`../dist/cli/${entry}`)
  .then((cli) => cli.main(process.argv))
  .catch((error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes(`dist/cli/${entry}`)) {
      process.stderr.write('paceflow: not built yet; run `npm install` (or `npm run build`) in the paceflow checkout\n');
    } else {
      process.stderr.write(`paceflow: ${error?.stack ? error.stack : String(error)}\n`);
    }
    process.exitCode = 70;
  });
