#!/usr/bin/env node
// The compiled CLI lives in dist/ (built by `npm install` through the prepare script).
import('../dist/cli/main.js')
  .then((cli) => cli.main(process.argv))
  .catch((error) => {
    if (error && error.code === 'ERR_MODULE_NOT_FOUND' && String(error.message).includes('dist/cli/main.js')) {
      process.stderr.write('paceflow: not built yet; run `npm install` (or `npm run build`) in the paceflow checkout\n');
    } else {
      process.stderr.write(`paceflow: ${error?.stack ? error.stack : String(error)}\n`);
    }
    process.exitCode = 70;
  });
