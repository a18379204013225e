import { mkdirSync, readFileSync } from 'node:fs';
import { dirname, isAbsolute, resolve } from 'node:path';
import * as core from '@actions/core';
import { withDatabase } from '../db/with-database.js';
import { packageVersion } from '../version.js';
import type { ConfigOverrides } from '../config/config.js';
import { PACEFLOW_NOTES_REF, GIT_AI_NOTES_REF } from '../git/notes.js';
import { gitText, runGit } from '../git/run.js';
import { writeNotes } from '../ingest/notes.js';
import { update } from '../pipeline/update.js';
import { notesToCarry } from './carry-notes.js';
import { openDatabase } from '../db/open.js';
import { createHash } from 'node:crypto';
import { identitySalt, syncToWarehouse } from '../sync/sync.js';
import { actionsCache, type CacheClient, type CacheKeys, cacheKeys, restoreDatabase, saveDatabase } from './cache.js';
import { upsertStickyComment } from './comment.js';
import { type Figures, readFigures } from '../report/figures.js';
import { GitHubApiError, GitHubClient } from './github.js';
import { renderReport } from './markdown.js';
import { crossed, OUTPUT_NAMES, parseThresholds, type Outputs } from './thresholds.js';

export const SHALLOW_FIX =
  'paceflow needs the whole history, and this checkout is shallow. Fetch all of it with fetch-depth: 0:\n' +
  '  - uses: actions/checkout@v4\n' +
  '    with:\n' +
  '      fetch-depth: 0';

interface Inputs {
  token: string;
  database: string;
  workingDirectory: string;
  config: ConfigOverrides;
  comment: boolean;
  carryNotes: boolean;
  cache: boolean;
  /** postgres://… (a secret): sync the contract there after the builders. */
  warehouseUrl: string;
  warn: ReturnType<typeof parseThresholds>;
  fail: ReturnType<typeof parseThresholds>;
}

function numberInput(name: string): number | undefined {
  const raw = core.getInput(name);
  if (raw === '') return undefined;
  const value = Number(raw);
  if (!Number.isFinite(value)) throw new Error(`input ${name}: not a number: "${raw}"`);
  return value;
}

function readInputs(): Inputs {
  const mainline = core.getInput('mainline');
  const churnWindowDays = numberInput('churn-window');
  const heavyAiThreshold = numberInput('heavy-ai-threshold');
  return {
    token: core.getInput('github-token'),
    database: core.getInput('database') || 'paceflow.db',
    workingDirectory: core.getInput('working-directory') || '.',
    config: {
      ...(mainline ? { mainline } : {}),
      ...(churnWindowDays !== undefined ? { churnWindowDays } : {}),
      ...(heavyAiThreshold !== undefined ? { heavyAiThreshold } : {}),
    },
    comment: (core.getInput('comment') || 'true') === 'true',
    carryNotes: (core.getInput('carry-notes') || 'true') === 'true',
    cache: (core.getInput('cache') || 'true') === 'true',
    warehouseUrl: core.getInput('warehouse-url'),
    warn: parseThresholds(core.getInput('warn-thresholds')),
    fail: parseThresholds(core.getInput('fail-thresholds')),
  };
}

interface EventContext {
  name: string;
  pullRequest?: { number: number; base: string; head: string };
  push?: { ref: string; before: string; after: string };
}

function readEvent(env: NodeJS.ProcessEnv): EventContext {
  const name = env.GITHUB_EVENT_NAME ?? '';
  const path = env.GITHUB_EVENT_PATH;
  if (!path) return { name };
  const payload = JSON.parse(readFileSync(path, 'utf8')) as {
    pull_request?: { number: number; base: { sha: string }; head: { sha: string } };
    ref?: string;
    before?: string;
    after?: string;
  };
  const pr = payload.pull_request;
  return {
    name,
    ...(pr ? { pullRequest: { number: pr.number, base: pr.base.sha, head: pr.head.sha } } : {}),
    ...(name === 'push' && payload.ref && payload.before && payload.after
      ? { push: { ref: payload.ref, before: payload.before, after: payload.after } }
      : {}),
  };
}

/** Fetches a notes ref from origin; false when origin has none (or there is no origin). */
async function fetchNotes(cwd: string, ref: string): Promise<boolean> {
  const { code } = await runGit(['fetch', '--quiet', '--no-tags', 'origin', `+${ref}:${ref}`], { cwd, okCodes: [1, 2, 128] });
  return code === 0;
}

