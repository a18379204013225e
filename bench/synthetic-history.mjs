#!/usr/bin/env node
// A large history shaped like a real team's (#20): git fast-import writes it in one stream.
//
//   node bench/synthetic-history.mjs [--commits 80000] [--out DIR] [--seed 7]
//
// DIR/repo is the repository and DIR/sessions.json the Claude Code sessions that wrote a share of
// its lines; `writeTranscripts` turns them into transcripts for a copy of the repository wherever
// it lives (a transcript names absolute paths). What it has, in proportions a busy repository has:
// commits pushed straight to main; pull-request branches (hundreds of them live at any time)
// merged with a merge commit ("Merge pull request #N from org/<branch>", "Merge branch '<branch>'"),
// squash-merged as "Title (#N)" with refs/pull/N/head kept, rebase-merged (the commits copied onto
// main), or left open; branch names with and without task keys (feature/ABC-123-…); tags;
// reverts ("Revert "<subject>"", with the exact inverse diff); renames; files of 30–400 lines of
// code-like text of realistic lengths; 20 authors. Deterministic for a given seed and size.
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

const gitEnv = {
  ...Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('GIT_'))),
  GIT_CONFIG_NOSYSTEM: '1',
  GIT_CONFIG_GLOBAL: '/dev/null',
};

