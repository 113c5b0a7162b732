/** Worker side of pool.ts: keeps the networks it was sent and bounds slices of batches. */
import { parentPort, workerData } from 'node:worker_threads';
import type { LayeredNet } from '../network/layered.js';
import { fromPlainNet, type PlainNet } from '../network/transfer.js';
import type { BounderName, BoundingPurpose } from './index.js';
import type { DomainBatch } from './types.js';
import { nativeCall } from '../util/native-gate.js';

const data = workerData as { bounder: BounderName; purpose: BoundingPurpose };
// The bounders load onnxruntime's native binding: counted in the native gate (see src/cli/worker.ts).
const ready = nativeCall(() => import('./index.js')).then(async (m) => {
  const bounder = m.bounderByName(data.bounder, data.purpose);
  // onnxruntime's session too, before the first slice comes: a product just large enough to need it.
  const { matmul } = await import('../tensor/matmul.js');
  await matmul(new Float64Array(64 * 64), new Float64Array(64 * 64), 64, 64, 64, 0);
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
