/**
 * Where a wrong `unsat` comes from: a bounder wrapper that follows a known
 * witness (a point of the box where the property is violated) through
 * branch and bound. Every domain that contains the witness (its input box
 * and its ReLU split signs) must keep bounds the witness satisfies; the first
 * bound that excludes it (an intermediate bound, an output row bound over
 * the margin, or the domain declared infeasible) is the unsound step.
 */
import type { Bounder, BoundOptions, BoundResult, DomainBatch } from '../../../src/bounds/types.js';
import type { LayeredNet } from '../../../src/network/layered.js';
import { forwardPre } from '../random-net.js';

export interface Violation {
  readonly kind: 'infeasible' | 'row' | 'pre-lower' | 'pre-upper' | 'inherited-lower' | 'inherited-upper';
  readonly bounder: string;
  /** Bounder call (0 = the root) and domain index in its batch. */
  readonly call: number;
  readonly domain: number;
  /** Split neurons of the domain, and whether its input box is narrower than the root's. */
  readonly splitCount: number;
  readonly layer?: number;
  readonly neuron?: number;
  readonly bound?: number;
  readonly value?: number;
}

/** A domain containing the witness, as branch and bound keeps it after bounding. */
export interface TracedDomain {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly splitCount: number;
  readonly preLower: Float64Array[];
  readonly preUpper: Float64Array[];
  readonly rowLower: Float64Array;
}

const n0 = (net: LayeredNet) => net.inputDim;

/** Is `bound` beyond `value` by more than float64 noise? */
function beyond(bound: number, value: number, above: boolean): boolean {
  const tol = 1e-9 * (1 + Math.abs(value) + Math.abs(bound));
  return above ? bound > value + tol : bound < value - tol;
}

/**
 * Wraps a bounder to check every domain containing `x` against its exact
 * pre-activations and outputs on `net`; `margin` is the closing threshold
 * (a row bound above it closes the domain's disjunct).
 */
export class WitnessTrace implements Bounder {
  readonly violations: Violation[] = [];
  /** Bounder calls whose batch held a domain containing the witness. */
  containingCalls = 0;
  /** Domains containing the witness that the bounder left open (not closed by a bound). */
  openContaining = 0;
  /** The most recent such open domains (up to 8): where the witness went next. */
  readonly lastOpen: TracedDomain[] = [];
  private calls = 0;
  private readonly pre: Float64Array[];

  constructor(
    private readonly inner: Bounder,
    private readonly net: LayeredNet,
    private readonly x: Float64Array,
    private readonly rowGroup: Int32Array,
    private readonly margin: number,
  ) {
    this.pre = forwardPre(net, x);
  }

  get name(): string {
    return this.inner.name;
  }

  private contains(batch: DomainBatch, b: number): boolean {
    const n0 = this.net.inputDim;
    for (let i = 0; i < n0; i++) if (!(this.x[i] >= batch.lower[b * n0 + i] && this.x[i] <= batch.upper[b * n0 + i])) return false;
    const H = this.net.layers.length - 1;
    for (let k = 0; k < H && batch.splits; k++) {
      const n = this.net.layers[k].outDim;
      for (let j = 0; j < n; j++) {
        const s = batch.splits[k][b * n + j];
        if ((s > 0 && this.pre[k][j] < 0) || (s < 0 && this.pre[k][j] > 0)) return false;
      }
    }
    return true;
  }

  async bound(n: LayeredNet, batch: DomainBatch, options?: BoundOptions): Promise<BoundResult> {
    const res = await this.inner.bound(n, batch, options);
    const call = this.calls++;
    const net = this.net;
    const H = net.layers.length - 1;
    const out = this.pre[H];
    const m = net.outputDim;
    let any = false;
    for (let b = 0; b < batch.size; b++) {
      if (!this.contains(batch, b)) continue;
      any = true;
      let splitCount = 0;
      for (let k = 0; k < H && batch.splits; k++) {
        const nk = net.layers[k].outDim;
        for (let j = 0; j < nk; j++) if (batch.splits[k][b * nk + j] !== 0) splitCount++;
      }
      const v = (kind: Violation['kind'], extra: Partial<Violation> = {}) =>
        this.violations.push({ kind, bounder: this.inner.name, call, domain: b, splitCount, ...extra });
      for (let k = 0; k < H; k++) {
        const nk = net.layers[k].outDim;
        for (let j = 0; j < nk; j++) {
          const z = this.pre[k][j];
          const il = batch.preLower?.[k][b * nk + j];
          const iu = batch.preUpper?.[k][b * nk + j];
          if (il !== undefined && beyond(il, z, true)) v('inherited-lower', { layer: k, neuron: j, bound: il, value: z });
          if (iu !== undefined && beyond(iu, z, false)) v('inherited-upper', { layer: k, neuron: j, bound: iu, value: z });
          if (beyond(res.preLower[k][b * nk + j], z, true)) v('pre-lower', { layer: k, neuron: j, bound: res.preLower[k][b * nk + j], value: z });
          if (beyond(res.preUpper[k][b * nk + j], z, false)) v('pre-upper', { layer: k, neuron: j, bound: res.preUpper[k][b * nk + j], value: z });
        }
      }
      const rows = res.rowLower.subarray(b * m, (b + 1) * m);
      if (rows.every((r) => r === Infinity)) v('infeasible');
      else rows.forEach((lb, r) => beyond(lb, out[r], true) && v('row', { neuron: r, bound: lb, value: out[r] }));
      const groups = Math.max(...this.rowGroup) + 1;
      let closed = true;
      for (let g = 0; g < groups; g++) {
        let best = -Infinity;
        rows.forEach((lb, r) => {
          if (this.rowGroup[r] === g) best = Math.max(best, lb);
        });
        if (!(best > this.margin)) closed = false;
      }
      if (!closed) {
        this.openContaining++;
        const slice = (a: Float64Array, k: number) => a.slice(b * net.layers[k].outDim, (b + 1) * net.layers[k].outDim);
        this.lastOpen.push({
          lower: batch.lower.slice(b * n0(net), (b + 1) * n0(net)),
          upper: batch.upper.slice(b * n0(net), (b + 1) * n0(net)),
          splitCount,
          preLower: res.preLower.map(slice),
          preUpper: res.preUpper.map(slice),
          rowLower: rows.slice(),
        });
        if (this.lastOpen.length > 8) this.lastOpen.shift();
      }
    }
    if (any) this.containingCalls++;
    return res;
  }
}
