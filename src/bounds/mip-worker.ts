/** Worker side of mip-thread.ts: exact MIPs, one request at a time, each result posted back. */
import { parentPort } from 'node:worker_threads';
import { fromPlainNet, type PlainNet } from '../network/transfer.js';
import type { LayeredNet } from '../network/layered.js';
import type { ExactMinimumOptions } from './mip.js';

type Request =
  | { type: 'net'; net: PlainNet }
  | { type: 'solve'; job: number; lower: Float64Array; upper: Float64Array; rows: number[]; opts: ExactMinimumOptions };

// The MIP path neither loads nor calls onnxruntime (matmul.ts loads it with the first product, and
// the MIP makes none): nothing to count in the native gate, and terminating this thread is safe.
const mip = await import('./mip.js');
let net: LayeredNet | undefined;
parentPort!.on('message', (m: Request) => {
  if (m.type === 'net') {
    net = fromPlainNet(m.net);
    return;
  }
  mip.exactMinimum(net!, m.lower, m.upper, m.rows, m.opts).then(
    (result) => parentPort!.postMessage({ job: m.job, result }),
    (e: unknown) => parentPort!.postMessage({ job: m.job, error: e instanceof Error ? e.message : String(e) }),
  );
});
parentPort!.postMessage({ ready: true });
