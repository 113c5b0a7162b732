import type { OutputAtom, Spec } from '../vnnlib/types.js';

/**
 * True when the atom compares two outputs with no constant: coef·Y <= 0 with
 * coef = a·(e_i - e_j), a > 0 (Y_j >= Y_i in the file, normalised). Such atoms
 * keep their truth value under any strictly increasing map applied to all
 * outputs at once with one shared scale, as a final Softmax is
 * (src/ir/final-softmax.ts).
 */
export function isOutputComparison(atom: OutputAtom): boolean {
  if (atom.rhs !== 0) return false;
  let pos = -1;
  let neg = -1;
  for (let j = 0; j < atom.coef.length; j++) {
    const c = atom.coef[j];
    if (c === 0) continue;
    if (c > 0 && pos < 0) pos = j;
    else if (c < 0 && neg < 0) neg = j;
    else return false;
  }
  return pos >= 0 && neg >= 0 && Number.isFinite(atom.coef[pos]) && atom.coef[pos] === -atom.coef[neg];
}

/** True when every output atom of every region compares two outputs (see isOutputComparison). */
export function comparesOutputsOnly(spec: Spec): boolean {
  return spec.regions.every((r) => r.disjuncts.every((d) => d.atoms.every(isOutputComparison)));
}
