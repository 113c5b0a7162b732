/**
 * `verify check-proof`: validates an unsat certificate against the ONNX and
 * VNN-LIB files it names. Shares the file readers and the lowering to
 * affine layers with the solver, nothing of its bounders: every bound is
 * re-derived here (rigorous-bounds.ts), every split checked for coverage
 * (tree.ts), and the files identified by SHA-256.
 */
import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { loadProblem } from '../../engine/load-problem.js';
import type { CanonicalBox } from '../../problem/types.js';
import { parseProof, type Closure, type DualEntry, type NodeConstraint, type ParsedProof } from '../format.js';
import { checkNetOf, UnsupportedProofError, type CheckNet } from './check-net.js';
import { combinedRowBound, nodeBounds, type NodeState, type RowDuals } from './rigorous-bounds.js';
import { buildTree, coverageProblem, type TreeNode } from './tree.js';

export interface CheckReport {
  readonly valid: boolean;
  /** The first failure (when invalid). */
  readonly reason?: string;
  readonly regions: number;
  readonly nodes: number;
  readonly leaves: number;
  readonly seconds: number;
}

export function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

export class Invalid extends Error {}

export async function checkProofFiles(onnxPath: string, vnnlibPath: string, proofPath: string): Promise<CheckReport> {
  const t0 = performance.now();
  const proof = parseProof(readFileSync(proofPath, 'utf8'), proofPath);
  const loaded = loadProblem(onnxPath, vnnlibPath);
  const onnxHash = sha256(loaded.bytes);
  const vnnlibHash = sha256(readFileSync(vnnlibPath));
  const fail = (reason: string): CheckReport => ({ valid: false, reason, regions: proof.header.regions, nodes: proof.nodes.length, leaves: 0, seconds: (performance.now() - t0) / 1000 });
  if (proof.header.onnx.sha256 !== onnxHash) return fail(`the proof is for another network (${proof.header.onnx.file}, SHA-256 ${proof.header.onnx.sha256.slice(0, 12)}..., not ${onnxHash.slice(0, 12)}...)`);
  if (proof.header.vnnlib.sha256 !== vnnlibHash) return fail(`the proof is for another property (${proof.header.vnnlib.file}, SHA-256 ${proof.header.vnnlib.sha256.slice(0, 12)}..., not ${vnnlibHash.slice(0, 12)}...)`);
  if (loaded.kind !== 'lowered') return fail(`the network cannot be checked: ${loaded.reason}`);
  return checkProof(proof, loaded.problem.boxes, t0);
}

/** Checks a parsed proof against the canonical problem's regions. */
export async function checkProof(proof: ParsedProof, boxes: readonly CanonicalBox[], t0 = performance.now()): Promise<CheckReport> {
  let leaves = 0;
  const report = (reason?: string): CheckReport => ({
    valid: reason === undefined,
    reason,
    regions: boxes.length,
    nodes: proof.nodes.length,
    leaves,
    seconds: (performance.now() - t0) / 1000,
  });
  if (proof.header.regions !== boxes.length) return report(`the proof covers ${proof.header.regions} input regions, the property has ${boxes.length}`);
  try {
    for (const box of boxes) {
      const nodes = proof.nodes.filter((n) => n.region === box.index);
      const tree = buildTree(nodes, box.index);
      if (typeof tree === 'string') return report(tree);
      let net: CheckNet;
      try {
        net = checkNetOf(box);
      } catch (e) {
        if (e instanceof UnsupportedProofError) return report(e.message);
        throw e;
      }
      leaves += await checkSubtree(net, tree, null, Array.from({ length: net.numDisjuncts }, (_, g) => g));
    }
  } catch (e) {
    if (e instanceof Invalid) return report(e.message);
    throw e;
  }
  for (const n of proof.nodes) {
    if (n.region >= boxes.length) return report(`node ${n.id} belongs to region ${n.region}, which the property does not have`);
  }
  return report();
}

