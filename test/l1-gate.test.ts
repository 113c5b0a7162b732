import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { OnnxBuilder, reluIdentityClassifier } from './helpers/onnx-builder.js';
import { schedulerFreeEnv } from './helpers/scheduler-env.js';
import { checkL1Sample, runL1Gate } from '../src/gate/l1-gate.js';
import { exactMinimumOverSet } from '../src/bounds/simplex/mip.js';
import { foldOutputRows, forward, type LayeredNet } from '../src/network/layered.js';
import { ReferenceModel } from '../src/onnx/reference.js';
import { l1Ball } from '../src/problem/input-set.js';
import { makeRng, normal, randomNet } from './helpers/random-net.js';

const options = (eps: number) => ({ eps, threshold: 0.5, timeout: 10, onnx: 'net.onnx' });
const tmpOnnx = mkdtempSync(join(tmpdir(), 'l1-gate-onnx-'));
after(() => rmSync(tmpOnnx, { recursive: true, force: true }));

/** The LayeredNet as a float64 ONNX model (Gemm + Relu), so onnxruntime computes what the net does. */
function onnxOf(net: LayeredNet, name: string): string {
  const b = new OnnxBuilder({ elemType: 'float64' });
  b.input('x', [1, net.inputDim]);
  let cur = 'x';
  net.layers.forEach((l, k) => {
    b.init(`W${k}`, l.W, [l.outDim, l.inDim]).init(`B${k}`, l.b, [l.outDim]);
    b.node('Gemm', [cur, `W${k}`, `B${k}`], [`h${k}`], { transB: 1 });
    cur = `h${k}`;
    if (k < net.layers.length - 1) {
      b.node('Relu', [cur], [`r${k}`]);
      cur = `r${k}`;
    }
  });
  b.node('Identity', [cur], ['y']).output('y', [1, net.outputDim]);
  const path = join(tmpOnnx, `${name}.onnx`);
  writeFileSync(path, b.build());
  return path;
}

test('ℓ1 gate verdicts agree with the exact minimum over the ball (unsat only when every margin row is positive)', async () => {
  const rng = makeRng(168);
  const seen = new Set<string>();
  for (let t = 0; t < 8; t++) {
    const net = randomNet(rng, [3, 8, 8, 3]);
    const input = Array.from({ length: 3 }, () => normal(rng));
    const y = forward(net, Float64Array.from(input));
    // Mostly the network's own class; every fourth sample a wrong label (sat at the centre).
    const best = y.indexOf(Math.max(...y));
    const label = t % 4 === 3 ? (best + 1) % 3 : best;
    const eps = [0.05, 0.3, 1][t % 3];
    const onnx = onnxOf(net, `case${t}`);
    const reference = await ReferenceModel.create(readFileSync(onnx), onnx);
    const { result } = await checkL1Sample(net, { input, label, line: t + 1, index: t }, { ...options(eps), onnx }, reference);
    await reference.release();
    seen.add(result);
    let lowest = Infinity;
    for (let j = 0; j < 3; j++) {
      if (j === label) continue;
      const C = new Float64Array(3);
      C[label] = 1;
      C[j] = -1;
      const row = foldOutputRows(net, C, new Float64Array(1));
      const exact = await exactMinimumOverSet(row, l1Ball(Float64Array.from(input), eps), 0);
      if (result === 'unsat') assert.ok(exact.value > -1e-7, `case ${t}: verified but row ${j} reaches ${exact.value}`);
      lowest = Math.min(lowest, exact.value);
    }
    // sat: the centre or a point SLIDE found, confirmed by onnxruntime: some row really reaches 0 in the ball.
    if (result === 'sat') assert.ok(lowest <= 1e-9, `case ${t}: sat, but the exact minimum over the ball is ${lowest}`);
  }
  assert.ok(seen.has('unsat') && seen.has('sat'), `verdicts seen: ${[...seen].join(', ')}`);
});

test('runL1Gate: report counts, pass rule, sample names; a clip box outside the sample is a usage error', async () => {
  const rng = makeRng(169);
  const net = randomNet(rng, [2, 6, 2]);
  const samples = [0, 1, 2].map((k) => {
    const input = [normal(rng), normal(rng)];
    const y = forward(net, Float64Array.from(input));
    return { input, label: y[0] >= y[1] ? 0 : 1, line: k + 2, index: k };
  });
  const seen: string[] = [];
  const onnx = onnxOf(net, 'gate');
  const { report, aborted } = await runL1Gate(net, samples, { ...options(0.01), onnx, onResult: (r) => seen.push(r.name) });
  assert.equal(aborted, false);
  assert.deepEqual(seen, ['sample_0', 'sample_1', 'sample_2']);
  assert.equal(report.total, 3);
  assert.equal(report.verified, report.counts.unsat);
  assert.equal(report.passed, report.verified >= 1.5);
  const reference = await ReferenceModel.create(readFileSync(onnx), onnx);
  await assert.rejects(checkL1Sample(net, { input: [2, 2], label: 0, line: 7, index: 0 }, { ...options(0.1), onnx, clipMin: 0, clipMax: 1 }, reference), /samples line 7: .*outside the clip box/);
  await reference.release();
});

test('verify gate --norm l1: verdicts, exit code, JSON; flags that do not apply are usage errors', () => {
  const root = resolve(import.meta.dirname, '..', '..');
  const tmp = mkdtempSync(join(tmpdir(), 'verify-l1-gate-test-'));
  after(() => rmSync(tmp, { recursive: true, force: true }));
  // y = relu(x): class 0 when x0 > x1 >= 0. Over the ℓ1 ball of radius 0.3 the margin y0 - y1 drops by at most 0.3.
  const onnx = join(tmp, 'classifier.onnx');
  writeFileSync(onnx, reluIdentityClassifier());
  const samples = join(tmp, 'samples.csv');
  writeFileSync(samples, 'x0,x1,label\n1,0,0\n0,1,1\n0.2,0,0\n0,0.5,0\n');
  const json = join(tmp, 'gate.json');
  const run = (args: string[]) => spawnSync(process.execPath, [join(root, 'bin', 'verify.js'), 'gate', ...args], { encoding: 'utf8', timeout: 120_000, cwd: tmp, env: schedulerFreeEnv() });
  const r = run(['--onnx', onnx, '--samples', samples, '--eps', '0.3', '--norm', 'l1', '--threshold', '0.5', '--no-progress', '--json', json]);
  assert.equal(r.status, 0, r.stderr + r.stdout);
  const report = JSON.parse(readFileSync(json, 'utf8'));
  // Sample 3, (0.2, 0) of class 0: (0.05, 0.15) is in its ball and of class 1, which SLIDE finds.
  assert.deepEqual(report.properties.map((p: { result: string }) => p.result), ['unsat', 'unsat', 'sat', 'sat']);
  assert.equal(report.norm, 'l1');
  assert.match(r.stdout, /gate: PASS: 2\/4 properties verified robust/);
  const strict = run(['--onnx', onnx, '--samples', samples, '--eps', '0.3', '--norm', 'l1', '--threshold', '0.9', '--no-progress']);
  assert.equal(strict.status, 1);
  const bad = run(['--onnx', onnx, '--samples', samples, '--eps', '0.3', '--norm', 'l2']);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /--norm must be linf or l1/);
});
