/** Worker side of refine-pool.ts: keeps the current layer's problem and searches the neurons it is sent. */
import { parentPort } from 'node:worker_threads';
import { fromPlainNet, type PlainNet } from '../../network/transfer.js';
import type { LayerProblem, NeuronTarget } from './neuron-search.js';

type Message =
  | { type: 'layer'; id: number; problem: Omit<LayerProblem, 'cut'> & { cut: PlainNet } }
  | { type: 'neuron'; job: number; layer: number; target: NeuronTarget; deadlineEpochMs: number }
  | { type: 'stop'; layer: number };

const layers = new Map<number, LayerProblem>();
/** The layer whose searches were called off, and the signal of the searches running for the current layer. */
let stopped = -1;
let running = new AbortController();
const search = import('./neuron-search.js').then((m) => {
  parentPort!.postMessage({ ready: true });
  return m.searchNeuron;
});

parentPort!.on('message', (m: Message) => {
  if (m.type === 'layer') {
    // One layer at a time: the previous one is no longer asked for.
    layers.clear();
    layers.set(m.id, { ...m.problem, cut: fromPlainNet(m.problem.cut) });
    return;
  }
  if (m.type === 'stop') {
    stopped = m.layer;
    running.abort();
    running = new AbortController();
    return;
  }
  // A neuron sent before its layer was called off, read after: nothing to search.
  if (m.layer === stopped) {
    parentPort!.postMessage({ job: m.job, result: { kind: 'none', domains: 0 } });
    return;
  }
  const signal = running.signal;
  const layer = layers.get(m.layer);
  const deadline = performance.now() + (m.deadlineEpochMs - Date.now());
  search
    .then((searchNeuron) => {
      if (!layer) throw new Error(`layer ${m.layer} was never sent`);
      return searchNeuron(layer, m.target, deadline, undefined, signal);
    })
    .then(
      (result) => parentPort!.postMessage({ job: m.job, result }),
      (e: unknown) => parentPort!.postMessage({ job: m.job, error: e instanceof Error ? e.message : String(e) }),
    );
});
