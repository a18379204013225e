// Preloaded into a paceflow run (`node --require ./bench/git-count.cjs bin/paceflow.js …`), counts
// the git processes the run starts: at exit it appends one line per process to the file named by
// PACEFLOW_BENCH_GIT_COUNT. bench/incremental.sh counted them with a wrapper script on PATH, which
// started a shell before every git: ~2 ms a process here, 6 processes in a worker's run after a
// commit (0.41–0.42 s without a wrapper against 0.41–0.44 s with it, session 43). Every git
// process paceflow starts goes through node:child_process's spawn or spawnSync, looked up on the
// module at each call (the bundles are CommonJS), so replacing them here sees each one.
'use strict';
const childProcess = require('node:child_process');
const { appendFileSync } = require('node:fs');
const { basename } = require('node:path');

const file = process.env.PACEFLOW_BENCH_GIT_COUNT;
if (file) {
  let started = 0;
  // A first history's pass runs git through coreutils' stdbuf (src/git/run.ts: largeWrites).
  const isGit = (command, args) =>
    typeof command === 'string' &&
    (basename(command) === 'git' || (basename(command) === 'stdbuf' && Array.isArray(args) && args.includes('git')));
  for (const name of ['spawn', 'spawnSync']) {
    const original = childProcess[name];
    childProcess[name] = function counted(command, ...rest) {
      if (isGit(command, rest[0])) started++;
      return original.call(this, command, ...rest);
    };
  }
  process.on('exit', () => {
    if (started > 0) appendFileSync(file, 'x\n'.repeat(started));
  });
}
