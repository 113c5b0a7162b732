/**
 * The shape of a proof tree, checked before any bound: one root per region,
 * every other node under a parent of its region, and every internal node
 * split into exactly two children whose regions cover it (two halves of one
 * input interval that meet or overlap, or the two signs of one ReLU).
 */
import type { ProofNode } from '../format.js';

export interface TreeNode {
  readonly node: ProofNode;
  readonly children: TreeNode[];
}

/** The region's tree, or the first reason it is not a covering tree. */
export function buildTree(nodes: readonly ProofNode[], region: number): TreeNode | string {
  const byId = new Map<number, TreeNode>();
  let root: TreeNode | undefined;
  for (const node of nodes) {
    if (byId.has(node.id)) return `region ${region}: node ${node.id} appears twice`;
    const t: TreeNode = { node, children: [] };
    byId.set(node.id, t);
    if (node.parent === null) {
      if (root) return `region ${region}: two roots (nodes ${root.node.id} and ${node.id})`;
      root = t;
    }
  }
  if (!root) return `region ${region}: no root node`;
  for (const t of byId.values()) {
    if (t.node.parent === null) continue;
    const p = byId.get(t.node.parent);
    if (!p) return `region ${region}: node ${t.node.id} has parent ${t.node.parent}, which is not in the region`;
    p.children.push(t);
  }
  // Reachability from the root rules out cycles (every node has one parent).
  let reached = 0;
  const stack = [root];
  while (stack.length > 0) {
    const t = stack.pop()!;
    reached++;
    if (reached > byId.size) return `region ${region}: the parent links form a cycle`;
    stack.push(...t.children);
  }
  if (reached !== byId.size) return `region ${region}: ${byId.size - reached} nodes are not under the root (a cycle of parent links)`;
  return root;
}

/**
 * Why the children of a node (whose input interval on each dimension is
 * `lo`..`hi`) do not cover it, or null when they do.
 */
export function coverageProblem(t: TreeNode, lo: Float64Array, hi: Float64Array, layerSizes: readonly number[]): string | null {
  const c = t.children;
  if (c.length === 0) return null;
  if (c.length !== 2) return `node ${t.node.id} has ${c.length} children; a split has exactly two`;
  const [a, b] = [c[0].node.constraint!, c[1].node.constraint!];
  if (a.kind === 'relu' && b.kind === 'relu') {
    if (a.layer !== b.layer || a.neuron !== b.neuron) return `the children of node ${t.node.id} split different neurons`;
    if (a.sign === b.sign) return `both children of node ${t.node.id} take sign ${a.sign} of neuron ${a.layer}:${a.neuron}`;
    if (a.layer >= layerSizes.length || a.neuron >= layerSizes[a.layer]) return `node ${c[0].node.id} splits neuron ${a.layer}:${a.neuron}, which the network does not have`;
    return null;
  }
  if (a.kind === 'input' && b.kind === 'input') {
    if (a.dim !== b.dim) return `the children of node ${t.node.id} split different input dimensions (${a.dim}, ${b.dim})`;
    if (a.dim >= lo.length) return `node ${c[0].node.id} splits input ${a.dim}, which the network does not have`;
    const [first, second] = a.lo <= b.lo ? [a, b] : [b, a];
    for (const [x, node] of [
      [a, c[0].node.id],
      [b, c[1].node.id],
    ] as const) {
      if (!(x.lo <= x.hi)) return `node ${node}: empty interval [${x.lo}, ${x.hi}] on input ${x.dim}`;
      if (x.lo < lo[x.dim] || x.hi > hi[x.dim]) return `node ${node}: interval [${x.lo}, ${x.hi}] on input ${x.dim} is not inside its parent's [${lo[x.dim]}, ${hi[x.dim]}]`;
    }
    if (first.lo !== lo[a.dim] || second.hi !== hi[a.dim] || first.hi < second.lo) {
      return `the children of node ${t.node.id} do not cover input ${a.dim}'s interval [${lo[a.dim]}, ${hi[a.dim]}] ([${first.lo}, ${first.hi}] and [${second.lo}, ${second.hi}])`;
    }
    return null;
  }
  return `the children of node ${t.node.id} split in different ways`;
}
