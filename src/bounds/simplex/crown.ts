/**
 * CROWN over an input set (issue 16, 2a): the backward pass of
 * src/bounds/crown.ts with CROWN's adaptive slopes on the shared
 * intermediate bounds, its input coefficients concretised over the set
 * (ALGORITHMS.md §1.5) instead of a box.
 */
import type { LayeredNet } from '../../network/layered.js';
import type { Bounder, BoundResult, DomainBatch } from '../types.js';
import { boundRows, outputObjective, perDomain, type DomainBound, type SimplexRelaxation } from './context.js';

/** The output rows' CROWN bounds over the set of `ctx`. */
export async function simplexCrownRows(net: LayeredNet, ctx: SimplexRelaxation): Promise<DomainBound> {
  const { Lam, c0 } = outputObjective(net);
  const { lb, A, c } = await boundRows(net, ctx, net.layers.length - 2, Lam, c0);
  return { rowLower: lb, A, c };
}

export function simplexCrown(): Bounder {
  return {
    name: 'simplex-crown',
    bound(net: LayeredNet, batch: DomainBatch): Promise<BoundResult> {
      return perDomain(net, batch, 'simplex-crown', (ctx) => simplexCrownRows(net, ctx));
    },
  };
}
