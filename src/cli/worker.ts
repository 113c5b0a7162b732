import { parentPort, workerData } from 'node:worker_threads';
import { runInstance } from '../engine/run-instance.js';
import type { EngineOptions } from '../engine/options.js';
import { isInputError } from './errors.js';
import { makeLogger } from './logger.js';

/** The solver runs here so that the main thread can keep the timeout promise even if a computation blocks. */
export interface WorkerRequest {
  readonly onnx: string;
  readonly vnnlib: string;
  readonly options: Omit<EngineOptions, 'deadline'>;
  /** Date.now() by which the worker should have answered. */
  readonly deadlineEpochMs: number;
  readonly logLevel: string;
  readonly logFile?: string;
}

export type WorkerReply =
  | { readonly kind: 'outcome'; readonly outcome: import('../report/verdict.js').Outcome }
  | { readonly kind: 'failure'; readonly inputError: boolean; readonly message: string; readonly stack?: string };

const req = workerData as WorkerRequest;
const log = makeLogger(req.logLevel, req.logFile);
const deadline = performance.now() + (req.deadlineEpochMs - Date.now());

runInstance(req.onnx, req.vnnlib, { ...req.options, deadline }, log).then(
  (outcome) => parentPort!.postMessage({ kind: 'outcome', outcome } satisfies WorkerReply),
  (e: unknown) => {
    const err = e instanceof Error ? e : new Error(String(e));
    parentPort!.postMessage({ kind: 'failure', inputError: isInputError(err), message: err.message, stack: err.stack } satisfies WorkerReply);
  },
);
