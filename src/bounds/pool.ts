/**
 * Bound one batch on several threads: the batch's domains are cut into
 * contiguous slices, one bounded on the calling thread and the others by
 * the same bounder in worker threads, and the results stitched back
 * together. TypeScript loops run on one core per thread, so this is how
 * branch and bound uses both cores of the machine (onnxruntime's own
 * threads only help the products).
 *
 * Workers start with the first batch large enough to split and load their
 * modules meanwhile; until one has said it is ready, the calling thread
 * bounds the batches alone, so a run never waits for a worker's start-up
 * (a few hundred ms of module loading per instance).
 *
 * Networks are sent to each worker once (by identity) and kept there.
 */
import type { LayeredNet } from '../network/layered.js';
import { toPlainNet } from '../network/transfer.js';
import { concat } from '../tensor/arrays.js';
import { shareCores } from '../tensor/matmul.js';
import { JobWorker } from '../util/job-worker.js';
import { bounderByName, type BounderName, type BoundingPurpose } from './index.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';

/** Below this many domains per slice, threads cost more than they save. */
const MIN_SLICE = 32;

class BoundWorker {
  private readonly jobs: JobWorker<BoundResult>;
  private readonly sentNets = new WeakSet<LayeredNet>();
  private readonly netIds = new WeakMap<LayeredNet, number>();
  private nextNet = 0;

  constructor(bounder: BounderName, purpose: BoundingPurpose) {
    this.jobs = new JobWorker(new URL('./pool-worker.js', import.meta.url), { bounder, purpose }, 'bound worker');
  }

  /** True once the worker has loaded its bounder (its first message). */
  get ready(): boolean {
    return this.jobs.ready;
  }

  get whenReady(): Promise<void> {
    return this.jobs.whenReady;
  }

  bound(net: LayeredNet, batch: DomainBatch, deadlineEpochMs: number | undefined): Promise<BoundResult> {
    let netId = this.netIds.get(net);
    if (netId === undefined) {
      netId = this.nextNet++;
      this.netIds.set(net, netId);
    }
    if (!this.sentNets.has(net)) {
      this.jobs.post({ type: 'net', netId, net: toPlainNet(net) });
      this.sentNets.add(net);
    }
    return this.jobs.request({ type: 'bound', netId, batch, deadlineEpochMs });
  }

  terminate(): Promise<number> {
    return this.jobs.terminate();
  }
}

function sliceBatch(net: LayeredNet, batch: DomainBatch, b0: number, b1: number): DomainBatch {
  const n0 = net.inputDim;
  const per = (arrs: readonly Float64Array[] | undefined) =>
    arrs?.map((a, k) => a.slice(b0 * net.layers[k].outDim, b1 * net.layers[k].outDim));
  return {
    size: b1 - b0,
    lower: batch.lower.slice(b0 * n0, b1 * n0),
    upper: batch.upper.slice(b0 * n0, b1 * n0),
    splits: batch.splits?.map((s, k) => s.slice(b0 * net.layers[k].outDim, b1 * net.layers[k].outDim)),
    preLower: per(batch.preLower),
    preUpper: per(batch.preUpper),
    freshFrom: batch.freshFrom?.slice(b0, b1),
    activeRows: batch.activeRows?.slice(b0 * net.outputDim, b1 * net.outputDim),
    intermediateSlopes: batch.intermediateSlopes,
    warmStart: batch.warmStart?.map((a, k) => a.slice(b0 * net.outputDim * net.layers[k].outDim, b1 * net.outputDim * net.layers[k].outDim)),
    certify: batch.certify,
    goal: batch.goal,
  };
}

function stitch(parts: BoundResult[]): BoundResult {
  const hidden = parts[0].preLower.length;
  const layers = (pick: (r: BoundResult) => Float64Array[]) =>
    Array.from({ length: hidden }, (_, k) => concat(parts.map((p) => pick(p)[k])));
  const withLinear = parts.every((p) => p.linear);
  const withDual = parts.every((p) => p.dual);
  const withBest = parts.every((p) => p.bestDual);
  return {
    rowLower: concat(parts.map((p) => p.rowLower)),
    preLower: layers((p) => p.preLower),
    preUpper: layers((p) => p.preUpper),
    linear: withLinear
      ? { A: concat(parts.map((p) => p.linear!.A as Float64Array)), c: concat(parts.map((p) => p.linear!.c as Float64Array)) }
      : undefined,
    dual: withDual ? Array.from({ length: hidden }, (_, k) => concat(parts.map((p) => p.dual![k]))) : undefined,
    bestDual: withBest ? Array.from({ length: hidden }, (_, k) => concat(parts.map((p) => p.bestDual![k]))) : undefined,
  };
}

/**
 * A bounder that spreads each batch over `threads` threads: the calling
 * thread and `threads - 1` worker threads (each with the named bounder).
 * Small batches, and every batch before a worker is ready, run on the
 * calling thread alone.
 */
export function pooledBounder(
  name: BounderName,
  threads: number,
  purpose: BoundingPurpose = 'bab',
): Bounder & { close(): Promise<void>; started(): Promise<void> } {
  const local = bounderByName(name, purpose);
  let workers: BoundWorker[] | undefined;
  const start = () => (workers ??= Array.from({ length: threads - 1 }, () => new BoundWorker(name, purpose)));
  return {
    name: `${name}x${threads}`,
    /** Starts the workers now if not yet started; resolves once every one is ready (tests). */
    async started() {
      await Promise.all(start().map((w) => w.whenReady));
    },
    async bound(net: LayeredNet, batch: DomainBatch, options?: BoundOptions): Promise<BoundResult> {
      // Workers start with the first batch worth splitting: a run that never has one (most ACAS Xu
      // instances under a second) does not spend a core's time loading them.
      if (Math.floor(batch.size / MIN_SLICE) < 2) return local.bound(net, batch, options);
      const ready = start().filter((w) => w.ready);
      const slices = Math.min(1 + ready.length, Math.floor(batch.size / MIN_SLICE));
      if (slices < 2) return local.bound(net, batch, options);
      const deadlineEpochMs = options?.deadline === undefined ? undefined : Date.now() + (options.deadline - performance.now());
      const per = Math.ceil(batch.size / slices);
      const jobs: Promise<BoundResult>[] = [];
      // Slice 0 stays here, started last so that the workers' slices are on their way first.
      for (let s = 1; s < slices; s++) {
        const b0 = s * per;
        const b1 = Math.min(batch.size, b0 + per);
        jobs.push(ready[s - 1].bound(net, sliceBatch(net, batch, b0, b1), deadlineEpochMs));
      }
      const release = shareCores();
      try {
        jobs.unshift(local.bound(net, sliceBatch(net, batch, 0, Math.min(batch.size, per)), options));
        return stitch(await Promise.all(jobs));
      } finally {
        release();
      }
    },
    async close() {
      if (workers) await Promise.all(workers.map((w) => w.terminate()));
      workers = undefined;
    },
  };
}
