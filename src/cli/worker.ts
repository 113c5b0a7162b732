import { parentPort, workerData } from 'node:worker_threads';
import { readFileSync } from 'node:fs';
import type { EngineOptions } from '../engine/options.js';
import { isInputError } from './errors.js';
import { makeLogger } from './logger.js';
import type { ProduceReport } from '../proof/produce.js';
import { ProofLog } from '../proof/recorder.js';
import { nativeCall } from '../util/native-gate.js';

/** The solver runs here so that the main thread can keep the timeout promise even if a computation blocks. */
export interface WorkerRequest {
  readonly onnx: string;
  readonly vnnlib: string;
  readonly options: Omit<EngineOptions, 'deadline'>;
  /** Date.now() by which the worker should have answered. */
  readonly deadlineEpochMs: number;
  readonly logLevel: string;
  readonly logFile?: string;
  /** Write an unsat certificate here, after the verdict, by Date.now() = deadlineEpochMs. */
  readonly proof?: { readonly path: string; readonly deadlineEpochMs: number };
}

export type WorkerReply =
  | { readonly kind: 'outcome'; readonly outcome: import('../report/verdict.js').Outcome }
  | { readonly kind: 'proof'; readonly report?: ProduceReport; readonly error?: string }
  | { readonly kind: 'failure'; readonly inputError: boolean; readonly message: string; readonly stack?: string };

const req = workerData as WorkerRequest;
const log = makeLogger(req.logLevel, req.logFile);
const deadline = performance.now() + (req.deadlineEpochMs - Date.now());

const proofLog = req.proof ? new ProofLog() : undefined;

// Loading the solver loads onnxruntime's native binding: counted in the native gate like a
// session.run, so that a verdict written meanwhile (a short --timeout on a loaded machine)
// does not terminate this thread in the middle of it (SIGABRT, seen once under load).
nativeCall(() => import('../engine/run-instance.js'))
  .then(({ runInstance }) => runInstance(req.onnx, req.vnnlib, { ...req.options, deadline, proofLog }, log))
  .then(
    async (outcome) => {
      parentPort!.postMessage({ kind: 'outcome', outcome } satisfies WorkerReply);
      if (!req.proof || outcome.verdict !== 'unsat') return;
      // After the verdict: the certificate has its own time.
      try {
        const solved = proofLog!.solved;
        if (!solved) throw new Error('the problem was not solved by the bounders (no certificate possible)');
        const files = { onnxPath: req.onnx, onnxBytes: solved.onnxBytes, vnnlibPath: req.vnnlib, vnnlibBytes: readFileSync(req.vnnlib) };
        const proofDeadline = performance.now() + (req.proof.deadlineEpochMs - Date.now());
        const { produceProof } = await import('../proof/produce.js');
        const report = await produceProof(solved.problem, proofLog, files, req.proof.path, proofDeadline, `tsverify ${version()}`);
        log.info(report, 'proof written');
        parentPort!.postMessage({ kind: 'proof', report } satisfies WorkerReply);
      } catch (e) {
        parentPort!.postMessage({ kind: 'proof', error: (e as Error).message } satisfies WorkerReply);
      }
    },
    (e: unknown) => {
      const err = e instanceof Error ? e : new Error(String(e));
      parentPort!.postMessage({ kind: 'failure', inputError: isInputError(err), message: err.message, stack: err.stack } satisfies WorkerReply);
    },
  );

function version(): string {
  try {
    return (JSON.parse(readFileSync(new URL('../../../package.json', import.meta.url), 'utf8')) as { version: string }).version;
  } catch {
    return 'unknown';
  }
}
