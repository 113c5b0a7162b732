/**
 * The black-box search of the fallback (src/attack/black-box.ts) alone, on
 * the instances of a VNN-COMP benchmark folder: the original model in
 * onnxruntime, no loader, no lowering, so it runs on networks our loader
 * does not read yet. Prints one line per instance (found or not, seconds,
 * evaluations, points per onnxruntime call) and the expected answer.
 *
 *   node dist/scripts/black-box-bench.js <benchmarks>/<name> [--seconds S | --evals N] [--limit N] [--filter RE]
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { blackBoxSearch } from '../src/attack/black-box.js';
import { toFloat32Point } from '../src/attack/float32.js';
import { CounterexampleChecker } from '../src/attack/validate.js';
import { batchedModel } from '../src/onnx/batched.js';
import { ReferenceModel } from '../src/onnx/reference.js';
import { comparesOutputsOnly } from '../src/problem/output-comparisons.js';
import { readVnnlib } from '../src/vnnlib/parse.js';

const args = process.argv.slice(2);
const dir = args[0];
const flag = (name: string): string | undefined => {
  const i = args.indexOf(name);
  return i >= 0 ? args[i + 1] : undefined;
};
const seconds = Number(flag('--seconds') ?? 30);
const limit = Number(flag('--limit') ?? Infinity);
/** An evaluation budget instead of a time limit: comparable runs on a loaded machine. */
const evals = flag('--evals') === undefined ? undefined : Number(flag('--evals'));
const filter = new RegExp(flag('--filter') ?? '');
if (!dir) {
  process.stderr.write('usage: black-box-bench <benchmark folder> [--seconds S] [--limit N] [--filter RE]\n');
  process.exit(2);
}
const expected = new Map<string, string>();
try {
  for (const line of readFileSync(join(dir, 'expected.csv'), 'utf8').trim().split('\n').slice(1)) {
    const [o, v, e] = line.split(',');
    expected.set(`${o},${v}`, e);
  }
} catch {
  // no expected.csv
}
const rows = readFileSync(join(dir, 'instances.csv'), 'utf8').trim().split('\n').map((l) => l.split(',').map((s) => s.trim()));
let done = 0;
let found = 0;
for (const [onnx, vnnlib] of rows) {
  if (done >= limit || !filter.test(`${onnx},${vnnlib}`)) continue;
  done++;
  const t0 = performance.now();
  const bytes = readFileSync(join(dir, onnx));
  const spec = readVnnlib(join(dir, vnnlib));
  const ref = await ReferenceModel.create(bytes, onnx);
  const checker = new CounterexampleChecker(ref, spec);
  const probes = spec.regions.slice(0, 2).map((r) => toFloat32Point(r.lower.map((l, i) => 0.5 * (l + r.upper[i])), r.lower, r.upper, false)!.x);
  const model = await batchedModel(bytes, ref, probes, { logitsSuffice: comparesOutputsOnly(spec) });
  const tSearch = performance.now();
  const r = await blackBoxSearch(spec.regions, model, (k, x) => checker.check(k, x), { deadline: evals === undefined ? tSearch + seconds * 1000 : Infinity, maxEvaluations: evals, seed: 0, strictBox: false });
  const total = (performance.now() - t0) / 1000;
  if (r.counterexample) found++;
  const e = expected.get(`${onnx},${vnnlib}`) ?? '?';
  process.stdout.write(
    `${r.counterexample ? 'sat    ' : 'unknown'} expected ${e.padEnd(7)} ${total.toFixed(2).padStart(6)} s  ${String(r.evaluations).padStart(7)} evals  batch ${model.maxBatch}${model.logits ? ' logits' : ''}  best ${r.best.toPrecision(4)}  ${vnnlib}\n`,
  );
  await model.release();
  await ref.release();
}
process.stdout.write(`${found} of ${done} found\n`);
