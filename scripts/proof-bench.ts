/**
 * Unsat certificates on a VNN-COMP benchmark folder: for every instance
 * (by default those whose expected answer is unsat), `verify --proof`, then
 * `verify check-proof`, each in its own process, one at a time.
 *
 *   node dist/scripts/proof-bench.js <benchmark-dir> [--timeout S] [--filter RE]
 *        [--all] [--out FILE.csv] [-- extra verify flags]
 *
 * Per instance: the verdict and the seconds until it was printed (process
 * start to the first stdout line: the solve time as a user sees it), the
 * producer's seconds, the checker's seconds (its whole process, start-up
 * included), proof nodes, leaves and bytes, and the checker's judgement.
 * The summary (totals and the check/solve ratio) goes to FILE.md.
 */
import { spawn } from 'node:child_process';
import { appendFileSync, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { instanceKey, readExpectedCsv, readInstancesCsv } from '../src/batch/instances.js';

const VERIFY = fileURLToPath(new URL('../../bin/verify.js', import.meta.url));

interface Args {
  dir: string;
  timeout?: number;
  filter?: RegExp;
  all: boolean;
  out?: string;
  extra: string[];
}

function parseArgs(argv: string[]): Args {
  const dd = argv.indexOf('--');
  const own = dd >= 0 ? argv.slice(0, dd) : argv;
  const a: Args = { dir: '', all: false, extra: dd >= 0 ? argv.slice(dd + 1) : [] };
  for (let i = 0; i < own.length; i++) {
    const v = own[i];
    if (v === '--timeout') a.timeout = Number(own[++i]);
    else if (v === '--filter') a.filter = new RegExp(own[++i]);
    else if (v === '--all') a.all = true;
    else if (v === '--out') a.out = own[++i];
    else if (!a.dir) a.dir = v;
    else throw new Error(`unexpected argument ${v}`);
  }
  if (!a.dir) throw new Error('usage: proof-bench <benchmark-dir> [--timeout S] [--filter RE] [--all] [--out F.csv] [-- verify flags]');
  return a;
}

interface Proc {
  code: number | null;
  stdout: string;
  stderr: string;
  /** Seconds from spawn to the first stdout data, and to exit. */
  firstOut: number;
  total: number;
}

function run(args: string[]): Promise<Proc> {
  const t0 = performance.now();
  return new Promise((res) => {
    const child = spawn(process.execPath, [VERIFY, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let firstOut = NaN;
    child.stdout.on('data', (d) => {
      if (Number.isNaN(firstOut)) firstOut = (performance.now() - t0) / 1000;
      stdout += d;
    });
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => res({ code, stdout, stderr, firstOut, total: (performance.now() - t0) / 1000 }));
  });
}

const args = parseArgs(process.argv.slice(2));
const dir = resolve(args.dir);
const name = basename(dir);
const expected = existsSync(join(dir, 'expected.csv')) ? readExpectedCsv(join(dir, 'expected.csv')) : new Map();
const instances = readInstancesCsv(join(dir, 'instances.csv')).filter((inst) => {
  const key = instanceKey(inst.onnx, inst.vnnlib);
  if (args.filter && !args.filter.test(key)) return false;
  return args.all || expected.get(key) === 'unsat';
});
const date = new Date().toISOString().slice(0, 10);
const out = args.out ?? join('results', `proofs-${name}-${date}.csv`);
mkdirSync(resolve(out, '..'), { recursive: true });
writeFileSync(out, 'onnx,vnnlib,verdict,solve_s,proof_s,check_s,check_inner_s,nodes,leaves,bytes,complete,check\n');
const work = mkdtempSync(join(tmpdir(), 'proof-bench-'));
const proofPath = join(work, 'proof.jsonl');

interface Row {
  verdict: string;
  solve: number;
  proof: number;
  check: number;
  nodes: number;
  bytes: number;
  valid: boolean;
}
const rows: Row[] = [];
for (const [i, inst] of instances.entries()) {
  const timeout = args.timeout ?? inst.timeout;
  rmSync(proofPath, { force: true });
  const v = await run(['--onnx', join(dir, inst.onnx), '--vnnlib', join(dir, inst.vnnlib), '--timeout', String(timeout), '--proof', proofPath, ...args.extra]);
  const verdict = v.stdout.split('\n')[0].trim();
  const m = /proof written to .* \((\d+) nodes, (\d+) leaves, (\d+) bytes, ([\d.]+) s\)/.exec(v.stderr);
  const incomplete = /proof in .* is incomplete/.test(v.stderr);
  let check = NaN;
  let inner = NaN;
  let judgement = '';
  let nodes = m ? Number(m[1]) : 0;
  if (verdict === 'unsat' && existsSync(proofPath)) {
    const c = await run(['check-proof', '--onnx', join(dir, inst.onnx), '--vnnlib', join(dir, inst.vnnlib), '--proof', proofPath, '--json']);
    check = c.total;
    try {
      const rep = JSON.parse(c.stdout) as { valid: boolean; reason?: string; seconds: number; nodes: number };
      inner = rep.seconds;
      nodes = rep.nodes;
      judgement = rep.valid ? 'valid' : `invalid: ${rep.reason}`;
    } catch {
      judgement = `checker failed (exit ${c.code}): ${c.stderr.split('\n')[0]}`;
    }
  }
  const row: Row = { verdict, solve: v.firstOut, proof: m ? Number(m[4]) : NaN, check, nodes, bytes: m ? Number(m[3]) : 0, valid: judgement === 'valid' };
  rows.push(row);
  const csv = [inst.onnx, inst.vnnlib, verdict, row.solve.toFixed(3), row.proof, Number.isNaN(check) ? '' : check.toFixed(3), Number.isNaN(inner) ? '' : inner.toFixed(3), nodes, m ? m[2] : '', row.bytes, m ? 'yes' : incomplete ? 'no' : '', `"${judgement.replace(/"/g, "'")}"`];
  appendFileSync(out, csv.join(',') + '\n');
  console.log(`[${i + 1}/${instances.length}] ${inst.onnx} ${inst.vnnlib}: ${verdict} in ${row.solve.toFixed(1)} s; proof ${row.proof} s, ${nodes} nodes, ${row.bytes} B; check ${check.toFixed(2)} s: ${judgement}`);
}
rmSync(work, { recursive: true, force: true });

const unsat = rows.filter((r) => r.verdict === 'unsat');
const valid = unsat.filter((r) => r.valid);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
const solveT = sum(unsat.map((r) => r.solve));
const checkT = sum(unsat.map((r) => (Number.isNaN(r.check) ? 0 : r.check)));
const proofT = sum(unsat.map((r) => (Number.isNaN(r.proof) ? 0 : r.proof)));
const bytes = unsat.map((r) => r.bytes).sort((a, b) => a - b);
const ratios = unsat.filter((r) => r.check > 0).map((r) => r.check / r.solve).sort((a, b) => a - b);
const summary = [
  `# Unsat certificates: ${name} (${date})`,
  '',
  `Command: \`node dist/scripts/proof-bench.js ${args.dir}${args.timeout ? ` --timeout ${args.timeout}` : ''}${args.filter ? ` --filter '${args.filter.source}'` : ''}${args.all ? ' --all' : ''}${args.extra.length ? ` -- ${args.extra.join(' ')}` : ''}\``,
  '',
  `- instances run: ${rows.length}; unsat answers: ${unsat.length}; certificates the checker accepts: ${valid.length}`,
  `- solve time (process start to verdict), summed over the unsat answers: ${solveT.toFixed(1)} s`,
  `- proof writing (after the verdict): ${proofT.toFixed(1)} s; checking (whole check-proof processes): ${checkT.toFixed(1)} s`,
  `- check / solve: ${(checkT / solveT).toFixed(2)} in total; per instance median ${ratios.length ? ratios[Math.floor(ratios.length / 2)].toFixed(2) : '-'}, max ${ratios.length ? ratios[ratios.length - 1].toFixed(2) : '-'}`,
  `- proof size: median ${bytes.length ? bytes[Math.floor(bytes.length / 2)] : 0} bytes, max ${bytes.length ? bytes[bytes.length - 1] : 0} bytes, total ${sum(bytes)} bytes`,
  `- not valid: ${unsat.length - valid.length}`,
  '',
  `Rows: ${out}`,
];
writeFileSync(out.replace(/\.csv$/, '.md'), summary.join('\n') + '\n');
console.log(summary.join('\n'));
