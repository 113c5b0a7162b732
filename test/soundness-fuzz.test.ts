/**
 * The differential soundness harness (issue 11, "Never wrong") at CI size:
 * seeded ONNX networks and VNN-LIB properties whose exact answer the HiGHS
 * MIP knows, through the verifier in-process, every answer judged (every
 * `sat` re-checked on its own onnxruntime session). Also: the harness itself
 * must be able to fail, and the sample must decide enough to mean something.
 *
 * The full fuzzer is scripts/soundness-fuzz.ts; results/soundness-fuzz.md
 * lists what it found.
 */
import { exactMinimum } from '../src/bounds/mip.js';
import { forward, foldOutputRows } from '../src/network/layered.js';
import { mulberry32 } from '../src/attack/rng.js';
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReferenceModel } from '../src/onnx/reference.js';
import { float32Step, holdsFloat32Point, ulp32 } from './helpers/soundness/boxes.js';
import { generateCase, type CaseKey, type Instance } from './helpers/soundness/cases.js';
import { runModes, Tally, type RunRecord } from './helpers/soundness/harness.js';
import { judge, recheckCounterexample } from './helpers/soundness/judge.js';
import { modeByName } from './helpers/soundness/modes.js';
import type { Shape } from './helpers/soundness/networks.js';
import { reachedDisjunct } from './helpers/soundness/property.js';

const dir = mkdtempSync(join(tmpdir(), 'soundness-fuzz-test-'));

/** CI sample: 24 cases (48 instances) over the five small shapes, 9 modes, 1 s per run (about 45 s on 2 cores). */
const SAMPLE_SEED = 11;
const SAMPLE_CASES = 24;
const SAMPLE_SHAPES: readonly Shape[] = ['fc', 'conv1d', 'conv2d', 'residual', 'batchnorm'];
const SAMPLE_MODES = ['inc-ibp', 'inc-crown', 'inc-alpha', 'inc-symbolic', 'inc-lp', 'inc-mip', 'bab-auto', 'bab-relu', 'bab-mip'].map(modeByName);

/**
 * Wrong answers the fuzzer found on the solver of issue 11 (results/soundness-fuzz.md),
 * regenerated from their seeds: `unsat` with an exact counterexample in the box. All
 * are ReLU-splitting leaves closed because the leaf's disjunct MIP reported
 * `infeasible`: its interval bounds cross the domain's degenerate ones by one ulp.
 */
const PINNED: readonly { key: CaseKey; instance: string; modes: string[] }[] = [
  // Ordinary magnitudes; the root's leaf after five domains.
  { key: { shape: 'batchnorm', seed: 300024 }, instance: 'sat-1e-6', modes: ['bab-relu'] },
  // The root domain itself is the leaf: unsat after bounding one domain, as in issue 11.
  { key: { shape: 'conv1d', seed: 2000139 }, instance: 'sat-1e-3', modes: ['bab-auto'] },
  // Issue 11's kind: a conv regression net with outputs in the hundreds, 266 inputs, 259 fixed to float64 values.
  { key: { shape: 'regression', seed: 2000107 }, instance: 'sat-1e-3', modes: ['bab-auto', 'bab-relu'] },
  { key: { shape: 'regression', seed: 700002 }, instance: 'sat-1e-6', modes: ['bab-relu'] },
];

async function instancesOf(key: CaseKey): Promise<Instance[]> {
  const g = await generateCase(key);
  return g.instances;
}

let sample: Promise<Tally> | undefined;
/** The sample runs once; the tests below read its tally. */
function runSample(): Promise<Tally> {
  sample ??= (async () => {
    const tally = new Tally(1);
    for (let i = 0; i < SAMPLE_CASES; i++) {
      const key = { shape: SAMPLE_SHAPES[i % SAMPLE_SHAPES.length], seed: SAMPLE_SEED * 100000 + i };
      for (const inst of await instancesOf(key)) {
        tally.addInstance(inst);
        for (const r of await runModes(inst, SAMPLE_MODES, { seconds: 1, seed: 0, dir })) tally.add(r);
      }
    }
    return tally;
  })();
  return sample;
}

const describeWrong = (rs: readonly RunRecord[]) =>
  rs.map((r) => `${r.instance.id} ${r.mode.name}: ${r.verdict} (${r.judgement.category}: ${r.judgement.detail})`).join('\n');

