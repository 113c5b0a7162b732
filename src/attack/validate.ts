import type { ReferenceModel } from '../onnx/reference.js';
import type { Spec } from '../vnnlib/types.js';
import { toFloat32Point } from './float32.js';
import { exactLinearLeq } from '../util/dyadic.js';

export interface CheckedCounterexample {
  /**
   * The input as the model sees it (float32 values): inside the region's box,
   * except coordinates whose interval holds no float32 value (see float32.ts).
   */
  readonly x: Float64Array;
  /** Number of coordinates set to the nearest float32 value outside a float32-free interval (0 = inside the box). */
  readonly outsideBox: number;
  /** Outputs of the original ONNX model (onnxruntime) at x. */
  readonly y: Float64Array;
  readonly region: number;
  readonly disjunct: number;
}

/**
 * The last word on `sat`: run the ORIGINAL ONNX model with onnxruntime at the
 * candidate and evaluate the VNN-LIB output formula in float64, with no
 * tolerance. Our own float64 network only proposes candidates.
 */
export class CounterexampleChecker {
  constructor(
    private readonly model: ReferenceModel,
    private readonly spec: Spec,
    /** Refuse points outside the box even where the box holds no float32 value (--strict-box). */
    private readonly strictBox = false,
  ) {}

  async check(regionIndex: number, candidate: ArrayLike<number>): Promise<CheckedCounterexample | null> {
    const region = this.spec.regions[regionIndex];
    const p = toFloat32Point(candidate, region.lower, region.upper, this.strictBox);
    if (!p) return null;
    const x = p.x;
    // Constraints over several inputs (a polytope region) hold exactly at the float32 point, or it is no counterexample.
    if (region.inequalities?.some((q) => !exactLinearLeq(q.coef, x, q.rhs))) return null;
    const y = await this.model.run(x);
    const disjunct = region.disjuncts.findIndex((d) =>
      d.atoms.every((a) => {
        let s = 0;
        for (let j = 0; j < a.coef.length; j++) s += a.coef[j] * y[j];
        return s <= a.rhs;
      }),
    );
    return disjunct < 0 ? null : { x, y, region: regionIndex, disjunct, outsideBox: p.outside };
  }
}
