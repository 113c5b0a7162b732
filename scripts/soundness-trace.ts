/**
 * Diagnose a wrong `unsat` of the soundness fuzzer: regenerate the case, take
 * the exact witness (a point where the property is violated), and run the
 * verifier's branch and bound (or one incomplete bounding pass) with every
 * bounder wrapped to report the first bound that excludes the witness from a
 * domain containing it.
 *
 *   node dist/scripts/soundness-trace.js --case SHAPE:SEED --instance sat-1e-3
 *        [--mode complete|incomplete] [--bounder auto|crown|...] [--branching auto|input|relu] [--timeout 5]
 */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { CounterexampleChecker } from '../src/attack/validate.js';
import { branchAndBound } from '../src/bab/search.js';
import { bounderByName } from '../src/bounds/index.js';
import { INPUT_SPLIT_MAX_DIM, resolveBounders, type BounderName } from '../src/engine/options.js';
import { intervalBounds } from '../src/bounds/highs-model.js';
import { exactMinimum } from '../src/bounds/mip.js';
import { planetLp } from '../src/bounds/lp.js';
import { forward, hiddenSizes } from '../src/network/layered.js';
import { lowerToLayered } from '../src/network/lower.js';
import { loadOnnx } from '../src/onnx/load.js';
import { ReferenceModel } from '../src/onnx/reference.js';
import { compileProblem } from '../src/problem/compile.js';
// The absolute floor of the per-row margins (box.margin): close enough for a diagnosis.
import { ABSOLUTE_MARGIN as SOUNDNESS_MARGIN } from '../src/problem/rounding.js';
import { disjunctLowerBounds } from '../src/problem/types.js';
import { readVnnlib } from '../src/vnnlib/parse.js';
import { describeBox, generateCase } from '../test/helpers/soundness/cases.js';
import { SHAPES, type Shape } from '../test/helpers/soundness/networks.js';
import { WitnessTrace } from '../test/helpers/soundness/trace.js';

const { values: args } = parseArgs({
  options: {
    case: { type: 'string' },
    instance: { type: 'string', default: 'sat' },
    mode: { type: 'string', default: 'complete' },
    bounder: { type: 'string', default: 'auto' },
    branching: { type: 'string', default: 'auto' },
    timeout: { type: 'string', default: '5' },
    /** Write the witness and the last open domains that held it (JSON), for a closer look. */
    dump: { type: 'string' },
  },
});
if (!args.case) throw new Error('--case SHAPE:SEED is required');
const [shape, seedText] = args.case.split(':');
if (!(SHAPES as readonly string[]).includes(shape)) throw new Error(`unknown shape '${shape}'`);

const generated = await generateCase({ shape: shape as Shape, seed: Number(seedText) });
const inst = generated.instances.find((i) => i.id.includes(`-${args.instance}`));
if (!inst) throw new Error(`no instance matching '${args.instance}' in ${generated.instances.map((i) => i.id).join(', ')}`);
console.log(`${inst.id}: ${inst.network.layout}; ${describeBox(inst)}; scale ${inst.scale}`);
console.log(`truth ${inst.truth.kind}: witness margin ${inst.truth.witnessMargin}, MIP lower bound ${inst.truth.lowerBound}`);
const x = inst.truth.witness;
if (inst.truth.kind !== 'sat' || !x) throw new Error('the instance has no witness: nothing to trace');

const dir = mkdtempSync(join(tmpdir(), 'soundness-trace-'));
const vnnlibPath = join(dir, `${inst.id}.vnnlib`);
writeFileSync(vnnlibPath, inst.vnnlib);
const spec = readVnnlib(vnnlibPath);
const problem = compileProblem(lowerToLayered(loadOnnx(inst.network.bytes, `${inst.id}.onnx`)), spec);
const box = problem.boxes[0];
const reference = await ReferenceModel.create(inst.network.bytes);
const checker = new CounterexampleChecker(reference, spec);
const deadline = performance.now() + Number(args.timeout) * 1000;
const traced: WitnessTrace[] = [];
const wrap = (name: BounderName) => {
  const t = new WitnessTrace(bounderByName(name, args.mode === 'complete' ? 'bab' : 'incomplete'), box.net, x, box.rowGroup, SOUNDNESS_MARGIN);
  traced.push(t);
  return t;
};

let verdict: string;
if (args.mode === 'incomplete') {
  const { bounder } = resolveBounders({ bounder: args.bounder as BounderName | 'auto', tightBounder: 'none' }, 'none');
  const res = await wrap(bounder).bound(box.net, { size: 1, lower: box.lower, upper: box.upper });
  const lbs = disjunctLowerBounds(res.rowLower, box.rowGroup, box.numDisjuncts);
  verdict = lbs.every((v) => v > SOUNDNESS_MARGIN) ? 'unsat' : 'unknown';
  console.log(`${bounder}: disjunct lower bounds ${Array.from(lbs).join(', ')}`);
} else {
  const branching = args.branching === 'auto' ? (box.net.inputDim <= INPUT_SPLIT_MAX_DIM ? 'input' : 'relu') : (args.branching as 'input' | 'relu');
  const { bounder, tight } = resolveBounders({ bounder: args.bounder as BounderName | 'auto', tightBounder: 'auto' }, branching);
  const neurons = hiddenSizes(box.net).reduce((a, b) => a + b, 0);
  const batchSize = branching === 'input' ? 256 : Math.max(8, Math.min(128, Math.floor(20000 / Math.max(1, neurons)) * 8));
  console.log(`branch and bound: ${branching} branching, bounder ${bounder}, tight ${tight ?? 'none'}, batch ${batchSize}`);
  const result = await branchAndBound(box, {
    bounder: wrap(bounder),
    tightBounder: tight ? wrap(tight) : undefined,
    branching,
    batchSize,
    deadline,
    maxDomains: 1e6,
    check: (p) => checker.check(0, p),
  });
  verdict = result.kind;
  console.log(`result ${result.kind}: ${JSON.stringify(result.stats)}`);
}

