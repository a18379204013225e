// The line keys' two loops, alternated in one process: JavaScript's (normalLineHashesLent, and
// NORMAL_LINE_KEY.bytes line by line) against WebAssembly's (src/builders/line-keys.wat through
// WasmLineKeys), on a repository's files at HEAD — what the content rule keys — and on its last
// commits' diffs written as diff store records — what churn keys. Checks the keys are equal, then
// prints ns a byte, each side's median over the rounds. Build first (npm run build).
//
//   node bench/line-keys.mjs <repository> [--files 3000] [--commits 3000] [--rounds 8]
import { execFileSync } from 'node:child_process';
import { parseArgs } from 'node:util';

const { positionals, values } = parseArgs({
  allowPositionals: true,
  options: {
    files: { type: 'string', default: '3000' },
    commits: { type: 'string', default: '3000' },
    rounds: { type: 'string', default: '8' },
  },
});
const repo = positionals[0];
if (!repo) throw new Error('usage: node bench/line-keys.mjs <repository> [--files N] [--commits N] [--rounds N]');
const { normalLineHashesLent, normalLineHashOfBytes } = await import('../dist/builders/lines.js');
const { WasmLineKeys } = await import('../dist/builders/line-keys.js');
const git = (...args) => execFileSync('git', ['-C', repo, ...args], { maxBuffer: 1 << 30 });

// HEAD's blobs (a submodule's entry is a commit, not a file).
const blobs = git('ls-tree', '-r', '-z', 'HEAD')
  .toString('utf8')
  .split('\0')
  .filter((entry) => entry.split(' ')[1] === 'blob')
  .map((entry) => entry.split('\t')[0].split(' ')[2])
  .slice(0, Number(values.files));
const files = blobs.map((object) => git('cat-file', 'blob', object));
// Records as the store keeps them: each added line signed '+', each removed '-', newline-ended.
const records = [];
for (const patch of git('log', '-p', '--unified=0', '--no-merges', '--format=%x01', '-n', values.commits)
  .toString('latin1')
  .split('\x01')) {
  const lines = patch.split('\n').filter((l) => (l[0] === '+' && !l.startsWith('+++')) || (l[0] === '-' && !l.startsWith('---')));
  if (lines.length > 0) records.push(Buffer.from(`${lines.join('\n')}\n`, 'latin1'));
}
const bytesOf = (list) => list.reduce((n, b) => n + b.length, 0);

const wasm = new WasmLineKeys();
const jsRecord = (data) => {
  const keys = [];
  for (let at = 0; at < data.length; ) {
    const newline = data.indexOf(0x0a, at);
    keys.push(normalLineHashOfBytes(data, at + 1, newline));
    at = newline + 1;
  }
  return keys;
};
for (const f of files) if (String([...normalLineHashesLent(f)]) !== String([...wasm.keysOf(f)])) throw new Error('file keys differ');
for (const r of records)
  if (String(jsRecord(r)) !== String([...wasm.signedKeysOf(r, 0, r.length).keys])) throw new Error('record keys differ');

const sides = {
  'files, JavaScript': [files, (f) => normalLineHashesLent(f).length],
  'files, WebAssembly': [files, (f) => wasm.keysOf(f).length],
  'records, JavaScript': [records, (r) => jsRecord(r).length],
  'records, WebAssembly': [records, (r) => wasm.signedKeysOf(r, 0, r.length).keys.length],
};
const times = Object.fromEntries(Object.keys(sides).map((k) => [k, []]));
for (let round = 0; round < Number(values.rounds); round++) {
  for (const [name, [list, key]] of Object.entries(sides)) {
    const start = process.hrtime.bigint();
    let lines = 0;
    for (const item of list) lines += key(item);
    times[name].push(Number(process.hrtime.bigint() - start) / bytesOf(list));
    if (lines === 0) throw new Error(`${name}: no lines`);
  }
}
console.log(
  `${files.length} files (${(bytesOf(files) / 1e6).toFixed(1)} MB), ${records.length} records (${(bytesOf(records) / 1e6).toFixed(1)} MB), ${values.rounds} rounds`,
);
for (const [name, list] of Object.entries(times)) {
  const sorted = [...list].sort((a, b) => a - b);
  console.log(
    `${name.padEnd(22)} median ${sorted[Math.floor(sorted.length / 2)].toFixed(2)} ns a byte (${sorted[0].toFixed(2)}–${sorted.at(-1).toFixed(2)})`,
  );
}
