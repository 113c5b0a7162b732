/**
 * Networks the bounders cannot take (a product of two network values) go to
 * the black-box fallback: `sat` with a counterexample checked on the original
 * model when one is found, `unknown` naming why otherwise, never `unsat`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import pino from 'pino';
import { blackBoxSearch } from '../src/attack/black-box.js';
import { CounterexampleChecker } from '../src/attack/validate.js';
import { loadProblem } from '../src/engine/load-problem.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../src/engine/options.js';
import { runInstance } from '../src/engine/run-instance.js';
import { batchedModel } from '../src/onnx/batched.js';
import { ReferenceModel } from '../src/onnx/reference.js';
import { parseVnnlib } from '../src/vnnlib/parse.js';
import { OnnxBuilder } from './helpers/onnx-builder.js';
import { schedulerFreeEnv } from './helpers/scheduler-env.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'verify.js');
const tmp = mkdtempSync(join(tmpdir(), 'verify-black-box-'));
const log = pino({ level: 'silent' });
const options = (seconds: number): EngineOptions => ({ ...DEFAULT_ENGINE_OPTIONS, deadline: performance.now() + seconds * 1000 });

/** The centre the quadratic peaks at: off-centre, not a float32 grid point, not a corner. */
const A = [0.3137, -0.4421, 0.1759, 0.6113];

/**
 * y = -Σ (x_i - a_i)^2 on x in [-1, 1]^4 (a Mul of two network values: not
 * lowerable). `hardBatch`: a Reshape to [1, 4] fixes the batch size in the graph.
 */
function negSquaredDistance(hardBatch = false): Uint8Array {
  const b = new OnnxBuilder().input('x', [1, 4]);
  let x = 'x';
  if (hardBatch) {
    b.init('shape', [1, 4], [2], 'int64').node('Reshape', ['x', 'shape'], ['xr']);
    x = 'xr';
  }
  return b
    .init('a', A, [4])
    .node('Sub', [x, 'a'], ['d'])
    .node('Mul', ['d', 'd'], ['sq'], {}, 'square')
    .init('w', [-1, -1, -1, -1], [4, 1])
    .node('MatMul', ['sq', 'w'], ['y'])
    .output('y', [1, 1])
    .build();
}

/** Unsafe iff Y_0 >= t, on the box [-1, 1]^4. */
function property(t: number): string {
  const decl = [0, 1, 2, 3].map((i) => `(declare-const X_${i} Real)`).join('\n');
  const box = [0, 1, 2, 3].map((i) => `(assert (>= X_${i} -1))\n(assert (<= X_${i} 1))`).join('\n');
  return `${decl}\n(declare-const Y_0 Real)\n${box}\n(assert (>= Y_0 ${t}))\n`;
}

function write(name: string, content: Uint8Array | string): string {
  const p = join(tmp, name);
  writeFileSync(p, content);
  return p;
}

const quad = write('quad.onnx', negSquaredDistance());
const quadFixedBatch = write('quad-fixed-batch.onnx', negSquaredDistance(true));
// Sat only within about 0.07 of A (a ball of 1e-5 of the box's volume: sampling alone rarely hits it).
const satSpec = write('sat.vnnlib', property(-0.005));
// y <= 0 everywhere: no counterexample exists.
const unsatSpec = write('unsat.vnnlib', property(0.01));

test('a product of two network values loads as unlowerable, with the node named in the reason', () => {
  const loaded = loadProblem(quad, satSpec);
  assert.equal(loaded.kind, 'unlowerable');
  assert.ok(loaded.kind === 'unlowerable' && /square/.test(loaded.reason) && /cannot lower/.test(loaded.reason), loaded.kind === 'unlowerable' ? loaded.reason : '');
});

test('malformed input stays an error: the spec must match the model sizes', () => {
  const wrong = write('wrong-dims.vnnlib', '(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= Y_0 0))\n');
  assert.throws(() => loadProblem(quad, wrong), (e: unknown) => e instanceof Error && e.name === 'ProblemError' && /declares 1 inputs/.test(e.message));
});

