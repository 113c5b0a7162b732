/**
 * Builds the HTML report of results/*.csv (peers from ../shared/benchmarks/<name>/peers.csv when there),
 * writes results/report.html, renders it in headless Chromium (DOM dump + screenshot results/report.png)
 * and checks that the rendered page has the tables and the cactus plots. Exit code 1 on any failure.
 *
 *   node dist/scripts/check-report-render.js [--chromium PATH]
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderReport } from '../src/report/html.js';
import { benchmarkFromFileName, instanceKey, readPeersCsv, readResultsCsv, type PeerTable, type Run } from '../src/report/read-results.js';
import { cactusTimes } from '../src/report/tally.js';

const root = resolve(import.meta.dirname, '..', '..');
const resultsDir = join(root, 'results');
const benchmarksDir = resolve(root, '..', 'shared', 'benchmarks');
const htmlPath = join(resultsDir, 'report.html');
const pngPath = join(resultsDir, 'report.png');

const CHROMIUM_FLAGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function findChromium(): string | undefined {
  const i = process.argv.indexOf('--chromium');
  if (i >= 0) return process.argv[i + 1];
  if (process.env.CHROMIUM) return process.env.CHROMIUM;
  for (const c of ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome']) if (existsSync(c)) return c;
  return undefined;
}

/** Runs Chromium once with a fresh profile directory; returns stdout. */
function chromium(bin: string, args: string[]): string {
  const profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
  try {
    const r = spawnSync(bin, [...CHROMIUM_FLAGS, `--user-data-dir=${profile}`, ...args], {
      encoding: 'utf8',
      timeout: 120_000,
      maxBuffer: 256 * 1024 * 1024,
    });
    if (r.error) throw r.error;
    if (r.status !== 0) throw new Error(`chromium exited with ${r.status ?? r.signal}: ${r.stderr.slice(-2000)}`);
    return r.stdout;
  } finally {
    rmSync(profile, { recursive: true, force: true });
  }
}

const failures: string[] = [];
function check(ok: boolean, what: string): void {
  console.log(`${ok ? 'ok  ' : 'FAIL'} ${what}`);
  if (!ok) failures.push(what);
}
const count = (text: string, re: RegExp) => (text.match(re) ?? []).length;

// 1. Build the report.
const known = existsSync(benchmarksDir) ? readdirSync(benchmarksDir).filter((d) => statSync(join(benchmarksDir, d)).isDirectory()) : [];
// Complete-mode runs first (they get the first colours), then the rest by name.
// `*-instances.csv` are instance lists (inputs of `verify batch`), not results.
const files = readdirSync(resultsDir)
  .filter((f) => f.endsWith('.csv') && !f.endsWith('-instances.csv'))
  .sort((a, b) => Number(a.startsWith('incomplete')) - Number(b.startsWith('incomplete')) || a.localeCompare(b));
// Paths shown in the report are relative to the repository root.
process.chdir(root);
const runs: Run[] = [];
for (const f of files) {
  // "incomplete-alpha-acasxu.csv" belongs to acasxu: prefer a known benchmark named by any '-' part of the name.
  const benchmark = f.replace(/\.csv$/, '').split('-').find((part) => known.includes(part)) ?? benchmarkFromFileName(f);
  runs.push(...readResultsCsv(join('results', f), { benchmark }));
}
const benchmarks = [...new Set(runs.map((r) => r.benchmark))];
const peers: PeerTable[] = [];
for (const b of benchmarks) {
  const p = join(benchmarksDir, b, 'peers.csv');
  if (existsSync(p)) peers.push(readPeersCsv(relative(root, p), b));
}
const html = renderReport({ title: 'tsverify: benchmark results', runs, peers, generatedAt: new Date().toISOString() });
writeFileSync(htmlPath, html);
console.log(`wrote ${htmlPath} (${html.length} bytes): ${files.length} results files, benchmarks ${benchmarks.join(', ')}, peers for ${peers.map((p) => p.benchmark).join(', ') || 'none'}`);

// Series with at least one solved instance each draw one polyline.
let expectedPolylines = 0;
for (const r of runs) if (cactusTimes(r.rows).length > 0) expectedPolylines++;
for (const p of peers) {
  const ours = new Set(runs.filter((r) => r.benchmark === p.benchmark).flatMap((r) => r.rows.map((x) => instanceKey(x.onnx, x.vnnlib))));
  for (const t of p.tools) {
    if (p.rows.some((row) => ours.has(instanceKey(row.onnx, row.vnnlib)) && ['correct', 'unchecked'].includes(row.answers[t].status))) expectedPolylines++;
  }
}

// 2. Static checks: self-contained.
check(!/<script/i.test(html), 'no <script> in the HTML');
check(!/\b(src|href)\s*=\s*["']?\s*(https?:)?\/\//i.test(html) && !/url\(/i.test(html), 'no external resource (src/href to a URL, url())');

// 3. Render.
const bin = findChromium();
if (!bin) {
  console.log('FAIL chromium not found (install it: apt-get install -y chromium, or pass --chromium PATH)');
  process.exit(1);
}
const url = pathToFileURL(htmlPath).href;
let dom = '';
try {
  dom = chromium(bin, ['--dump-dom', url]);
} catch (e) {
  check(false, `chromium --dump-dom: ${(e as Error).message}`);
}
console.log(`rendered DOM: ${dom.length} characters`);
check(count(dom, /<h1>/g) === 1, 'one <h1> title');
check(count(dom, /<table class="summary">/g) === benchmarks.length, `${benchmarks.length} summary tables (found ${count(dom, /<table class="summary">/g)})`);
check(count(dom, /<table class="instances">/g) === benchmarks.length, `${benchmarks.length} per-instance tables (found ${count(dom, /<table class="instances">/g)})`);
check(count(dom, /<details/g) === benchmarks.length, `${benchmarks.length} <details> sections (found ${count(dom, /<details/g)})`);
check(count(dom, /<svg[\s>]/g) === benchmarks.length, `${benchmarks.length} svg cactus plots (found ${count(dom, /<svg[\s>]/g)})`);
const polylines = count(dom, /<polyline /g);
check(polylines === expectedPolylines && polylines > 0, `${expectedPolylines} polylines, one per tool with a solved instance (found ${polylines})`);
const summaryRows = runs.length + peers.reduce((n, p) => n + p.tools.length, 0);
check(count(dom, /<tr class="(ours|peer)">/g) === summaryRows, `${summaryRows} summary rows (runs + peer tools)`);
const instanceRows = count(dom, /<tr( class="wrong")?><td>\d+<\/td>/g);
console.log(`per-instance rows: ${instanceRows}; wrong rows: ${count(dom, /<tr class="wrong">/g)}`);
check(instanceRows > 0, 'per-instance rows present');

// 4. Screenshot.
rmSync(pngPath, { force: true });
try {
  chromium(bin, [`--screenshot=${pngPath}`, '--window-size=1200,2400', '--hide-scrollbars', url]);
} catch (e) {
  check(false, `chromium --screenshot: ${(e as Error).message}`);
}
const png = existsSync(pngPath) ? readFileSync(pngPath) : Buffer.alloc(0);
const isPng = png.length > 24 && png.subarray(1, 4).toString('latin1') === 'PNG';
check(isPng && png.length > 20_000, `screenshot ${pngPath} (${png.length} bytes${isPng ? `, ${png.readUInt32BE(16)}x${png.readUInt32BE(20)}` : ''})`);

if (failures.length > 0) {
  console.log(`${failures.length} check(s) failed`);
  process.exit(1);
}
console.log('all checks passed');
