/**
 * For every .onnx under a benchmarks root: load, lower, and compare the IR
 * evaluator and the lowered LayeredNet with onnxruntime on 5 random inputs
 * (uniform in [0,1] per element). A network whose lowering fails with a named
 * reason (not piecewise linear, too large for dense layers) is reported with
 * that reason and still checked by the evaluator. Prints and writes the table;
 * exits non-zero if any network fails to load, errs by more than 1e-5
 * (relative), or the lowering crashes instead of naming a reason.
 *
 *   node dist/scripts/check-forward.js /work/shared/benchmarks [--out results/forward-check.md]
 */
import { mkdirSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { OnnxError, readOnnx, ReferenceModel } from '../src/onnx/index.js';
import { evaluateGraph } from '../src/ir/evaluate.js';
import { lowerToLayered } from '../src/network/lower.js';
import { forward, type LayeredNet } from '../src/network/layered.js';

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
  loadMs: number;
  evalErr: number;
  /** Layer sizes of the lowered net, or why lowering failed. */
  lowering: string;
  lowered: boolean;
  lowerErr: number;
  lowerMs: number;
  /** Weight entries of the dense layers, nonzeros of the sparse (CSR) ones, their count, and the largest layer's stored entries. */
  entries: number;
  nnz: number;
  csrBytes: number;
  sparseLayers: number;
  maxEntries: number;
  status: string;
}

/** The lowering error without the file name it starts with. */
function reason(e: unknown, path: string): string {
  const m = (e as Error).message.split('\n')[0];
  return m.startsWith(path + ': ') ? m.slice(path.length + 2) : m;
}

async function checkOne(path: string, root: string): Promise<Row> {
  const row: Row = {
    net: relative(root, path), input: '', loadMs: NaN, evalErr: NaN, lowering: '', lowered: false, lowerErr: NaN, lowerMs: NaN,
    entries: 0, nnz: 0, csrBytes: 0, sparseLayers: 0, maxEntries: 0, status: 'FAIL',
  };
  try {
    const t0 = performance.now();
    const graph = readOnnx(path);
    row.loadMs = performance.now() - t0;
    const inputDim = graph.inputs[0].shape.reduce((a, b) => a * b, 1);
    row.input = `[${graph.inputs[0].shape.join(',')}]`;
    let net: LayeredNet | undefined;
    const t1 = performance.now();
    try {
      net = lowerToLayered(graph);
      row.lowered = true;
      row.lowering = [net.inputDim, ...net.layers.map((l) => l.outDim)].join('-');
      // Never l.W on a sparse layer: that would materialise it.
      for (const l of net.layers) {
        const stored = l.csr ? l.csr.val.length : l.W.length;
        if (l.csr) {
          row.nnz += stored;
          row.csrBytes += l.csr.val.byteLength + l.csr.col.byteLength + l.csr.rowPtr.byteLength;
          row.sparseLayers++;
        } else {
          row.entries += stored;
        }
        row.maxEntries = Math.max(row.maxEntries, stored);
      }
    } catch (e) {
      if (!(e instanceof OnnxError)) throw e;
      row.lowering = `not lowered: ${reason(e, path)}`;
    }
    row.lowerMs = performance.now() - t1;
    const ref = await ReferenceModel.create(path);
    const r = rng(12345);
    let e1 = 0;
    let e2 = 0;
    for (let s = 0; s < SAMPLES; s++) {
      const x = Float64Array.from({ length: inputDim }, () => r());
      const y = await ref.run(x);
      e1 = Math.max(e1, relErr(evaluateGraph(graph, x), y));
      if (net) e2 = Math.max(e2, relErr(forward(net, x), y));
    }
    await ref.release();
    row.evalErr = e1;
    row.lowerErr = net ? e2 : NaN;
    // ok: the evaluator matches, and the lowering either matches too or names why it cannot be done.
    row.status = e1 <= TOL && (!net || e2 <= TOL) ? (net ? 'ok' : 'ok (evaluator; not lowered)') : 'FAIL';
  } catch (e) {
    row.status = `FAIL: ${(e as Error).message.split('\n')[0]}`;
  }
  return row;
}

const mib = (entries: number) => (entries * 8) / 2 ** 20;
/** Dense MiB, and for sparse layers their nonzeros and CSR MiB. */
const weights = (r: Row) => `${mib(r.entries).toFixed(1)} MiB${r.sparseLayers ? ` + CSR ${(r.csrBytes / 2 ** 20).toFixed(1)} MiB (${r.nnz} nnz, ${r.sparseLayers} sparse layers)` : ''}`;

