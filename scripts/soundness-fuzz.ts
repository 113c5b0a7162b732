/**
 * Differential soundness fuzzer (issue 11, "Never wrong"): random ONNX
 * networks and VNN-LIB properties whose exact answer the HiGHS MIP knows,
 * run through the verifier in every mode; any `unsat` where a counterexample
 * exists, or any `sat` whose counterexample does not re-check, is a wrong
 * answer. Failing instances are written to --out with a JSON line each.
 *
 *   node dist/scripts/soundness-fuzz.js [--seed 1] [--count N] [--budget-seconds S] [--out DIR]
 *        [--shapes fc,conv1d,...] [--modes inc-crown,bab-auto,...] [--timeout 2] [--cli K] [--case SHAPE:SEED]
 *
 * --timeout is per run (in-process, one thread); --cli K also runs every K-th
 * case through `node bin/verify.js` (2 s more for process start-up).
 * Case i (from 0) has seed `seed*100000 + i` and shape shapes[i mod #shapes];
 * `--case SHAPE:SEED` regenerates exactly one case. The last line is
 * `N passed, N failed` (runs, failed = wrong answers, errors and rejected unsat certificates, which
 * include witness-invariant violations: TSVERIFY_STRICT_WITNESS=1 is set so
 * that an unsound bound cannot hide behind the invariant's `unknown`); exit
 * code 1 when any run failed.
 */
process.env.TSVERIFY_STRICT_WITNESS ??= '1';

import { appendFileSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { describeBox, generateCase, type CaseKey } from '../test/helpers/soundness/cases.js';
import { countsLine, runModes, Tally, type RunRecord } from '../test/helpers/soundness/harness.js';
import { cliArgs, MODES, modeByName } from '../test/helpers/soundness/modes.js';
import { SHAPES, type Shape } from '../test/helpers/soundness/networks.js';

const { values: args } = parseArgs({
  options: {
    seed: { type: 'string', default: '1' },
    count: { type: 'string' },
    'budget-seconds': { type: 'string' },
    out: { type: 'string' },
    shapes: { type: 'string', default: SHAPES.join(',') },
    modes: { type: 'string', default: MODES.map((m) => m.name).join(',') },
    timeout: { type: 'string', default: '2' },
    cli: { type: 'string', default: '0' },
    case: { type: 'string' },
    'mip-seconds': { type: 'string', default: '10' },
  },
});

function shapeOf(s: string): Shape {
  if (!(SHAPES as readonly string[]).includes(s)) throw new Error(`unknown shape '${s}' (one of ${SHAPES.join(', ')})`);
  return s as Shape;
}

const seed = Number(args.seed);
const shapes = args.shapes.split(',').filter(Boolean).map(shapeOf);
const modes = args.modes.split(',').filter(Boolean).map(modeByName);
const timeout = Number(args.timeout);
const cliEvery = Number(args.cli);
const budget = args['budget-seconds'] !== undefined ? Number(args['budget-seconds']) : Infinity;
const count = args.count !== undefined ? Number(args.count) : args.case ? 1 : budget < Infinity ? Infinity : 20;
const mipSeconds = Number(args['mip-seconds']);
const out = args.out;
if (out) mkdirSync(out, { recursive: true });
const work = mkdtempSync(join(tmpdir(), 'soundness-fuzz-'));

function caseKey(i: number): CaseKey {
  if (args.case) {
    const [shape, s] = args.case.split(':');
    return { shape: shapeOf(shape), seed: Number(s) };
  }
  return { shape: shapes[i % shapes.length], seed: seed * 100000 + i };
}

/** Reproduction of one run: the fuzz script for the case, and the CLI on the saved files. */
function reproduction(r: RunRecord, dir: string): { fuzz: string; cli: string } {
  const k = r.instance.key;
  const files = { onnx: join(dir, `${r.instance.id}.onnx`), vnnlib: join(dir, `${r.instance.id}.vnnlib`) };
  return {
    fuzz: `node dist/scripts/soundness-fuzz.js --case ${k.shape}:${k.seed} --modes ${r.mode.name} --timeout ${timeout} --seed ${seed}`,
    cli: `node bin/verify.js ${cliArgs(r.mode, files.onnx, files.vnnlib, timeout, seed).join(' ')}`,
  };
}

/** Failing runs: the instance files and one JSON line each. */
function save(r: RunRecord, file: string): void {
  if (!out) return;
  const inst = r.instance;
  writeFileSync(join(out, `${inst.id}.onnx`), inst.network.bytes);
  writeFileSync(join(out, `${inst.id}.vnnlib`), inst.vnnlib);
  const line = {
    id: inst.id,
    shape: inst.key.shape,
    caseSeed: inst.key.seed,
    runSeed: seed,
    mode: r.mode.name,
    via: r.via,
    verdict: r.verdict,
    category: r.judgement.category,
    detail: r.judgement.detail,
    message: r.message?.slice(0, 2000),
    truth: { kind: inst.truth.kind, witnessMargin: inst.truth.witnessMargin, lowerBound: inst.truth.lowerBound },
    target: inst.target,
    scale: inst.scale,
    magnitude: inst.network.magnitude,
    layout: inst.network.layout,
    box: describeBox(inst),
    seconds: r.seconds,
    repro: reproduction(r, out),
  };
  appendFileSync(join(out, file), `${JSON.stringify(line)}\n`);
}

const tally = new Tally(timeout);
const t0 = performance.now();
const elapsed = () => (performance.now() - t0) / 1000;
let lastProgress = 0;
let cases = 0;
let skipped = 0;
for (let i = 0; i < count && elapsed() < budget; i++) {
  const key = caseKey(i);
  let generated;
  try {
    generated = await generateCase(key, mipSeconds);
  } catch (e) {
    // A model our own loader rejects, or onnxruntime does: a generator or loader bug, not a verdict.
    console.log(`case ${key.shape}:${key.seed}: generation failed: ${(e as Error).message}`);
    skipped++;
    continue;
  }
  cases++;
  if (generated.instances.length === 0) {
    console.log(`case ${key.shape}:${key.seed}: skipped (lowering differs from onnxruntime by ${generated.loweringMismatch}, or MIP unfinished)`);
    skipped++;
  }
  for (const inst of generated.instances) {
    tally.addInstance(inst);
    if (inst.truth.conflict) {
      console.log(`ORACLE CONFLICT ${inst.id}: ${inst.truth.conflict} [${describeBox(inst)}]`);
      if (out) {
        writeFileSync(join(out, `${inst.id}.onnx`), inst.network.bytes);
        writeFileSync(join(out, `${inst.id}.vnnlib`), inst.vnnlib);
        appendFileSync(join(out, 'conflicts.jsonl'), `${JSON.stringify({ id: inst.id, shape: inst.key.shape, caseSeed: inst.key.seed, conflict: inst.truth.conflict })}\n`);
      }
    }
    // Whole cases, so that the CLI sees both the sat and the unsat instance.
    const withCli = cliEvery > 0 && cases % cliEvery === 0;
    for (const r of await runModes(inst, modes, { seconds: timeout, seed, cli: withCli, dir: work })) {
      tally.add(r);
      if (r.judgement.status === 'wrong') {
        console.log(`WRONG ${inst.id} ${r.mode.name} (${r.via}): ${r.verdict}, ${r.judgement.category}: ${r.judgement.detail} [${describeBox(inst)}]`);
        save(r, 'wrong.jsonl');
      } else if (r.proof && r.proof.complete && !r.proof.valid) {
        console.log(`INVALID PROOF ${inst.id} ${r.mode.name}: ${r.proof.reason}`);
        save(r, 'invalid-proofs.jsonl');
      } else if (r.judgement.status === 'error') {
        console.log(`ERROR ${inst.id} ${r.mode.name} (${r.via}): ${r.message?.split('\n')[0]}`);
        save(r, 'errors.jsonl');
      }
    }
  }
  if (elapsed() - lastProgress > 30 || i + 1 === count) {
    lastProgress = elapsed();
    console.log(`[${elapsed().toFixed(0)} s] ${cases} cases, ${tally.instances} instances, ${tally.total.runs} runs, ${tally.total.correct} decided correctly, ${tally.total.wrong} wrong`);
  }
}

console.log(`\nseed ${seed}, ${cases} cases (${skipped} skipped), ${tally.instances} instances, timeout ${timeout} s per run, ${elapsed().toFixed(0)} s`);
console.log(`truth: ${[...tally.truths.entries()].map(([k, v]) => `${v} ${k}`).join(', ')}`);
console.log('per mode:');
for (const [m, c] of tally.byMode) console.log(`  ${m.padEnd(16)} ${countsLine(c)}`);
console.log('per shape:');
for (const [s, c] of tally.byShape) console.log(`  ${s.padEnd(16)} ${countsLine(c)}`);
if (tally.overruns.length) {
  console.log(`runs over their time limit: ${tally.overruns.map((r) => `${r.instance.id} ${r.mode.name} ${r.seconds.toFixed(1)} s`).join('; ')}`);
}
console.log(`total: ${countsLine(tally.total)}`);
console.log(`decided: ${tally.decided}, ambiguous: ${tally.total.ambiguous}, errors: ${tally.errors.length}, oracle conflicts: ${tally.conflicts.length}`);
console.log(`proofs: ${tally.proofsChecked} unsat certificates checked, ${tally.invalidProofs.length} rejected, ${tally.incompleteProofs.length} incomplete${tally.incompleteProofs.length ? ` (${tally.incompleteProofs.slice(0, 3).map((r) => `${r.instance.id} ${r.mode.name}: ${r.proof?.reason}`).join('; ')})` : ''}`);
const failed = tally.total.wrong + tally.errors.length + tally.invalidProofs.length;
console.log(`${tally.total.runs - failed} passed, ${failed} failed`);
process.exitCode = failed > 0 ? 1 : 0;
