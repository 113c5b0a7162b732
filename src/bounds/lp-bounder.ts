/**
 * The exact Planet LP (HiGHS) and the exact Big-M MIP behind the `Bounder`
 * interface, one domain at a time (HiGHS has no batching). Intermediate
 * bounds come from CROWN, so `lp` is the optimum every dual method with the
 * same intermediate bounds converges to (Big-M, BDD+) or improves on
 * (Active Set), and `mip` is the true minimum of each row: the reference
 * points of the bound-quality report, and a complete method for small nets.
 */
import type { LayeredNet } from '../network/layered.js';
import { crownPass } from './crown.js';
import { splitDomains } from './ibp.js';
import { planetLp } from './lp.js';
import { exactMinimum } from './mip.js';
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from './types.js';

/** Seconds left before the deadline (undefined: no limit), never below a small floor. */
function secondsLeft(deadline: number | undefined): number | undefined {
  return deadline === undefined ? undefined : Math.max(0.05, (deadline - performance.now()) / 1000);
}

function domainPre(pre: readonly Float64Array[], net: LayeredNet, b: number): Float64Array[] {
  return pre.map((a, k) => {
    const n = net.layers[k].outDim;
    return a.slice(b * n, (b + 1) * n);
  });
}

/**
 * A bounder that runs CROWN on the batch, then improves each feasible
 * domain's row bounds with `improve` (bounds below CROWN's are ignored).
 */
function perDomainOnCrown(
  name: string,
  improve: (net: LayeredNet, box: DomainBox, deadline: number | undefined) => Promise<ArrayLike<number>>,
): Bounder {
  return {
    name,
    async bound(net: LayeredNet, batch: DomainBatch, options?: BoundOptions): Promise<BoundResult> {
      const st = await crownPass(net, batch);
      const m = net.outputDim;
      const n0 = net.inputDim;
      const rowLower = st.result.rowLower.slice();
      const split = splitDomains(batch, (k) => net.layers[k].identity);
      for (const b of st.feasible) {
        const box: DomainBox = {
          lower: batch.lower.subarray(b * n0, (b + 1) * n0),
          upper: batch.upper.subarray(b * n0, (b + 1) * n0),
          preLower: domainPre(st.result.preLower, net, b),
          preUpper: domainPre(st.result.preUpper, net, b),
          hasSplits: split[b] === 1,
        };
        const v = await improve(net, box, options?.deadline);
        for (let r = 0; r < m; r++) if (v[r] > rowLower[b * m + r]) rowLower[b * m + r] = v[r];
      }
      return { ...st.result, rowLower };
    },
  };
}

interface DomainBox {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  /** Only a domain with split constraints can be proved empty. */
  readonly hasSplits: boolean;
}

/**
 * Planet LP per domain on CROWN's intermediate bounds. The bound is the
 * dual-certified LP value, never below CROWN's (rows the LP did not finish
 * keep CROWN's bound).
 */
export function planetLpBounder(): Bounder {
  return perDomainOnCrown('lp', async (net, d, deadline) => {
    const lp = await planetLp(net, d.lower, d.upper, d.preLower, d.preUpper, { timeLimit: secondsLeft(deadline), mayBeEmpty: d.hasSplits });
    return lp.rowLower;
  });
}

/**
 * HiGHS's MIP dual bound is not certified like the LP's (integrality and
 * feasibility tolerances of 1e-9 act through big-M coefficients), so it is
 * lowered by this relative margin before use.
 */
export const MIP_SAFETY = 1e-5;

/** A MIP dual bound made safe against the solver's tolerances. */
export function safeMipBound(v: number): number {
  return Number.isFinite(v) ? v - MIP_SAFETY * (1 + Math.abs(v)) : v;
}

/**
 * Exact minimum of every row by Big-M MIP (HiGHS) per domain: the proven
 * lower bound HiGHS reports (lowered by MIP_SAFETY), which is the minimum
 * when it finishes. Exponential in the number of ambiguous ReLUs: for small
 * networks.
 */
export function mipBounder(): Bounder {
  return perDomainOnCrown('mip', async (net, d, deadline) => {
    const out = new Float64Array(net.outputDim);
    for (let r = 0; r < out.length; r++) {
      const res = await exactMinimum(net, d.lower, d.upper, [r], { preLower: d.preLower, preUpper: d.preUpper, timeLimit: secondsLeft(deadline) });
      // An uncertified 'infeasible' is not trusted: CROWN's bound stays.
      out[r] = res.status === 'infeasible' ? -Infinity : safeMipBound(res.lowerBound);
    }
    return out;
  });
}
