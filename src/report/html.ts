import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { formatCell, headerText } from './cells.js';
import type { ReportDocument } from './document.js';
import {
  churnSentence,
  displayPath,
  headline,
  heavySentence,
  providerDetail,
  providerLabel,
  sessionSentence,
  splitLegend,
} from './summary.js';

/**
 * `paceflow report --html <file>`: one self-contained page — no request leaves it at view time —
 * with charts where people would rather look than read (AI share by month, by provider and model,
 * AI versus non-AI churn, heavy-AI outcomes, sessions over time) drawn by Chart.js, embedded whole,
 * and the tables beneath. The figures travel as JSON inside the page; the script only draws them.
 */

/** Chart.js's UMD build, embedded in the page (read once, from the installed package). */
export function chartLibrary(): string {
  // The package exports no path to its UMD build, so it is found beside its CommonJS entry (dist/).
  const entry = createRequire(import.meta.url).resolve('chart.js');
  return readFileSync(join(dirname(entry), 'chart.umd.min.js'), 'utf8');
}

const escapeHtml = (text: string) =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');

/** JSON that is safe inside <script>: no `</script>`, no `<!--`, no line separators. */
const scriptJson = (value: unknown) =>
  JSON.stringify(value)
    .replace(/</g, '\\u003c')
    .replace(/\u2028/g, '\\u2028')
    .replace(/\u2029/g, '\\u2029');

/** The data the charts draw: every number from the figures (views), none computed here. */
function chartData(doc: ReportDocument) {
  const f = doc.figures;
  const r = f?.repository ?? null;
  return {
    months: (f?.months ?? []).map((m) => ({ month: m.month, ai_share: m.ai_share, coverage: m.coverage })),
    providers: (f?.providers ?? []).map((p) => ({ label: providerLabel(p), ai_lines: p.ai_lines })),
    split: r ? { ai: r.ai_lines, nonai: r.nonai_lines, untracked: r.untracked_lines } : null,
    churn: r && r.churn_window_days !== null ? { window: r.churn_window_days, ai: r.ai_churn_rate, nonai: r.nonai_churn_rate } : null,
    heavy: r
      ? { commits: r.heavy_ai_commits, merged: r.heavy_ai_merged, reverted: r.heavy_ai_reverted, churned: r.heavy_ai_churned }
      : null,
    sessions: (f?.sessionMonths ?? []).map((m) => ({ month: m.month, sessions: m.sessions, loops: m.sessions_with_debug_loop })),
  };
}

/** The page's drawing script: one chart per canvas, or a line saying there is nothing to draw yet. */
const DRAW = `
(function () {
  var data = JSON.parse(document.getElementById('paceflow-data').textContent);
  Chart.defaults.animation = false;
  Chart.defaults.font.family = 'system-ui, sans-serif';
  var AI = '#8e44ad', NONAI = '#27ae60', UNTRACKED = '#b0b0b0';
  var pct = function (v) { return v === null ? null : Math.round(v * 1000) / 10; };
  var drawn = 0;
  function chart(id, ready, config) {
    var canvas = document.getElementById(id);
    if (!ready) { canvas.parentNode.replaceChild(Object.assign(document.createElement('p'), { className: 'empty', textContent: 'Nothing to draw yet.' }), canvas); return; }
    new Chart(canvas, config);
    drawn++;
  }
  var percentAxis = { beginAtZero: true, max: 100, ticks: { callback: function (v) { return v + '%'; } } };
  chart('chart-split', data.split && data.split.ai + data.split.nonai + data.split.untracked > 0, {
    type: 'doughnut',
    data: { labels: ['AI', 'non-AI', 'untracked'], datasets: [{ data: data.split ? [data.split.ai, data.split.nonai, data.split.untracked] : [], backgroundColor: [AI, NONAI, UNTRACKED] }] },
    options: { plugins: { title: { display: true, text: 'Non-trivial lines: AI, non-AI, untracked' } } }
  });
  chart('chart-months', data.months.length > 0, {
    type: 'bar',
    data: { labels: data.months.map(function (m) { return m.month; }), datasets: [
      { label: 'AI share (%)', data: data.months.map(function (m) { return pct(m.ai_share); }), backgroundColor: AI },
      { label: 'coverage (%)', type: 'line', data: data.months.map(function (m) { return pct(m.coverage); }), borderColor: UNTRACKED }
    ] },
    options: { scales: { y: percentAxis }, plugins: { title: { display: true, text: 'AI share of non-trivial added lines, by month' } } }
  });
  chart('chart-providers', data.providers.length > 0, {
    type: 'bar',
    data: { labels: data.providers.map(function (p) { return p.label; }), datasets: [{ label: 'AI lines', data: data.providers.map(function (p) { return p.ai_lines; }), backgroundColor: AI }] },
    options: { indexAxis: 'y', plugins: { title: { display: true, text: 'AI lines by provider and model' } } }
  });
  chart('chart-churn', data.churn !== null, {
    type: 'bar',
    data: { labels: ['AI lines', 'other lines'], datasets: [{ label: 'churned within the window (%)', data: data.churn ? [pct(data.churn.ai), pct(data.churn.nonai)] : [], backgroundColor: [AI, NONAI] }] },
    options: { scales: { y: percentAxis }, plugins: { title: { display: true, text: data.churn ? 'Churn within ' + data.churn.window + ' days on mainline' : 'Churn' } } }
  });
  chart('chart-heavy', data.heavy !== null && data.heavy.commits > 0, {
    type: 'bar',
    data: { labels: ['heavy-AI commits', 'reached mainline', 'reverted later', 'churned'], datasets: [{ label: 'commits', data: data.heavy ? [data.heavy.commits, data.heavy.merged, data.heavy.reverted, data.heavy.churned] : [], backgroundColor: [AI, NONAI, '#c0392b', '#e67e22'] }] },
    options: { plugins: { title: { display: true, text: 'What became of heavy-AI commits' } } }
  });
  chart('chart-sessions', data.sessions.length > 0, {
    type: 'bar',
    data: { labels: data.sessions.map(function (m) { return m.month; }), datasets: [
      { label: 'sessions', data: data.sessions.map(function (m) { return m.sessions; }), backgroundColor: AI },
      { label: 'with a repeated debug loop', data: data.sessions.map(function (m) { return m.loops; }), backgroundColor: '#e67e22' }
    ] },
    options: { plugins: { title: { display: true, text: 'Sessions by month' } } }
  });
  document.body.setAttribute('data-charts-drawn', String(drawn));
})();
`;

