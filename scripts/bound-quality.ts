/**
 * Bound quality of the incomplete bounders against the exact Planet LP
 * (ALGORITHMS.md §4, thesis §2.4): on real benchmark properties, every
 * method bounds the same output rows with the SAME intermediate bounds
 * (CROWN's), so the only difference is how the last relaxation is solved.
 *
 *   node dist/scripts/bound-quality.js <benchmark-dir>... [--per-net N] [--methods a,b,c]
 *        [--lp-time S] [--filter RE] [--out results/bound-quality.md]
 *
 * Per method: mean gap to the LP optimum over all rows (negative = looser
 * than the LP, positive = tighter, which only the Anderson relaxation can
 * be), rows within 1e-3 of the LP, rows improved over CROWN, and time per
 * property (all rows of a property are one batched call; the LP solves its
 * rows one by one).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { crownPass } from '../src/bounds/crown.js';
import { activeSet, bddPlus, bigM, bounderByName, type BounderName } from '../src/bounds/index.js';
import { planetLp } from '../src/bounds/lp.js';
import type { Bounder, DomainBatch } from '../src/bounds/types.js';
import type { LayeredNet } from '../src/network/layered.js';
import { lowerToLayered } from '../src/network/lower.js';
import { loadOnnx } from '../src/onnx/load.js';
import { compileProblem } from '../src/problem/compile.js';
import { readVnnlib } from '../src/vnnlib/parse.js';

interface Args {
  dirs: string[];
  perNet: number;
  methods: string[];
  lpTime: number;
  out: string;
  filter?: RegExp;
}

function parseArgs(argv: string[]): Args {
  const a: Args = { dirs: [], perNet: 3, methods: ['crown', 'alpha', 'bigm', 'bddplus', 'activeset'], lpTime: 600, out: 'results/bound-quality.md' };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--per-net') a.perNet = Number(argv[++i]);
    else if (v === '--methods') a.methods = argv[++i].split(',');
    else if (v === '--lp-time') a.lpTime = Number(argv[++i]);
    else if (v === '--out') a.out = argv[++i];
    else if (v === '--filter') a.filter = new RegExp(argv[++i]);
    else a.dirs.push(v);
  }
  if (a.dirs.length === 0) throw new Error('usage: bound-quality <benchmark-dir>... [--per-net N] [--methods a,b] [--lp-time S] [--filter RE] [--out F]');
  return a;
}

interface MethodStats {
  gaps: number[];
  nearLp: number;
  betterThanCrown: number;
  seconds: number[];
}

interface Instance {
  bench: string;
  onnx: string;
  vnnlib: string;
}

function pickInstances(dir: string, perNet: number, filter?: RegExp): Instance[] {
  const rows = parse(readFileSync(join(dir, 'instances.csv'), 'utf8'), { skipEmptyLines: true }) as string[][];
  const count = new Map<string, number>();
  const out: Instance[] = [];
  for (const [onnx, vnnlib] of rows) {
    const k = onnx.trim();
    if (filter && !filter.test(`${k},${vnnlib.trim()}`)) continue;
    const c = count.get(k) ?? 0;
    if (c >= perNet) continue;
    count.set(k, c + 1);
    out.push({ bench: basename(dir), onnx: join(dir, k), vnnlib: join(dir, vnnlib.trim()) });
  }
  return out;
}

/** The dual methods configured for a pure comparison: given intermediate bounds, no clamping with CROWN. */
function dualBounderForComparison(name: string): Bounder | undefined {
  const pure = { intermediate: 'given', clampWithCrown: false } as const;
  switch (name) {
    case 'bigm':
      return bigM(pure);
    case 'activeset':
      return activeSet(pure);
    case 'bddplus':
      return bddPlus(pure);
    default:
      return undefined;
  }
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const stats = new Map<string, Map<string, MethodStats>>(); // bench -> method -> stats
  const lpSeconds = new Map<string, number[]>();
  const lines: string[] = [];
  const noLp: string[] = [];
  for (const dir of args.dirs.map((d) => resolve(d))) {
    for (const inst of pickInstances(dir, args.perNet, args.filter)) {
      const net0 = lowerToLayered(loadOnnx(new Uint8Array(readFileSync(inst.onnx)), inst.onnx));
      const box = compileProblem(net0, readVnnlib(inst.vnnlib)).boxes[0];
      const net: LayeredNet = box.net;
      const m = net.outputDim;
      const base: DomainBatch = { size: 1, lower: box.lower, upper: box.upper };
      const st = await crownPass(net, base);
      const given: DomainBatch = { ...base, preLower: st.result.preLower, preUpper: st.result.preUpper };
      const t0 = performance.now();
      const lp = await planetLp(net, box.lower, box.upper, st.result.preLower, st.result.preUpper, { timeLimit: args.lpTime });
      const lpS = (performance.now() - t0) / 1000;
      const tag = `${inst.bench} ${basename(inst.onnx)} ${basename(inst.vnnlib)}`;
      if (lp.status !== 'optimal') {
        // No reference value: still show what each method gets, and how fast, where the LP did not finish.
        const parts = [`LP ${lp.status} after ${lpS.toFixed(1)} s`];
        for (const name of args.methods) {
          const t1 = performance.now();
          const res = await (dualBounderForComparison(name) ?? bounderByName(name as BounderName)).bound(net, given);
          const meanBound = res.rowLower.reduce((a, b) => a + b, 0) / m;
          parts.push(`${name} mean bound ${meanBound.toFixed(4)} ${((performance.now() - t1) / 1000).toFixed(2)} s`);
        }
        const line = `${tag} (${m} rows): ${parts.join(', ')}`;
        console.log(line);
        noLp.push(`- ${line}`);
        continue;
      }
      if (!lpSeconds.has(inst.bench)) lpSeconds.set(inst.bench, []);
      lpSeconds.get(inst.bench)!.push(lpS);
      const crownRows = st.result.rowLower;
      const perBench = stats.get(inst.bench) ?? new Map<string, MethodStats>();
      stats.set(inst.bench, perBench);
      const parts = [`LP ${lpS.toFixed(2)} s`];
      for (const name of args.methods) {
        const bounder = dualBounderForComparison(name) ?? bounderByName(name as BounderName);
        const t1 = performance.now();
        const res = await bounder.bound(net, given);
        const s = (performance.now() - t1) / 1000;
        const ms = perBench.get(name) ?? { gaps: [], nearLp: 0, betterThanCrown: 0, seconds: [] };
        perBench.set(name, ms);
        ms.seconds.push(s);
        let meanGap = 0;
        for (let r = 0; r < m; r++) {
          const gap = res.rowLower[r] - lp.rowLower[r];
          ms.gaps.push(gap);
          meanGap += gap / m;
          if (Math.abs(gap) <= 1e-3 * (1 + Math.abs(lp.rowLower[r]))) ms.nearLp++;
          if (res.rowLower[r] > crownRows[r] + 1e-6) ms.betterThanCrown++;
        }
        parts.push(`${name} gap ${meanGap.toFixed(4)} ${s.toFixed(2)} s`);
      }
      const line = `${tag} (${m} rows): ${parts.join(', ')}`;
      console.log(line);
      lines.push(`- ${line}`);
    }
  }

  const median = (v: number[]) => {
    const a = [...v].sort((x, y) => x - y);
    return a.length ? (a.length % 2 ? a[(a.length - 1) / 2] : 0.5 * (a[a.length / 2 - 1] + a[a.length / 2])) : NaN;
  };
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  const md: string[] = [
    '# Bound quality against the exact Planet LP',
    '',
    `Command: \`node dist/scripts/bound-quality.js ${process.argv.slice(2).join(' ')}\``,
    '',
    'All methods bound the same output rows with the same (CROWN) intermediate bounds; the LP is the exact optimum of the Planet relaxation on those bounds (HiGHS, dual-certified). Gap = method bound - LP optimum over rows (the median is the robust summary: a few rows with bounds in the -1000s dominate the mean) (negative: looser than the LP; positive: tighter, possible only for the Anderson relaxation of Active Set). "at LP" = rows within 1e-3 (relative) of the LP optimum. Time per property, all rows in one batched call; the LP solves rows one after the other.',
    '',
    '| benchmark | method | rows | median gap to LP | mean gap | min / max gap | rows at LP | rows tighter than CROWN | mean s / property | vs LP time |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const [bench, perBench] of stats) {
    const lpMean = mean(lpSeconds.get(bench) ?? []);
    md.push(`| ${bench} | lp (HiGHS) | ${perBench.values().next().value?.gaps.length ?? 0} | 0 | 0 | 0 / 0 | all | - | ${lpMean.toFixed(2)} | 1 |`);
    for (const [name, s] of perBench) {
      const t = mean(s.seconds);
      md.push(
        `| ${bench} | ${name} | ${s.gaps.length} | ${median(s.gaps).toFixed(4)} | ${mean(s.gaps).toFixed(4)} | ${Math.min(...s.gaps).toFixed(4)} / ${Math.max(...s.gaps).toFixed(4)} | ${s.nearLp} | ${s.betterThanCrown} | ${t.toFixed(2)} | ${(t / lpMean).toFixed(3)} |`,
      );
    }
  }
  md.push('', '## Per property', '', ...lines, '');
  if (noLp.length) md.push('## Properties where the LP did not finish (mean row bound per method)', '', ...noLp, '');
  writeFileSync(args.out, md.join('\n'));
  console.log(md.slice(0, 7 + [...stats.values()].reduce((s, p) => s + p.size + 1, 0)).join('\n'));
}

await main();
