/**
 * The neurons of a layer searched on several threads: the calling thread and worker threads each take the next
 * neuron from one queue until the queue or the time runs out. A neuron's search is small and independent (its
 * own network row, its own tree), so this splits work without splitting any search; the layer's problem (the cut
 * network, bounds, slopes) goes to each worker once per layer.
 */
import { JobWorker } from '../../util/job-worker.js';
import { toPlainNet } from '../../network/transfer.js';
import { shareCores } from '../../tensor/matmul.js';
import { searchNeuron, type LayerProblem, type NeuronOutcome, type NeuronTarget } from './neuron-search.js';

class SearchWorker {
  private readonly jobs = new JobWorker<NeuronOutcome>(new URL('./refine-worker.js', import.meta.url), undefined, 'refine worker');

  get ready(): boolean {
    return this.jobs.ready;
  }

  get whenReady(): Promise<void> {
    return this.jobs.whenReady;
  }

  sendLayer(id: number, layer: LayerProblem): void {
    this.jobs.post({ type: 'layer', id, problem: { ...layer, cut: toPlainNet(layer.cut) } });
  }

  /** The searches of that layer are no longer needed: the running one ends at its next batch. */
  stopLayer(id: number): void {
    this.jobs.post({ type: 'stop', layer: id });
  }

  search(layer: number, target: NeuronTarget, deadline: number): Promise<NeuronOutcome> {
    const deadlineEpochMs = Date.now() + (deadline - performance.now());
    return this.jobs.request({ type: 'neuron', layer, target, deadlineEpochMs });
  }

  terminate(): Promise<number> {
    return this.jobs.terminate();
  }
}

export interface NeuronPool {
  /**
   * Searches the targets in order, each until min(its own budget, `deadline`); calls `done` with each outcome
   * as it arrives. Targets not started by the deadline, or once `signal` is aborted, are left out; the searches
   * running then end at their next batch.
   */
  searchLayer(
    layer: LayerProblem,
    targets: readonly NeuronTarget[],
    perNeuronMs: number,
    deadline: number,
    done: (t: NeuronTarget, o: NeuronOutcome) => void,
    signal?: AbortSignal,
  ): Promise<void>;
  /** Resolves once every worker has loaded its modules (tests). */
  started(): Promise<void>;
  /** Neurons searched on worker threads so far. */
  readonly remoteSearches: number;
  close(): Promise<void>;
}

/** Below this much time a search is not started. */
const MIN_SEARCH_MS = 50;

export function neuronPool(threads: number): NeuronPool {
  const workers = Array.from({ length: Math.max(0, threads - 1) }, () => new SearchWorker());
  let layerId = 0;
  let remote = 0;
  return {
    get remoteSearches() {
      return remote;
    },
    async started() {
      await Promise.all(workers.map((w) => w.whenReady));
    },
    searchLayer(layer, targets, perNeuronMs, deadline, done, signal) {
      const id = layerId++;
      let next = 0;
      let active = 0;
      const more = () => next < targets.length && deadline - performance.now() >= MIN_SEARCH_MS && !signal?.aborted;
      const budget = () => Math.min(deadline, performance.now() + perNeuronMs);
      // With workers, this thread's products leave the cores to them (tensor/matmul.ts, shareCores).
      const release = workers.length > 0 ? shareCores() : () => {};
      return new Promise<void>((resolve, reject) => {
        // The layer ends when no runner is left; a failure on this thread is reported only then, so that no
        // worker is terminated in the middle of a search (of an onnxruntime call). A worker that fails leaves its
        // neuron without a result (no information) and stops taking neurons.
        let failure: { error: unknown } | undefined;
        const run = async (search: (t: NeuronTarget) => Promise<NeuronOutcome>, local: boolean) => {
          active++;
          try {
            while (more() && !failure) {
              const t = targets[next++];
              done(t, await search(t));
            }
          } catch (error) {
            if (local) failure = { error };
          } finally {
            active--;
            if (active === 0) {
              release();
              if (failure) reject(failure.error);
              else resolve();
            }
          }
        };
        const join = (w: SearchWorker) => {
          if (!more() || failure) return;
          w.sendLayer(id, layer);
          signal?.addEventListener('abort', () => w.stopLayer(id), { once: true });
          void run((t) => (remote++, w.search(id, t, budget())), false);
        };
        // A worker still loading its modules joins when ready, if neurons are left by then.
        for (const w of workers) {
          if (w.ready) join(w);
          else void w.whenReady.then(() => join(w));
        }
        void run((t) => searchNeuron(layer, t, budget(), undefined, signal), true);
      });
    },
    async close() {
      await Promise.all(workers.map((w) => w.terminate()));
    },
  };
}
