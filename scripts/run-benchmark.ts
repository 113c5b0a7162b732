/**
 * Run `verify` on every instance of a VNN-COMP benchmark folder and compare
 * with expected.csv.
 *
 *   node dist/scripts/run-benchmark.js <benchmark-dir> [--limit N] [--filter REGEX]
 *        [--timeout S | --timeout-scale X] [--out FILE] [-- extra verify flags]
 *
 * Writes results/<benchmark>-<date>.csv (one row per instance, appended as
 * soon as it is known) and results/<benchmark>-<date>.md (the summary).
 */
import { spawnSync } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';

interface Args {
  dir: string;
  limit: number;
  filter?: RegExp;
  timeout?: number;
  timeoutScale: number;
  out?: string;
  extra: string[];
}

function parseArgs(argv: string[]): Args {
  const dd = argv.indexOf('--');
  const extra = dd >= 0 ? argv.slice(dd + 1) : [];
  const own = dd >= 0 ? argv.slice(0, dd) : argv;
  const a: Args = { dir: '', limit: Infinity, timeoutScale: 1, extra };
  for (let i = 0; i < own.length; i++) {
    const v = own[i];
    if (v === '--limit') a.limit = Number(own[++i]);
    else if (v === '--filter') a.filter = new RegExp(own[++i]);
    else if (v === '--timeout') a.timeout = Number(own[++i]);
    else if (v === '--timeout-scale') a.timeoutScale = Number(own[++i]);
    else if (v === '--out') a.out = own[++i];
    else if (!a.dir) a.dir = v;
    else throw new Error(`unexpected argument ${v}`);
  }
  if (!a.dir) throw new Error('usage: run-benchmark <benchmark-dir> [--limit N] [--filter RE] [--timeout S] [--out F] [-- verify flags]');
  return a;
}

const args = parseArgs(process.argv.slice(2));
const dir = resolve(args.dir);
const name = basename(dir);
const instances = (parse(readFileSync(join(dir, 'instances.csv'), 'utf8'), { skipEmptyLines: true }) as string[][]).map(
  ([onnx, vnnlib, timeout]) => ({ onnx: onnx.trim(), vnnlib: vnnlib.trim(), timeout: Number(timeout) }),
);
const expected = new Map<string, string>();
if (existsSync(join(dir, 'expected.csv'))) {
  for (const r of parse(readFileSync(join(dir, 'expected.csv'), 'utf8'), { columns: true, skipEmptyLines: true }) as Record<string, string>[]) {
    expected.set(`${r.onnx},${r.vnnlib}`, r.expected);
  }
}

const date = new Date().toISOString().slice(0, 10);
mkdirSync('results', { recursive: true });
const out = args.out ?? join('results', `${name}-${date}.csv`);
writeFileSync(out, stringify([['onnx', 'vnnlib', 'timeout', 'verdict', 'expected', 'seconds', 'status']]));
const bin = resolve('bin/verify.js');
const selected = instances.filter((i) => !args.filter || args.filter.test(`${i.onnx},${i.vnnlib}`)).slice(0, args.limit);

const tally = { solved: 0, sat: 0, unsat: 0, wrong: 0, timeout: 0, unknown: 0, error: 0, seconds: 0, solvedSeconds: [] as number[] };
for (const [k, inst] of selected.entries()) {
  const timeout = args.timeout ?? inst.timeout * args.timeoutScale;
  const t0 = performance.now();
  const run = spawnSync(
    process.execPath,
    [bin, '--onnx', join(dir, inst.onnx), '--vnnlib', join(dir, inst.vnnlib), '--timeout', String(timeout), ...args.extra],
    { encoding: 'utf8', maxBuffer: 64 * 2 ** 20 },
  );
  const seconds = (performance.now() - t0) / 1000;
  const verdict = (run.stdout ?? '').split('\n')[0].trim() || 'error';
  const exp = expected.get(`${inst.onnx},${inst.vnnlib}`) ?? '';
  const solved = verdict === 'sat' || verdict === 'unsat';
  const wrong = solved && (exp === 'sat' || exp === 'unsat') && exp !== verdict;
  const status = wrong ? 'WRONG' : solved ? 'solved' : verdict;
  tally.seconds += seconds;
  if (solved && !wrong) {
    tally.solved++;
    tally[verdict as 'sat' | 'unsat']++;
    tally.solvedSeconds.push(seconds);
  }
  if (wrong) tally.wrong++;
  if (verdict === 'timeout') tally.timeout++;
  if (verdict === 'unknown') tally.unknown++;
  if (verdict === 'error') tally.error++;
  appendFileSync(out, stringify([[inst.onnx, inst.vnnlib, timeout, verdict, exp, seconds.toFixed(2), status]]));
  const errLine = verdict === 'error' ? ` ${(run.stderr ?? '').trim().split('\n').slice(-1)[0]}` : '';
  console.log(`[${k + 1}/${selected.length}] ${inst.onnx} ${inst.vnnlib}: ${verdict} (expected ${exp || '?'}) ${seconds.toFixed(2)}s${wrong ? ' WRONG' : ''}${errLine}`);
}

const median = (xs: number[]) => {
  const sorted = [...xs].sort((a, b) => a - b);
  return sorted.length ? sorted[Math.floor((sorted.length - 1) / 2)] : NaN;
};

/** The VNN-COMP tools of peers.csv on the same instances: correct answers, median and total time. */
function peerRows(): string[] {
  const file = join(dir, 'peers.csv');
  if (!existsSync(file)) return [];
  const text = readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => !l.startsWith('#'))
    .join('\n');
  const rows = parse(text, { columns: true, skipEmptyLines: true }) as Record<string, string>[];
  const keys = new Set(selected.map((i) => `${i.onnx},${i.vnnlib}`));
  const mine = rows.filter((r) => keys.has(`${r.onnx},${r.vnnlib}`));
  const tools = Object.keys(rows[0] ?? {})
    .filter((k) => k.endsWith('_result'))
    .map((k) => k.slice(0, -'_result'.length));
  return tools.map((t) => {
    const ok = mine.filter((r) => (r.expected === 'sat' || r.expected === 'unsat') && r[`${t}_result`] === r.expected);
    const times = ok.map((r) => Number(r[`${t}_time`]));
    const total = mine.reduce((s, r) => s + (Number(r[`${t}_time`]) || 0), 0);
    return `| ${t} | ${ok.length} | ${median(times).toFixed(2)} | ${total.toFixed(1)} |`;
  });
}
const peers = peerRows();
const summary = [
  `# ${name} (${date})`,
  '',
  `verify flags: ${args.extra.join(' ') || '(defaults)'}; timeouts ${args.timeout ? `${args.timeout}s` : `instances.csv x ${args.timeoutScale}`}`,
  '',
  '| instances | solved | sat | unsat | wrong | timeout | unknown | error | total time (s) | median solved time (s) |',
  '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  `| ${selected.length} | ${tally.solved} | ${tally.sat} | ${tally.unsat} | ${tally.wrong} | ${tally.timeout} | ${tally.unknown} | ${tally.error} | ${tally.seconds.toFixed(1)} | ${median(tally.solvedSeconds).toFixed(2)} |`,
  '',
  ...(peers.length
    ? [
        'VNN-COMP tools on the same instances (peers.csv; their hardware, raw times):',
        '',
        '| tool | correct | median time of correct (s) | total time (s) |',
        '| --- | --- | --- | --- |',
        `| this run | ${tally.solved} | ${median(tally.solvedSeconds).toFixed(2)} | ${tally.seconds.toFixed(1)} |`,
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
