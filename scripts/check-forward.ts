/**
 * For every .onnx under a benchmarks root: load, lower, and compare the IR
 * evaluator and the lowered LayeredNet with onnxruntime on 5 random inputs
 * (uniform in [0,1] per element). Prints and writes results/forward-check.md;
 * exits non-zero if any network fails or errs by more than 1e-5 (relative).
 *
 *   node dist/scripts/check-forward.js /work/shared/benchmarks
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { readOnnx, ReferenceModel } from '../src/onnx/index.js';
import { evaluateGraph } from '../src/ir/evaluate.js';
import { lowerToLayered } from '../src/network/lower.js';
import { forward } from '../src/network/layered.js';

const TOL = 1e-5;
const SAMPLES = 5;

function findOnnx(dir: string): string[] {
  const out: string[] = [];
  for (const e of readdirSync(dir).sort()) {
    const p = join(dir, e);
    if (statSync(p).isDirectory()) out.push(...findOnnx(p));
    else if (e.endsWith('.onnx')) out.push(p);
  }
  return out;
}

function relErr(a: Float64Array, b: Float64Array): number {
  if (a.length !== b.length) return Infinity;
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]) / Math.max(1, Math.abs(b[i])));
  return m;
}

/** Seeded so that reruns check the same points. */
function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = Math.imul(a ^ (a >>> 15), a | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

interface Row {
  net: string;
  input: string;
  layers: string;
  evalErr: number;
  lowerErr: number;
  ms: number;
  status: string;
}

async function checkOne(path: string, root: string): Promise<Row> {
  const row: Row = { net: relative(root, path), input: '', layers: '', evalErr: NaN, lowerErr: NaN, ms: NaN, status: 'FAIL' };
  try {
    const t0 = performance.now();
    const graph = readOnnx(path);
    const net = lowerToLayered(graph);
    row.ms = performance.now() - t0;
    row.input = `[${net.inputShape.join(',')}]`;
    row.layers = [net.inputDim, ...net.layers.map((l) => l.outDim)].join('-');
    const ref = await ReferenceModel.create(path);
    const r = rng(12345);
    let e1 = 0;
    let e2 = 0;
    for (let s = 0; s < SAMPLES; s++) {
      const x = Float64Array.from({ length: net.inputDim }, () => r());
      const y = await ref.run(x);
      e1 = Math.max(e1, relErr(evaluateGraph(graph, x), y));
      e2 = Math.max(e2, relErr(forward(net, x), y));
    }
    await ref.release();
    row.evalErr = e1;
    row.lowerErr = e2;
    row.status = e1 <= TOL && e2 <= TOL ? 'ok' : 'FAIL';
  } catch (e) {
    row.status = `FAIL: ${(e as Error).message.split('\n')[0]}`;
  }
  return row;
}

async function main(): Promise<void> {
  const root = process.argv[2];
  if (!root) {
    console.error('usage: check-forward <benchmarks root>');
    process.exit(2);
  }
  const files = findOnnx(root);
  if (files.length === 0) {
    console.error(`no .onnx files under ${root}`);
    process.exit(2);
  }
  const rows: Row[] = [];
  for (const f of files) {
    const row = await checkOne(f, root);
    rows.push(row);
    console.log(`${row.status === 'ok' ? 'ok  ' : 'FAIL'} ${row.net}  layers ${row.layers}  eval ${row.evalErr.toExponential(2)}  lowered ${row.lowerErr.toExponential(2)}  load+lower ${row.ms.toFixed(0)} ms${row.status.startsWith('FAIL:') ? '  ' + row.status : ''}`);
  }
  const failed = rows.filter((r) => r.status !== 'ok');
  const lines = [
    '# Forward check: IR evaluator and lowered LayeredNet vs onnxruntime',
    '',
    `Root: \`${root}\`; ${SAMPLES} inputs per network, uniform in [0,1]; error = max |a-b|/max(1,|b|); tolerance ${TOL}.`,
    `Layer sizes: input dim, then each layer's output dim. ${rows.length} networks, ${failed.length} failed.`,
    '',
    '| network | input | layer sizes | evaluator max rel err | lowered max rel err | load+lower ms | status |',
    '|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.net} | ${r.input} | ${r.layers} | ${r.evalErr.toExponential(2)} | ${r.lowerErr.toExponential(2)} | ${r.ms.toFixed(0)} | ${r.status} |`),
    '',
  ];
  mkdirSync('results', { recursive: true });
  writeFileSync(join('results', 'forward-check.md'), lines.join('\n'));
  console.log(`${rows.length} networks, ${failed.length} failed; table in results/forward-check.md`);
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
