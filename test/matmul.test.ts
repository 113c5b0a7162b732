import { test } from 'node:test';
import assert from 'node:assert/strict';
import { csrOf, matmul, matmulSync, productSession, shareCores } from '../src/tensor/matmul.js';
import { makeRng } from './helpers/random-net.js';

function randomMatrix(rng: () => number, size: number, density: number): Float64Array {
  const M = new Float64Array(size);
  for (let i = 0; i < size; i++) if (rng() < density) M[i] = rng() - 0.5;
  return M;
}

test('matmul: sparse right operands (materialised convolutions) multiply in CSR with the dense result', async () => {
  const rng = makeRng(5);
  const k = 1024;
  const n = 1100;
  const sparse = randomMatrix(rng, k * n, 0.02);
  const dense = randomMatrix(rng, k * n, 0.5);
  const csr = csrOf(sparse, k, n);
  assert.ok(csr, 'a 2% dense matrix is kept in CSR');
  assert.equal(csr.rowPtr[k], csr.val.length);
  assert.equal(csrOf(dense, k, n), null, 'a 50% dense matrix stays dense');
  for (const m of [1, 7, 64]) {
    // Rows of A with zeros (inactive ReLUs) are skipped by the sparse loop.
    const A = randomMatrix(rng, m * k, 0.6);
    for (const B of [sparse, dense]) {
      const got = await matmul(A, B, m, k, n);
      const want = matmulSync(A, B, m, k, n);
      for (let i = 0; i < want.length; i++) assert.ok(Math.abs(got[i] - want[i]) <= 1e-12, `m=${m} entry ${i}: ${got[i]} vs ${want[i]}`);
    }
  }
});

test('matmul: the embedded MatMul model is the onnx-proto encoding of float64 A [m,k] x B [k,n] = C [m,n], opset 13', async () => {
  const { MATMUL_MODEL_BASE64 } = await import('../src/tensor/matmul.js');
  const P = (await import('onnx-proto')).default.onnx;
  const DOUBLE = 11;
  const vi = (name: string, a: string, b: string) =>
    P.ValueInfoProto.create({ name, type: { tensorType: { elemType: DOUBLE, shape: { dim: [{ dimParam: a }, { dimParam: b }] } } } });
  const model = P.ModelProto.create({
    irVersion: 8,
    opsetImport: [{ domain: '', version: 13 }],
    graph: P.GraphProto.create({
      name: 'matmul_f64',
      node: [P.NodeProto.create({ opType: 'MatMul', input: ['A', 'B'], output: ['C'] })],
      input: [vi('A', 'm', 'k'), vi('B', 'k', 'n')],
      output: [vi('C', 'm', 'n')],
    }),
  });
  assert.equal(Buffer.from(P.ModelProto.encode(model).finish()).toString('base64'), MATMUL_MODEL_BASE64);
});

test('matmul: large products run on the one-thread session while any share of the cores holds (shareCores), with the same result', async () => {
  const rng = makeRng(5);
  const [m, k, n] = [300, 256, 200];
  const A = Float64Array.from({ length: m * k }, () => rng() - 0.5);
  const B = Float64Array.from({ length: k * n }, () => rng() - 0.5);
  assert.equal(productSession(m * k * n), 1);
  assert.equal(productSession(1000), 0);
  const pooled = await matmul(A, B, m, k, n);
  const release = shareCores();
  const other = shareCores();
  assert.equal(productSession(m * k * n), 0);
  const shared = await matmul(A, B, m, k, n);
  release();
  release();
  // The other share still holds.
  assert.equal(productSession(m * k * n), 0);
  other();
  assert.equal(productSession(m * k * n), 1);
  const after = await matmul(A, B, m, k, n);
  const plain = matmulSync(A, B, m, k, n);
  for (let i = 0; i < m * n; i++) assert.ok(Math.abs(shared[i] - plain[i]) <= 1e-12 * k, `entry ${i}`);
  assert.deepEqual(after, pooled);
});
