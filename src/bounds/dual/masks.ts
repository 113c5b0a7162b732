/**
 * Anderson masks of the Active Set solver (ALGORITHMS.md §3.3, §4.3), stored
 * on the sparsity pattern of W_k.
 *
 * A mask I of hidden layer k selects, for neuron i, a subset of the inputs j
 * of W_k[i, :]. Only the nonzeros of W_k matter (W ⊙ I is zero elsewhere), so
 * a mask row is a bit per nonzero of the CSR row i of W_k. Masks are per dual
 * row (each dual row runs its own oracle) and per neuron only where the
 * oracle returned a non-trivial row (not all-0, not all-1) of an ambiguous
 * ReLU: these are the cut's "entries". A layer that is a materialised
 * convolution (a dense matrix that is mostly zeros) thus costs its number of
 * nonzeros, not out x in, per masked product.
 *
 * For entry (r, i) the cut is
 *   x_k[i] <= (W ⊙ I)[i] x_{k-1} + z[i] b[i] - rhoL[i] (1 - z[i]) + rhoU[i] z[i],
 *   rhoL[i] = sum_j W[i,j] I[i,j] Lc[i,j],   rhoU[i] = sum_j W[i,j] (1 - I[i,j]) Uc[i,j],
 * with Lc[i,j] = l_{k-1}[j] if W[i,j] >= 0 else u_{k-1}[j] (the corner minimising
 * W[i,j] x_j) and Uc the opposite corner; l, u are the domain's post-activation
 * bounds of the previous layer (the input box for k = 0).
 */
import type { AffineLayer } from '../../network/layered.js';

/** Compressed sparse rows of a layer's W (outDim x inDim). */
export interface Csr {
  readonly rowPtr: Int32Array;
  readonly cols: Int32Array;
  readonly vals: Float64Array;
  readonly nnz: number;
}

const csrCache = new WeakMap<AffineLayer, Csr>();

/** CSR of W, computed once per (immutable) layer. */
export function csrOf(layer: AffineLayer): Csr {
  let c = csrCache.get(layer);
  if (c) return c;
  const { W, outDim, inDim } = layer;
  let nnz = 0;
  for (let i = 0; i < W.length; i++) if (W[i] !== 0) nnz++;
  const rowPtr = new Int32Array(outDim + 1);
  const cols = new Int32Array(nnz);
  const vals = new Float64Array(nnz);
  let p = 0;
  for (let i = 0; i < outDim; i++) {
    rowPtr[i] = p;
    const off = i * inDim;
    for (let j = 0; j < inDim; j++) {
      const w = W[off + j];
      if (w !== 0) {
        cols[p] = j;
        vals[p] = w;
        p++;
      }
    }
  }
  rowPtr[outDim] = p;
  c = { rowPtr, cols, vals, nnz };
  csrCache.set(layer, c);
  return c;
}

/** One mask per dual row for one hidden layer, with its multipliers. */
export interface MaskCut {
  /** Entries of dual row r are [rowStart[r], rowStart[r+1]). */
  readonly rowStart: Int32Array;
  /** Neuron i of each entry. */
  readonly neuron: Int32Array;
  /** Flat index r * n + i of each entry (for the multiplier arrays). */
  readonly flat: Int32Array;
  /** R x n: entry index of (r, i), -1 where the cut has none. */
  readonly entryOf: Int32Array;
  /** Offset into `bits` of each entry's segment (one bit per nonzero of W row i). */
  readonly bitStart: Int32Array;
  readonly bits: Uint8Array;
  /** R x n: rhoL, rhoU (0 outside the entries). */
  readonly rhoL: Float64Array;
  readonly rhoU: Float64Array;
  /** R x n multipliers beta_{k,I} (>= 0; 0 outside the entries) and their Adam moments. */
  readonly beta: Float64Array;
  readonly m: Float64Array;
  readonly v: Float64Array;
  /** R x n scratch: supergradient. */
  readonly grad: Float64Array;
}

