/**
 * [Th3] Table 3.1 in kind (issue 16, step 3): ℓ1 verified accuracy and time
 * per image of Simplex Verify, Opt-LiRPA Planet, CROWN and the exact LPs
 * (Planet over the simplex, "Gurobi Planet"; relaxation (3.5), "Gurobi
 * Simplex"), all on the same intermediate bounds, on the OVAL networks.
 *
 *   node dist/scripts/table-3-1.js <oval21-dir> [--eps 0.5] [--per-net N]
 *        [--lp-time S] [--lp-images K] [--ol-iters 20] [--sv-iters 10]
 *        [--out results/table-3-1-<date>.md]
 *
 * Images: the centres of the oval21 properties' input boxes, labels from
 * their output constraints (rows g_r = y_label - y_other). An image counts
 * as verified when every row's lower bound over the ℓ1 ball exceeds its
 * rounding margin (src/problem/rounding.ts, computed on the ball's bounding
 * box); misclassified centres count as not verified for every method. The
 * LPs stop at the first row that fails and are capped at --lp-time seconds
 * per image (capped images count as not verified and are listed).
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { execSync } from 'node:child_process';
import { cpus, loadavg } from 'node:os';
import { basename, join, resolve } from 'node:path';
import { parse } from 'csv-parse/sync';
import { forward } from '../src/network/layered.js';
import { lowerToLayered } from '../src/network/lower.js';
import { loadOnnx } from '../src/onnx/load.js';
import { compileProblem } from '../src/problem/compile.js';
import { boundingBox, l1Ball } from '../src/problem/input-set.js';
import { batchErrorScale, rowMargins } from '../src/problem/rounding.js';
import { readVnnlib } from '../src/vnnlib/parse.js';
import { simplexRelaxation } from '../src/bounds/simplex/context.js';
import { simplexCrownRows } from '../src/bounds/simplex/crown.js';
import { optLirpaRows } from '../src/bounds/simplex/opt-lirpa.js';
import { setLp } from '../src/bounds/simplex/planet-lp.js';
import { simplexVerifyRows } from '../src/bounds/simplex/simplex-verify.js';

interface Args {
  dir: string;
  eps: number;
  perNet: number;
  lpTime: number;
  lpImages: number;
  olIters: number;
  svIters: number;
  out: string;
}

function parseArgs(argv: string[]): Args {
  const date = new Date().toISOString().slice(0, 10);
  const a: Args = { dir: '', eps: 0.5, perNet: 10, lpTime: 60, lpImages: 10, olIters: 20, svIters: 10, out: `results/table-3-1-${date}.md` };
  for (let i = 0; i < argv.length; i++) {
    const v = argv[i];
    if (v === '--eps') a.eps = Number(argv[++i]);
    else if (v === '--per-net') a.perNet = Number(argv[++i]);
    else if (v === '--lp-time') a.lpTime = Number(argv[++i]);
    else if (v === '--lp-images') a.lpImages = Number(argv[++i]);
    else if (v === '--ol-iters') a.olIters = Number(argv[++i]);
    else if (v === '--sv-iters') a.svIters = Number(argv[++i]);
    else if (v === '--out') a.out = argv[++i];
    else a.dir = v;
  }
  if (!a.dir) throw new Error('usage: table-3-1 <oval21-dir> [--eps E] [--per-net N] [--lp-time S] [--lp-images K] [--ol-iters I] [--sv-iters I] [--out F]');
  return a;
}

const METHODS = ['sv', 'ol', 'crown', 'lpPlanet', 'lpHull'] as const;
type Method = (typeof METHODS)[number];
const LABEL: Record<Method, string> = {
  sv: 'Simplex Verify',
  ol: 'Opt-LiRPA Planet',
  crown: 'CROWN',
  lpPlanet: 'Planet LP (HiGHS) = "Gurobi Planet"',
  lpHull: 'LP of (3.5) (HiGHS) = "Gurobi Simplex"',
};

/** [Th3] Table 3.1, columns Base, Wide, Deep: verified % and seconds per image. */
const THESIS: Record<string, { nominal: number; acc: Record<Method, number | null>; time: Record<Method, number | null> }> = {
  cifar_base_kw: {
    nominal: 75.1,
    acc: { sv: 48.0, ol: 33.6, crown: null, lpPlanet: 34.1, lpHull: 48.6 },
    time: { sv: 0.04, ol: 0.04, crown: null, lpPlanet: 22.8, lpHull: 22.95 },
  },
  cifar_wide_kw: {
    nominal: 79.3,
    acc: { sv: 28.8, ol: 17.9, crown: null, lpPlanet: 18.4, lpHull: 29.4 },
    time: { sv: 0.04, ol: 0.04, crown: null, lpPlanet: 114.92, lpHull: 72.17 },
  },
  cifar_deep_kw: {
    nominal: 72.1,
    acc: { sv: 13.4, ol: 10.8, crown: null, lpPlanet: 11.1, lpHull: 13.4 },
    time: { sv: 0.05, ol: 0.06, crown: null, lpPlanet: 86.84, lpHull: 59.22 },
  },
};

