/**
 * The proof checker's view of one input region: the network exactly as
 * lowered (dense weights), the spec rows g_r = C_r·y - d_r as parsed, and
 * nothing computed by the solver. Only ReLU networks (with identity
 * neurons) have certificates.
 */
import { isReluNet, nonReluActivations } from '../../network/layered.js';
import type { CanonicalBox } from '../../problem/types.js';

export interface CheckLayer {
  readonly inDim: number;
  readonly outDim: number;
  /** outDim x inDim, row-major. */
  readonly W: Float64Array;
  readonly b: Float64Array;
  /** |W|, for the rounding-error terms. */
  readonly absW: Float64Array;
  /** 1 = identity neuron (hidden layers only). */
  readonly identity: Uint8Array | null;
}

export interface CheckNet {
  readonly n0: number;
  /** Affine layers; hidden layer k is the ReLU of layers[k]'s output, layers[H] gives the model outputs y. */
  readonly layers: readonly CheckLayer[];
  readonly H: number;
  /** rows x m spec coefficients and right-hand sides. */
  readonly C: Float64Array;
  readonly d: Float64Array;
  readonly rowGroup: Int32Array;
  readonly numDisjuncts: number;
  /** The region's input box. */
  readonly lower: Float64Array;
  readonly upper: Float64Array;
}

export class UnsupportedProofError extends Error {}

export function checkNetOf(box: CanonicalBox): CheckNet {
  const net = box.unfolded.net;
  if (box.inputCuts) throw new UnsupportedProofError('proofs cover box input regions only (this property cuts a region by constraints over several inputs)');
  if (!isReluNet(net)) {
    throw new UnsupportedProofError(`proofs cover ReLU networks only (this one has ${nonReluActivations(net).join(', ')})`);
  }
  const layers = net.layers.map((l, k): CheckLayer => {
    const W = l.W;
    return {
      inDim: l.inDim,
      outDim: l.outDim,
      W,
      b: l.b,
      absW: Float64Array.from(W, Math.abs),
      identity: k < net.layers.length - 1 && l.identity ? l.identity : null,
    };
  });
  return {
    n0: net.inputDim,
    layers,
    H: layers.length - 1,
    C: box.unfolded.C,
    d: box.unfolded.d,
    rowGroup: box.rowGroup,
    numDisjuncts: box.numDisjuncts,
    lower: box.lower,
    upper: box.upper,
  };
}
