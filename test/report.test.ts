import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { escapeHtml, renderReport } from '../src/report/html.js';
import { cactusSvg, linearTicks, logTicks } from '../src/report/cactus-svg.js';
import {
  benchmarkFromFileName,
  classify,
  CsvFormatError,
  parsePeersCsv,
  parseResultsCsv,
  type Run,
} from '../src/report/read-results.js';
import { cactusTimes, median, tally } from '../src/report/tally.js';
import { loadReportInput, reportCommand } from '../src/cli/report-command.js';

const tmp = mkdtempSync(join(tmpdir(), 'verify-report-'));

const LEGACY = `onnx,vnnlib,timeout,verdict,expected,seconds,status
onnx/net_a.onnx,vnnlib/p1.vnnlib,60,unsat,unsat,1.50,solved
onnx/net_a.onnx,vnnlib/p2.vnnlib,60,sat,sat,0.40,solved
onnx/net_a.onnx,vnnlib/p3.vnnlib,60,sat,unsat,2.00,WRONG
onnx/net_a.onnx,vnnlib/p4.vnnlib,60,timeout,unsat,60.10,timeout
onnx/net_a.onnx,vnnlib/p5.vnnlib,60,unknown,,3.00,unknown
onnx/net_a.onnx,vnnlib/p6.vnnlib,60,error,sat,0.10,error
onnx/net_a.onnx,vnnlib/p7.vnnlib,60,unsat,unknown,9.00,solved
`;

const BATCH = `benchmark,onnx,vnnlib,timeout,result,expected,seconds,status
acasxu,onnx/A.onnx,vnnlib/prop_1.vnnlib,116,unsat,unsat,1.81,correct
acasxu,onnx/A.onnx,vnnlib/prop_2.vnnlib,116,sat,sat,0.81,correct
mnist_fc,onnx/m.onnx,vnnlib/q0.vnnlib,120,sat,unknown,0.5,wrong
mnist_fc,onnx/m.onnx,vnnlib/q1.vnnlib,120,timeout,unsat,120.2,unsolved
`;

const PEERS = `# VNN-COMP 2022 results <b>bold</b>
# columns: whatever
onnx,vnnlib,expected,votes_sat,votes_unsat,toolx_result,toolx_time,tooly_result,tooly_time
onnx/net_a.onnx,vnnlib/p1.vnnlib,unsat,0,2,unsat,3.0,unsat,30.0
onnx/net_a.onnx,vnnlib/p2.vnnlib,sat,1,0,sat,1.0,timeout,60.0
onnx/net_a.onnx,vnnlib/p3.vnnlib,unsat,0,1,unsat,2.5,sat_penalized,5.0
onnx/net_a.onnx,vnnlib/p4.vnnlib,unsat,0,1,unsat,40.0,error,0.3
onnx/other.onnx,vnnlib/x.vnnlib,unsat,0,2,unsat,0.1,unsat,0.1
`;

function legacyRun(): Run {
  const runs = parseResultsCsv(LEGACY, 'tiny-complete.csv');
  assert.equal(runs.length, 1);
  return runs[0];
}

/** The cells of the summary row whose header cell is `label`. */
function summaryCells(html: string, label: string): string[] {
  const row = new RegExp(`<tr class="(?:ours|peer)"><th scope="row">${label}</th>(.*?)</tr>`).exec(html);
  assert.ok(row, `summary row of ${label}`);
  return [...row[1].matchAll(/<td[^>]*>(.*?)<\/td>/g)].map((m) => m[1].replace(/<[^>]+>/g, ''));
}

test('legacy CSV: benchmark from the file name, rows re-classified', () => {
  const run = legacyRun();
  assert.equal(run.benchmark, 'tiny');
  assert.equal(run.label, 'tiny-complete');
  assert.deepEqual(
    run.rows.map((r) => r.status),
    ['correct', 'correct', 'wrong', 'unsolved', 'unsolved', 'error', 'unchecked'],
  );
  assert.equal(run.rows[3].seconds, 60.1);
  assert.equal(run.rows[4].expected, 'unknown');
  assert.equal(benchmarkFromFileName('/x/mnist_fc-complete-30s.csv'), 'mnist_fc');
  assert.equal(parseResultsCsv(LEGACY, 'tiny-complete.csv', { benchmark: 'given' })[0].benchmark, 'given');
});