interface ImageResult {
  net: string;
  vnnlib: string;
  nominal: boolean;
  interSeconds: number;
  /** Per method: verified, seconds (own part, intermediate bounds excluded), min over rows of (bound - margin), LP capped. */
  res: Partial<Record<Method, { verified: boolean; seconds: number; worst: number; capped?: boolean; status?: string }>>;
}

async function main(): Promise<void> {
  const args = parseArgs(process.argv.slice(2));
  const dir = resolve(args.dir);
  const rows = parse(readFileSync(join(dir, 'instances.csv'), 'utf8'), { skipEmptyLines: true }) as string[][];
  const perNetCount = new Map<string, number>();
  const results: ImageResult[] = [];
  const started = new Date();
  const load0 = loadavg();
  const nets = new Map<string, ReturnType<typeof lowerToLayered>>();
  for (const [onnxRel, vnnRel] of rows) {
    const netName = basename(onnxRel.trim(), '.onnx');
    const c = perNetCount.get(netName) ?? 0;
    if (c >= args.perNet) continue;
    perNetCount.set(netName, c + 1);
    const onnxPath = join(dir, onnxRel.trim());
    let net0 = nets.get(onnxPath);
    if (!net0) {
      net0 = lowerToLayered(loadOnnx(new Uint8Array(readFileSync(onnxPath)), onnxPath));
      nets.set(onnxPath, net0);
    }
    const box = compileProblem(net0, readVnnlib(join(dir, vnnRel.trim()))).boxes[0];
    const net = box.net;
    const n0 = net.inputDim;
    const x0 = Float64Array.from({ length: n0 }, (_, i) => 0.5 * box.lower[i] + 0.5 * box.upper[i]);
    const set = l1Ball(x0, args.eps);
    const bbox = boundingBox(set);
    const margin = rowMargins(batchErrorScale(net, bbox.lower, bbox.upper, 1));
    const y = forward(net, x0);
    const nominal = y.every((v, r) => v > margin[r]);
    const r: ImageResult = { net: netName, vnnlib: basename(vnnRel.trim()), nominal, interSeconds: 0, res: {} };
    const judge = (lb: ArrayLike<number>) => {
      let worst = Infinity;
      for (let o = 0; o < margin.length; o++) worst = Math.min(worst, lb[o] - margin[o]);
      return { verified: nominal && worst > 0, worst };
    };
    if (nominal) {
      let t = performance.now();
      const ctx = await simplexRelaxation(net, set);
      r.interSeconds = (performance.now() - t) / 1000;
      t = performance.now();
      const cr = await simplexCrownRows(net, ctx);
      r.res.crown = { ...judge(cr.rowLower), seconds: (performance.now() - t) / 1000 };
      t = performance.now();
      const ol = await optLirpaRows(net, ctx, { iterations: args.olIters });
      r.res.ol = { ...judge(ol.rowLower), seconds: (performance.now() - t) / 1000 };
      t = performance.now();
      const sv = await simplexVerifyRows(net, ctx, { iterations: args.svIters });
      r.res.sv = { ...judge(sv.rowLower), seconds: (performance.now() - t) / 1000 };
      if (c < args.lpImages) {
        for (const [key, hull] of [['lpPlanet', false], ['lpHull', true]] as const) {
          t = performance.now();
          const lp = await setLp(net, ctx, { hull, timeLimit: args.lpTime, stopAtOrBelow: margin });
          const seconds = (performance.now() - t) / 1000;
          // Rows after the first failing one are not solved (-Infinity): the worst margin is over the solved rows.
          const solved = Array.from(lp.rowLower, (v) => (v === -Infinity ? Infinity : v));
          // 'inexact' (IPM not converged on some row) still gives valid bounds: they count, flagged.
          const done = lp.status === 'optimal' || lp.status === 'inexact';
          const j = done ? judge(solved) : judge(lp.rowLower);
          r.res[key] = { ...j, verified: j.verified && done, seconds, capped: !done, status: lp.detail ?? lp.status };
        }
      }
    }
    results.push(r);
    const fmt = (m: Method) => {
      const v = r.res[m];
      return v ? `${m} ${v.verified ? 'V' : '-'} ${v.worst.toFixed(3)} ${v.seconds.toFixed(2)}s${v.status && v.status !== 'optimal' ? ` ${v.status}` : ''}` : '';
    };
    console.log(`${netName} ${r.vnnlib} nominal=${nominal} inter ${r.interSeconds.toFixed(2)}s ${METHODS.map(fmt).filter(Boolean).join(' | ')}`);
  }
  writeFileSync(args.out, report(args, results, started, load0));
  console.log(`wrote ${args.out}`);
}

