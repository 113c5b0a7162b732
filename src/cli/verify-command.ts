import { Worker } from 'node:worker_threads';
import { writeResultFile, formatResult } from '../report/result-file.js';
import type { Outcome } from '../report/verdict.js';
import { BOUNDER_NAMES, DEFAULT_ENGINE_OPTIONS, RELU_RULE_NAMES, type BounderName, type EngineOptions, type ReluRuleName } from '../engine/options.js';
import { EXIT, UsageError } from './errors.js';
import { NativeGate } from '../util/native-gate.js';
import { safeSetTimeout } from '../util/timers.js';
import { onTerminationSignal, SIGNAL_EXIT } from './signals.js';
import { safeLines, safeMessage } from '../util/user-text.js';
import type { WorkerReply, WorkerRequest } from './worker.js';

export interface VerifyFlags {
  onnx?: string;
  vnnlib?: string;
  timeout: number;
  results?: string;
  seed: number;
  mode: string;
  bounder: string;
  tight: string;
  branching: string;
  reluBranching: string;
  batch: number;
  refineShare: number;
  memory: number;
  threads: number;
  strictBox?: boolean;
  logLevel: string;
  logFile?: string;
  proof?: string;
  proofTimeout?: number;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}

export function engineOptionsFromFlags(f: VerifyFlags): Omit<EngineOptions, 'deadline'> {
  if (!Number.isFinite(f.seed)) throw new UsageError('--seed must be an integer');
  if (!(f.batch >= 0)) throw new UsageError('--batch must be a non-negative integer');
  if (!(f.memory > 0)) throw new UsageError('--memory must be a positive number of MiB');
  if (!(f.refineShare >= 0 && f.refineShare < 1)) throw new UsageError('--refine-share must be at least 0 and below 1');
  if (!(f.threads >= 1 && f.threads <= 64)) throw new UsageError('--threads must be between 1 and 64');
  return {
    ...DEFAULT_ENGINE_OPTIONS,
    seed: f.seed,
    mode: oneOf('mode', f.mode, ['complete', 'incomplete'] as const),
    bounder: oneOf<BounderName | 'auto'>('bounder', f.bounder, [...BOUNDER_NAMES, 'auto']),
    tightBounder: oneOf<BounderName | 'none' | 'auto'>('tight', f.tight, [...BOUNDER_NAMES, 'none', 'auto']),
    branching: oneOf('branching', f.branching, ['auto', 'input', 'relu'] as const),
    reluBranching: oneOf<ReluRuleName>('relu-branching', f.reluBranching, RELU_RULE_NAMES),
    batchSize: Math.floor(f.batch),
    memoryMb: f.memory,
    threads: Math.floor(f.threads),
    strictBox: f.strictBox === true,
    refineShare: f.refineShare,
  };
}

/*
 * The time limit is measured from process start (node's own start-up and the
 * loading of our modules count, as they do for whoever runs us). Inside it:
 *   the solver's deadline    limit - solverMarginMs   (it answers on its own, if it can)
 *   the watchdog's verdict   limit - verdictMarginMs  (`timeout`, whatever the solver is doing)
 * and the verdict margin is left for stopping the solver thread and exiting.
 */

/** Time kept between the watchdog's verdict and the limit. */
export function verdictMarginMs(timeoutMs: number): number {
  return Math.min(1000, Math.max(250, 0.05 * timeoutMs));
}

/** Time kept between the solver's deadline and the limit: before the watchdog, so the solver's own answer can arrive. */
export function solverMarginMs(timeoutMs: number): number {
  return Math.max(verdictMarginMs(timeoutMs) + 250, Math.min(1500, 0.1 * timeoutMs));
}

/**
 * Once the verdict is out, how long to wait for the solver threads to leave
 * onnxruntime (src/util/native-gate.ts) before terminating them anyway. One
 * product takes well under a second; this only bounds the pathological case.
 */
const STOP_WAIT_MS = 10_000;
/** How long worker.terminate() may take before the process exits regardless. */
const TERMINATE_GRACE_MS = 1500;

export type ProofReply = Extract<WorkerReply, { kind: 'proof' }>;