test('batch CSV: one run per benchmark column value; a wrong status in the file is kept', () => {
  const runs = parseResultsCsv(BATCH, 'out/batch.csv', { benchmark: 'ignored' });
  assert.deepEqual(runs.map((r) => [r.benchmark, r.label, r.rows.length]), [['acasxu', 'batch', 2], ['mnist_fc', 'batch', 2]]);
  assert.equal(runs[1].rows[0].status, 'wrong', 'sat with expected unknown but marked wrong (refuted counterexample)');
  assert.equal(classify('sat', 'unknown'), 'unchecked');
  assert.equal(classify('unsat', 'sat'), 'wrong');
  assert.equal(classify('timeout', 'sat', true), 'unsolved');
});

test('malformed results files are CsvFormatErrors naming file and line', () => {
  assert.throws(() => parseResultsCsv('a,b\n1,2\n', 'bad.csv'), (e: Error) => e instanceof CsvFormatError && /bad\.csv: not a results file/.test(e.message));
  assert.throws(
    () => parseResultsCsv('onnx,vnnlib,result,seconds\na,b,maybe,1\n', 'odd.csv'),
    (e: Error) => e instanceof CsvFormatError && /odd\.csv:2: unknown result 'maybe'/.test(e.message),
  );
  assert.throws(() => parseResultsCsv('', 'empty.csv'), CsvFormatError);
});

test('tally: counts, times and VNN-COMP score (+10 correct, -150 wrong)', () => {
  const t = tally(legacyRun().rows);
  assert.deepEqual(
    { ...t },
    {
      instances: 7,
      solved: 3,
      unchecked: 1,
      sat: 1,
      unsat: 2,
      wrong: 1,
      unsolved: 2,
      errors: 1,
      totalSeconds: 1.5 + 0.4 + 2 + 60.1 + 3 + 0.1 + 9,
      medianSolvedSeconds: 1.5,
      score: 3 * 10 - 150,
    },
  );
  assert.equal(median([3, 1, 2, 10]), 2.5);
  assert.ok(Number.isNaN(median([])));
  assert.deepEqual(cactusTimes(legacyRun().rows), [0.4, 1.5, 9]);
});

test('peers: comments skipped, penalized answers wrong, restricted to our instances in the report', () => {
  const peers = parsePeersCsv(PEERS, 'peers.csv', 'tiny');
  assert.deepEqual(peers.tools, ['toolx', 'tooly']);
  assert.equal(peers.notes[0], 'VNN-COMP 2022 results <b>bold</b>');
  assert.equal(peers.rows.length, 5);
  assert.deepEqual(peers.rows[2].answers.tooly, { result: 'sat', seconds: 5, penalized: true, status: 'wrong' });
  const html = renderReport({ title: 'T', runs: [legacyRun()], peers: [peers] });
  // toolx: 4 of our instances, all correct; other.onnx is not one of ours.
  assert.deepEqual(summaryCells(html, 'toolx'), ['peer', '4', '4', '1', '3', '0', '0', '0', '46.5', '2.75', '40']);
  // tooly: 1 correct, 1 wrong (penalized), 1 timeout, 1 error.
  assert.deepEqual(summaryCells(html, 'tooly'), ['peer', '4', '1', '0', '1', '1', '1', '1', '95.3', '30.00', String(10 - 150)]);
  assert.match(html, /restricted to the 4 of our 7 instances/);
  assert.match(html, /VNN-COMP 2022 results &lt;b&gt;bold&lt;\/b&gt;/);
  assert.equal((html.match(/<polyline /g) ?? []).length, 3, 'ours, toolx, tooly');
});

