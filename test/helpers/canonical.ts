import type { CheckedCounterexample } from '../../src/attack/validate.js';
import type { CandidateCheck } from '../../src/attack/screen.js';
import { forward, type LayeredNet } from '../../src/network/layered.js';
import type { CanonicalBox } from '../../src/problem/types.js';
import { errorScale, rowMargins } from '../../src/problem/rounding.js';

/** The same net with every output row lowered by t (g_r - t): moves the property's threshold. */
export function shiftRows(net: LayeredNet, t: number): LayeredNet {
  const last = net.layers[net.layers.length - 1];
  const b = Float64Array.from(last.b, (v) => v - t);
  return { ...net, layers: [...net.layers.slice(0, -1), { ...last, b }] };
}

export function canonicalBox(net: LayeredNet, lower: Float64Array, upper: Float64Array, rowGroup: number[]): CanonicalBox {
  return {
    index: 0,
    lower,
    upper,
    net,
    // The net's outputs are the rows themselves: C = I, d = 0.
    unfolded: { net, C: identity(net.outputDim), d: new Float64Array(net.outputDim) },
    rowGroup: Int32Array.from(rowGroup),
    numDisjuncts: Math.max(...rowGroup) + 1,
    margin: rowMargins(errorScale(net, lower, upper)),
  };
}

function identity(m: number): Float64Array {
  const C = new Float64Array(m * m);
  for (let i = 0; i < m; i++) C[i * m + i] = 1;
  return C;
}

/**
 * A counterexample check on our own float64 forward pass (the CLI tests
 * cover the onnxruntime check): x must be in the box and reach a disjunct.
 */
export function float64Check(box: CanonicalBox): CandidateCheck {
  return async (x) => {
    for (let i = 0; i < x.length; i++) if (x[i] < box.lower[i] || x[i] > box.upper[i]) return null;
    const y = forward(box.net, x);
    for (let g = 0; g < box.numDisjuncts; g++) {
      let reached = true;
      box.rowGroup.forEach((gr, r) => {
        if (gr === g && y[r] > 0) reached = false;
      });
      if (reached) return { x: Float64Array.from(x), y, region: 0, disjunct: g, outsideBox: 0 } satisfies CheckedCounterexample;
    }
    return null;
  };
}
