/**
 * The exact MIP (mip.ts) on a thread of its own, so that it can race branch
 * and bound on the other core and be stopped when the race is decided.
 * HiGHS's solve is one blocking WebAssembly call that only its time limit
 * interrupts: stopping terminates the thread. The MIP path makes no
 * onnxruntime call (the reason terminating a bounding thread is gated,
 * src/util/native-gate.ts); termination still waits for the thread's module
 * loading to finish. The thread is started once per network and kept for
 * its MIPs (starting one costs a few hundred ms).
 */
import type { LayeredNet } from '../network/layered.js';
import { toPlainNet } from '../network/transfer.js';
import { JobWorker } from '../util/job-worker.js';
import type { ExactMinimumOptions, ExactMinimumResult } from './mip.js';

export class MipThread {
  private readonly jobs = new JobWorker<ExactMinimumResult>(new URL('./mip-worker.js', import.meta.url), undefined, 'MIP thread');
  private stopped = false;

  constructor(net: LayeredNet) {
    this.jobs.post({ type: 'net', net: toPlainNet(net) });
  }

  /** Exact min over [lower, upper] of max over `rows` (mip.ts exactMinimum). */
  solve(lower: Float64Array, upper: Float64Array, rows: readonly number[], opts: ExactMinimumOptions): Promise<ExactMinimumResult> {
    if (this.stopped) return Promise.reject(new Error('MIP thread stopped'));
    return this.jobs.request({ type: 'solve', lower, upper, rows: [...rows], opts });
  }

  /** Terminate the thread; pending solves reject. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.jobs.whenReady;
    await this.jobs.terminate();
  }
}
