/**
 * The typed result of parsing a VNN-LIB file.
 *
 * As in VNN-COMP, a file describes the *unsafe* set: an input region and an
 * output condition. `sat` means some input in the region reaches the output
 * condition.
 */

import { echo, safeMessage } from '../util/user-text.js';

/** Where a construct came from, for error messages. */
export interface SourcePos {
  readonly file: string;
  readonly line: number;
  readonly col: number;
}

/** sum_j coef[j] * Y_j  <= rhs   (every atom is normalised to this form). */
export interface OutputAtom {
  /** Dense coefficients over the outputs Y_0..Y_{m-1}. */
  readonly coef: Float64Array;
  readonly rhs: number;
}

/** A conjunction of output atoms: the unsafe set is non-empty iff some disjunct is reachable. */
export interface OutputConjunct {
  readonly atoms: readonly OutputAtom[];
}

/** coef·X <= rhs over two or more inputs (only parsed with `linearInputs`). */
export interface InputInequality {
  /** Dense coefficients over the inputs X_0..X_{n-1}. */
  readonly coef: Float64Array;
  readonly rhs: number;
  readonly pos: SourcePos;
}

/** One input box with the output condition (a disjunction) that is unsafe on it. */
export interface SpecRegion {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  /**
   * Linear constraints over several inputs that cut the box further (the
   * input set is box ∩ {coef·X <= rhs}). Only present when the file was
   * parsed with `linearInputs: true`; the default parse rejects them, so
   * code that knows only boxes never sees a region it would over-approximate
   * (a counterexample in the box but outside them would be wrong).
   */
  readonly inequalities?: readonly InputInequality[];
  /** Output DNF: unsafe iff some x in the box satisfies some conjunct. */
  readonly disjuncts: readonly OutputConjunct[];
}

export interface Spec {
  readonly file: string;
  readonly numInputs: number;
  readonly numOutputs: number;
  /** Unsafe iff some region has a reachable disjunct. */
  readonly regions: readonly SpecRegion[];
}

/** Longest file path kept in a message (paths are user text too). */
const PATH_ECHO_MAX = 1000;

export class VnnlibError extends Error {
  constructor(message: string, readonly pos?: SourcePos) {
    // Messages quote the file's own tokens: escaped and cut (src/util/user-text.ts).
    const text = safeMessage(message);
    super(pos ? `${echo(pos.file, PATH_ECHO_MAX)}:${pos.line}:${pos.col}: ${text}` : text);
    this.name = 'VnnlibError';
  }
}