function report(args: Args, results: ImageResult[], started: Date, load0: number[]): string {
  const commit = (() => {
    try {
      return execSync('git rev-parse --short HEAD', { encoding: 'utf8' }).trim() + (execSync('git status --porcelain --untracked-files=no', { encoding: 'utf8' }).trim() ? ' (with uncommitted changes)' : '');
    } catch {
      return 'unknown';
    }
  })();
  const load1 = loadavg();
  const pct = (k: number, n: number) => (n ? ((100 * k) / n).toFixed(1) : '-');
  const mean = (v: number[]) => (v.length ? v.reduce((a, b) => a + b, 0) / v.length : NaN);
  const md: string[] = [
    '# [Th3] Table 3.1 in kind: ℓ1 verified accuracy on the OVAL networks',
    '',
    `Command: \`nice -n 10 node dist/scripts/table-3-1.js ${process.argv.slice(2).join(' ')}\``,
    '',
    `Date: ${started.toISOString()}; commit ${commit}; machine: ${cpus().length} CPUs (${cpus()[0]?.model ?? '?'}), load average ${load0.map((v) => v.toFixed(2)).join(' ')} at the start, ${load1.map((v) => v.toFixed(2)).join(' ')} at the end (shared with another engineer's benchmarks).`,
    '',
    `Setting: ℓ1 ball of radius ε = ${args.eps} in the networks' input space (normalised pixels, as the ONNX models take them; no pixel-range clipping, as in the thesis) around the centre of each oval21 property's input box, label from its output constraints. Verified = every row y_label - y_other has a lower bound above its rounding margin. All methods use the same intermediate bounds: CROWN over the ℓ1 ball (layer 0 exact), where the thesis used Opt-LiRPA Planet with 20 iterations. Opt-LiRPA Planet: ${args.olIters} Adam iterations; Simplex Verify: ${args.svIters} (each costs about two of Opt-LiRPA's; the thesis time-matched 6 against 3). LPs: HiGHS (WASM, one thread), rigorous dual bounds, stopped at the first failing row, capped at ${args.lpTime} s per image, run on the first ${args.lpImages} images of each network.`,
    '',
    'Time per image = the method\'s own time; the shared intermediate bounds (column "inter s") come on top of every method. Thesis numbers (GPU for the LiRPA methods, Gurobi on 4 threads) are for 1000 random CIFAR test images and networks trained for ℓ1 robustness (SLIDE, ε = 0.3); the oval21 networks are the ℓ∞ (KW) ones, so the levels are not comparable, only the ordering. The LP rows average over their own (first) images only, and an LP stopped at its first failing row reports that row, not the worst of all rows: compare methods image by image (below) — there every LP bound is at least the matching LiRPA method\'s.',
    '',
    '| network | images | nominal (thesis) | inter s | method | verified % (thesis) | s / image (thesis) | mean worst row margin (uncapped images) | LP capped or failed |',
    '| --- | --- | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const net of [...new Set(results.map((r) => r.net))]) {
    const rs = results.filter((r) => r.net === net);
    const th = THESIS[net];
    const nominal = rs.filter((r) => r.nominal).length;
    const inter = mean(rs.filter((r) => r.nominal).map((r) => r.interSeconds));
    for (const m of METHODS) {
      const ran = rs.filter((r) => r.res[m] || !r.nominal);
      const withRes = rs.map((r) => r.res[m]).filter((v): v is NonNullable<typeof v> => v !== undefined);
      if (withRes.length === 0) continue;
      const lpSubset = m.startsWith('lp');
      const n = lpSubset ? ran.length : rs.length;
      const ver = withRes.filter((v) => v.verified).length;
      const thAcc = th?.acc[m];
      const thTime = th?.time[m];
      md.push(
        `| ${net} | ${n} | ${pct(nominal, rs.length)} (${th?.nominal ?? '-'}) | ${inter.toFixed(2)} | ${LABEL[m]} | ${pct(ver, n)} (${thAcc ?? '-'}) | ${mean(withRes.map((v) => v.seconds)).toFixed(2)} (${thTime ?? '-'}) | ${mean(withRes.filter((v) => !v.capped).map((v) => v.worst)).toFixed(4)} | ${lpSubset ? withRes.filter((v) => v.capped).length : '-'} |`,
      );
    }
  }
  md.push('', '## Per image', '', '(V = verified; the number is min over rows of bound - margin; times in seconds.)', '');
  for (const r of results) {
    const parts = METHODS.map((m) => {
      const v = r.res[m];
      return v ? `${m} ${v.verified ? 'V' : '-'} ${v.worst.toFixed(4)} ${v.seconds.toFixed(2)}s${v.status && v.status !== 'optimal' ? ` (${v.status === 'timeout' ? 'capped' : v.status})` : ''}` : '';
    }).filter(Boolean);
    md.push(`- ${r.net} ${r.vnnlib}: ${r.nominal ? `inter ${r.interSeconds.toFixed(2)}s; ${parts.join('; ')}` : 'misclassified centre'}`);
  }
  md.push('');
  return md.join('\n');
}

await main();