test('batched runner: a symbolic batch where the graph allows it, one point per call where a Reshape fixes it', async () => {
  for (const [path, batched] of [[quad, true], [quadFixedBatch, false]] as const) {
    const bytes = readFileSync(path);
    const ref = await ReferenceModel.create(bytes, path);
    const probe = Float64Array.of(0.5, -0.25, 0, 1);
    const model = await batchedModel(bytes, ref, [probe]);
    assert.equal(model.maxBatch > 1, batched, path);
    const X = Float64Array.of(...A, 0.5, -0.25, 0, 1, 1, 1, 1, 1);
    const Y = await model.run(X, 3);
    for (let p = 0; p < 3; p++) {
      const x = X.subarray(4 * p, 4 * p + 4);
      const expected = (await ref.run(Float64Array.from(x)))[0];
      assert.ok(Math.abs(Y[p] - expected) <= 1e-6, `${path} point ${p}: ${Y[p]} vs ${expected}`);
    }
    await model.release();
    await ref.release();
  }
});

test('black-box search: the local search finds the small unsafe ball; the checker confirms the point', async () => {
  for (const path of [quad, quadFixedBatch]) {
    const bytes = readFileSync(path);
    const spec = parseVnnlib(property(-0.005), 'sat.vnnlib');
    const ref = await ReferenceModel.create(bytes, path);
    const checker = new CounterexampleChecker(ref, spec);
    const model = await batchedModel(bytes, ref, [new Float64Array(4)]);
    const r = await blackBoxSearch(spec.regions, model, (k, x) => checker.check(k, x), { deadline: performance.now() + 20_000, seed: 1, strictBox: false });
    assert.ok(r.counterexample, `${path}: best ${r.best} after ${r.evaluations} evaluations`);
    const { x, y } = r.counterexample!;
    assert.ok(x.every((v) => v >= -1 && v <= 1 && Math.fround(v) === v), 'float32 point inside the box');
    const d2 = x.reduce((s, v, i) => s + (v - A[i]) ** 2, 0);
    assert.ok(Math.abs(-d2 - y[0]) < 1e-6 && y[0] >= -0.005, `y ${y[0]}, exact ${-d2}`);
    await model.release();
    await ref.release();
  }
});

test('fallback end to end: sat with a checked counterexample, unknown (never unsat) without one', async () => {
  const sat = await runInstance(quad, satSpec, options(20), log);
  assert.equal(sat.verdict, 'sat');
  const t0 = performance.now();
  const unknown = await runInstance(quad, unsatSpec, options(1.5), log);
  assert.equal(unknown.verdict, 'unknown');
  assert.ok(unknown.verdict === 'unknown' && /^network not lowerable: .*square.*; black-box search found no counterexample/.test(unknown.reason), JSON.stringify(unknown));
  assert.ok(performance.now() - t0 < 4000, 'the search stops at the deadline');
});

function verify(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000, env: schedulerFreeEnv() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, first: r.stdout.split('\n')[0] };
}

test('verify CLI: unknown with the reason on stderr (exit 0) and in the result file; sat with the assignment', () => {
  const unknownFile = join(tmp, 'unknown.txt');
  const u = verify(['--onnx', quad, '--vnnlib', unsatSpec, '--timeout', '3', '--results', unknownFile]);
  assert.equal(u.code, 0, u.stderr);
  assert.equal(u.first, 'unknown');
  assert.match(u.stderr, /verify: unknown: network not lowerable: .*square.*black-box search found no counterexample/);
  assert.equal(readFileSync(unknownFile, 'utf8'), 'unknown\n');
  const satFile = join(tmp, 'sat.txt');
  const s = verify(['--onnx', quad, '--vnnlib', satSpec, '--timeout', '20', '--results', satFile]);
  assert.equal(s.first, 'sat', s.stderr);
  assert.match(readFileSync(satFile, 'utf8'), /^sat\n\(\(X_0 [^)]+\)\n \(X_1 .*\(Y_0 [^)]+\)\)\n$/s);
});

test('verify batch: the fallback answers appear in the results CSV', () => {
  const dir = mkdtempSync(join(tmp, 'batch-'));
  writeFileSync(join(dir, 'instances.csv'), `${quad},${satSpec},20\n${quad},${unsatSpec},3\n`);
  const out = join(dir, 'results.csv');
  const r = verify(['batch', join(dir, 'instances.csv'), '--out', out, '--no-progress']);
  assert.equal(r.code, 0, r.stderr);
  const rows = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(rows.length, 3, rows.join('\n'));
  assert.match(rows[1], /,sat,/);
  assert.match(rows[2], /,unknown,/);
});

