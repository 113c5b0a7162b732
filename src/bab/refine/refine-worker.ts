/** Worker side of refine-pool.ts: keeps the current layer's problem and searches the neurons it is sent. */
import { parentPort } from 'node:worker_threads';
import { fromPlainNet, type PlainNet } from '../../network/transfer.js';
import type { LayerProblem, NeuronTarget } from './neuron-search.js';
import { shareCores } from '../../tensor/matmul.js';

type Message =
  | { type: 'layer'; id: number; problem: Omit<LayerProblem, 'cut'> & { cut: PlainNet } }
  | { type: 'neuron'; job: number; layer: number; target: NeuronTarget; deadlineEpochMs: number }
  | { type: 'stop'; layer: number };

// This thread searches neurons while the calling thread searches others.
shareCores();

const layers = new Map<number, LayerProblem & { readonly stop: AbortController }>();
const search = import('./neuron-search.js').then((m) => {
  parentPort!.postMessage({ ready: true });
  return m.searchNeuron;
});

parentPort!.on('message', (m: Message) => {
  if (m.type === 'layer') {
    // One layer at a time: the previous one is no longer asked for.
    layers.clear();
    layers.set(m.id, { ...m.problem, cut: fromPlainNet(m.problem.cut), stop: new AbortController() });
    return;
  }
  if (m.type === 'stop') {
    layers.get(m.layer)?.stop.abort();
    return;
  }
  const layer = layers.get(m.layer);
  const deadline = performance.now() + (m.deadlineEpochMs - Date.now());
  search
    .then((searchNeuron) => {
      if (!layer) throw new Error(`layer ${m.layer} was never sent`);
      // A neuron sent before its layer was called off and read after returns `none` at once.
      return searchNeuron(layer, m.target, deadline, undefined, layer.stop.signal);
    })
    .then(
      (result) => parentPort!.postMessage({ job: m.job, result }),
      (e: unknown) => parentPort!.postMessage({ job: m.job, error: e instanceof Error ? e.message : String(e) }),
    );
});
