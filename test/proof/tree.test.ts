import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { NodeConstraint, ProofNode } from '../../src/proof/format.js';
import { buildTree, coverageProblem } from '../../src/proof/check/tree.js';

const node = (id: number, parent: number | null, constraint?: NodeConstraint): ProofNode => ({ region: 0, id, parent, constraint, close: [], empty: false });
const input = (dim: number, lo: number, hi: number): NodeConstraint => ({ kind: 'input', dim, lo, hi });
const relu = (layer: number, neuron: number, sign: 1 | -1): NodeConstraint => ({ kind: 'relu', layer, neuron, sign });

test('a tree has one root, unique ids, parents in the region and no cycles', () => {
  assert.equal(typeof buildTree([node(0, null), node(1, 0, relu(0, 0, 1)), node(2, 0, relu(0, 0, -1))], 0), 'object');
  assert.match(buildTree([node(0, null), node(0, null)], 0) as string, /appears twice/);
  assert.match(buildTree([node(0, null), node(1, null)], 0) as string, /two roots/);
  assert.match(buildTree([node(1, 0, relu(0, 0, 1))], 0) as string, /no root/);
  assert.match(buildTree([node(0, null), node(1, 7, relu(0, 0, 1))], 0) as string, /parent 7/);
  // 1 and 2 are each other's parents: present, but not under the root.
  assert.match(buildTree([node(0, null), node(1, 2, relu(0, 0, 1)), node(2, 1, relu(0, 0, -1))], 0) as string, /not under the root/);
});

test('children cover their parent: halves that meet or overlap, or both signs of one neuron', () => {
  const lo = Float64Array.of(0, -1);
  const hi = Float64Array.of(1, 1);
  const cover = (a: NodeConstraint, b: NodeConstraint) => {
    const t = buildTree([node(0, null), node(1, 0, a), node(2, 0, b)], 0);
    assert.equal(typeof t, 'object');
    return coverageProblem(t as Exclude<typeof t, string>, lo, hi, [3, 3]);
  };
  assert.equal(cover(input(0, 0, 0.5), input(0, 0.5, 1)), null);
  assert.equal(cover(input(0, 0.6, 1), input(0, 0, 0.7)), null, 'overlap, either order');
  assert.match(cover(input(0, 0, 0.4), input(0, 0.5, 1))!, /do not cover/);
  assert.match(cover(input(0, 0, 0.5), input(0, 0.5, 0.9))!, /do not cover/);
  assert.match(cover(input(0, -0.1, 0.5), input(0, 0.5, 1))!, /not inside its parent/);
  assert.match(cover(input(0, 0, 0.5), input(1, 0.5, 1))!, /different input dimensions/);
  assert.match(cover(input(0, 0.5, 0.4), input(0, 0, 1))!, /empty interval/);
  assert.match(cover(input(5, 0, 1), input(5, 0, 1))!, /does not have/);
  assert.equal(cover(relu(1, 2, 1), relu(1, 2, -1)), null);
  assert.match(cover(relu(1, 2, 1), relu(1, 2, 1))!, /both children/);
  assert.match(cover(relu(1, 2, 1), relu(1, 1, -1))!, /different neurons/);
  assert.match(cover(relu(1, 3, 1), relu(1, 3, -1))!, /does not have/);
  assert.match(cover(relu(0, 0, 1), input(0, 0, 1))!, /different ways/);
  const three = buildTree([node(0, null), node(1, 0, relu(0, 0, 1)), node(2, 0, relu(0, 0, -1)), node(3, 0, relu(0, 0, -1))], 0);
  assert.match(coverageProblem(three as Exclude<typeof three, string>, lo, hi, [3, 3])!, /3 children/);
});