export interface VerifyRun {
  readonly outcome: Outcome;
  readonly exitCode: number;
  /** With --proof and an unsat verdict: the certificate's report, once written (undefined if the solver thread ended first). */
  readonly proof: () => Promise<ProofReply | undefined>;
  /** Stops the solver thread without aborting the process; call after the verdict is written. */
  readonly stopSolver: () => Promise<void>;
}

/**
 * Run one instance in a worker thread; the main thread keeps the timeout
 * promise: whatever the worker is doing, `timeout` is written before the
 * limit. SIGINT, SIGTERM and SIGHUP also end the run with `timeout`, exit
 * code 128 + the signal's number.
 */
export async function runVerify(flags: VerifyFlags, processStartEpochMs: number): Promise<VerifyRun> {
  if (!flags.onnx) throw new UsageError('missing --onnx <file>');
  if (!flags.vnnlib) throw new UsageError('missing --vnnlib <file>');
  if (!(flags.timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  const options = engineOptionsFromFlags(flags);
  const timeoutMs = flags.timeout * 1000;
  const limit = processStartEpochMs + timeoutMs;
  const request: WorkerRequest = {
    onnx: flags.onnx,
    vnnlib: flags.vnnlib,
    options,
    deadlineEpochMs: limit - solverMarginMs(timeoutMs),
    logLevel: flags.logLevel,
    logFile: flags.logFile,
    // The certificate comes after the verdict, with its own time (default: as much as the verdict had).
    proof: flags.proof ? { path: flags.proof, deadlineEpochMs: Date.now() + 1000 * (flags.proofTimeout ?? flags.timeout) } : undefined,
  };
  // Before the worker starts: the gate reaches it (and its own workers) as environment data.
  const gate = new NativeGate();
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: request });
  const stopSolver = async () => {
    if (!(await gate.close(STOP_WAIT_MS))) {
      process.stderr.write(`verify: warning: the solver stayed inside onnxruntime ${STOP_WAIT_MS / 1000} s after the verdict; stopping it anyway\n`);
    }
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([worker.terminate().catch(() => undefined), new Promise<void>((r) => (timer = safeSetTimeout(r, TERMINATE_GRACE_MS)))]);
    clearTimeout(timer);
  };
  let proofReply: (r: ProofReply | undefined) => void = () => undefined;
  const proofDone = new Promise<ProofReply | undefined>((r) => (proofReply = r));
  const proof = () => proofDone;
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome, exitCode: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      resolve({ outcome, exitCode, stopSolver, proof });
    };
    const watchdog = safeSetTimeout(() => finish({ verdict: 'timeout' }, EXIT.ok), limit - verdictMarginMs(timeoutMs) - Date.now());
    // Never removed: a signal that comes while the solver is being stopped must
    // not kill the process inside onnxruntime either; the verdict is out by then.
    onTerminationSignal((sig) => {
      if (!settled) process.stderr.write(`verify: interrupted by ${sig}\n`);
      finish({ verdict: 'timeout' }, SIGNAL_EXIT[sig]);
    });
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'proof') return proofReply(reply);
      // After the verdict the solver is being stopped: what it says then (SolverStopped) is not news.
      if (settled) return;
      if (reply.kind === 'outcome') finish(reply.outcome, EXIT.ok);
      else {
        if (!reply.inputError && reply.stack) process.stderr.write(`${safeLines(reply.stack)}\n`);
        finish({ verdict: 'error', message: reply.message }, reply.inputError ? EXIT.inputError : EXIT.internalError);
      }
    });
    worker.on('error', (e) => finish({ verdict: 'error', message: `solver crashed: ${e.message}` }, EXIT.internalError));
    worker.on('exit', (code) => {
      proofReply(undefined);
      finish({ verdict: 'unknown', reason: `solver exited with code ${code}` }, EXIT.ok);
    });
  });
}

/** The verdict to stdout, then to the result file (which may throw: the verdict is out first). */
export function emit(outcome: Outcome, resultsPath: string | undefined): void {
  process.stdout.write(formatResult(outcome));
  if (outcome.verdict === 'error') process.stderr.write(`verify: error: ${safeMessage(outcome.message)}\n`);
  if (outcome.verdict === 'unknown') process.stderr.write(`verify: unknown: ${safeMessage(outcome.reason)}\n`);
  if (resultsPath) writeResultFile(resultsPath, outcome);
}
