/**
 * A lower bound proves a row positive only when it exceeds this margin.
 * Bounds are computed in float64 (relative rounding error ~1e-16 per
 * operation, a few thousand operations deep), while the ONNX models run in
 * float32; 1e-6 absolute covers the former by orders of magnitude and makes
 * us refuse to claim `unsat` on properties that hinge on the last float32 ulp.
 */
export const SOUNDNESS_MARGIN = 1e-6;
