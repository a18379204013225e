import { existsSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { type BrowserContext, chromium } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { report, reportDocument } from '../src/cli/commands/report.js';
import { renderHtmlReport } from '../src/report/html.js';
import { cleanupTempDirs, tempDir } from './helpers/git-repo.js';
import { recordedSample, type SampleRepository, stable } from './helpers/sample-repository.js';

/**
 * The HTML report in a real browser: Debian's Chromium driven by playwright-core (never its own
 * browser download), headless, with a fresh profile and no network.
 */
const CHROMIUM = process.env.PACEFLOW_CHROMIUM ?? '/usr/bin/chromium';
const haveChromium = existsSync(CHROMIUM);
const NOW = new Date('2026-11-28T12:00:00Z');

let sample: SampleRepository;
beforeAll(async () => {
  sample = await recordedSample(NOW);
});
afterAll(cleanupTempDirs);

describe('report --html', () => {
  it('the page, whole, with the charting library left out (a stand-in)', async () => {
    const doc = await reportDocument({ cwd: sample.repo.dir, db: sample.db, env: sample.home.env, format: 'table', all: true, now: NOW });
    const html = renderHtmlReport(doc, '/* Chart.js */');
    // Nothing at view time goes to the network: no src= or href= to anything.
    expect(html).not.toMatch(/\s(src|href)=/);
    await expect(stable(html, sample)).toMatchFileSnapshot('__snapshots__/report.html');
  });

  it.skipIf(!haveChromium && !process.env.CI)(
    'loads in Chromium with no console error, every chart drawn, and a screenshot',
    async () => {
      const dir = tempDir('paceflow-html-');
      const file = join(dir, 'report.html');
      const r = await report({
        cwd: sample.repo.dir,
        db: sample.db,
        env: sample.home.env,
        format: 'table',
        ingest: false,
        now: NOW,
        html: file,
      });
      expect(r.output).toBe(`wrote ${file}\n`);
      expect(readFileSync(file, 'utf8')).toContain('Chart.js v4');
      let browser: BrowserContext | undefined;
      try {
        // A fresh profile in the test's temp dir.
        browser = await chromium.launchPersistentContext(join(dir, 'profile'), {
          executablePath: CHROMIUM,
          headless: true,
          viewport: { width: 1200, height: 900 },
          args: ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--no-first-run'],
        });
        const page = await browser.newPage();
        const problems: string[] = [];
        const requests: string[] = [];
        page.on('console', (m) => {
          if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
        });
        page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
        page.on('request', (q) => {
          if (!q.url().startsWith('file:')) requests.push(q.url());
        });
        await page.goto(`file://${file}`);
        await page.waitForSelector('body[data-charts-drawn]');
        expect(problems).toEqual([]);
        expect(requests).toEqual([]);
        expect(await page.getAttribute('body', 'data-charts-drawn')).toBe('6');
        // Every canvas holds a chart with pixels drawn on it.
        const canvases = await page.$$eval('canvas', (all) =>
          all.map((element) => {
            // (The tests' tsconfig has no DOM library: the canvas is typed by what is used of it.)
            const c = element as unknown as {
              id: string;
              width: number;
              height: number;
              getContext(kind: '2d'): { getImageData(x: number, y: number, w: number, h: number): { data: Uint8ClampedArray } };
            };
            const { data } = c.getContext('2d').getImageData(0, 0, c.width, c.height);
            let painted = 0;
            for (let i = 3; i < data.length; i += 4) if (data[i]! > 0) painted++;
            return { id: c.id, width: c.width, painted };
          }),
        );
        expect(canvases.map((c) => c.id)).toEqual([
          'chart-split',
          'chart-months',
          'chart-providers',
          'chart-churn',
          'chart-heavy',
          'chart-sessions',
        ]);
        for (const c of canvases) expect(c.painted, c.id).toBeGreaterThan(500);
        expect(await page.textContent('.headline')).toBe(
          'AI wrote 44.4% of the non-trivial lines (8 of 18) · coverage 37.5% (3 of 8 commits)',
        );
        const shot = join(dir, 'report.png');
        await page.screenshot({ path: shot, fullPage: true });
        expect(statSync(shot).size).toBeGreaterThan(10_000);
      } finally {
        await browser?.close();
      }
    },
    60_000,
  );
});
