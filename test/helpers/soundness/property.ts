/**
 * Output properties of the soundness fuzzer: a disjunction of conjunctions of
 * atoms over the outputs, each atom one of `Y_i <= c`, `Y_i >= c` or
 * `Y_i - Y_j <= c`. Kept in our own representation (not the parser's) so the
 * harness evaluates counterexamples without the code under test, and written
 * out as VNN-LIB text for the verifier to parse.
 */
import type { InputBox } from './boxes.js';

export type Atom =
  | { readonly kind: 'upper'; readonly i: number; readonly c: number }
  | { readonly kind: 'lower'; readonly i: number; readonly c: number }
  | { readonly kind: 'diff'; readonly i: number; readonly j: number; readonly c: number };

export interface Property {
  readonly numOutputs: number;
  /** Unsafe iff some disjunct has all of its atoms true at some input of the box. */
  readonly disjuncts: readonly (readonly Atom[])[];
}

const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/**
 * How far the atom is from being violated at outputs y: atom true iff <= 0.
 * This is the canonical row g(y) = coef·y - rhs the MIP minimises.
 */
export function atomSlack(a: Atom, y: ArrayLike<number>): number {
  switch (a.kind) {
    case 'upper':
      return y[a.i] - a.c;
    case 'lower':
      return a.c - y[a.i];
    case 'diff':
      return y[a.i] - y[a.j] - a.c;
  }
}

/** The atom as the VNN-LIB text says, evaluated in float64 with no tolerance. */
export function atomHolds(a: Atom, y: ArrayLike<number>): boolean {
  switch (a.kind) {
    case 'upper':
      return y[a.i] <= a.c;
    case 'lower':
      return y[a.i] >= a.c;
    case 'diff':
      return y[a.i] - y[a.j] <= a.c;
  }
}

/** Index of the first disjunct the outputs reach, or -1. */
export function reachedDisjunct(p: Property, y: ArrayLike<number>): number {
  return p.disjuncts.findIndex((d) => d.every((a) => atomHolds(a, y)));
}

/** max over the disjunct's atoms of their slack: <= 0 iff the disjunct is reached. */
export function disjunctSlack(d: readonly Atom[], y: ArrayLike<number>): number {
  return Math.max(...d.map((a) => atomSlack(a, y)));
}

/** Canonical rows of one disjunct (C: rows x m, d), for folding into the network. */
export function disjunctRows(d: readonly Atom[], m: number): { C: Float64Array; d: Float64Array } {
  const C = new Float64Array(d.length * m);
  const rhs = new Float64Array(d.length);
  d.forEach((a, r) => {
    if (a.kind === 'upper') C[r * m + a.i] = 1;
    else if (a.kind === 'lower') C[r * m + a.i] = -1;
    else {
      C[r * m + a.i] += 1;
      C[r * m + a.j] -= 1;
    }
    rhs[r] = a.kind === 'lower' ? -a.c : a.c;
  });
  return { C, d: rhs };
}

/**
 * Random disjuncts (1-4 of 1-3 atoms) whose atoms are all tight at the
 * outputs `y` of some point of the box, plus a per-disjunct offset of up to
 * `spread`: every disjunct is near reach, and a common shift (shiftProperty)
 * then sets the property's exact margin.
 */
export function randomProperty(rng: () => number, y: ArrayLike<number>, spread: number): Property {
  const m = y.length;
  const count = rng() < 0.5 ? 1 : int(rng, 2, 4);
  const disjuncts = Array.from({ length: count }, () => {
    const offset = (2 * rng() - 1) * spread;
    return Array.from({ length: int(rng, 1, 3) }, (): Atom => {
      const i = int(rng, 0, m - 1);
      const r = rng();
      // A difference needs two outputs: Y_0 - Y_0 would be a constant atom.
      if (r < 0.35 || (m === 1 && r < 0.7)) return { kind: 'upper', i, c: y[i] + offset };
      if (r < 0.7 || m === 1) return { kind: 'lower', i, c: y[i] - offset };
      const j = (i + int(rng, 1, m - 1)) % m;
      return { kind: 'diff', i, j, c: y[i] - y[j] + offset };
    });
  });
  return { numOutputs: m, disjuncts };
}

/** Every atom's slack lowered by delta: the property's exact margin drops by exactly delta. */
export function shiftProperty(p: Property, delta: number): Property {
  return {
    numOutputs: p.numOutputs,
    disjuncts: p.disjuncts.map((d) =>
      d.map((a): Atom => (a.kind === 'lower' ? { ...a, c: a.c - delta } : { ...a, c: a.c + delta })),
    ),
  };
}

/** Shortest text that reads back as the same float64. */
function num(v: number): string {
  return String(v);
}

function atomText(a: Atom): string {
  switch (a.kind) {
    case 'upper':
      return `(<= Y_${a.i} ${num(a.c)})`;
    case 'lower':
      return `(>= Y_${a.i} ${num(a.c)})`;
    case 'diff':
      return `(<= (- Y_${a.i} Y_${a.j}) ${num(a.c)})`;
  }
}

/** The VNN-LIB file: declarations, the input box, and the output DNF in one `or` of `and`s. */
export function toVnnlib(box: InputBox, p: Property): string {
  const n = box.lower.length;
  const lines: string[] = [];
  for (let i = 0; i < n; i++) lines.push(`(declare-const X_${i} Real)`);
  for (let j = 0; j < p.numOutputs; j++) lines.push(`(declare-const Y_${j} Real)`);
  lines.push('');
  for (let i = 0; i < n; i++) {
    lines.push(`(assert (>= X_${i} ${num(box.lower[i])}))`);
    lines.push(`(assert (<= X_${i} ${num(box.upper[i])}))`);
  }
  lines.push('');
  const conj = p.disjuncts.map((d) => `(and ${d.map(atomText).join(' ')})`);
  lines.push(conj.length === 1 ? `(assert ${conj[0]})` : `(assert (or\n  ${conj.join('\n  ')}\n))`);
  return `${lines.join('\n')}\n`;
}