test('report HTML: summary counts, score, per-instance table, wrong answers highlighted', () => {
  const html = renderReport({ title: 'Results', runs: [legacyRun()] });
  assert.deepEqual(summaryCells(html, 'tiny-complete'), ['ours', '7', '3 (1 unchecked)', '1', '2', '1', '2', '1', '76.1', '1.50', '-120']);
  assert.equal((html.match(/<table class="summary">/g) ?? []).length, 1);
  assert.equal((html.match(/<table class="instances">/g) ?? []).length, 1);
  assert.equal((html.match(/<tr class="wrong">/g) ?? []).length, 1);
  assert.match(html, /<td class="st-wrong" title="WRONG"><b>WRONG<\/b> sat <span class="t">2\.00<\/span><\/td>/);
  assert.match(html, /<details open>/, 'opened when there is a wrong answer');
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /\b(src|href)\s*=\s*["']?(https?:)?\/\//i, 'no external resource');
});

test('escaping: HTML in file names, labels, benchmark names and title is inert', () => {
  const evil = `benchmark,onnx,vnnlib,timeout,result,expected,seconds,status
"<b>bench</b>","onnx/<script>alert(1)</script>.onnx","vnnlib/""><img src=x onerror=alert(2)>.vnnlib",10,sat,sat,1,correct
"<b>bench</b>",onnx/a&b.onnx,vnnlib/it's.vnnlib,10,unsat,sat,1,wrong
`;
  const runs = parseResultsCsv(evil, '<u>run"&.csv');
  const html = renderReport({ title: '<script>alert(3)</script> & "T"', runs });
  assert.doesNotMatch(html, /<script/i);
  assert.doesNotMatch(html, /<img/i);
  assert.doesNotMatch(html, /<b>bench<\/b>|<u>run/);
  assert.match(html, /&lt;script&gt;alert\(1\)&lt;\/script&gt;\.onnx/);
  assert.match(html, /vnnlib\/&quot;&gt;&lt;img src=x onerror=alert\(2\)&gt;\.vnnlib/);
  assert.match(html, /<title>&lt;script&gt;alert\(3\)&lt;\/script&gt; &amp; &quot;T&quot;<\/title>/);
  assert.match(html, /data-series="&lt;u&gt;run&quot;&amp;"/);
  assert.match(html, /onnx\/a&amp;b\.onnx/);
  assert.match(html, /it&#39;s\.vnnlib/);
  assert.equal(escapeHtml(`<>&"'`), '&lt;&gt;&amp;&quot;&#39;');
});

test('cactus: one polyline per tool, x = 1..k, times non-decreasing (y going up), log ticks', () => {
  const svg = cactusSvg(
    [
      { label: 'ours', times: [0.004, 0.5, 0.5, 2, 30], kind: 'ours' },
      { label: 'peer', times: [1, 7, 100], kind: 'peer' },
      { label: 'nothing', times: [], kind: 'peer' },
    ],
    { title: 't', instances: 6 },
  );
  const lines = [...svg.matchAll(/<polyline [^>]*points="([^"]+)"/g)].map((m) => m[1].split(' ').map((p) => p.split(',').map(Number)));
  assert.equal(lines.length, 2, 'no polyline for a tool that solved nothing');
  assert.deepEqual(lines.map((l) => l.length), [5, 3]);
  for (const l of lines) {
    for (let k = 1; k < l.length; k++) {
      assert.ok(l[k][0] > l[k - 1][0], 'x increases');
      assert.ok(l[k][1] <= l[k - 1][1], 'time does not decrease (SVG y does not increase)');
    }
  }
  assert.ok(lines[0][1][1] === lines[0][2][1], 'equal times, equal height');
  assert.match(svg, /number of instances solved \(of 6\)/);
  assert.match(svg, /time per instance \(s, log scale\)/);
  assert.match(svg, /ours \(5\)/);
  assert.match(svg, /nothing \(0\)/);
  assert.deepEqual(logTicks(0.1, 10).filter((t) => t.major).map((t) => t.value), [0.1, 1, 10]);
  assert.deepEqual(logTicks(1, 1000).map((t) => t.value), [1, 10, 100, 1000]);
  assert.deepEqual(linearTicks(186).slice(0, 3), [0, 50, 100]);
  assert.deepEqual(linearTicks(4), [0, 1, 2, 3, 4]);
  // Nothing solved at all: still a plot, with a note.
  assert.match(cactusSvg([{ label: 'a', times: [], kind: 'ours' }], { title: 't', instances: 3 }), /no instance solved/);
});

function writeFixtures(): { legacy: string; batch: string; peers: string } {
  mkdirSync(join(tmp, 'tiny'), { recursive: true });
  const legacy = join(tmp, 'tiny-complete.csv');
  const batch = join(tmp, 'batch.csv');
  const peers = join(tmp, 'tiny', 'peers.csv');
  writeFileSync(legacy, LEGACY);
  writeFileSync(batch, BATCH);
  writeFileSync(peers, PEERS);
  return { legacy, batch, peers };
}

/** Runs the report subcommand the way main.ts would host it. */
async function cli(...args: string[]): Promise<void> {
  const program = new Command('verify').exitOverride().configureOutput({ writeErr: () => {}, writeOut: () => {} });
  program.addCommand(reportCommand());
  await program.parseAsync(['report', ...args], { from: 'user' });
}

test('report command: writes the HTML; peers matched by folder or NAME=', async () => {
  const f = writeFixtures();
  const out = join(tmp, 'sub', 'r.html');
  await cli(f.legacy, f.batch, '--peers', f.peers, '--out', out, '--title', 'My <title>');
  const html = readFileSync(out, 'utf8');
  assert.match(html, /<h1>My &lt;title&gt;<\/h1>/);
  assert.equal((html.match(/<section class="benchmark"/g) ?? []).length, 3, 'tiny, acasxu, mnist_fc');
  assert.match(html, /<th scope="row">toolx<\/th>/);
  const input = loadReportInput([f.batch, f.batch], { peers: [`acasxu=${f.peers}`], title: 't' });
  assert.deepEqual(input.runs.map((r) => r.label), ['batch', 'batch', 'batch (2)', 'batch (2)']);
  assert.equal(input.peers?.[0].benchmark, 'acasxu');
});

test('report command: bad input is a UsageError or fs error, bad flags exit code 2', async () => {
  const f = writeFixtures();
  const bad = join(tmp, 'bad.csv');
  writeFileSync(bad, 'x,y\n1,2\n');
  await assert.rejects(cli(bad), (e: Error) => e.name === 'UsageError' && /bad\.csv: not a results file/.test(e.message));
  await assert.rejects(cli(join(tmp, 'nope.csv')), (e: Error) => e.name === 'InputFileError' && /nope\.csv: cannot open the results CSV: no such file/.test(e.message));
  await assert.rejects(cli(f.batch, '--peers', f.peers), (e: Error) => e.name === 'UsageError' && /NAME=/.test(e.message));
  await assert.rejects(cli(f.legacy, '--peers', `nope=${f.peers}`), (e: Error) => e.name === 'UsageError' && /no results of benchmark 'nope'/.test(e.message));
  await assert.rejects(cli('--bogus'), (e: Error) => e instanceof CommanderError && e.exitCode === 2);
  await assert.rejects(cli(), (e: Error) => e instanceof CommanderError && e.exitCode === 2);
});

const CHROMIUM = '/usr/bin/chromium';

test(
  'renders in headless Chromium: tables and cactus polylines in the DOM, no injected elements',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} not installed (apt-get install -y chromium); skipping the browser render check` },
  () => {
    const runs = [
      legacyRun(),
      ...parseResultsCsv('onnx,vnnlib,result,seconds\n"<img src=x onerror=alert(1)>.onnx",p.vnnlib,unsat,1\n', 'evil-run.csv'),
    ];
    const file = join(tmp, 'render.html');
    writeFileSync(file, renderReport({ title: 'render check', runs, peers: [parsePeersCsv(PEERS, 'peers.csv', 'tiny')] }));
    const profile = mkdtempSync(join(tmpdir(), 'report-chromium-'));
    try {
      const r = spawnSync(
        CHROMIUM,
        [
          '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
          '--disable-component-update', '--disable-sync', `--user-data-dir=${profile}`, '--dump-dom', pathToFileURL(file).href,
        ],
        { encoding: 'utf8', timeout: 120_000 },
      );
      assert.equal(r.status, 0, r.stderr);
      const dom = r.stdout;
      assert.equal((dom.match(/<table class="summary">/g) ?? []).length, 2);
      assert.equal((dom.match(/<table class="instances">/g) ?? []).length, 2);
      assert.equal((dom.match(/<svg[\s>]/g) ?? []).length, 2);
      assert.equal((dom.match(/<polyline /g) ?? []).length, 4, 'tiny: ours, toolx, tooly; evil: ours');
      assert.doesNotMatch(dom, /<img/i, 'file name rendered as text, not as an element');
      assert.match(dom, /&lt;img src=x onerror=alert\(1\)&gt;\.onnx/);
    } finally {
      rmSync(profile, { recursive: true, force: true });
    }
  },
);
