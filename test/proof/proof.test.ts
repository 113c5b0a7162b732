/**
 * Unsat certificates end to end: solve, write the proof, check it with the
 * independent checker; every kind of tampering is rejected, each for its
 * own reason.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { exactMinimum } from '../../src/bounds/mip.js';
import { DEFAULT_ENGINE_OPTIONS, type EngineOptions } from '../../src/engine/options.js';
import { runInstance } from '../../src/engine/run-instance.js';
import { lowerToLayered } from '../../src/network/lower.js';
import { loadOnnx } from '../../src/onnx/load.js';
import { checkProofFiles } from '../../src/proof/check/checker.js';
import { ProofFormatError } from '../../src/proof/format.js';
import { produceProof } from '../../src/proof/produce.js';
import { ProofLog } from '../../src/proof/recorder.js';
import { randomFcOnnx } from '../helpers/random-onnx.js';

const tmp = mkdtempSync(join(tmpdir(), 'verify-proof-'));
const silent = pino({ level: 'silent' });

interface Files {
  onnx: string;
  vnnlib: string;
}

/**
 * A random ReLU net and an unsat property: Y_0 - Y_1 <= t (or, with two
 * disjuncts, also Y_1 <= t2) with t just below the exact minimum.
 */
async function instance(name: string, seed: number, sizes: number[], width: number, gap: number, twoDisjuncts = false): Promise<Files> {
  const bytes = randomFcOnnx({ seed, sizes });
  const net = lowerToLayered(loadOnnx(bytes, name));
  const n0 = sizes[0];
  const lower = Float64Array.from({ length: n0 }, (_, i) => 0.1 * i - width / 2);
  const upper = Float64Array.from(lower, (l) => l + width);
  const rowNet = { ...net, outputDim: 2, layers: [...net.layers.slice(0, -1), diffLayer(net.layers[net.layers.length - 1])] };
  const m0 = await exactMinimum(rowNet, lower, upper, [0]);
  const m1 = await exactMinimum(rowNet, lower, upper, [1]);
  const onnx = join(tmp, `${name}.onnx`);
  const vnnlib = join(tmp, `${name}.vnnlib`);
  writeFileSync(onnx, bytes);
  const decl = [...Array.from({ length: n0 }, (_, i) => `(declare-const X_${i} Real)`), ...Array.from({ length: sizes[sizes.length - 1] }, (_, j) => `(declare-const Y_${j} Real)`)];
  const box = Array.from(lower, (l, i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${upper[i]}))`);
  const t0 = m0.value - gap;
  const out = twoDisjuncts ? `(assert (or (and (<= (- Y_0 Y_1) ${t0})) (and (<= Y_1 ${m1.value - gap}))))` : `(assert (<= (- Y_0 Y_1) ${t0}))`;
  writeFileSync(vnnlib, `${decl.join('\n')}\n${box.join('\n')}\n${out}\n`);
  return { onnx, vnnlib };
}

/** Rows Y_0 - Y_1 and Y_1 of the last layer. */
function diffLayer(last: { inDim: number; W: Float64Array; b: Float64Array }) {
  const n = last.inDim;
  const W = new Float64Array(2 * n);
  for (let i = 0; i < n; i++) {
    W[i] = last.W[i] - last.W[n + i];
    W[n + i] = last.W[n + i];
  }
  return { inDim: n, outDim: 2, W, b: Float64Array.of(last.b[0] - last.b[1], last.b[1]) };
}

async function prove(f: Files, extra: Partial<EngineOptions>, path: string) {
  const proofLog = new ProofLog();
  const options: EngineOptions = { ...DEFAULT_ENGINE_OPTIONS, threads: 1, deadline: performance.now() + 30_000, ...extra, proofLog };
  const outcome = await runInstance(f.onnx, f.vnnlib, options, silent);
  assert.equal(outcome.verdict, 'unsat');
  const files = { onnxPath: f.onnx, onnxBytes: readFileSync(f.onnx), vnnlibPath: f.vnnlib, vnnlibBytes: readFileSync(f.vnnlib) };
  const made = await produceProof(proofLog.solved!.problem, proofLog, files, path, performance.now() + 60_000, 'test');
  assert.ok(made.complete, made.reason);
  return made;
}

const lines = (path: string) => readFileSync(path, 'utf8').trim().split('\n');
const json = (l: string) => JSON.parse(l) as Record<string, unknown>;
/** The proof with its node lines passed through `edit` (null drops a line), footer count fixed. */
function tampered(path: string, name: string, edit: (node: Record<string, unknown>, all: Record<string, unknown>[]) => Record<string, unknown> | null): string {
  const ls = lines(path);
  const nodes = ls.slice(1, -1).map(json);
  const kept = nodes.map((n) => edit(n, nodes)).filter((n): n is Record<string, unknown> => n !== null);
  const out = join(tmp, name);
  writeFileSync(out, [ls[0], ...kept.map((n) => JSON.stringify(n)), JSON.stringify({ end: true, nodes: kept.length, complete: true })].join('\n') + '\n');
  return out;
}

const reluFiles = instance('relu', 11, [4, 16, 16, 2], 1.2, 0.02);
const reluProof = join(tmp, 'relu.jsonl');
const reluMade = reluFiles.then((f) => prove(f, { branching: 'relu' }, reluProof));
const inputFiles = instance('input', 12, [3, 12, 12, 2], 1.5, 0.02);
const inputProof = join(tmp, 'input.jsonl');
const inputMade = inputFiles.then((f) => prove(f, { branching: 'input' }, inputProof));

test('ReLU-split and input-split trees produce certificates the checker accepts', async () => {
  for (const [files, path, made] of [
    [await reluFiles, reluProof, await reluMade],
    [await inputFiles, inputProof, await inputMade],
  ] as const) {
    assert.ok(made.nodes >= 3, `${path}: a tree, not one leaf (${made.nodes} nodes)`);
    const r = await checkProofFiles(files.onnx, files.vnnlib, path);
    assert.equal(r.valid, true, r.reason);
    assert.equal(r.nodes, made.nodes);
  }
  assert.ok(lines(reluProof).some((l) => l.includes('"relu"')) && lines(inputProof).some((l) => l.includes('"input"')));
});

test('incomplete mode and two-disjunct properties get certificates too', async () => {
  const f = await instance('inc', 13, [3, 8, 8, 2], 0.4, 0.5, true);
  const path = join(tmp, 'inc.jsonl');
  const made = await prove(f, { mode: 'incomplete' }, path);
  assert.equal(made.nodes, 1, 'one leaf: the root');
  assert.equal((await checkProofFiles(f.onnx, f.vnnlib, path)).valid, true);
  const g = await instance('two', 14, [4, 12, 12, 2], 1, 0.05, true);
  const p2 = join(tmp, 'two.jsonl');
  await prove(g, { branching: 'relu' }, p2);
  const r = await checkProofFiles(g.onnx, g.vnnlib, p2);
  assert.equal(r.valid, true, r.reason);
});

test('a property with two input regions gets one tree per region', async () => {
  const f = await instance('regions', 15, [3, 10, 10, 2], 1, 0.05);
  // The same box split in two along X_0, as two regions of one VNN-LIB file.
  const text = readFileSync(f.vnnlib, 'utf8');
  const bounds = [...text.matchAll(/\(assert \((>=|<=) X_(\d) ([^)]+)\)\)/g)];
  const lo = bounds.filter((b) => b[1] === '>=').map((b) => Number(b[3]));
  const hi = bounds.filter((b) => b[1] === '<=').map((b) => Number(b[3]));
  const mid = (lo[0] + hi[0]) / 2;
  const region = (a: number, b: number) => `(and ${lo.map((l, i) => `(>= X_${i} ${i === 0 ? a : l}) (<= X_${i} ${i === 0 ? b : hi[i]})`).join(' ')})`;
  const out = text.match(/\(assert \(<= \(- Y_0 Y_1\) [^\n]+/)![0];
  const vnnlib = join(tmp, 'regions2.vnnlib');
  writeFileSync(vnnlib, text.split('\n').filter((l) => l.startsWith('(declare')).join('\n') + `\n(assert (or ${region(lo[0], mid)} ${region(mid, hi[0])}))\n${out}\n`);
  const g = { onnx: f.onnx, vnnlib };
  const path = join(tmp, 'regions.jsonl');
  await prove(g, { branching: 'relu' }, path);
  const ls = lines(path);
  assert.equal(json(ls[0]).regions, 2);
  assert.deepEqual([...new Set(ls.slice(1, -1).map((l) => json(l).r))], [0, 1]);
  assert.equal((await checkProofFiles(g.onnx, g.vnnlib, path)).valid, true);
  // Dropping the second region's tree (and saying so in the header) is caught.
  const one = join(tmp, 'one-region.jsonl');
  const kept = ls.slice(1, -1).filter((l) => json(l).r === 0);
  writeFileSync(one, [JSON.stringify({ ...json(ls[0]), regions: 1 }), ...kept, JSON.stringify({ end: true, nodes: kept.length, complete: true })].join('\n') + '\n');
  const r = await checkProofFiles(g.onnx, g.vnnlib, one);
  assert.equal(r.valid, false);
  assert.match(r.reason ?? '', /covers 1 input regions, the property has 2/);
});

test('a network beyond ReLU gets no certificate: the producer says why and writes nothing', async () => {
  const onnx = join(tmp, 'sigmoid.onnx');
  writeFileSync(onnx, randomFcOnnx({ seed: 5, sizes: [2, 6, 1], activation: 'Sigmoid' }));
  const vnnlib = join(tmp, 'sigmoid.vnnlib');
  writeFileSync(vnnlib, '(declare-const X_0 Real)\n(declare-const X_1 Real)\n(declare-const Y_0 Real)\n(assert (>= X_0 0))\n(assert (<= X_0 1))\n(assert (>= X_1 0))\n(assert (<= X_1 1))\n(assert (<= Y_0 -1000))\n');
  const proofLog = new ProofLog();
  const outcome = await runInstance(onnx, vnnlib, { ...DEFAULT_ENGINE_OPTIONS, threads: 1, deadline: performance.now() + 20_000, proofLog }, silent);
  assert.equal(outcome.verdict, 'unsat');
  const path = join(tmp, 'sigmoid.jsonl');
  const files = { onnxPath: onnx, onnxBytes: readFileSync(onnx), vnnlibPath: vnnlib, vnnlibBytes: readFileSync(vnnlib) };
  await assert.rejects(produceProof(proofLog.solved!.problem, proofLog, files, path, performance.now() + 10_000, 'test'), /ReLU networks only \(this one has sigmoid\)/);
  assert.equal(existsSync(path), false);
});

test('tampered proofs are rejected, each for its reason', async () => {
  const relu = await reluFiles;
  const input = await inputFiles;
  await reluMade;
  await inputMade;
  const expectInvalid = async (f: Files, path: string, pattern: RegExp) => {
    const r = await checkProofFiles(f.onnx, f.vnnlib, path);
    assert.equal(r.valid, false, `${path} accepted`);
    assert.match(r.reason ?? '', pattern);
  };
  // A leaf removed: its parent is left with one child.
  const leafIds = (all: Record<string, unknown>[]) => all.filter((n) => !all.some((m) => m.parent === n.id)).map((n) => n.id);
  let dropped = false;
  await expectInvalid(relu, tampered(reluProof, 'no-leaf.jsonl', (n, all) => (!dropped && n.parent !== undefined && leafIds(all).includes(n.id) ? ((dropped = true), null) : n)), /has 1 children/);
  // A split sign flipped: both children on the same side.
  let flipped = false;
  await expectInvalid(
    relu,
    tampered(reluProof, 'flip.jsonl', (n) => {
      const r = n.relu as number[] | undefined;
      if (flipped || !r || r[2] !== -1) return n;
      flipped = true;
      return { ...n, relu: [r[0], r[1], 1] };
    }),
    /both children .* take sign 1/,
  );
  // A sub-box widened beyond its parent's.
  let widened = false;
  await expectInvalid(
    input,
    tampered(inputProof, 'wide.jsonl', (n) => {
      const v = n.input as number[] | undefined;
      if (widened || !v) return n;
      widened = true;
      return { ...n, input: [v[0], v[1] - 0.25, v[2]] };
    }),
    /not inside its parent/,
  );
  // A bound coefficient perturbed: a split multiplier scaled up, and a slope outside [0, 1].
  const perturbBeta = (factor: number) => (n: Record<string, unknown>) => {
    const close = n.close as { beta?: number[][]; alpha?: number[][] }[] | undefined;
    if (!close?.some((c) => c.beta?.length)) return n;
    return { ...n, close: close.map((c) => ({ ...c, beta: c.beta?.map(([k, j, v]) => [k, j, v * factor + 50]) })) };
  };
  await expectInvalid(relu, tampered(reluProof, 'beta.jsonl', perturbBeta(1000)), /bound for disjunct 0 is .*not positive/);
  let alphaSet = false;
  await expectInvalid(
    relu,
    tampered(reluProof, 'alpha.jsonl', (n) => {
      const close = n.close as { alpha?: number[][] }[] | undefined;
      if (alphaSet || !close?.length) return n;
      alphaSet = true;
      return { ...n, close: close.map((c) => ({ ...c, alpha: [[0, 0, 1.5]] })) };
    }),
    /alpha 1.5 of neuron 0:0 is out of range/,
  );
  // The proof checked against another network, and another property.
  const otherNet = join(tmp, 'other.onnx');
  writeFileSync(otherNet, randomFcOnnx({ seed: 99, sizes: [4, 16, 16, 2] }));
  await expectInvalid({ onnx: otherNet, vnnlib: relu.vnnlib }, reluProof, /another network/);
  const otherProp = join(tmp, 'other.vnnlib');
  writeFileSync(otherProp, readFileSync(relu.vnnlib, 'utf8').replace(/\(assert \(<= \(- Y_0 Y_1\) ([^)]+)\)\)/, '(assert (<= (- Y_0 Y_1) 1e9))'));
  await expectInvalid({ onnx: relu.onnx, vnnlib: otherProp }, reluProof, /another property/);
  // A truncated file (no footer) is malformed input, not a verdict.
  const cut = join(tmp, 'cut.jsonl');
  writeFileSync(cut, lines(reluProof).slice(0, -2).join('\n') + '\n');
  await assert.rejects(checkProofFiles(relu.onnx, relu.vnnlib, cut), ProofFormatError);
  // The untouched proofs still pass (the edits above were copies).
  assert.equal((await checkProofFiles(relu.onnx, relu.vnnlib, reluProof)).valid, true);
});
