#!/usr/bin/env node
// Claude Code sessions that wrote the lines of a sample of a real repository's commits (#20: the
// first-run budget holds "also on a history where hundreds of commits carry AI lines" — git's own
// history has none). Picks `--commits` non-merge commits reachable from HEAD, spread over the whole
// history by a seeded draw, and makes one session per commit whose Write calls, a minute before the
// commit, hold the lines that commit added to each file (the first `--lines` of a file). Writes the
// sessions as bench/synthetic-history.mjs does (`writeTranscripts` turns them into transcripts).
//
//   node bench/sessions-from-history.mjs <repository> [--commits 400] [--lines 300] [--seed 7] [--out FILE]
//
// Default FILE: bench/.work/sessions-<repository's folder name>.json. The transcripts hold the
// repository's own code: bench data, kept on this machine.
import { spawnSync } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';
import { prng } from './synthetic-history.mjs';

const git = (repo, args, input) => {
  const r = spawnSync('git', ['-C', repo, '-c', 'core.quotePath=false', ...args], {
    input,
    encoding: 'utf8',
    maxBuffer: 1 << 30,
  });
  // A snapshot without its largest objects fails on their commits: the sample keeps what git gave.
  if (r.status !== 0 && !r.stdout) throw new Error(`git ${args[0]}: ${r.stderr.trim().split('\n')[0]}`);
  return r.stdout;
};

/** The sessions (id, branch, edits: at, path, lines) for `count` commits of the repository. */
export function sessionsFromHistory(repo, { count = 400, maxLines = 300, seed = 7 } = {}) {
  const all = git(repo, ['rev-list', '--no-merges', 'HEAD']).split('\n').filter(Boolean);
  const rand = prng(seed);
  const picked = new Set();
  while (picked.size < Math.min(count, all.length)) picked.add(all[Math.floor(rand() * all.length)]);
  // One process for every picked commit's diff: its committer time, then each file's added lines.
  const text = git(
    repo,
    [
      'log',
      '--no-walk=unsorted',
      '--stdin',
      '-p',
      '--unified=0',
      '-M',
      '--no-prefix',
      '--no-color',
      '--no-ext-diff',
      '--format=%x01%H %ct',
    ],
    `${[...picked].join('\n')}\n`,
  );
  const sessions = [];
  for (const chunk of text.split('\x01').slice(1)) {
    const lines = chunk.split('\n');
    const [sha, ct] = lines[0].split(' ');
    const files = new Map();
    let current = null;
    for (const line of lines) {
      if (line.startsWith('+++ ')) {
        const path = line.slice(4);
        // A deleted file, or a path git had to quote: no lines to write there.
        current = path === '/dev/null' || path.startsWith('"') ? null : path;
        if (current && !files.has(current)) files.set(current, []);
      } else if (line.startsWith('diff --git ')) current = null;
      else if (current && line.startsWith('+')) {
        const list = files.get(current);
        if (list.length < maxLines) list.push(line.slice(1));
      }
    }
    const at = Number(ct) - 60;
    const edits = [...files]
      .filter(([, added]) => added.length > 0)
      .map(([path, added], i) => ({ at: at - 10 * (files.size - i), path, lines: added }));
    if (edits.length === 0) continue;
    const id = `${sha.slice(0, 8)}-0000-4000-8000-${sha.slice(8, 20)}`;
    sessions.push({ id, branch: 'master', edits });
  }
  return sessions;
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values, positionals } = parseArgs({
    allowPositionals: true,
    options: {
      commits: { type: 'string', default: '400' },
      lines: { type: 'string', default: '300' },
      seed: { type: 'string', default: '7' },
      out: { type: 'string' },
    },
  });
  if (positionals.length !== 1) {
    console.error('usage: node bench/sessions-from-history.mjs <repository> [--commits N] [--lines N] [--seed N] [--out FILE]');
    process.exit(2);
  }
  const repo = resolve(positionals[0]);
  const out = resolve(
    values.out ?? join(fileURLToPath(new URL('.', import.meta.url)), '.work', `sessions-${basename(repo === '/' ? 'root' : repo)}.json`),
  );
  const sessions = sessionsFromHistory(repo, { count: Number(values.commits), maxLines: Number(values.lines), seed: Number(values.seed) });
  mkdirSync(dirname(out), { recursive: true });
  writeFileSync(out, JSON.stringify(sessions));
  const lines = sessions.reduce((n, s) => n + s.edits.reduce((m, e) => m + e.lines.length, 0), 0);
  console.log(`${out}: ${sessions.length} sessions, ${lines} lines written`);
}
