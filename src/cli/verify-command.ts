import { Worker } from 'node:worker_threads';
import { writeResultFile, formatResult } from '../report/result-file.js';
import type { Outcome } from '../report/verdict.js';
import { BOUNDER_NAMES, DEFAULT_ENGINE_OPTIONS, type BounderName, type EngineOptions } from '../engine/options.js';
import { EXIT, UsageError } from './errors.js';
import { safeSetTimeout } from '../util/timers.js';
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
  batch: number;
  memory: number;
  threads: number;
  logLevel: string;
  logFile?: string;
}

function oneOf<T extends string>(flag: string, value: string, allowed: readonly T[]): T {
  if (!(allowed as readonly string[]).includes(value)) throw new UsageError(`--${flag} must be one of ${allowed.join(', ')} (got '${value}')`);
  return value as T;
}

export function engineOptionsFromFlags(f: VerifyFlags): Omit<EngineOptions, 'deadline'> {
  if (!Number.isFinite(f.seed)) throw new UsageError('--seed must be an integer');
  if (!(f.batch >= 0)) throw new UsageError('--batch must be a non-negative integer');
  if (!(f.memory > 0)) throw new UsageError('--memory must be a positive number of MiB');
  if (!(f.threads >= 1 && f.threads <= 64)) throw new UsageError('--threads must be between 1 and 64');
  return {
    ...DEFAULT_ENGINE_OPTIONS,
    seed: f.seed,
    mode: oneOf('mode', f.mode, ['complete', 'incomplete'] as const),
    bounder: oneOf<BounderName | 'auto'>('bounder', f.bounder, [...BOUNDER_NAMES, 'auto']),
    tightBounder: oneOf<BounderName | 'none' | 'auto'>('tight', f.tight, [...BOUNDER_NAMES, 'none', 'auto']),
    branching: oneOf('branching', f.branching, ['auto', 'input', 'relu'] as const),
    batchSize: Math.floor(f.batch),
    memoryMb: f.memory,
    threads: Math.floor(f.threads),
  };
}

/** How much of the time limit is left for the solver, so that the verdict is written before the limit. */
function solverBudgetMs(timeoutMs: number): number {
  return Math.max(0, timeoutMs - Math.min(1500, 0.1 * timeoutMs));
}

/** How long, once the verdict is out, the solver thread gets to stop before the process exits anyway. */
const STOP_GRACE_MS = 1500;

/**
 * Run one instance in a worker thread; the main thread keeps the timeout
 * promise: whatever the worker is doing, `timeout` is written before the limit.
 */

export async function runVerify(
  flags: VerifyFlags,
  startEpochMs: number,
): Promise<{ outcome: Outcome; exitCode: number; stopSolver: () => Promise<void> }> {
  if (!flags.onnx) throw new UsageError('missing --onnx <file>');
  if (!flags.vnnlib) throw new UsageError('missing --vnnlib <file>');
  if (!(flags.timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  const options = engineOptionsFromFlags(flags);
  const timeoutMs = flags.timeout * 1000;
  const request: WorkerRequest = {
    onnx: flags.onnx,
    vnnlib: flags.vnnlib,
    options,
    deadlineEpochMs: startEpochMs + solverBudgetMs(timeoutMs),
    logLevel: flags.logLevel,
    logFile: flags.logFile,
  };
  const worker = new Worker(new URL('./worker.js', import.meta.url), { workerData: request });
  // Exiting while the solver thread is inside onnxruntime can abort the
  // process (seen once in 30 oval21 runs: SIGABRT after `timeout` was
  // written), so the caller stops the thread first, waiting a bounded time.
  const stopSolver = async () => {
    let timer: NodeJS.Timeout | undefined;
    await Promise.race([
      worker.terminate().catch(() => undefined),
      new Promise<void>((r) => {
        timer = safeSetTimeout(r, STOP_GRACE_MS);
      }),
    ]);
    clearTimeout(timer);
  };
  return new Promise((resolve) => {
    let settled = false;
    const finish = (outcome: Outcome, exitCode: number) => {
      if (settled) return;
      settled = true;
      clearTimeout(watchdog);
      resolve({ outcome, exitCode, stopSolver });
    };
    const watchdog = safeSetTimeout(
      () => finish({ verdict: 'timeout' }, EXIT.ok),
      Math.max(0, startEpochMs + timeoutMs - 250 - Date.now()),
    );
    worker.on('message', (reply: WorkerReply) => {
      if (reply.kind === 'outcome') finish(reply.outcome, EXIT.ok);
      else {
        if (!reply.inputError && reply.stack) process.stderr.write(`${safeLines(reply.stack)}\n`);
        finish({ verdict: 'error', message: reply.message }, reply.inputError ? EXIT.inputError : EXIT.internalError);
      }
    });
    worker.on('error', (e) => finish({ verdict: 'error', message: `solver crashed: ${e.message}` }, EXIT.internalError));
    worker.on('exit', (code) => finish({ verdict: 'unknown', reason: `solver exited with code ${code}` }, EXIT.ok));
  });
}

export function emit(outcome: Outcome, resultsPath: string | undefined): void {
  if (resultsPath) writeResultFile(resultsPath, outcome);
  process.stdout.write(formatResult(outcome));
  if (outcome.verdict === 'error') process.stderr.write(`verify: error: ${safeMessage(outcome.message)}\n`);
  if (outcome.verdict === 'unknown') process.stderr.write(`verify: unknown: ${safeMessage(outcome.reason)}\n`);
}