export async function runAction(env: NodeJS.ProcessEnv = process.env, cacheClient: CacheClient = actionsCache()): Promise<void> {
  const inputs = readInputs();
  const workspace = resolve(env.GITHUB_WORKSPACE ?? process.cwd(), inputs.workingDirectory);
  const db = isAbsolute(inputs.database) ? inputs.database : resolve(env.RUNNER_TEMP ?? workspace, inputs.database);
  // The input names where the Action keeps its database (a cache path, say): its folder is made here.
  mkdirSync(dirname(db), { recursive: true });
  const version = packageVersion();

  if ((await gitText(['rev-parse', '--is-shallow-repository'], { cwd: workspace })) === 'true') {
    await failShallow();
    return;
  }
  const event = readEvent(env);
  const notices: string[] = [];
  for (const ref of [PACEFLOW_NOTES_REF, GIT_AI_NOTES_REF]) {
    if (!(await fetchNotes(workspace, ref))) core.info(`origin has no ${ref} (or it could not be fetched)`);
  }
  // A push that lands squashed pull requests: their heads make the squash detectable.
  const mainlinePush = event.push && !/^0+$/.test(event.push.before) ? event.push : undefined;
  let pushed: string[] = [];
  if (mainlinePush) {
    pushed = (await gitText(['rev-list', '--first-parent', `${mainlinePush.before}..${mainlinePush.after}`], { cwd: workspace }))
      .split('\n')
      .filter(Boolean);
    const subjects = await gitText(['log', '--format=%s', '--no-walk=unsorted', ...pushed], { cwd: workspace }).catch(() => '');
    for (const m of subjects.matchAll(/\(#(\d+)\)\s*$/gm)) {
      await runGit(['fetch', '--quiet', '--no-tags', 'origin', `+refs/pull/${m[1]}/head:refs/remotes/pull/${m[1]}/head`], {
        cwd: workspace,
        okCodes: [1, 128],
      });
    }
  }

  const useCache = inputs.cache && cacheClient.available();
  if (inputs.cache && !useCache) core.info('cache: this runner has no cache service; building afresh');
  const keys = useCache ? await restoreCachedDatabase(cacheClient, db, env) : null;
  const run = async () => update({ cwd: workspace, db, env, sessions: false, notes: false, config: inputs.config });
  let summary = await run();
  for (const warning of summary.warnings) core.warning(warning);
  for (const message of summary.messages) core.info(message);
  const repoId = summary.git?.repoId;
  if (!repoId) {
    core.setFailed(`${workspace}: no commits to report on`);
    return;
  }

  if (mainlinePush && inputs.carryNotes && pushed.length > 0) {
    const notes = await withDatabase({ cwd: workspace, db }, async (database) =>
      notesToCarry(database, repoId, pushed, `paceflow-action ${version}`),
    );
    if (notes.length > 0) {
      await withDatabase({ cwd: workspace, db }, (database) => writeNotes(database, repoId, workspace, notes));
      const push = await runGit(['push', '--quiet', 'origin', `${PACEFLOW_NOTES_REF}:${PACEFLOW_NOTES_REF}`], {
        cwd: workspace,
        okCodes: [1, 128],
      });
      if (push.code === 0)
        core.info(`carried the attribution of merged pull requests to ${notes.length} new mainline commits (${PACEFLOW_NOTES_REF} pushed)`);
      else
        core.warning(
          `wrote ${notes.length} notes for the new mainline commits but could not push ${PACEFLOW_NOTES_REF} (the job needs permissions: contents: write)`,
        );
      summary = await run();
    }
  }

  const prCommits = event.pullRequest
    ? (await gitText(['rev-list', '--reverse', `${event.pullRequest.base}..${event.pullRequest.head}`], { cwd: workspace }))
        .split('\n')
        .filter(Boolean)
    : undefined;
  const figures = await withDatabase({ cwd: workspace, db }, async (database) =>
    readFigures(database, repoId, prCommits ? { commitSet: prCommits } : {}),
  );
  if (summary.git?.isShallow) notices.push('The history is shallow: counts are partial.');
  const server = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/$/, '');
  const report = renderReport(figures, {
    ...(event.pullRequest ? { pullRequest: event.pullRequest } : {}),
    ...(env.GITHUB_REPOSITORY ? { repositoryUrl: `${server}/${env.GITHUB_REPOSITORY}` } : {}),
    version,
    notices,
  });
  await core.summary.addRaw(report).write();

  if (event.pullRequest && inputs.comment) await postComment(inputs.token, env, event.pullRequest.number, report);

  if (inputs.warehouseUrl) await syncWarehouse(inputs.warehouseUrl, workspace, db, env);
  if (keys) await saveCachedDatabase(cacheClient, workspace, db, keys.key);
  const outputs = outputsOf(figures);
  for (const name of OUTPUT_NAMES) core.setOutput(name, outputs[name] === null ? '' : String(outputs[name]));
  for (const { threshold, actual } of crossed(inputs.warn, outputs))
    core.warning(`paceflow: ${threshold.name} is ${actual} (warn-thresholds: ${threshold.text})`);
  const failed = crossed(inputs.fail, outputs);
  if (failed.length > 0)
    core.setFailed(failed.map(({ threshold, actual }) => `${threshold.name} is ${actual} (fail-thresholds: ${threshold.text})`).join('; '));
}

/**
 * Sends the run's contract rows to the team warehouse. Every run of this repository's workflows is
 * one machine there (an id from the repository's name, hashed), so a run without a cached database
 * replaces CI's rows instead of adding another copy. A failed sync is a warning: the comment and the
 * summary stand, and the next run sends what this one could not.
 */
async function syncWarehouse(url: string, workspace: string, db: string, env: NodeJS.ProcessEnv): Promise<void> {
  core.setSecret(url);
  const machine = `ci-${createHash('sha256')
    .update(env.GITHUB_REPOSITORY ?? workspace)
    .digest('hex')
    .slice(0, 16)}`;
  try {
    const outcome = await withDatabase({ cwd: workspace, db }, (database) =>
      syncToWarehouse(database, {
        url,
        version: packageVersion(),
        identitySalt: identitySalt(Boolean(env.PACEFLOW_IDENTITY_SALT), env),
        machineId: machine,
      }),
    );
    const rows = Object.values(outcome.tables).reduce((n, t) => n + t.rows, 0);
    core.info(`warehouse: sent ${rows} rows to ${outcome.label}`);
  } catch (error) {
    core.warning(`paceflow: ${(error as Error).message}`);
  }
}

/** The newest usable database of this ref or the base branch, before anything opens it. */
async function restoreCachedDatabase(client: CacheClient, db: string, env: NodeJS.ProcessEnv): Promise<CacheKeys> {
  const keys = cacheKeys({ ref: env.GITHUB_REF ?? 'unknown', sha: env.GITHUB_SHA ?? 'unknown', mainline: env.GITHUB_BASE_REF || null });
  try {
    const restored = await restoreDatabase(client, db, keys, (path) => openDatabase(path));
    if (restored.kind === 'restored') core.info(`cache: started from ${restored.key}`);
    else if (restored.kind === 'discarded')
      core.warning(`cache: ${restored.key} was not used: the database is ${restored.reason}; building afresh`);
    else core.info('cache: no database cached yet; building afresh');
  } catch (error) {
    core.warning(`cache: could not restore (${(error as Error).message}); building afresh`);
  }
  return keys;
}

/** Saves this run's database for the next run; a failure warns and never fails the step. */
async function saveCachedDatabase(client: CacheClient, workspace: string, db: string, key: string): Promise<void> {
  try {
    const saved = await withDatabase({ cwd: workspace, db }, (database) => saveDatabase(client, database, db, key));
    core.info(saved === 'saved' ? `cache: saved ${key}` : `cache: ${key} is saved already`);
  } catch (error) {
    core.warning(`cache: could not save (${(error as Error).message})`);
  }
}

/** No figures from a cut history: the job summary says why, with the fix, and the step fails. */
async function failShallow(): Promise<void> {
  const [first, ...fix] = SHALLOW_FIX.split('\n');
  await core.summary
    .addRaw(`## paceflow — no figures: the checkout is shallow\n\n${first}\n\n\`\`\`yaml\n${fix.join('\n')}\n\`\`\`\n`)
    .write();
  core.setFailed(SHALLOW_FIX);
}

/** The sticky comment; a read-only token (a fork's pull request) warns instead of failing. */
async function postComment(token: string, env: NodeJS.ProcessEnv, pullRequest: number, report: string): Promise<void> {
  const [owner, repo] = (env.GITHUB_REPOSITORY ?? '/').split('/');
  const client = new GitHubClient(token, env.GITHUB_API_URL ?? 'https://api.github.com', owner ?? '', repo ?? '');
  try {
    const result = await upsertStickyComment(client, pullRequest, report);
    core.info(`pull request comment ${result.action} (${result.id})`);
  } catch (error) {
    if (!(error instanceof GitHubApiError)) throw error;
    if (!error.isPermission) throw error;
    core.warning(
      `could not write the pull request comment (${error.message}): the token is read-only here (a fork's pull request, or no pull-requests: write); the job summary has the report`,
    );
  }
}

/** The PR's figures when the run is for a pull request, else the repository's. */
export function outputsOf(figures: Figures): Outputs {
  const pr = figures.pullRequest?.totals;
  const repo = figures.repository;
  return {
    ai_share: pr ? pr.ai_share : (repo?.ai_share ?? null),
    heavy_ai_commits: pr ? pr.heavy_ai_commits : (repo?.heavy_ai_commits ?? null),
    coverage: pr ? pr.coverage : (repo?.coverage ?? null),
    reverted_later_rate: repo?.heavy_ai_reverted_rate ?? null,
    churn_rate: repo?.ai_churn_rate ?? null,
  };
}
