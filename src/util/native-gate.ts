/**
 * Stopping the solver thread without aborting the process.
 *
 * onnxruntime's session.run is a synchronous native call. Terminating a
 * worker thread while it is inside one (worker.terminate(), or process.exit,
 * which terminates every worker) makes the binding's next N-API call fail, a
 * Napi::Error escapes into C++ and the process dies with SIGABRT ("terminate
 * called after throwing an instance of 'Napi::Error'", exit 134) after the
 * verdict was printed: 11 of 12 runs of a 4 x 1000 ReLU network with
 * --timeout 2.
 *
 * The gate is one shared counter: every onnxruntime call made through
 * `nativeCall` counts itself in and out, and refuses to start once the main
 * thread has closed the gate. The main thread closes it, waits until the
 * count is zero (no thread is inside onnxruntime, and none can enter) and
 * only then terminates the worker. The shared memory reaches the solver
 * thread and its bounding threads as environment data, which node copies
 * into every worker started after it is set, workers of workers included.
 */
import { getEnvironmentData, setEnvironmentData } from 'node:worker_threads';
import { safeSetTimeout } from './timers.js';

const KEY = 'tsverify.nativeGate';
/** Bit of the counter word meaning "closed"; the bits below count the calls in flight. */
const CLOSED = 1 << 30;

/** Thrown instead of starting an onnxruntime call after the gate closed: the solver is being stopped. */
export class SolverStopped extends Error {
  constructor() {
    super('the solver was stopped (the verdict has been written)');
    this.name = 'SolverStopped';
  }
}

let counter: Int32Array | null | undefined;

function sharedCounter(): Int32Array | null {
  if (counter === undefined) {
    const sab = getEnvironmentData(KEY);
    counter = sab instanceof SharedArrayBuffer ? new Int32Array(sab) : null;
  }
  return counter;
}

/**
 * Run `call`, which enters onnxruntime, counted as in flight until it settles
 * (a superset of the time spent in native code). Without a gate (tests,
 * scripts, the main thread of other commands) it simply runs.
 */
export async function nativeCall<T>(call: () => Promise<T>): Promise<T> {
  const c = sharedCounter();
  if (!c) return call();
  for (;;) {
    const v = Atomics.load(c, 0);
    if (v & CLOSED) throw new SolverStopped();
    if (Atomics.compareExchange(c, 0, v, v + 1) === v) break;
  }
  try {
    return await call();
  } finally {
    Atomics.sub(c, 0, 1);
  }
}

/** The main thread's side: created before the solver thread is started. */
export class NativeGate {
  private readonly count: Int32Array;

  constructor() {
    const sab = new SharedArrayBuffer(4);
    this.count = new Int32Array(sab);
    setEnvironmentData(KEY, sab);
  }

  /** Calls in flight now (for tests). */
  get inFlight(): number {
    return Atomics.load(this.count, 0) & ~CLOSED;
  }

  /**
   * Refuse every later call and wait until none is in flight: true once it is
   * safe to terminate the threads, false if `maxWaitMs` passed first.
   */
  async close(maxWaitMs: number): Promise<boolean> {
    Atomics.or(this.count, 0, CLOSED);
    const t0 = performance.now();
    while (this.inFlight > 0) {
      if (performance.now() - t0 >= maxWaitMs) return false;
      await new Promise<void>((r) => safeSetTimeout(r, 2));
    }
    return true;
  }
}
