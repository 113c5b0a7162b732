/**
 * Run `verify` on every instance of a VNN-COMP benchmark folder and compare
 * with expected.csv.
 *
 *   node dist/scripts/run-benchmark.js <benchmark-dir> [--limit N] [--filter REGEX]
 *        [--timeout S | --timeout-scale X] [--out FILE] [--resume] [-- extra verify flags]
 *
 * Writes results/<benchmark>-<date>.csv (one row per instance, appended as
 * soon as it is known; the format of `verify batch`, src/batch/results-csv.ts)
 * and results/<benchmark>-<date>.md (the summary). The CSV starts afresh unless
 * --resume is given (then instances already in it are skipped).
 */
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { instanceKey, readExpectedCsv, readInstancesCsv } from '../src/batch/instances.js';
import { runBatch } from '../src/batch/runner.js';
import { median, SCORING_DESCRIPTION } from '../src/batch/score.js';
import { instanceLine } from '../src/cli/batch-command.js';

interface Args {
  dir: string;
  limit: number;
  filter?: RegExp;
  timeout?: number;
  timeoutScale: number;
  out?: string;
  resume: boolean;
  extra: string[];
}

function parseArgs(argv: string[]): Args {
  const dd = argv.indexOf('--');
  const extra = dd >= 0 ? argv.slice(dd + 1) : [];
  const own = dd >= 0 ? argv.slice(0, dd) : argv;
  const a: Args = { dir: '', limit: Infinity, timeoutScale: 1, resume: false, extra };
  for (let i = 0; i < own.length; i++) {
    const v = own[i];
    if (v === '--limit') a.limit = Number(own[++i]);
    else if (v === '--filter') a.filter = new RegExp(own[++i]);
    else if (v === '--timeout') a.timeout = Number(own[++i]);
    else if (v === '--timeout-scale') a.timeoutScale = Number(own[++i]);
    else if (v === '--out') a.out = own[++i];
    else if (v === '--resume') a.resume = true;
    else if (!a.dir) a.dir = v;
    else throw new Error(`unexpected argument ${v}`);
  }
  if (!a.dir) throw new Error('usage: run-benchmark <benchmark-dir> [--limit N] [--filter RE] [--timeout S] [--out F] [--resume] [-- verify flags]');
  return a;
}

const args = parseArgs(process.argv.slice(2));
const dir = resolve(args.dir);
const name = basename(dir);
const instances = readInstancesCsv(join(dir, 'instances.csv'));
const expected = existsSync(join(dir, 'expected.csv')) ? readExpectedCsv(join(dir, 'expected.csv')) : new Map();

const date = new Date().toISOString().slice(0, 10);
const out = args.out ?? join('results', `${name}-${date}.csv`);
mkdirSync(dirname(resolve(out)), { recursive: true });
const selected = instances.filter((i) => !args.filter || args.filter.test(`${i.onnx},${i.vnnlib}`)).slice(0, args.limit);

// The same runner as `verify batch`: one child process per instance, rows appended as they end.
const batch = await runBatch({
  instances: selected,
  root: dir,
  out,
  benchmark: name,
  expected,
  timeout: args.timeout,
  timeoutScale: args.timeoutScale,
  extraArgs: args.extra,
  fresh: !args.resume,
  onResult: (row, run, { index, total }) => console.log(instanceLine(index, total, row, run)),
});
const tally = batch.summary;

const fmt = (x: number | null, digits: number) => (x === null ? '-' : x.toFixed(digits));

/** The VNN-COMP tools of peers.csv on the same instances: correct answers, median and total time. */
function peerRows(): string[] {
  const file = join(dir, 'peers.csv');
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  const rows = parse(text, { columns: true, skipEmptyLines: true }) as Record<string, string>[];
  const keys = new Set(selected.map((i) => instanceKey(i.onnx, i.vnnlib)));
  const mine = rows.filter((r) => keys.has(instanceKey(r.onnx, r.vnnlib)));
  const tools = Object.keys(rows[0] ?? {})
    .filter((k) => k.endsWith('_result'))
    .map((k) => k.slice(0, -'_result'.length));
  return tools.map((t) => {
    const ok = mine.filter((r) => (r.expected === 'sat' || r.expected === 'unsat') && r[`${t}_result`] === r.expected);
    const times = ok.map((r) => Number(r[`${t}_time`]));
    const total = mine.reduce((s, r) => s + (Number(r[`${t}_time`]) || 0), 0);
    return `| ${t} | ${ok.length} | ${fmt(median(times), 2)} | ${total.toFixed(1)} |`;
  });
}
const peers = peerRows();
const summary = [
  `# ${name} (${date})`,
  '',
  `verify flags: ${args.extra.join(' ') || '(defaults)'}; timeouts ${args.timeout ? `${args.timeout}s` : `instances.csv x ${args.timeoutScale}`}`,
  '',
  '| instances | solved | sat | unsat | wrong | timeout | unknown | error | total time (s) | median solved time (s) | score |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  `| ${tally.total} | ${tally.solved} | ${tally.sat} | ${tally.unsat} | ${tally.wrong} | ${tally.timeout} | ${tally.unknown} | ${tally.errors} | ${tally.totalSeconds.toFixed(1)} | ${fmt(tally.medianSolvedSeconds, 2)} | ${tally.score} |`,
  '',
  `Score: ${SCORING_DESCRIPTION}.`,
  '',
  ...(peers.length
    ? [
        'VNN-COMP tools on the same instances (peers.csv; their hardware, raw times):',
        '',
        '| tool | correct | median time of correct (s) | total time (s) |',
        '| --- | --- | --- | --- |',
        `| this run | ${tally.solved} | ${fmt(tally.medianSolvedSeconds, 2)} | ${tally.totalSeconds.toFixed(1)} |`,
        ...peers,
        '',
      ]
    : []),
  `Per-instance results: ${out}`,
  '',
].join('\n');
writeFileSync(out.replace(/\.csv$/, '.md'), summary);
console.log(summary);
process.exit(tally.wrong > 0 ? 1 : 0);