test('the harness fails wrong answers: unsat on a sat instance, counterexamples outside the box, not float32, or not violating', async () => {
  const [sat] = (await instancesOf({ shape: 'fc', seed: 5 })).filter((i) => i.truth.kind === 'sat');
  assert.ok(sat, 'fc:5 has a sat instance');
  const model = await ReferenceModel.create(sat.network.bytes);
  try {
    const recheck = (cex: { x: Float64Array; y: Float64Array }) => recheckCounterexample(model, sat.box, sat.property, cex);
    const wrongUnsat = await judge(sat.truth, { verdict: 'unsat' }, recheck);
    assert.equal(wrongUnsat.status, 'wrong');
    assert.equal(wrongUnsat.category, 'unsat-on-sat');
    assert.equal((await judge(sat.truth, { verdict: 'timeout' }, recheck)).status, 'undecided');

    // A fake counterexample: the box centre, which reaches no disjunct.
    const x = Float64Array.from(sat.box.lower, (l, i) => Math.fround(l + 0.5 * (sat.box.upper[i] - l)));
    const y = await model.run(x);
    assert.equal(reachedDisjunct(sat.property, y), -1);
    const fake = await judge(sat.truth, { verdict: 'sat', counterexample: { x, y, region: 0, disjunct: 0, outsideBox: 0 } }, recheck);
    assert.deepEqual([fake.status, fake.category], ['wrong', 'bad-counterexample']);
    const outside = Float64Array.from(x);
    outside[0] = Math.fround(sat.box.upper[0] + 0.01);
    assert.match((await recheck({ x: outside, y })).reason ?? '', /outside/);
    const notFloat32 = Float64Array.from(x);
    notFloat32[0] = x[0] + ulp32(x[0]) / 3;
    assert.match((await recheck({ x: notFloat32, y })).reason ?? '', /not a float32/);

    // The MIP's witness rounded to float32 (the box holds float32 points) is a correct `sat`.
    assert.ok(holdsFloat32Point(sat.box));
    const w = Float64Array.from(sat.truth.witness!, Math.fround);
    const good = await judge(sat.truth, { verdict: 'sat', counterexample: { x: w, y: await model.run(w), region: 0, disjunct: 0, outsideBox: 0 } }, recheck);
    assert.equal(good.status, 'correct');
  } finally {
    await model.release();
  }
});

test('the re-check accepts a point one float32 ulp outside a box holding no float32, and nothing further', async () => {
  const inst = (await instancesOf({ shape: 'fc', seed: 5 }))[0];
  const model = await ReferenceModel.create(inst.network.bytes);
  try {
    const lower = Float64Array.from(inst.box.lower);
    const upper = Float64Array.from(inst.box.upper);
    // Dimension 0 becomes a sub-ulp interval strictly between two float32 values.
    const f = Math.fround(0.3);
    const u = float32Step(f, true) - f;
    lower[0] = f + 0.25 * u;
    upper[0] = f + 0.75 * u;
    const box = { lower, upper, kinds: inst.box.kinds };
    const x = Float64Array.from(lower, (l, i) => Math.fround(l + 0.5 * (upper[i] - l)));
    x[0] = f;
    const y = await model.run(x);
    // Outputs are the model's own, so only the box decides: a property every output reaches.
    const always = { numOutputs: inst.property.numOutputs, disjuncts: [[{ kind: 'upper' as const, i: 0, c: Infinity }]] };
    assert.equal((await recheckCounterexample(model, box, always, { x, y })).ok, true);
    x[0] = float32Step(f, false);
    assert.equal((await recheckCounterexample(model, box, always, { x, y: await model.run(x) })).ok, false);
  } finally {
    await model.release();
  }
});

test('through the CLI: the sat assignment is parsed and re-checked like an in-process answer', async () => {
  const [sat] = (await instancesOf({ shape: 'fc', seed: 5 })).filter((i) => i.truth.kind === 'sat');
  const [cli] = await runModes(sat, [modeByName('bab-mip')], { seconds: 20, seed: 0, dir, cli: true, cliOnly: true });
  assert.equal(cli.via, 'cli');
  assert.equal(cli.verdict, 'sat', cli.message);
  assert.equal(cli.judgement.status, 'correct', cli.judgement.detail);
});

test('generated boxes have the promised kinds: degenerate float64 values, sub-ulp widths with none or one float32', async () => {
  const kinds = new Set<string>();
  for (let i = 0; i < 10; i++) {
    const g = await generateCase({ shape: SAMPLE_SHAPES[i % SAMPLE_SHAPES.length], seed: SAMPLE_SEED * 100000 + i });
    for (const inst of g.instances.slice(0, 1)) {
      inst.box.kinds.forEach((k, d) => {
        kinds.add(k);
        const [l, u] = [inst.box.lower[d], inst.box.upper[d]];
        if (k === 'degenerate64') assert.ok(l === u && Math.fround(l) !== l);
        if (k === 'degenerate32') assert.ok(l === u && Math.fround(l) === l);
        if (k.startsWith('subulp')) {
          assert.ok(u - l < ulp32(l), `dimension ${d} of ${inst.id} is narrower than one ulp`);
          const inside = Math.fround(l) >= l ? Math.fround(l) : float32Step(Math.fround(l), true);
          assert.equal(inside <= u, k === 'subulp-one', `${k} dimension ${d} of ${inst.id}`);
        }
      });
    }
  }
  for (const k of ['normal', 'degenerate64', 'degenerate32', 'subulp-none', 'subulp-one']) assert.ok(kinds.has(k), `no ${k} dimension generated`);
});

