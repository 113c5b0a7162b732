/**
 * The verifier configurations the fuzzer runs on every instance: each
 * bounder alone in incomplete mode (attacks plus one bounding pass), and
 * complete mode with automatic, input and ReLU branching and the exact MIP.
 * Runs are in-process (runInstance, one thread) for speed, or through the
 * CLI (`node bin/verify.js`) to cover the worker, watchdog and result text.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import pino from 'pino';
import { BOUNDER_NAMES, DEFAULT_ENGINE_OPTIONS, type BounderName, type EngineOptions } from '../../../src/engine/options.js';
import { runInstance } from '../../../src/engine/run-instance.js';
import type { Outcome } from '../../../src/report/verdict.js';
import { readFileSync } from 'node:fs';
import { checkProofFiles } from '../../../src/proof/check/checker.js';
import { produceProof } from '../../../src/proof/produce.js';
import { ProofLog } from '../../../src/proof/recorder.js';

export interface Mode {
  readonly name: string;
  readonly mode: 'complete' | 'incomplete';
  readonly bounder: BounderName | 'auto';
  readonly branching: 'auto' | 'input' | 'relu';
}

export const MODES: readonly Mode[] = [
  ...BOUNDER_NAMES.map((b): Mode => ({ name: `inc-${b}`, mode: 'incomplete', bounder: b, branching: 'auto' })),
  { name: 'bab-auto', mode: 'complete', bounder: 'auto', branching: 'auto' },
  { name: 'bab-input', mode: 'complete', bounder: 'auto', branching: 'input' },
  { name: 'bab-relu', mode: 'complete', bounder: 'auto', branching: 'relu' },
  { name: 'bab-mip', mode: 'complete', bounder: 'mip', branching: 'auto' },
];

export function modeByName(name: string): Mode {
  const m = MODES.find((x) => x.name === name);
  if (!m) throw new Error(`unknown mode '${name}' (one of ${MODES.map((x) => x.name).join(', ')})`);
  return m;
}

export interface Run {
  readonly outcome: Outcome;
  readonly seconds: number;
  /** For an in-process `unsat` with a proof path: the certificate as the producer wrote it and the checker judged it. */
  readonly proof?: ProofJudgement;
}

export interface ProofJudgement {
  /** The producer closed every leaf. */
  readonly complete: boolean;
  readonly valid: boolean;
  readonly reason?: string;
  readonly nodes: number;
}

const silent = pino({ level: 'silent' });

export function engineOptions(m: Mode, seconds: number, seed: number): EngineOptions {
  return {
    ...DEFAULT_ENGINE_OPTIONS,
    deadline: performance.now() + seconds * 1000,
    seed,
    mode: m.mode,
    bounder: m.bounder,
    branching: m.branching,
    threads: 1,
  };
}

/** Seconds the producer may take for one certificate (small networks: far more than they need). */
const PROOF_SECONDS = 30;

/**
 * In-process run; an exception (a crash on a valid instance) becomes an
 * `error` outcome. With `proofPath`, an `unsat` also gets its certificate
 * written there and checked by the independent checker.
 */
export async function runInProcess(m: Mode, onnx: string, vnnlib: string, seconds: number, seed: number, proofPath?: string): Promise<Run> {
  const t0 = performance.now();
  let outcome: Outcome;
  const proofLog = proofPath ? new ProofLog() : undefined;
  try {
    outcome = await runInstance(onnx, vnnlib, { ...engineOptions(m, seconds, seed), proofLog }, silent);
  } catch (e) {
    outcome = { verdict: 'error', message: (e as Error).stack ?? String(e) };
  }
  const elapsed = (performance.now() - t0) / 1000;
  if (outcome.verdict !== 'unsat' || !proofPath || !proofLog?.solved) return { outcome, seconds: elapsed };
  const files = { onnxPath: onnx, onnxBytes: proofLog.solved.onnxBytes, vnnlibPath: vnnlib, vnnlibBytes: readFileSync(vnnlib) };
  const made = await produceProof(proofLog.solved.problem, proofLog, files, proofPath, performance.now() + PROOF_SECONDS * 1000, 'soundness harness');
  const checked = await checkProofFiles(onnx, vnnlib, proofPath);
  return { outcome, seconds: elapsed, proof: { complete: made.complete, valid: checked.valid, reason: checked.reason ?? made.reason, nodes: checked.nodes } };
}

export function cliArgs(m: Mode, onnx: string, vnnlib: string, seconds: number, seed: number): string[] {
  return [
    '--onnx', onnx, '--vnnlib', vnnlib, '--timeout', String(seconds), '--seed', String(seed),
    '--mode', m.mode, '--bounder', m.bounder, '--branching', m.branching, '--threads', '1', '--log-level', 'silent',
  ];
}

const VERIFY_BIN = fileURLToPath(new URL('../../../../bin/verify.js', import.meta.url));

/** Parse the verdict and, for `sat`, the `((X_i v) ... (Y_j v))` assignment of the CLI's stdout. */
export function parseCliOutput(stdout: string): Outcome {
  const [first, ...rest] = stdout.split('\n');
  const verdict = first.trim();
  if (verdict === 'unsat' || verdict === 'timeout') return { verdict };
  if (verdict === 'unknown') return { verdict, reason: 'cli' };
  if (verdict !== 'sat') return { verdict: 'error', message: `CLI printed '${first}'` };
  const x: number[] = [];
  const y: number[] = [];
  for (const m of rest.join('\n').matchAll(/\(([XY])_(\d+)\s+([^\s()]+)\)/g)) {
    (m[1] === 'X' ? x : y)[Number(m[2])] = Number(m[3]);
  }
  return { verdict: 'sat', counterexample: { x: Float64Array.from(x), y: Float64Array.from(y), region: -1, disjunct: -1, outsideBox: 0 } };
}

/**
 * The same instance through `node bin/verify.js`. Its timeout counts from
 * process start, so it gets two more seconds for node and module loading.
 */
export function runCli(m: Mode, onnx: string, vnnlib: string, seconds: number, seed: number): Promise<Run> {
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VERIFY_BIN, ...cliArgs(m, onnx, vnnlib, seconds + 2, seed)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (d) => (out += d));
    child.stderr.on('data', (d) => (err += d));
    child.on('close', (code) => {
      const outcome = code === 0 ? parseCliOutput(out) : ({ verdict: 'error', message: `exit ${code}: ${err.slice(-2000)}` } as const);
      resolve({ outcome, seconds: (performance.now() - t0) / 1000 });
    });
  });
}
