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
import { Worker } from 'node:worker_threads';
import type { LayeredNet } from '../network/layered.js';
import { toPlainNet } from '../network/transfer.js';
import type { ExactMinimumOptions, ExactMinimumResult } from './mip.js';

export class MipThread {
  private readonly worker: Worker;
  private readonly ready: Promise<void>;
  private readonly pending = new Map<number, { resolve: (r: ExactMinimumResult) => void; reject: (e: Error) => void }>();
  private nextJob = 0;
  private stopped = false;

  constructor(net: LayeredNet) {
    this.worker = new Worker(new URL('./mip-worker.js', import.meta.url));
    this.worker.unref();
    this.worker.postMessage({ type: 'net', net: toPlainNet(net) });
    let markReady: () => void = () => undefined;
    this.ready = new Promise<void>((r) => (markReady = r));
    const failAll = (e: Error) => {
      markReady();
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('message', (m: { type: string; job?: number; result?: ExactMinimumResult; error?: string }) => {
      if (m.type === 'ready') return markReady();
      const p = this.pending.get(m.job!);
      if (!p) return;
      this.pending.delete(m.job!);
      if (m.type === 'result') p.resolve(m.result!);
      else p.reject(new Error(`MIP thread: ${m.error}`));
    });
    this.worker.on('error', failAll);
    this.worker.on('exit', () => failAll(new Error('MIP thread stopped')));
  }

  /** Exact min over [lower, upper] of max over `rows` (mip.ts exactMinimum). */
  solve(lower: Float64Array, upper: Float64Array, rows: readonly number[], opts: ExactMinimumOptions): Promise<ExactMinimumResult> {
    if (this.stopped) return Promise.reject(new Error('MIP thread stopped'));
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      this.worker.postMessage({ type: 'solve', job, lower, upper, rows: [...rows], opts });
    });
  }

  /** Terminate the thread; pending solves reject. */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    await this.ready;
    await this.worker.terminate();
  }
}
