import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect } from 'vitest';
import { report, teamReport } from '../src/cli/commands/report.js';
import { openDatabase } from '../src/db/open.js';
import { syncToWarehouse } from '../src/sync/sync.js';
import { type WarehouseReportRequest, warehouseReportDocument } from '../src/sync/warehouse-report.js';
import { loadViews } from '../src/db/migrate.js';
import { PLAIN_STYLE } from '../src/report/terminal.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { recordedSample, type SampleRepository, stable } from './helpers/sample-repository.js';
import { freshWarehouse, itPostgres, POSTGRES_URL } from './helpers/warehouse.js';

/** `paceflow report --from <warehouse>`: the team report, computed by PostgreSQL's views. */
const NOW = new Date('2026-11-28T12:00:00Z');
const CLI = join(import.meta.dirname, '..', 'bin', 'paceflow.js');
let sample: SampleRepository;
let url: string;

beforeAll(async () => {
  sample = await recordedSample(NOW);
  if (POSTGRES_URL === null) return;
  url = await freshWarehouse('team');
  const db = openDatabase(sample.db);
  try {
    await syncToWarehouse(db, { url, version: '0.0.0-test', identitySalt: null, now: NOW });
  } finally {
    db.close();
  }
});
afterAll(cleanupTempDirs);

const team = (extra: Partial<Parameters<typeof teamReport>[0]> = {}) =>
  teamReport({
    cwd: tempDir(),
    from: url,
    format: 'table',
    repo: null,
    since: null,
    views: [],
    all: false,
    style: PLAIN_STYLE,
    now: NOW,
    ...extra,
  }).then((text) => text.replace(/postgres@127\.0\.0\.1:\d+\/\w+/g, '<warehouse>'));

describe('report --from: the team report from the warehouse', () => {
  itPostgres('one repository: the same summary as the local report, whole', async () => {
    const text = await team({ repo: 'sample' });
    const local = stable(
      (
        await report({
          cwd: sample.repo.dir,
          db: sample.db,
          env: sample.home.env,
          ingest: false,
          format: 'table',
          style: PLAIN_STYLE,
          now: NOW,
        })
      ).output,
      sample,
    );
    // The headline and every figure line match; only the path (a folder name in the warehouse) and the last line differ.
    const body = (t: string) => t.split('\n').slice(1, -3);
    expect(body(text)).toEqual(body(local));
    await expect(text).toMatchFileSnapshot('__snapshots__/report-team-80.txt');
  });

  itPostgres('the summary alone reads no view; --all and --view read theirs', async () => {
    const doc = (extra: Partial<WarehouseReportRequest>) =>
      warehouseReportDocument({ url, repo: 'sample', since: null, views: [], all: false, version: '0.0.0-test', now: NOW, ...extra });
    const every = loadViews().map((v) => v.name);
    expect((await doc({ summaryOnly: true })).views).toEqual([]);
    expect((await doc({ summaryOnly: true })).figures?.repository).toMatchObject({ ai_lines: 8, nontrivial_added_lines: 18 });
    expect((await doc({ summaryOnly: true, all: true })).views.map((v) => v.name)).toEqual(every);
    expect((await doc({ summaryOnly: true, views: ['view_repository_ai_share'] })).views.map((v) => v.name)).toEqual([
      'view_repository_ai_share',
    ]);
    expect((await doc({})).views.map((v) => v.name)).toEqual(every);
  });

  itPostgres('every repository, as markdown and JSON; --since and --view filter', async () => {
    const all = await team({ format: 'md' });
    expect(all).toContain('| sample |');
    const json = JSON.parse(await team({ format: 'json', repo: 'sample' })) as { summary: { repository: { commits: number } } };
    expect(json.summary.repository.commits).toBe(8);
    const since = JSON.parse(await team({ format: 'json', repo: 'sample', since: '2026-02-04' })) as {
      summary: { repository: { commits: number; sessions: number } };
    };
    const db = openDatabase(sample.db);
    const expected = db
      .prepare(`SELECT count(*) AS n FROM event_commit_outcomes WHERE committed_at >= '2026-02-04'`)
      .get<{ n: number }>()!.n;
    db.close();
    expect(since.summary.repository.commits).toBe(expected);
    expect(expected).toBeLessThan(8);
    const view = await team({ format: 'csv', views: ['repository_ai_share'], repo: 'sample' });
    expect(view.split('\n')[0]).toContain('provider');
  });

  itPostgres('through the real CLI: --repo names a repository of the warehouse; --html writes the page', async () => {
    const r = spawnSync(process.execPath, [CLI, '--repo', 'sample', 'report', '--from', url, '-f', 'md'], { encoding: 'utf8' });
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain('AI wrote 44.4% of the non-trivial lines');
    expect(r.stdout).not.toContain(new URL(url).password);
    const page = join(tempDir(), 'team.html');
    expect(await team({ repo: 'sample', html: page })).toBe(`wrote ${page}\n`);
    expect(readFileSync(page, 'utf8')).toContain('44.4%');
  });

  itPostgres('an unknown repository, or a warehouse that was never synced, is one clear line', async () => {
    await expect(team({ repo: 'nope' })).rejects.toThrow('no repository "nope" in the warehouse (known: sample)');
    const empty = await freshWarehouse('empty');
    await expect(team({ from: empty })).rejects.toThrow(/has no paceflow data yet: run paceflow sync --to <it> first/);
  });
});
