#!/usr/bin/env node
// What a first run's diff store (src/git/patch-store.ts) holds for a repository: every non-merge
// commit's patch as the store keeps it (JSON of its files), summed. Reads the built dist/.
//
//   node bench/diff-store-size.mjs <repository>
import { execFileSync } from 'node:child_process';
import { readCommitPatches } from '../dist/git/patches.js';

const cwd = process.argv[2];
if (!cwd) throw new Error('usage: node bench/diff-store-size.mjs <repository>');
const shas = execFileSync('git', ['rev-list', '--all', '--no-merges'], { cwd, maxBuffer: 1 << 30 })
  .toString()
  .trim()
  .split('\n');
let bytes = 0;
let count = 0;
let largest = 0;
for await (const patch of readCommitPatches(shas, { cwd })) {
  const size = Buffer.byteLength(JSON.stringify(patch.files));
  bytes += size;
  count++;
  largest = Math.max(largest, size);
}
console.log(`${count} patches, ${(bytes / 1e6).toFixed(1)} MB of JSON, largest ${(largest / 1e6).toFixed(1)} MB`);