export interface OracleInput {
  readonly csr: Csr;
  readonly R: number;
  readonly n: number;
  readonly nIn: number;
  readonly rowDomain: Int32Array;
  /** R x nIn: x*_{k-1} at the current inner minimiser. */
  readonly xPrev: Float64Array;
  /** R x n: z*_k. */
  readonly z: Float64Array;
  /** B x nIn: post-activation bounds of the previous layer (input box for k = 0). */
  readonly lPrev: Float64Array;
  readonly uPrev: Float64Array;
  /** B x n: pre-activation bounds of this layer (only ambiguous ReLUs get cuts). */
  readonly lhat: Float64Array;
  readonly uhat: Float64Array;
  readonly identity?: Uint8Array;
  /** Masks the layer already holds: a mask row equal to one of theirs for the same (row, neuron) is skipped. */
  readonly existing?: readonly MaskCut[];
  /** At most this many masks per (dual row, neuron), existing ones included (default unlimited). */
  readonly maxPerNeuron?: number;
}

/**
 * Separation oracle [Th2 eq. 2.4, input index j]: per dual row and ambiguous
 * ReLU i,
 *   I[i,j] = 1[ W[i,j] ((1 - z[i]) Lc[i,j] + z[i] Uc[i,j] - x_{k-1}[j]) >= 0 ],
 * the most violated A_k constraint at (x*, z*). Rows that come out all-0 or
 * all-1 (interval big-M cuts, superseded by M_k) are skipped, and so are
 * rows the layer already holds for that (dual row, neuron), and (dual row,
 * neuron) pairs that already hold maxPerNeuron masks (a per-pair limit
 * keeps every dual row's result independent of the batch). Returns
 * undefined when no row of any dual row is kept.
 */
export function oracleCut(inp: OracleInput): MaskCut | undefined {
  const { csr, R, n, nIn, rowDomain, xPrev, z, lPrev, uPrev, lhat, uhat, identity } = inp;
  const existing = inp.existing ?? [];
  const maxPer = inp.maxPerNeuron ?? Infinity;
  const full = (fi: number) => {
    if (maxPer === Infinity) return false;
    let c = 0;
    for (const e of existing) if (e.entryOf[fi] >= 0) c++;
    return c >= maxPer;
  };
  const { rowPtr, vals, cols } = csr;
  const eligible = (boff: number, i: number) => lhat[boff + i] < 0 && uhat[boff + i] > 0 && !(identity && identity[i]);
  const bitOf = (w: number, j: number, zi: number, poff: number, xo: number) => {
    const lo = lPrev[poff + j];
    const hi = uPrev[poff + j];
    const lc = w >= 0 ? lo : hi;
    const uc = w >= 0 ? hi : lo;
    return w * ((1 - zi) * lc + zi * uc - xPrev[xo + j]) >= 0 ? 1 : 0;
  };
  /** Does some existing cut hold exactly this mask row for (r, i)? */
  const duplicate = (fi: number, i: number, zi: number, poff: number, xo: number) => {
    const p0 = rowPtr[i];
    const p1 = rowPtr[i + 1];
    for (const c of existing) {
      const q = c.entryOf[fi];
      if (q < 0) continue;
      const shift = c.bitStart[q] - p0;
      let same = true;
      for (let p = p0; p < p1 && same; p++) same = c.bits[shift + p] === bitOf(vals[p], cols[p], zi, poff, xo);
      if (same) return true;
    }
    return false;
  };
  // Pass 1: which (row, neuron) pairs give a non-trivial mask row, and the storage they need.
  const keep = new Uint8Array(R * n);
  let entries = 0;
  let bitLen = 0;
  for (let r = 0; r < R; r++) {
    const b = rowDomain[r];
    const boff = b * n;
    const poff = b * nIn;
    const xo = r * nIn;
    for (let i = 0; i < n; i++) {
      if (!eligible(boff, i) || full(r * n + i)) continue;
      const p0 = rowPtr[i];
      const p1 = rowPtr[i + 1];
      if (p1 - p0 < 2) continue;
      const zi = z[r * n + i];
      let ones = 0;
      for (let p = p0; p < p1; p++) ones += bitOf(vals[p], cols[p], zi, poff, xo);
      if (ones > 0 && ones < p1 - p0 && !duplicate(r * n + i, i, zi, poff, xo)) {
        keep[r * n + i] = 1;
        entries++;
        bitLen += p1 - p0;
      }
    }
  }
  if (entries === 0) return undefined;
  const rowStart = new Int32Array(R + 1);
  const neuron = new Int32Array(entries);
  const flat = new Int32Array(entries);
  const bitStart = new Int32Array(entries);
  const bits = new Uint8Array(bitLen);
  const rhoL = new Float64Array(R * n);
  const rhoU = new Float64Array(R * n);
  const entryOf = new Int32Array(R * n).fill(-1);
  // Pass 2: fill the bits and the rho terms.
  let q = 0;
  let bo = 0;
  for (let r = 0; r < R; r++) {
    rowStart[r] = q;
    const b = rowDomain[r];
    const poff = b * nIn;
    const xo = r * nIn;
    for (let i = 0; i < n; i++) {
      const fi = r * n + i;
      if (!keep[fi]) continue;
      const p0 = rowPtr[i];
      const p1 = rowPtr[i + 1];
      const zi = z[fi];
      neuron[q] = i;
      flat[q] = fi;
      entryOf[fi] = q;
      bitStart[q] = bo;
      let rl = 0;
      let ru = 0;
      for (let p = p0; p < p1; p++, bo++) {
        const w = vals[p];
        const j = cols[p];
        const lo = lPrev[poff + j];
        const hi = uPrev[poff + j];
        const lc = w >= 0 ? lo : hi;
        const uc = w >= 0 ? hi : lo;
        if (w * ((1 - zi) * lc + zi * uc - xPrev[xo + j]) >= 0) {
          bits[bo] = 1;
          rl += w * lc;
        } else {
          ru += w * uc;
        }
      }
      rhoL[fi] = rl;
      rhoU[fi] = ru;
      q++;
    }
  }
  rowStart[R] = q;
  return {
    rowStart,
    neuron,
    flat,
    entryOf,
    bitStart,
    bits,
    rhoL,
    rhoU,
    beta: new Float64Array(R * n),
    m: new Float64Array(R * n),
    v: new Float64Array(R * n),
    grad: new Float64Array(R * n),
  };
}

