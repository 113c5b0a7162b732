/**
 * The single-file HTML report: pure function from loaded results (and peers) to an HTML string.
 * Self-contained: inline CSS, inline SVG plots, no script, no external resource.
 */
import { cactusSvg, type CactusSeries } from './cactus-svg.js';
import { escapeHtml } from './html-escape.js';
import type { PeerTable, Run } from './read-results.js';
import { instanceTable, peerToolAnswers, summaryTable } from './results-table.js';
import { cactusTimes, groupBenchmarks, SCORE_CORRECT, SCORE_WRONG, tally, type BenchmarkData } from './tally.js';

export { escapeHtml } from './html-escape.js';

export interface ReportInput {
  readonly title: string;
  readonly runs: readonly Run[];
  /** One peers table per benchmark at most; tables of benchmarks without runs are ignored. */
  readonly peers?: readonly PeerTable[];
  /** Shown under the title (e.g. an ISO date); left out when absent, so the output is reproducible. */
  readonly generatedAt?: string;
}

const CSS = `
:root { color-scheme: light; }
body { font-family: system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; margin: 24px 32px; color: #1a1a1a; background: #fafafa; line-height: 1.4; }
h1 { font-size: 26px; margin: 0 0 6px; }
h2 { font-size: 21px; margin: 0 0 10px; border-bottom: 2px solid #1f5fbf; padding-bottom: 4px; }
.meta, .note { color: #555; font-size: 13px; }
.note { font-weight: normal; }
section.benchmark { background: #fff; border: 1px solid #ddd; border-radius: 6px; padding: 16px 20px; margin: 18px 0; }
nav a { margin-right: 14px; }
table { border-collapse: collapse; font-size: 13px; margin: 6px 0 12px; }
th, td { border: 1px solid #d4d4d4; padding: 3px 8px; text-align: right; vertical-align: top; }
thead th { background: #eef2f8; text-align: center; }
tbody th { text-align: left; font-weight: 600; }
table.summary tr.peer { color: #444; background: #f7f7f7; }
td.score { font-weight: 600; }
td.kind { text-align: center; white-space: nowrap; }
table.summary tbody th { white-space: nowrap; }
td.bad { background: #fbd0d0; color: #8b0000; font-weight: 700; }
td.path { text-align: left; overflow-wrap: anywhere; min-width: 13em; max-width: 26em; font-family: ui-monospace, "SFMono-Regular", Menlo, Consolas, monospace; font-size: 12px; }
table.instances td { white-space: nowrap; }
table.instances td.path { white-space: normal; }
td .t { color: #666; font-size: 12px; }
td.st-correct { background: #e9f6ec; }
td.st-unchecked { background: #eef3fb; }
td.st-unsolved { color: #777; }
td.st-error { background: #fff1d6; }
td.st-missing { color: #aaa; text-align: center; }
td.st-wrong { background: #f44; color: #fff; font-weight: 700; }
td.st-wrong .t { color: #fff; }
tr.wrong td:first-child { box-shadow: inset 4px 0 0 #d00; }
figure { margin: 8px 0 12px; }
figcaption { color: #555; font-size: 13px; }
details { margin-top: 8px; }
details > summary { cursor: pointer; font-weight: 600; font-size: 14px; }
.legend span { display: inline-block; padding: 1px 6px; margin-right: 6px; border: 1px solid #ddd; font-size: 12px; }
svg.cactus { max-width: 100%; height: auto; }
.scroll { overflow-x: auto; }
`;

function anchor(name: string, i: number): string {
  return `b${i}-${name.toLowerCase().replace(/[^a-z0-9_-]+/g, '_')}`;
}

function cactusSeries(b: BenchmarkData): CactusSeries[] {
  const series: CactusSeries[] = b.runs.map((r) => ({ label: r.label, times: cactusTimes(r.rows), kind: 'ours' }));
  for (const tool of b.peers?.tools ?? []) series.push({ label: tool, times: cactusTimes(peerToolAnswers(b, tool)), kind: 'peer' });
  return series;
}

function benchmarkSection(b: BenchmarkData, i: number): string {
  const wrong = b.runs.reduce((n, r) => n + tally(r.rows).wrong, 0);
  const notes: string[] = [];
  notes.push(`Results: ${b.runs.map((r) => `<code>${escapeHtml(r.source)}</code>`).join(', ')}.`);
  if (b.peers) {
    notes.push(
      `Peers: <code>${escapeHtml(b.peers.source)}</code>, restricted to the ${b.peerMatched} of our ${b.instances.length} instances it lists` +
        ` (${b.peers.rows.length} rows in the file).`,
    );
    for (const n of b.peers.notes) notes.push(escapeHtml(n));
  }
  const wrongNote = wrong > 0 ? ` \u2014 <span class="bad-text" style="color:#b00">${wrong} wrong</span>` : '';
  return [
    `<section class="benchmark" id="${anchor(b.name, i)}">`,
    `<h2>${escapeHtml(b.name)} <span class="note">(${b.instances.length} instances)</span></h2>`,
    summaryTable(b),
    ...notes.map((n) => `<p class="note">${n}</p>`),
    '<figure>',
    cactusSvg(cactusSeries(b), { title: `Cactus plot: ${b.name}`, instances: b.instances.length }),
    `<figcaption>Cactus plot of ${escapeHtml(b.name)}: the k-th point of a tool is the time it needs for its k-th fastest solved instance` +
      ' (wrong answers are not counted). Solid: this tool; dashed: peers (their times include tool start-up, on their hardware).</figcaption>',
    '</figure>',
    `<details${wrong > 0 ? ' open' : ''}><summary>Per-instance results (${b.instances.length} instances${wrongNote})</summary>`,
    '<p class="legend"><span class="st-correct" style="background:#e9f6ec">correct</span><span style="background:#f44;color:#fff">WRONG</span>' +
      '<span style="background:#eef3fb">no ground truth</span><span style="color:#777">timeout / unknown</span><span style="background:#fff1d6">error</span></p>',
    `<div class="scroll">${instanceTable(b)}</div>`,
    '</details>',
    '</section>',
  ].join('\n');
}

export function renderReport(input: ReportInput): string {
  const benchmarks = groupBenchmarks(input.runs, input.peers ?? []);
  const sources = [...new Set(input.runs.map((r) => r.source))];
  const nav =
    benchmarks.length > 1
      ? `<nav>${benchmarks.map((b, i) => `<a href="#${anchor(b.name, i)}">${escapeHtml(b.name)}</a>`).join('')}</nav>`
      : '';
  return [
    '<!DOCTYPE html>',
    '<html lang="en">',
    '<head>',
    '<meta charset="utf-8">',
    '<meta name="viewport" content="width=device-width, initial-scale=1">',
    `<title>${escapeHtml(input.title)}</title>`,
    `<style>${CSS}</style>`,
    '</head>',
    '<body>',
    `<h1>${escapeHtml(input.title)}</h1>`,
    `<p class="meta">${benchmarks.length} benchmark(s), ${sources.length} results file(s)` +
      (input.generatedAt ? `, generated ${escapeHtml(input.generatedAt)}` : '') +
      `. Score as in VNN-COMP: +${SCORE_CORRECT} per correct answer, ${SCORE_WRONG} per wrong one, 0 otherwise;` +
      ' an answer without ground truth (expected unknown) counts as solved. Total time sums all instances; median over solved ones.</p>',
    nav,
    ...benchmarks.map(benchmarkSection),
    benchmarks.length === 0 ? '<p>No results.</p>' : '',
    '</body>',
    '</html>',
    '',
  ].join('\n');
}
