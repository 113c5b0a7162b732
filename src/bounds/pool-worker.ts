/** Worker side of pool.ts: keeps the networks it was sent and bounds slices of batches. */
import { parentPort, workerData } from 'node:worker_threads';
import type { LayeredNet } from '../network/layered.js';
import { fromPlainNet, type PlainNet } from '../network/transfer.js';
import type { BounderName, BoundingPurpose } from './index.js';
import type { DomainBatch } from './types.js';
import { shareCores } from '../tensor/matmul.js';

const data = workerData as { bounder: BounderName; purpose: BoundingPurpose };
// This thread bounds a slice while the calling thread bounds another.
shareCores();
// Loading the bounders does not load onnxruntime (src/tensor/matmul.ts loads it, through the native gate,
// with the first product that needs it), so terminating this thread while it still loads them is safe: a short
// run that ends before the thread is ready does not wait for it. Its first slice creates the session.
const ready = import('./index.js').then((m) => {
  const bounder = m.bounderByName(data.bounder, data.purpose);
  parentPort!.postMessage({ ready: true });
  return bounder;
});
const nets = new Map<number, LayeredNet>();

type Message =
  | { type: 'net'; netId: number; net: PlainNet }
  | { type: 'bound'; job: number; netId: number; batch: DomainBatch; deadlineEpochMs?: number };

parentPort!.on('message', (m: Message) => {
  if (m.type === 'net') {
    nets.set(m.netId, fromPlainNet(m.net));
    return;
  }
  const net = nets.get(m.netId)!;
  const deadline = m.deadlineEpochMs === undefined ? undefined : performance.now() + (m.deadlineEpochMs - Date.now());
  ready.then((bounder) => bounder.bound(net, m.batch, { deadline })).then(
    (result) => {
      const transfer = [result.rowLower, ...result.preLower, ...result.preUpper, ...(result.linear ? [result.linear.A, result.linear.c] : []), ...(result.dual ?? []), ...(result.bestDual ?? [])]
        .map((a) => a.buffer as ArrayBuffer)
        .filter((b, i, all) => all.indexOf(b) === i);
      parentPort!.postMessage({ job: m.job, result }, transfer);
    },
    (e: unknown) => parentPort!.postMessage({ job: m.job, error: e instanceof Error ? e.message : String(e) }),
  );
});
