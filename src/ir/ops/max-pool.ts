/**
 * MaxPool: the max over each window's input cells (padding cells excluded).
 * Lowered exactly into ReLUs: max(a, b) = a + relu(b - a), pairwise over each
 * window, one hidden layer per level of the tree (ceil(log2 k) layers for a
 * window of k cells); the pair's `a` and an odd cell out ride along as
 * identity neurons.
 */
import { numel } from '../graph.js';
import { combineRows, type AffineMap } from '../../network/affine-map.js';
import { identity, relu, type Activation } from '../../network/activations/registry.js';
import { asFloat, floatT, NotLinear, type OpModule, type Shape } from './op.js';
import { poolAxes, windowTaps } from './pool.js';
import { forEachSeparableTap, indexRows } from './util.js';
import type { IRNode } from '../graph.js';

/** Each output's window cells as flat input indices. */
function windows(node: IRNode, x: Shape): number[][] {
  const taps = windowTaps(x, poolAxes(node, x));
  const out: number[][] = Array.from({ length: numel(taps.map((t) => t.length)) }, () => []);
  forEachSeparableTap(x, taps, (o, i) => out[o].push(i));
  return out;
}

/** A value as a sum of rows of the current map (each term: row, coefficient). */
type Terms = [number, number][];

export const maxPool: OpModule = {
  ops: ['MaxPool'],
  shape(node, s) {
    if (node.outputs.length > 1 && node.outputs[1] !== '') throw new Error('MaxPool with an Indices output is not supported');
    const x = s[0] as Shape;
    return [[x[0], x[1], ...poolAxes(node, x).map((a) => a.out)]];
  },
  evaluate(node, ins, outShapes) {
    const X = ins[0]!;
    const x = asFloat(X);
    const r = windows(node, X.shape).map((w) => w.reduce((m, i) => Math.max(m, x[i]), -Infinity));
    return [floatT(outShapes[0], Float64Array.from(r))];
  },
  lower(ctx) {
    const x = ctx.need(0);
    if (!x.map) throw new NotLinear('MaxPool of a constant should have been folded');
    const wins = windows(ctx.node, x.shape);
    if (wins.every((w) => w.length === 1)) return [indexRows(x.map, Int32Array.from(wins, (w) => w[0]), 0)];
    let cur: AffineMap = x.map;
    let cands: Terms[][] = wins.map((w) => w.map((i): Terms => [[i, 1]]));
    while (cands.some((c) => c.length > 1)) {
      // One level: per pair (a, b) the neurons a (identity) and b - a (ReLU); an odd one out rides along.
      const rowsOf: Terms[] = [];
      const acts: Activation[] = [];
      const next: number[][][] = [];
      for (const c of cands) {
        const group: number[][] = [];
        for (let p = 0; p + 1 < c.length; p += 2) {
          const [a, b] = [c[p], c[p + 1]];
          rowsOf.push(a);
          acts.push(identity);
          rowsOf.push([...b, ...a.map(([r, w]): [number, number] => [r, -w])]);
          acts.push(relu);
          group.push([rowsOf.length - 2, rowsOf.length - 1]);
        }
        if (c.length % 2 === 1) {
          rowsOf.push(c[c.length - 1]);
          acts.push(identity);
          group.push([rowsOf.length - 1]);
        }
        next.push(group);
      }
      const src = cur;
      const pre = combineRows(src, rowsOf.length, new Float64Array(rowsOf.length), (add) => {
        rowsOf.forEach((terms, o) => terms.forEach(([r, w]) => add(o, r, w)));
      });
      cur = ctx.activate(pre, acts);
      cands = next.map((g) => g.map((rows) => rows.map((r): [number, number] => [r, 1])));
    }
    const n = cands.length;
    return [combineRows(cur, n, new Float64Array(n), (add) => cands.forEach((c, o) => c[0].forEach(([r, w]) => add(o, r, w))))];
  },
};