test('the CI sample decides both sat and unsat instances and nothing crashes', async () => {
  const t = await runSample();
  assert.ok(t.instances >= 40, `${t.instances} instances`);
  assert.equal(t.truths.get('sat'), t.instances / 2, 'one sat and one unsat instance per case');
  assert.equal(t.conflicts.length, 0, 'the MIP oracle agrees with the sampled witnesses');
  assert.deepEqual(t.errors.map((r) => `${r.instance.id} ${r.mode.name}: ${r.message?.split('\n')[0]}`), []);
  // Not vacuous: a quarter of the runs at least end in a judged-correct sat or unsat, of both kinds
  // (measured: 168 of 432, 61 sat and 107 unsat; a loaded machine decides fewer within 1 s).
  assert.ok(t.total.correct > t.total.runs / 4, `${t.total.correct} of ${t.total.runs} runs decided`);
  assert.ok(t.total.sat > 20 && t.total.unsat > 20, `${t.total.sat} sat / ${t.total.unsat} unsat answers`);
});

test('the CI sample has no wrong answer', async () => {
  const t = await runSample();
  assert.equal(t.wrong.length, 0, describeWrong(t.wrong));
});

test('every in-process unsat of the CI sample has a certificate the checker accepts', async () => {
  const t = await runSample();
  assert.ok(t.proofsChecked > 20, `${t.proofsChecked} certificates checked`);
  const list = (rs: readonly RunRecord[]) => rs.map((r) => `${r.instance.id} ${r.mode.name}: ${r.proof?.reason}`);
  // A certificate the producer finished and the checker rejects is a soundness failure.
  assert.deepEqual(list(t.invalidProofs), []);
  // One the producer could not finish in its 30 s (unsat answers of the exact MIP with a 1e-3 or
  // 1e-6 margin, on a loaded machine) is a gap, allowed rarely.
  assert.ok(t.incompleteProofs.length <= t.proofsChecked / 10, list(t.incompleteProofs).join('\n'));
});

test('the wrong answers found by the fuzzer stay fixed', async () => {
  const wrong: RunRecord[] = [];
  for (const p of PINNED) {
    const inst = (await instancesOf(p.key)).find((i) => i.id.endsWith(p.instance));
    assert.ok(inst, `${p.key.shape}:${p.key.seed} ${p.instance} regenerates`);
    assert.equal(inst.truth.kind, 'sat');
    for (const r of await runModes(inst, p.modes.map(modeByName), { seconds: 3, seed: 3, dir })) if (r.judgement.status === 'wrong' || r.judgement.status === 'error') wrong.push(r);
  }
  assert.equal(wrong.length, 0, describeWrong(wrong));
});

test('the exact MIP is not cut off by near-zero-width neurons (an oracle conflict of seed 31)', async () => {
  // 175 degenerate and 68 sub-ulp inputs: ambiguous neurons of width ~1e-12 once put coefficients
  // below HiGHS's 1e-9 drop threshold into the big-M rows; the MIP then claimed a minimum of 1.32
  // (and an `unsat` truth) where sampled points reach -0.23.
  const g = await generateCase({ shape: 'regression', seed: 3100659 });
  assert.equal(g.instances.length, 2);
  for (const inst of g.instances) assert.equal(inst.truth.conflict, undefined, `${inst.id}: ${inst.truth.conflict}`);
  // The MIP minimum of each output of the network never exceeds the output at sampled points.
  const { net, box } = g.instances[0];
  const rng = mulberry32(5);
  for (let r = 0; r < net.outputDim; r++) {
    const C = new Float64Array(net.outputDim);
    C[r] = 1;
    const folded = foldOutputRows(net, C, Float64Array.of(0));
    const mip = await exactMinimum(folded, box.lower, box.upper, [0], { timeLimit: 60 });
    let sampled = Infinity;
    for (let s = 0; s < 2000; s++) {
      const x = Float64Array.from(box.lower, (l, i) => l + rng() * (box.upper[i] - l));
      sampled = Math.min(sampled, forward(folded, x)[0]);
    }
    assert.ok(mip.lowerBound <= sampled, `output ${r}: MIP bound ${mip.lowerBound} above a sampled value ${sampled}`);
  }
});

test('the exact MIP on a conv net with sub-ulp inputs stays below sampled values (oracle conflict of seed 41)', { todo: 'HiGHS MIP bound 2e-4 above a sampled point: open, see results/soundness-fuzz.md' }, async () => {
  const g = await generateCase({ shape: 'conv2d', seed: 4100782 });
  for (const inst of g.instances) assert.equal(inst.truth.conflict, undefined, `${inst.id}: ${inst.truth.conflict}`);
});