/** Checks the subtree at `t` given its parent's state; returns its number of leaves. Throws Invalid. */
async function checkSubtree(net: CheckNet, t: TreeNode, parent: NodeState | null, open: readonly number[]): Promise<number> {
  const st = await nodeStateOf(net, t.node.constraint, parent);
  const id = t.node.id;
  if (t.node.empty && !st.empty) throw new Invalid(`node ${id} (region ${t.node.region}) claims an empty region, which its bounds do not show`);
  if (st.empty) return 1; // what lies below is not needed
  let still = open;
  for (const cl of t.node.close) {
    if (!still.includes(cl.disjunct)) {
      if (cl.disjunct >= net.numDisjuncts) throw new Invalid(`node ${id}: closes disjunct ${cl.disjunct}, which the property does not have`);
      continue; // closed higher up already
    }
    const lb = await closureBound(net, st, cl, id);
    if (!(lb > 0)) throw new Invalid(`node ${id} (region ${t.node.region}): the bound for disjunct ${cl.disjunct} is ${lb}, not positive`);
    still = still.filter((g) => g !== cl.disjunct);
  }
  if (t.children.length === 0) {
    if (still.length > 0) throw new Invalid(`leaf ${id} (region ${t.node.region}) leaves disjunct ${still[0]} open`);
    return 1;
  }
  if (still.length === 0) return 1; // closed: what lies below is not needed
  const problem = coverageProblem(t, st.lower, st.upper, net.layers.slice(0, -1).map((l) => l.outDim));
  if (problem) throw new Invalid(problem);
  let n = 0;
  for (const c of t.children) n += await checkSubtree(net, c, st, still);
  return n;
}

/** The node's region and rigorous bounds, from its parent's and its own constraint. */
export async function nodeStateOf(net: CheckNet, constraint: NodeConstraint | undefined, parent: NodeState | null): Promise<NodeState> {
  if (!parent) {
    const splits = net.layers.slice(0, -1).map((l) => new Int8Array(l.outDim));
    return nodeBounds(net, net.lower, net.upper, splits, null, 0);
  }
  const c = constraint!;
  if (c.kind === 'input') {
    const lower = parent.lower.slice();
    const upper = parent.upper.slice();
    lower[c.dim] = c.lo;
    upper[c.dim] = c.hi;
    return nodeBounds(net, lower, upper, parent.splits, { L: parent.L, Ub: parent.Ub }, 0);
  }
  const splits = parent.splits.map((s, k) => (k === c.layer ? s.slice() : s));
  splits[c.layer][c.neuron] = c.sign;
  return nodeBounds(net, parent.lower, parent.upper, splits, { L: parent.L, Ub: parent.Ub }, c.layer + 1);
}

/** The rigorous bound a closure certifies on the node (throws Invalid on malformed values). */
export async function closureBound(net: CheckNet, st: NodeState, cl: Closure, id: number): Promise<number> {
  return combinedRowBound(net, st, rowsOf(net, cl, id), dualsOf(net, cl, id));
}

function rowsOf(net: CheckNet, cl: Closure, id: number): [number, number][] {
  let total = 0;
  for (const [r, w] of cl.rows) {
    if (r >= net.rowGroup.length || net.rowGroup[r] !== cl.disjunct) throw new Invalid(`node ${id}: row ${r} is not a row of disjunct ${cl.disjunct}`);
    if (!(w >= 0)) throw new Invalid(`node ${id}: row weight ${w} is negative`);
    total += w;
  }
  if (!(total > 0)) throw new Invalid(`node ${id}: the row weights of disjunct ${cl.disjunct} are all zero`);
  return cl.rows.map(([r, w]) => [r, w]);
}

function dualsOf(net: CheckNet, cl: Closure, id: number): RowDuals {
  const H = net.H;
  const toMaps = (entries: readonly DualEntry[] | undefined, what: string, ok: (v: number) => boolean): Map<number, number>[] | undefined => {
    if (!entries) return undefined;
    const maps = Array.from({ length: H }, () => new Map<number, number>());
    for (const [k, j, v] of entries) {
      if (k >= H || j >= net.layers[k].outDim) throw new Invalid(`node ${id}: ${what} names neuron ${k}:${j}, which the network does not have`);
      if (!ok(v)) throw new Invalid(`node ${id}: ${what} ${v} of neuron ${k}:${j} is out of range`);
      maps[k].set(j, v);
    }
    return maps;
  };
  return {
    alpha: toMaps(cl.alpha, 'alpha', (v) => v >= 0 && v <= 1),
    beta: toMaps(cl.beta, 'beta', (v) => v >= 0 && Number.isFinite(v)),
  };
}