/** A small deterministic PRNG (a 32-bit LCG); bench/sessions-from-history.mjs draws its sample with it too. */
export function prng(seed) {
  let s = seed >>> 0;
  return () => {
    s = (s * 1664525 + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

const WORDS = [
  'config',
  'handler',
  'result',
  'index',
  'length',
  'update',
  'render',
  'error',
  'request',
  'response',
  'user',
  'session',
  'token',
  'cache',
  'buffer',
  'stream',
  'parser',
  'value',
  'items',
  'record',
  'options',
  'context',
  'logger',
  'client',
];
const AREAS = ['api', 'core', 'ui', 'db', 'auth', 'jobs', 'cli', 'docs', 'infra', 'billing', 'search', 'sync'];
const EXT = ['ts', 'ts', 'ts', 'py', 'go', 'md', 'rs', 'js'];

/**
 * Generates the history into `dir/repo`; returns the sessions (for writeTranscripts) and counts.
 * `aiShare`: the share of pull-request commits whose lines (most of them) an AI session wrote.
 */
export async function generateHistory({ dir, commits: total = 80000, seed = 7, aiShare = 0.25, repack = true }) {
  const repo = join(dir, 'repo');
  rmSync(dir, { recursive: true, force: true });
  mkdirSync(repo, { recursive: true });
  spawnSync('git', ['init', '-q', '-b', 'main', repo], { env: gitEnv, stdio: 'inherit' });
  const child = spawn('git', ['fast-import', '--quiet', '--done'], { cwd: repo, env: gitEnv, stdio: ['pipe', 'inherit', 'inherit'] });
  const done = new Promise((res, rej) => child.on('close', (code) => (code === 0 ? res() : rej(new Error(`fast-import exit ${code}`)))));
  const rand = prng(seed);
  const pick = (list) => list[Math.floor(rand() * list.length)];
  const word = () => pick(WORDS);

  // Code-like lines: indentation, identifiers, calls, strings; 10–110 characters.
  const line = () => {
    const indent = '  '.repeat(Math.floor(rand() * 4));
    const r = rand();
    if (r < 0.08) return '';
    if (r < 0.14) return `${indent}}`;
    if (r < 0.2) return `${indent}// ${word()} ${word()} ${word()} when the ${word()} is ${word()}`;
    if (r < 0.5)
      return `${indent}const ${word()}${Math.floor(rand() * 90)} = ${word()}.${word()}(${word()}, ${Math.floor(rand() * 1000)});`;
    if (r < 0.7) return `${indent}if (${word()}.${word()} !== ${word()}) return ${word()}(${word()});`;
    if (r < 0.85)
      return `${indent}${word()}.${word()}("${word()} ${word()} ${word()}", { ${word()}: ${word()}, ${word()}: ${Math.floor(rand() * 100)} });`;
    return `${indent}export function ${word()}${word()}${Math.floor(rand() * 100)}(${word()}, ${word()}) {`;
  };

  let buffered = [];
  let size = 0;
  const write = async (text) => {
    buffered.push(text);
    size += text.length;
    if (size > 1 << 20) {
      const ok = child.stdin.write(buffered.join(''));
      buffered = [];
      size = 0;
      if (!ok) await new Promise((r) => child.stdin.once('drain', r));
    }
  };
  const data = (text) => `data ${Buffer.byteLength(text)}\n${text}\n`;
  const blob = (lines) => data(`${lines.join('\n')}\n`);

  // The files of main (path → lines); a branch works on a copy of what it changes.
  const main = new Map();
  let fileSeq = 0;
  const newPath = () => `src/${pick(AREAS)}/${word()}-${fileSeq++}.${pick(EXT)}`;
  let mark = 0;
  let clock = 1_600_000_000;
  let mainTip = null;
  let made = 0;
  let pr = 0;
  const stats = { commits: 0, merges: 0, squashes: 0, rebases: 0, open: 0, reverts: 0, renames: 0, tags: 0, aiCommits: 0 };
  const sessions = [];
  const recent = []; // recent single-file mainline commits that a revert can invert: { subject, path, before }
  const author = () => {
    const n = Math.floor(rand() * 20);
    return `Dev ${n} <dev${n}@example.com>`;
  };

  /** Edits files of `files` (a Map, changed in place); returns the ops and what each file gained. */
  const edit = (files, base) => {
    const ops = [];
    const added = [];
    const k = 1 + Math.floor(rand() * 3);
    for (let i = 0; i < k; i++) {
      if (rand() < 0.15 || base.size < 50) {
        const path = newPath();
        const lines = Array.from({ length: 30 + Math.floor(rand() * 120) }, line);
        files.set(path, lines);
        ops.push(`M 100644 inline ${path}\n${blob(lines)}`);
        added.push({ path, lines: [...lines] });
        continue;
      }
      const keys = [...(files.size > 0 && rand() < 0.5 ? files.keys() : base.keys())];
      const path = pick(keys);
      const lines = [...(files.get(path) ?? base.get(path))];
      const gained = [];
      const edits = 1 + Math.floor(rand() * 6);
      for (let e = 0; e < edits; e++) {
        const at = Math.floor(rand() * (lines.length + 1));
        const block = Array.from({ length: 1 + Math.floor(rand() * 8) }, line);
        if (rand() < 0.4 && lines.length > 10) lines.splice(at, Math.min(block.length, lines.length - at), ...block);
        else lines.splice(at, 0, ...block);
        gained.push(...block);
      }
      if (lines.length > 400) lines.splice(0, lines.length - 400);
      files.set(path, lines);
      ops.push(`M 100644 inline ${path}\n${blob(lines)}`);
      added.push({ path, lines: gained });
    }
    return { ops, added };
  };

  const commit = async (ref, { message, parents, ops, at }) => {
    mark++;
    made++;
    stats.commits++;
    const who = author();
    let text = `commit ${ref}\nmark :${mark}\nauthor ${who} ${at} +0000\ncommitter ${who} ${at} +0000\n${data(message)}`;
    if (parents[0]) text += `from :${parents[0]}\n`;
    for (const p of parents.slice(1)) text += `merge :${p}\n`;
    await write(`${text}${ops.join('')}\n`);
    if (made % 5000 === 0) process.stderr.write(`\rgenerating: ${made}/${total} commits`);
    return mark;
  };

  /** Records that an AI session wrote most of `added` shortly before `at` (one session per branch). */
  const aiSession = (branch, pieces) => {
    const edits = [];
    for (const { at, added } of pieces) {
      for (const { path, lines } of added) {
        // The session wrote most lines; a person typed the rest.
        const written = lines.filter(() => rand() < 0.85);
        if (written.length > 0) edits.push({ at: at - 120 - Math.floor(rand() * 600), path, lines: written });
      }
    }
    if (edits.length > 0)
      sessions.push({
        id: `${(sessions.length + 1).toString(16).padStart(8, '0')}-0000-4000-8000-${seed.toString(16).padStart(12, '0')}`,
        branch,
        edits,
      });
  };

  // An initial tree.
  {
    const ops = [];
    for (let i = 0; i < 300; i++) {
      const path = newPath();
      const lines = Array.from({ length: 30 + Math.floor(rand() * 200) }, line);
      main.set(path, lines);
      ops.push(`M 100644 inline ${path}\n${blob(lines)}`);
    }
    mainTip = await commit('refs/heads/main', { message: 'Initial import\n', parents: [], ops, at: clock });
  }
  const mainMarks = [mainTip]; // mainline commits, to start branches a little back
  const openBranches = [];

  while (made < total) {
    clock += 60 + Math.floor(rand() * 900);
    const r = rand();
    if (r < 0.42) {
      // Straight to main: an edit, now and then a rename or a revert.
      let message;
      let ops;
      if (rand() < 0.012 && recent.length > 0) {
        const target = recent.splice(Math.floor(rand() * recent.length), 1)[0];
        if (main.get(target.path) !== target.after) continue; // changed since: no clean inverse
        main.set(target.path, target.before);
        ops = [`M 100644 inline ${target.path}\n${blob(target.before)}`];
        message = `Revert "${target.subject}"\n\nThis reverts the change to ${target.path}.\n`;
        stats.reverts++;
      } else if (rand() < 0.01) {
        const from = pick([...main.keys()]);
        const to = newPath();
        const lines = main.get(from);
        main.delete(from);
        main.set(to, lines);
        ops = [`R ${from} ${to}\n`];
        message = `Move ${from.split('/').pop()} to ${to.split('/')[1]}\n`;
        stats.renames++;
      } else {
        const files = new Map();
        const e = edit(files, main);
        ops = e.ops;
        message = `${pick(['Fix', 'Update', 'Tidy', 'Speed up', 'Document'])} ${word()} ${word()} in ${pick(AREAS)} ${made}\n`;
        if (files.size === 1) {
          // Before main takes the change: what a revert restores.
          const [path, after] = [...files][0];
          if (main.has(path)) recent.push({ subject: message.trim(), path, before: main.get(path), after });
          if (recent.length > 50) recent.shift();
        }
        for (const [p, l] of files) main.set(p, l);
      }
      mainTip = await commit('refs/heads/main', { message, parents: [mainTip], ops, at: clock });
      mainMarks.push(mainTip);
      if (mainMarks.length % 400 === 0) {
        stats.tags++;
        await write(`reset refs/tags/v${Math.floor(mainMarks.length / 400)}.0.0\nfrom :${mainTip}\n\n`);
      }
      continue;
    }

    // A pull request: a branch of 1–8 commits from main a little back, then merged one way or left open.
    pr++;
    const keyed = rand() < 0.5;
    const name = keyed ? `feature/ABC-${pr}-${word()}-${word()}` : pick([`fix/${word()}-${pr}`, `user/dev${pr % 20}/${word()}-${pr}`]);
    const ref = `refs/heads/${name}`;
    const base = mainMarks[Math.max(0, mainMarks.length - 1 - Math.floor(rand() * 30))];
    const files = new Map();
    const pieces = [];
    const branchCommits = [];
    let tip = base;
    const k = 1 + Math.floor(rand() * 8);
    for (let i = 0; i < k && made < total; i++) {
      clock += 30 + Math.floor(rand() * 600);
      const e = edit(files, main);
      const message = `${pick(['Add', 'Handle', 'Wire up', 'Test', 'Refactor'])} ${word()} ${word()}${keyed && rand() < 0.3 ? ` for ABC-${pr}` : ''}\n`;
      tip = await commit(ref, { message, parents: [tip], ops: e.ops, at: clock });
      pieces.push({ at: clock, added: e.added });
      branchCommits.push({ message, ops: e.ops, added: e.added });
    }
    if (rand() < aiShare) {
      aiSession(name, pieces);
      stats.aiCommits += pieces.length;
    }
    const title = `${pick(['Add', 'Improve', 'Fix', 'Rework'])} ${word()} ${word()}${keyed ? ` (ABC-${pr})` : ''}`;
    const ending = rand();
    clock += 60 + Math.floor(rand() * 3600);
    const landOps = () => [...files].map(([path, lines]) => `M 100644 inline ${path}\n${blob(lines)}`);
    if (ending < 0.4) {
      // A merge commit; GitHub's or git's own subject.
      const subject = rand() < 0.7 ? `Merge pull request #${pr} from org/${name}` : `Merge branch '${name}'`;
      for (const [p, l] of files) main.set(p, l);
      mainTip = await commit('refs/heads/main', {
        message: `${subject}\n\n${title}\n`,
        parents: [mainTip, tip],
        ops: landOps(),
        at: clock,
      });
      mainMarks.push(mainTip);
      stats.merges++;
      await write(`reset ${ref}\nfrom 0000000000000000000000000000000000000000\n\n`);
    } else if (ending < 0.65) {
      // Squashed: one commit on main titled with the PR number; the PR head stays as refs/pull/N/head.
      for (const [p, l] of files) main.set(p, l);
      mainTip = await commit('refs/heads/main', { message: `${title} (#${pr})\n`, parents: [mainTip], ops: landOps(), at: clock });
      mainMarks.push(mainTip);
      stats.squashes++;
      await write(`reset refs/pull/${pr}/head\nfrom :${tip}\n\nreset ${ref}\nfrom 0000000000000000000000000000000000000000\n\n`);
    } else if (ending < 0.8) {
      // Rebase-merged: each commit copied onto main (same changes, new parents and times).
      for (const c of branchCommits) {
        clock += 5;
        mainTip = await commit('refs/heads/main', { message: c.message, parents: [mainTip], ops: c.ops, at: clock });
        mainMarks.push(mainTip);
      }
      for (const [p, l] of files) main.set(p, l);
      stats.rebases++;
      await write(`reset ${ref}\nfrom 0000000000000000000000000000000000000000\n\n`);
    } else {
      openBranches.push(ref);
      stats.open++;
      // Old open branches get deleted now and then: a few hundred stay.
      if (openBranches.length > 400) await write(`reset ${openBranches.shift()}\nfrom 0000000000000000000000000000000000000000\n\n`);
    }
  }
  await write('done\n');
  child.stdin.write(buffered.join(''));
  child.stdin.end();
  await done;
  process.stderr.write('\n');
  spawnSync('git', ['-C', repo, 'checkout', '-q', 'main'], { env: gitEnv });
  if (repack) spawnSync('git', ['-C', repo, 'repack', '-adq', '--window=20'], { env: gitEnv, stdio: 'inherit' });
  writeFileSync(join(dir, 'sessions.json'), JSON.stringify(sessions));
  return { repo, sessions, stats };
}

/**
 * Claude Code transcripts for the sessions, as if they ran in `repoDir`: one file each under
 * `<home>/.claude/projects/<dir>/`, a prompt then one Write or Edit per file, with the lines.
 */
export function writeTranscripts(sessions, repoDir, home) {
  const dir = join(home, '.claude', 'projects', repoDir.replace(/[^A-Za-z0-9]/g, '-'));
  mkdirSync(dir, { recursive: true });
  let bytes = 0;
  for (const s of sessions) {
    const out = [];
    let parent = null;
    let n = 0;
    const push = (type, at, extra) => {
      const uuid = `${s.id.slice(0, 8)}-${(n++).toString(16).padStart(4, '0')}-4000-8000-000000000000`;
      out.push(
        JSON.stringify({
          parentUuid: parent,
          isSidechain: false,
          userType: 'external',
          cwd: repoDir,
          sessionId: s.id,
          version: '2.0.69',
          gitBranch: s.branch,
          type,
          uuid,
          timestamp: new Date(at * 1000).toISOString(),
          ...extra,
        }),
      );
      parent = uuid;
    };
    push('user', s.edits[0].at - 60, {
      message: { role: 'user', content: `Work on ${s.branch}: make the change and keep the tests passing.` },
    });
    for (const [i, e] of s.edits.entries()) {
      const id = `toolu_${s.id.slice(0, 8)}${i.toString().padStart(4, '0')}`;
      const file_path = join(repoDir, e.path);
      const content = `${e.lines.join('\n')}\n`;
      push('assistant', e.at, {
        message: {
          model: 'claude-sonnet-4-5-20250929',
          id: `msg_${id}`,
          type: 'message',
          role: 'assistant',
          content: [{ type: 'tool_use', id, name: 'Write', input: { file_path, content } }],
          stop_reason: null,
          stop_sequence: null,
          usage: { input_tokens: 10, cache_creation_input_tokens: 0, cache_read_input_tokens: 0, output_tokens: 5 },
        },
        requestId: `req_${id}`,
      });
      push('user', e.at + 1, {
        message: {
          role: 'user',
          content: [{ tool_use_id: id, type: 'tool_result', content: `File created successfully at: ${file_path}` }],
        },
        toolUseResult: { type: 'create', filePath: file_path, content, structuredPatch: [], originalFile: null },
      });
    }
    const text = `${out.join('\n')}\n`;
    bytes += text.length;
    writeFileSync(join(dir, `${s.id}.jsonl`), text);
  }
  return { files: sessions.length, bytes };
}

if (process.argv[1] && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  const { values } = parseArgs({
    options: { commits: { type: 'string', default: '80000' }, out: { type: 'string' }, seed: { type: 'string', default: '7' } },
  });
  const commits = Number(values.commits);
  const out = resolve(values.out ?? join(fileURLToPath(new URL('.', import.meta.url)), '.work', `history-${commits}`));
  const started = Date.now();
  const { stats, sessions } = await generateHistory({ dir: out, commits, seed: Number(values.seed) });
  const refs = spawnSync('git', ['-C', join(out, 'repo'), 'for-each-ref', '--format=x'], { encoding: 'utf8' })
    .stdout.split('\n')
    .filter(Boolean).length;
  console.log(
    `${join(out, 'repo')}: ${stats.commits} commits, ${refs} refs, ${sessions.length} sessions (${((Date.now() - started) / 1000).toFixed(0)} s)`,
  );
  console.log(JSON.stringify(stats));
}