async function main(): Promise<void> {
  const root = process.argv[2];
  const outIdx = process.argv.indexOf('--out');
  const outPath = outIdx > 0 ? process.argv[outIdx + 1] : join('results', 'forward-check.md');
  if (!root || root.startsWith('--')) {
    console.error('usage: check-forward <benchmarks root> [--out results/forward-check.md]');
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
    console.log(`${row.status.startsWith('FAIL') ? 'FAIL' : 'ok  '} ${row.net}  eval ${row.evalErr.toExponential(2)}  lowered ${row.lowered ? row.lowerErr.toExponential(2) : '-'}  ${row.lowering}  ${weights(row)}  load ${row.loadMs.toFixed(0)} ms lower ${row.lowerMs.toFixed(0)} ms${row.status.startsWith('FAIL:') ? '  ' + row.status : ''}`);
  }
  const failed = rows.filter((r) => r.status.startsWith('FAIL'));
  const notLowered = rows.filter((r) => !r.status.startsWith('FAIL') && !r.lowered);
  const folders = [...new Set(rows.map((r) => r.net.split('/')[0]))];
  const perFolder = folders.map((f) => {
    const rs = rows.filter((r) => r.net.split('/')[0] === f);
    const loaded = rs.filter((r) => r.input !== '');
    const maxEval = Math.max(...loaded.map((r) => r.evalErr));
    const lowered = rs.filter((r) => r.lowered);
    const maxLow = lowered.length ? Math.max(...lowered.map((r) => r.lowerErr)).toExponential(2) : '-';
    const why = [...new Set(rs.filter((r) => !r.lowered && r.input !== '').map((r) => r.lowering
      .replace(/^not lowered: node '[^']*' \(op (\w+)\): cannot lower to a layered network: /, '$1: ')
      .replace(/a \d+ x \d+ dense matrix \((\d+) entries.*/, 'dense matrix too large')
      .replace(/a \d+ x \d+ sparse matrix with \d+ nonzeros.*/, 'sparse matrix too large')
      .replace(/\('[^']*' x '[^']*'\) /, '')))];
    return `| ${f} | ${rs.length} | ${loaded.length} | ${maxEval.toExponential(2)} | ${lowered.length} | ${maxLow} | ${why.join('; ') || '-'} |`;
  });
  const cell = (s: string) => s.replace(/\|/g, '\\|');
  const lines = [
    '# Forward check: IR evaluator and lowered LayeredNet vs onnxruntime',
    '',
    `Root: \`${root}\`; ${SAMPLES} inputs per network, uniform in [0,1]; error = max |a-b|/max(1,|b|); tolerance ${TOL}.`,
    'lowering: the lowered net\'s layer sizes (input dim, then each layer\'s output dim), or why it cannot be lowered.',
    'weights: float64 matrices of the dense layers in MiB, plus for layers held in compressed sparse rows (large and mostly zeros) their CSR MiB, nonzeros and count; in brackets the largest layer\'s stored entries.',
    `${rows.length} networks, ${failed.length} failed; ${notLowered.length} load and evaluate correctly but are not lowered (reason given).`,
    '',
    '| folder | networks | load | evaluator max rel err | lowered | lowered max rel err | not lowered because |',
    '|---|---|---|---|---|---|---|',
    ...perFolder,
    '',
    '| network | input | evaluator max rel err | lowering | lowered max rel err | weights (largest layer entries) | load ms | lower ms | status |',
    '|---|---|---|---|---|---|---|---|---|',
    ...rows.map((r) => `| ${r.net} | ${r.input} | ${r.evalErr.toExponential(2)} | ${cell(r.lowering)} | ${r.lowered ? r.lowerErr.toExponential(2) : '-'} | ${r.lowered ? `${weights(r)} (${r.maxEntries})` : '-'} | ${r.loadMs.toFixed(0)} | ${r.lowerMs.toFixed(0)} | ${cell(r.status)} |`),
    '',
  ];
  mkdirSync(dirname(outPath), { recursive: true });
  writeFileSync(outPath, lines.join('\n'));
  console.log(`${rows.length} networks, ${failed.length} failed, ${notLowered.length} not lowered (named reason); table in ${outPath}`);
  process.exit(failed.length > 0 ? 1 : 0);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
