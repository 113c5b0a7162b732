/**
 * Timing of the batched bounders on random ACAS-sized (5 x 6x50 x 5) and
 * MNIST-sized (784-256-256-10) networks.
 *
 *   npx tsc -p tsconfig.json && node dist/scripts/bench-bounds.js
 */
import type { LayeredNet } from '../src/network/layered.js';
import { alphaCrown, crown, ibp } from '../src/bounds/index.js';
import type { Bounder, DomainBatch } from '../src/bounds/types.js';
import { makeRng, randomNet, type Rng } from '../test/helpers/random-net.js';

function boxes(rng: Rng, n0: number, B: number, centreLo: number, centreHi: number, eps: number): DomainBatch {
  const lower = new Float64Array(B * n0);
  const upper = new Float64Array(B * n0);
  for (let i = 0; i < B * n0; i++) {
    const c = centreLo + (centreHi - centreLo) * rng();
    const e = eps * (0.5 + rng());
    lower[i] = c - e;
    upper[i] = c + e;
  }
  return { size: B, lower, upper };
}

function ambiguousPerDomain(net: LayeredNet, pl: Float64Array[], pu: Float64Array[], B: number): number {
  let amb = 0;
  pl.forEach((l, k) => {
    const id = net.layers[k].identity;
    const n = net.layers[k].outDim;
    for (let i = 0; i < l.length; i++) if (l[i] < 0 && pu[k][i] > 0 && !(id && id[i % n])) amb++;
  });
  return amb / B;
}

async function time(bd: Bounder, net: LayeredNet, batch: DomainBatch, minMs = 1000, maxReps = 20): Promise<{ ms: number; mean: number; amb: number }> {
  const first = await bd.bound(net, batch); // warm-up (ORT session, caches)
  let reps = 0;
  const t0 = performance.now();
  while (reps < maxReps && (reps === 0 || performance.now() - t0 < minMs)) {
    await bd.bound(net, batch);
    reps++;
  }
  const ms = (performance.now() - t0) / reps;
  let s = 0;
  for (const v of first.rowLower) s += v;
  return { ms, mean: s / first.rowLower.length, amb: ambiguousPerDomain(net, first.preLower, first.preUpper, batch.size) };
}

async function main(): Promise<void> {
  const rng = makeRng(2024);
  const acas = randomNet(rng, [5, 50, 50, 50, 50, 50, 50, 5]);
  const mnist = randomNet(rng, [784, 256, 256, 10]);
  const bounders: Bounder[] = [ibp, crown(), alphaCrown()];
  const cases: [string, LayeredNet, number[], (B: number) => DomainBatch][] = [
    ['acas 5x(6x50)x5', acas, [1, 100, 1000], (B) => boxes(makeRng(7), 5, B, -0.5, 0.5, 0.05)],
    ['mnist 784-256-256-10', mnist, [1, 10], (B) => boxes(makeRng(8), 784, B, 0, 1, 0.01)],
  ];
  console.log('net                   bounder   B     ms/call   ms/domain  mean-rowLower  ambiguous/domain');
  for (const [name, net, Bs, mk] of cases) {
    for (const B of Bs) {
      const batch = mk(B);
      for (const bd of bounders) {
        const r = await time(bd, net, batch, B >= 100 || net === mnist ? 2000 : 1000, B >= 1000 ? 5 : 20);
        console.log(
          `${name.padEnd(21)} ${bd.name.padEnd(8)} ${String(B).padStart(5)} ${r.ms.toFixed(2).padStart(10)} ${(r.ms / B).toFixed(4).padStart(11)} ${r.mean.toFixed(4).padStart(14)} ${r.amb.toFixed(1).padStart(17)}`,
        );
      }
    }
  }
}

await main();