test('a layer too large to hold densely (a 64x64 conv to 32 channels: 2^29 entries) lowers into a CSR layer; sat found', async () => {
  // y_0 = mean of relu(conv(x)) with a positive 3x3 kernel, y_1 = 0.25: unsafe iff y_0 >= y_1 (random corners give about 0.13).
  const C = 32;
  const size = 64;
  const n = C * size * size;
  const bytes = new OnnxBuilder()
    .input('x', [1, 1, size, size])
    .init('k', new Array(C * 9).fill(1 / 9), [C, 1, 3, 3])
    .node('Conv', ['x', 'k'], ['c'], { pads: [1, 1, 1, 1] })
    .node('Relu', ['c'], ['r'])
    .node('Flatten', ['r'], ['f'])
    .init('w', Array.from({ length: 2 * n }, (_, i) => (i % 2 === 0 ? 1 / n : 0)), [n, 2])
    .init('b', [0, 0.25], [2])
    .node('MatMul', ['f', 'w'], ['m'])
    .node('Add', ['m', 'b'], ['y'])
    .output('y', [1, 2])
    .build();
  const onnx = write('wide-conv.onnx', bytes);
  const nIn = size * size;
  const decl = [...Array.from({ length: nIn }, (_, i) => `(declare-const X_${i} Real)`), '(declare-const Y_0 Real)', '(declare-const Y_1 Real)'].join('\n');
  const box = Array.from({ length: nIn }, (_, i) => `(assert (>= X_${i} -1))\n(assert (<= X_${i} 1))`).join('\n');
  const vnnlib = write('wide-conv.vnnlib', `${decl}\n${box}\n(assert (>= Y_0 Y_1))\n`);
  const loaded = loadProblem(onnx, vnnlib);
  // Before sparse layers this network went to the black-box search ("too large"); now the bounders take it.
  assert.equal(loaded.kind, 'lowered', loaded.kind === 'unlowerable' ? loaded.reason : '');
  assert.ok(loaded.kind === 'lowered' && loaded.net.layers.some((l) => l.csr !== undefined));
  const outcome = await runInstance(onnx, vnnlib, options(30), log);
  assert.equal(outcome.verdict, 'sat', JSON.stringify(outcome.verdict === 'unknown' ? outcome.reason : outcome.verdict));
  assert.ok(outcome.verdict === 'sat' && outcome.counterexample.y[0] >= outcome.counterexample.y[1]);
});

test('networks with surrogate gradients (Sign) get the black-box search before PGD and bounds', async () => {
  const { hasSurrogateGradients } = await import('../src/network/layered.js');
  const { lowerToLayered } = await import('../src/network/lower.js');
  const { loadOnnx } = await import('../src/onnx/load.js');
  // y = W2 · sign(W1 x + b1): a binarised layer; the search must find the corner where y_0 >= 1.5.
  const bytes = new OnnxBuilder()
    .input('x', [1, 4])
    .init('W1', [1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -1, 0, 0, 0, 0, -1], [4, 4])
    .init('b1', [-0.5, -0.5, -0.5, -0.5], [4])
    .node('Gemm', ['x', 'W1', 'b1'], ['h'], { transB: 1 })
    .node('Sign', ['h'], ['s'])
    .init('W2', [0.5, 0.5, 0.5, 0.5, 0, 0, 0, 0], [2, 4])
    .node('Gemm', ['s', 'W2'], ['y'], { transB: 1 })
    .output('y', [1, 2])
    .build();
  const onnx = write('sign.onnx', bytes);
  assert.ok(hasSurrogateGradients(lowerToLayered(loadOnnx(bytes, onnx))));
  const decl = [...[0, 1, 2, 3].map((i) => `(declare-const X_${i} Real)`), '(declare-const Y_0 Real)', '(declare-const Y_1 Real)'].join('\n');
  const box = [0, 1, 2, 3].map((i) => `(assert (>= X_${i} -1))\n(assert (<= X_${i} 1))`).join('\n');
  // y_0 = 0.5 (s_0 + s_1 + s_2 + s_3) reaches 2 only at x_0, x_1 > 0.5 and x_2, x_3 < -0.5.
  const vnnlib = write('sign.vnnlib', `${decl}\n${box}\n(assert (>= Y_0 1.5))\n`);
  const lines: string[] = [];
  const captured = pino({ level: 'info' }, { write: (line: string) => void lines.push(line) });
  const outcome = await runInstance(onnx, vnnlib, options(20), captured);
  assert.equal(outcome.verdict, 'sat');
  assert.ok(outcome.verdict === 'sat' && outcome.counterexample.y[0] >= 1.5);
  assert.ok(lines.some((l) => JSON.parse(l).msg === 'black-box search' && JSON.parse(l).found === true), 'the black-box search ran first and found it');
});
