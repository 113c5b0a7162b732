import { foldOutputRows, type LayeredNet } from '../network/layered.js';
import type { Spec } from '../vnnlib/types.js';
import { batchErrorScale, rowMargins } from './rounding.js';
import type { CanonicalBox, CanonicalProblem } from './types.js';

export class ProblemError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ProblemError';
  }
}

/**
 * Network + spec -> one folded network per input box. Every atom of every
 * disjunct becomes a row g_r = coef·y - rhs of the last layer, so a single
 * backward pass bounds all disjuncts of a box at once.
 */
export function compileProblem(net: LayeredNet, spec: Spec): CanonicalProblem {
  if (spec.numInputs !== net.inputDim) {
    throw new ProblemError(
      `${spec.file} declares ${spec.numInputs} inputs (X_i) but the network has ${net.inputDim} input elements (shape [${net.inputShape.join(',')}])`,
    );
  }
  if (spec.numOutputs !== net.outputDim) {
    throw new ProblemError(`${spec.file} declares ${spec.numOutputs} outputs (Y_i) but the network has ${net.outputDim}`);
  }
  const m = net.outputDim;
  const boxes: CanonicalBox[] = spec.regions.map((region, index) => {
    const atoms = region.disjuncts.flatMap((d, g) => d.atoms.map((a) => ({ a, g })));
    // A disjunct with no atoms is unsafe wherever the box is non-empty: give it
    // one row that is identically -1 so the bounders and attacks see it as reached.
    const empty = region.disjuncts.map((d, g) => ({ d, g })).filter(({ d }) => d.atoms.length === 0);
    const rows = atoms.length + empty.length;
    const C = new Float64Array(rows * m);
    const d = new Float64Array(rows);
    const rowGroup = new Int32Array(rows);
    atoms.forEach(({ a, g }, r) => {
      C.set(a.coef, r * m);
      d[r] = a.rhs;
      rowGroup[r] = g;
    });
    empty.forEach(({ g }, i) => {
      const r = atoms.length + i;
      d[r] = 1;
      rowGroup[r] = g;
    });
    const folded = foldOutputRows(net, C, d);
    return {
      index,
      lower: region.lower,
      upper: region.upper,
      net: folded,
      unfolded: { net, C, d },
      rowGroup,
      numDisjuncts: region.disjuncts.length,
      margin: rowMargins(batchErrorScale(folded, region.lower, region.upper, 1)),
    };
  });
  return { base: net, boxes };
}
