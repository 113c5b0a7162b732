/**
 * One instance through every mode: write the files, run the verifier, judge
 * each answer against the exact truth (re-checking every counterexample on a
 * separate onnxruntime session), and keep the tallies the fuzz script and
 * the CI test report.
 */
import { ReferenceModel } from '../../../src/onnx/reference.js';
import type { Verdict } from '../../../src/report/verdict.js';
import { writeInstance, type Instance } from './cases.js';
import { judge, recheckCounterexample, type Judgement, type Status } from './judge.js';
import { join } from 'node:path';
import { runCli, runInProcess, type Mode, type ProofJudgement, type Run } from './modes.js';

export interface RunRecord {
  readonly instance: Instance;
  readonly mode: Mode;
  readonly via: 'in-process' | 'cli';
  readonly verdict: Verdict;
  readonly seconds: number;
  readonly judgement: Judgement;
  /** The verifier's message for `unknown` and `error`. */
  readonly message?: string;
  /** In-process `unsat` runs: the certificate's judgement (runModes with proofs). */
  readonly proof?: ProofJudgement;
}

export interface RunOptions {
  readonly seconds: number;
  readonly seed: number;
  /** Also run through the CLI (a sample: the caller decides which instances). */
  readonly cli?: boolean;
  /** Only through the CLI. */
  readonly cliOnly?: boolean;
  /** Where the instance files go. */
  readonly dir: string;
  /** Write and check a certificate for every in-process `unsat` (default true). */
  readonly proofs?: boolean;
}

export async function runModes(inst: Instance, modes: readonly Mode[], o: RunOptions): Promise<RunRecord[]> {
  const files = writeInstance(inst, o.dir);
  const model = await ReferenceModel.create(inst.network.bytes);
  try {
    const recheck = (cex: { x: Float64Array; y: Float64Array }) => recheckCounterexample(model, inst.box, inst.property, cex);
    const records: RunRecord[] = [];
    const record = async (mode: Mode, via: RunRecord['via'], run: Run) => {
      const out = run.outcome;
      records.push({
        instance: inst,
        mode,
        via,
        verdict: out.verdict,
        seconds: run.seconds,
        judgement: await judge(inst.truth, out, recheck),
        message: out.verdict === 'unknown' ? out.reason : out.verdict === 'error' ? out.message : undefined,
        proof: run.proof,
      });
    };
    for (const mode of modes) {
      const proofPath = o.proofs === false ? undefined : join(o.dir, 'proof.jsonl');
      if (!o.cliOnly) await record(mode, 'in-process', await runInProcess(mode, files.onnx, files.vnnlib, o.seconds, o.seed, proofPath));
      if (o.cli || o.cliOnly) await record(mode, 'cli', await runCli(mode, files.onnx, files.vnnlib, o.seconds, o.seed));
    }
    return records;
  } finally {
    await model.release();
  }
}

export interface Counts {
  runs: number;
  /** Answers by verdict. */
  sat: number;
  unsat: number;
  unknown: number;
  timeout: number;
  error: number;
  /** Judgements. */
  correct: number;
  wrong: number;
  ambiguous: number;
  undecided: number;
  float32Sat: number;
  seconds: number;
}

const zero = (): Counts => ({
  runs: 0, sat: 0, unsat: 0, unknown: 0, timeout: 0, error: 0,
  correct: 0, wrong: 0, ambiguous: 0, undecided: 0, float32Sat: 0, seconds: 0,
});

const STATUS_FIELD: Record<Status, keyof Counts | undefined> = {
  correct: 'correct', wrong: 'wrong', ambiguous: 'ambiguous', undecided: 'undecided', 'float32-sat': 'float32Sat', error: undefined,
};

/** Counts per mode, per shape and in total. */
export class Tally {
  readonly byMode = new Map<string, Counts>();
  readonly byShape = new Map<string, Counts>();
  readonly total = zero();
  readonly wrong: RunRecord[] = [];
  readonly errors: RunRecord[] = [];
  /** Runs that overran their time limit by more than 2 s (the deadline is not honoured somewhere). */
  readonly overruns: RunRecord[] = [];
  /** Certificates checked, and those the checker rejected although the producer finished them (soundness failures). */
  proofsChecked = 0;
  readonly invalidProofs: RunRecord[] = [];
  /** Certificates the producer could not finish in its time (the checker rejects them too; a gap, not a wrong answer). */
  readonly incompleteProofs: RunRecord[] = [];
  /** Instances where a sampled point beats the MIP's proven bound (the oracle is wrong). */
  readonly conflicts: Instance[] = [];
  /** Instances by truth kind. */
  readonly truths = new Map<string, number>();
  instances = 0;

  constructor(readonly limitSeconds: number) {}

  addInstance(inst: Instance): void {
    this.instances++;
    this.truths.set(inst.truth.kind, (this.truths.get(inst.truth.kind) ?? 0) + 1);
    if (inst.truth.conflict) this.conflicts.push(inst);
  }

  add(r: RunRecord): void {
    const modeKey = r.via === 'cli' ? `${r.mode.name} (cli)` : r.mode.name;
    for (const c of [this.total, get(this.byMode, modeKey), get(this.byShape, r.instance.key.shape)]) {
      c.runs++;
      c[r.verdict]++;
      const f = STATUS_FIELD[r.judgement.status];
      if (f) c[f]++;
      c.seconds += r.seconds;
    }
    if (r.judgement.status === 'wrong') this.wrong.push(r);
    if (r.proof) {
      this.proofsChecked++;
      if (!r.proof.complete) this.incompleteProofs.push(r);
      else if (!r.proof.valid) this.invalidProofs.push(r);
    }
    if (r.judgement.status === 'error') this.errors.push(r);
    if (r.seconds > this.limitSeconds + (r.via === 'cli' ? 4 : 2)) this.overruns.push(r);
  }

  /** Runs whose answer was judged correct (sat or unsat matching a decided truth). */
  get decided(): number {
    return this.total.correct;
  }
}

function get(m: Map<string, Counts>, k: string): Counts {
  let c = m.get(k);
  if (!c) m.set(k, (c = zero()));
  return c;
}

/** A table row: decided / wrong / ambiguous / undecided / errors and the answers. */
export function countsLine(c: Counts): string {
  return (
    `${c.runs} runs: ${c.correct} correct, ${c.wrong} wrong, ${c.ambiguous} ambiguous, ${c.float32Sat} float32-sat, ` +
    `${c.undecided} undecided (${c.unknown} unknown, ${c.timeout} timeout), ${c.error} errors; ` +
    `answers ${c.sat} sat / ${c.unsat} unsat; ${c.seconds.toFixed(1)} s`
  );
}