const violations = traced.flatMap((t) => t.violations);
for (const t of traced) console.log(`${t.name}: ${t.containingCalls} calls with a domain containing the witness, ${t.openContaining} such domains left open`);
/** One line for reports: what excluded the witness. */
let diagnosis = verdict === 'unsat' ? 'unsat, witness excluded outside the bounders' : `no wrong answer in this run (${verdict})`;
if (violations.length > 0) {
  console.log(`${violations.length} bounds exclude the witness; first ones:`);
  for (const v of violations.slice(0, 12)) console.log(`  ${JSON.stringify(v)}`);
  const v = violations[0];
  diagnosis = `${v.bounder} ${v.kind}${v.layer !== undefined ? ` at layer ${v.layer} neuron ${v.neuron}` : v.kind === 'row' ? ` row ${v.neuron}` : ''}` +
    `${v.bound !== undefined ? ` (bound ${v.bound}, witness ${v.value})` : ''} on a domain with ${v.splitCount} splits, bounder call ${v.call}`;
} else if (verdict === 'unsat') {
  console.log('no bounder excluded the witness: its domain was closed outside the bounders (leaf LP of ReLU splitting, or the search itself)');
  // Replay the leaf decision (src/bab/leaf.ts) on the last open domains that held the witness.
  const y = forward(box.net, x);
  console.log(`witness rows g_r(x): ${Array.from(y).join(', ')}; row groups ${Array.from(box.rowGroup).join(',')}`);
  for (const d of traced.flatMap((t) => t.lastOpen).slice(-4)) {
    const lp = await planetLp(box.net, d.lower, d.upper, d.preLower, d.preUpper, { timeLimit: 5 });
    console.log(`domain with ${d.splitCount} splits: bounder row bounds ${Array.from(d.rowLower).join(', ')}; leaf LP ${lp.status}, rows ${Array.from(lp.rowLower).join(', ')}`);
    for (let g = 0; g < box.numDisjuncts; g++) {
      const rows = Array.from(box.rowGroup.keys()).filter((r) => box.rowGroup[r] === g);
      if (rows.length < 2) continue;
      const mip = await exactMinimum(box.net, d.lower, d.upper, rows, { preLower: d.preLower, preUpper: d.preUpper, tighten: 'interval', timeLimit: 5 });
      const w = Math.max(...rows.map((r) => y[r]));
      console.log(`  disjunct ${g} (rows ${rows}): leaf MIP ${mip.status}, value ${mip.value}, lower bound ${mip.lowerBound}, witness value ${w}`);
      if (w <= 0 && mip.value > SOUNDNESS_MARGIN) {
        diagnosis = `leaf of ReLU splitting (${d.splitCount} splits) closed by its ${rows.length}-row disjunct MIP: ${mip.status}, value ${mip.value}, witness ${w}`;
        // The MIP intersects its own interval bounds with the domain's: do they cross?
        const ib = intervalBounds(box.net, d.lower, d.upper, d.preLower, d.preUpper);
        const crossed: string[] = [];
        ib.preLower.forEach((lo, k) =>
          lo.forEach((l, j) => {
            if (!(l <= ib.preUpper[k][j])) crossed.push(`layer ${k} neuron ${j}: ${l} > ${ib.preUpper[k][j]} (domain [${d.preLower[k][j]}, ${d.preUpper[k][j]}])`);
          }),
        );
        if (crossed.length) diagnosis += `; interval bounds cross the domain's on ${crossed.length} neurons, e.g. ${crossed[0]}`;
      }
    }
    if (lp.status === 'infeasible') diagnosis = `leaf of ReLU splitting (${d.splitCount} splits) closed: leaf LP infeasible`;
  }
}
console.log(`DIAGNOSIS: ${diagnosis}`);
if (args.dump) {
  const arr = (a: ArrayLike<number>) => Array.from(a);
  const domains = traced.flatMap((t) => t.lastOpen).map((d) => ({
    lower: arr(d.lower), upper: arr(d.upper), splitCount: d.splitCount,
    preLower: d.preLower.map(arr), preUpper: d.preUpper.map(arr), rowLower: arr(d.rowLower),
  }));
  writeFileSync(args.dump, JSON.stringify({ id: inst.id, onnx: join(dir, `${inst.id}.onnx`), vnnlib: vnnlibPath, witness: arr(x), violations, domains }));
  writeFileSync(join(dir, `${inst.id}.onnx`), inst.network.bytes);
  console.log(`dumped to ${args.dump}`);
}
await reference.release();