/** out[r*n + i] = ((W ⊙ I) x_r)[i] on the cut's entries (other entries untouched). X is R x nIn. */
export function maskedForward(cut: MaskCut, csr: Csr, X: Float64Array, R: number, n: number, nIn: number, out: Float64Array): void {
  const { rowStart, neuron, bitStart, bits } = cut;
  const { rowPtr, cols, vals } = csr;
  for (let r = 0; r < R; r++) {
    const xo = r * nIn;
    for (let q = rowStart[r]; q < rowStart[r + 1]; q++) {
      const i = neuron[q];
      const p0 = rowPtr[i];
      const p1 = rowPtr[i + 1];
      const shift = bitStart[q] - p0;
      let s = 0;
      for (let p = p0; p < p1; p++) s += bits[shift + p] * vals[p] * X[xo + cols[p]];
      out[r * n + i] = s;
    }
  }
}

/**
 * out (R x nIn) += sign * (W ⊙ I)^T beta_r per dual row, over the cut's
 * entries with a nonzero multiplier.
 */
export function maskedBackward(
  cut: MaskCut,
  csr: Csr,
  beta: Float64Array,
  R: number,
  n: number,
  nIn: number,
  out: Float64Array,
  sign: number,
): void {
  const { rowStart, neuron, bitStart, bits } = cut;
  const { rowPtr, cols, vals } = csr;
  for (let r = 0; r < R; r++) {
    const xo = r * nIn;
    for (let q = rowStart[r]; q < rowStart[r + 1]; q++) {
      const i = neuron[q];
      const c = sign * beta[r * n + i];
      if (c === 0) continue;
      const p0 = rowPtr[i];
      const p1 = rowPtr[i + 1];
      const shift = bitStart[q] - p0;
      for (let p = p0; p < p1; p++) out[xo + cols[p]] += bits[shift + p] * vals[p] * c;
    }
  }
}

/** Bytes held by a cut (for reporting). */
export function cutBytes(cut: MaskCut): number {
  return cut.bits.byteLength + 4 * 4 * cut.neuron.length + (8 * 6 + 4) * cut.beta.length;
}
