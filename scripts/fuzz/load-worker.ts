/**
 * The fuzzer's in-process runs: the CLI's own load path (src/engine/load-problem.ts)
 * on one case at a time, in a worker thread so that a case that hangs or
 * exhausts memory takes down this thread, not the fuzzer.
 */
import { parentPort } from 'node:worker_threads';
import { isInputError } from '../../src/cli/errors.js';
import { loadProblem } from '../../src/engine/load-problem.js';

export interface LoadRequest {
  readonly id: number;
  readonly onnx: string;
  readonly vnnlib: string;
}

export type LoadReply =
  | { readonly id: number; readonly outcome: 'loaded' }
  | { readonly id: number; readonly outcome: 'input-error' | 'internal-error'; readonly message: string; readonly stack?: string };

parentPort!.on('message', (m: LoadRequest) => {
  let reply: LoadReply;
  try {
    loadProblem(m.onnx, m.vnnlib);
    reply = { id: m.id, outcome: 'loaded' };
  } catch (e) {
    const err = e instanceof Error ? e : new Error(String(e));
    // Classified exactly as the CLI does (exit 2 vs exit 3).
    reply = { id: m.id, outcome: isInputError(err) ? 'input-error' : 'internal-error', message: err.message.slice(0, 2000), stack: err.stack?.slice(0, 4000) };
  }
  parentPort!.postMessage(reply);
});