const CSS = `
body { font: 15px/1.5 system-ui, sans-serif; margin: 2rem auto; max-width: 1100px; padding: 0 1rem; color: #222; }
h1 { font-size: 1.5rem; margin-bottom: 0; } .where { color: #666; margin-top: 0; }
.headline { font-size: 1.2rem; font-weight: 600; }
.charts { display: grid; grid-template-columns: repeat(auto-fit, minmax(320px, 1fr)); gap: 1.5rem; margin: 1.5rem 0; }
.charts figure { margin: 0; min-height: 260px; } .empty { color: #888; }
table { border-collapse: collapse; margin: .5rem 0 1.5rem; font-size: 13px; display: block; overflow-x: auto; }
th, td { border-bottom: 1px solid #ddd; padding: 3px 8px; text-align: left; white-space: nowrap; } td.n { text-align: right; }
h2 { font-size: 1.1rem; margin-top: 2rem; } footer { color: #888; font-size: 12px; margin-top: 2rem; }
`;

function htmlTable(columns: string[], rows: Record<string, unknown>[], names: ReadonlyMap<string, string>): string {
  const head = columns.map((c) => `<th>${escapeHtml(headerText(c))}</th>`).join('');
  const body = rows
    .map(
      (row) =>
        `<tr>${columns
          .map((c) => `<td${typeof row[c] === 'number' ? ' class="n"' : ''}>${escapeHtml(formatCell(c, row[c], names))}</td>`)
          .join('')}</tr>`,
    )
    .join('\n');
  return `<table><thead><tr>${head}</tr></thead><tbody>\n${body}\n</tbody></table>`;
}

function summaryHtml(doc: ReportDocument): string {
  const r = doc.figures?.repository;
  if (!r) return '<p>No commits recorded for this repository yet.</p>';
  const where = `${displayPath(r.root_path)} · ${r.mainline_branch ? `mainline ${r.mainline_branch}` : 'no mainline'}`;
  const lines = [heavySentence(r), churnSentence(r), sessionSentence(r)].filter((s): s is string => s !== null);
  const providers = (doc.figures?.providers ?? [])
    .map((p) => `<li>${escapeHtml(`${providerLabel(p)}: ${providerDetail(p)}`)}</li>`)
    .join('');
  return [
    `<h1>paceflow · ${escapeHtml(r.name)}</h1>`,
    `<p class="where">${escapeHtml(where)}</p>`,
    r.is_shallow ? '<p><strong>The history is shallow: counts are partial.</strong></p>' : '',
    `<p class="headline">${escapeHtml(headline(r))}</p>`,
    r.nontrivial_added_lines > 0 ? `<p>Lines: ${escapeHtml(splitLegend(r))}</p>` : '',
    providers ? `<p>By provider and model:</p><ul>${providers}</ul>` : '',
    `<ul>${lines.map((l) => `<li>${escapeHtml(l)}</li>`).join('')}</ul>`,
  ]
    .filter(Boolean)
    .join('\n');
}

const CHARTS = ['chart-split', 'chart-months', 'chart-providers', 'chart-churn', 'chart-heavy', 'chart-sessions'];

/** The page; `library` is Chart.js's source (the tests pass a stand-in to keep snapshots short). */
export function renderHtmlReport(doc: ReportDocument, library = chartLibrary()): string {
  const names = new Map(doc.repositories.map((r) => [r.repo_id, r.name]));
  const title = doc.figures?.repository ? `paceflow · ${doc.figures.repository.name}` : 'paceflow';
  const tables = [...(doc.range ? [doc.range] : []), ...doc.views.filter((v) => v.rows.length > 0)]
    .map((t) => `<h2>${escapeHtml(t.name)}</h2>\n${htmlTable(t.columns, t.rows, names)}`)
    .join('\n');
  const empty = doc.views.filter((v) => v.rows.length === 0).map((v) => v.name);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data:">
<title>${escapeHtml(title)}</title>
<style>${CSS}</style>
</head>
<body>
${summaryHtml(doc)}
<section class="charts">
${CHARTS.map((id) => `<figure><canvas id="${id}" role="img"></canvas></figure>`).join('\n')}
</section>
${tables}
${empty.length > 0 ? `<p class="empty">No rows yet: ${escapeHtml(empty.join(', '))}</p>` : ''}
<footer>paceflow ${escapeHtml(doc.version)} · generated ${escapeHtml(doc.generatedAt)} · commits without transcript, note or trailer evidence are untracked, never counted as human.</footer>
<script id="paceflow-data" type="application/json">${scriptJson(chartData(doc))}</script>
<script>${library.replace(/<\/script/gi, '<\\/script')}</script>
<script>${DRAW}</script>
</body>
</html>
`;
}
