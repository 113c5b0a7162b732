/**
 * A worker thread that answers requests by job number: it says `{ ready: true }` once its modules are loaded,
 * then `{ job, result }` or `{ job, error }` for each request. The bounding pool (src/bounds/pool.ts), the
 * neuron-refinement pool (src/bab/refine/refine-pool.ts) and the MIP thread (src/bounds/mip-thread.ts) talk to
 * their workers through it. A worker that fails or exits rejects its pending and later requests.
 */
import { Worker } from 'node:worker_threads';

interface Pending<R> {
  resolve: (r: R) => void;
  reject: (e: Error) => void;
}

export class JobWorker<R> {
  private readonly worker: Worker;
  private readonly pending = new Map<number, Pending<R>>();
  private nextJob = 0;
  /** True once the worker has loaded its modules (its first message). */
  ready = false;
  readonly whenReady: Promise<void>;
  private onReady: () => void = () => undefined;
  /** Why the worker can take no more requests (it failed or exited). */
  private dead: Error | undefined;

  /** `label` names the worker in the errors its requests reject with. */
  constructor(url: URL, workerData: unknown, private readonly label: string) {
    this.whenReady = new Promise((r) => (this.onReady = r));
    this.worker = new Worker(url, { workerData });
    this.worker.unref();
    this.worker.on('message', (m: { ready: true } | { job: number; result?: R; error?: string }) => {
      if ('ready' in m) {
        this.ready = true;
        this.onReady();
        return;
      }
      const p = this.pending.get(m.job);
      if (!p) return;
      this.pending.delete(m.job);
      if (m.result) p.resolve(m.result);
      else p.reject(new Error(`${this.label}: ${m.error}`));
    });
    // `whenReady` resolves then too, so that nothing waits for a worker that will never be ready.
    const fail = (e: Error) => {
      this.dead ??= e;
      this.onReady();
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', () => fail(new Error(`${this.label} stopped`)));
  }

  /** A message that needs no answer (e.g. data later requests refer to). */
  post(message: unknown): void {
    this.worker.postMessage(message);
  }

  /** A request: the message with a fresh `job` number added; resolves with the worker's result for it. */
  request(message: object): Promise<R> {
    if (this.dead) return Promise.reject(this.dead);
    const job = this.nextJob++;
    return new Promise((resolve, reject) => {
      this.pending.set(job, { resolve, reject });
      this.worker.postMessage({ ...message, job });
    });
  }

  terminate(): Promise<number> {
    return this.worker.terminate();
  }
}
