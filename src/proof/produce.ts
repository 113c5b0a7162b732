/**
 * From a solved `unsat` to a certificate the checker accepts. The recorded
 * branch-and-bound tree is walked with the checker's own rigorous bounds;
 * a closure that does not survive them (the solver's bounds are float
 * computations with an a priori margin, its slopes may have been tightened
 * by means the certificate cannot carry, an LP leaf has no duals) is
 * re-derived on the spot: fresh slopes and split multipliers from
 * beta-CROWN on the node, and, where that is still not enough, further
 * splits below the node, until every leaf closes or the time is up. With no
 * recorded tree (incomplete mode, exact MIP) the walk starts from the root.
 * The result is written only through format.ts, and what the walk accepted
 * is exactly what the checker will recompute.
 */
import { createWriteStream } from 'node:fs';
import pino from 'pino';
import { Witness } from '../attack/witness.js';
import { DEFAULT_ENGINE_OPTIONS, INPUT_SPLIT_MAX_DIM } from '../engine/options.js';
import { defaultBranching } from '../engine/portfolio.js';
import { runBranchAndBound } from '../engine/strategies/branch-and-bound.js';
import { once } from 'node:events';
import { bounderByName } from '../bounds/registry.js';
import type { Bounder, BoundResult } from '../bounds/types.js';
import type { CanonicalBox, CanonicalProblem } from '../problem/types.js';
import { checkNetOf, type CheckNet } from './check/check-net.js';
import { closureBound, Invalid, nodeStateOf, sha256 } from './check/checker.js';
import type { NodeState } from './check/rigorous-bounds.js';
import { footerLine, headerLine, nodeLine, PROOF_FORMAT, PROOF_VERSION, type Closure, type NodeConstraint, type ProofNode } from './format.js';
import { dualEntries, ProofLog, ProofTree, type RecordedNode } from './recorder.js';
import { isLinearLeaf, linearLeafClosure } from './linear-leaf.js';

export interface ProofFiles {
  readonly onnxPath: string;
  readonly onnxBytes: Uint8Array;
  readonly vnnlibPath: string;
  readonly vnnlibBytes: Uint8Array;
}

export interface ProduceReport {
  readonly complete: boolean;
  /** Why not, when incomplete. */
  readonly reason?: string;
  readonly nodes: number;
  readonly leaves: number;
  /** Nodes whose closure had to be re-derived, and nodes added below the recorded tree. */
  readonly rederived: number;
  readonly added: number;
  readonly seconds: number;
  readonly bytes: number;
}

/** Splits the producer may add below one recorded leaf. */
const MAX_EXTRA_DEPTH = 64;
/**
 * Input bisections before the producer turns to ReLU splits below a leaf:
 * near a tight minimum, bisection shrinks the relaxation's gap slowly, while
 * ReLU splits end in linear leaves that an LP closes exactly.
 */
const MAX_INPUT_DEPTH = 12;

/** One region's tree as written. */
interface Section {
  readonly box: CanonicalBox;
  readonly tree: ProofTree;
  readonly children: ReadonlyMap<number, readonly number[]>;
}

interface WalkContext {
  readonly net: CheckNet;
  readonly box: CanonicalBox;
  readonly tree: ProofTree;
  /** Each node's children as the walk leaves them (pruned subtrees dropped, added ones in): what is written. */
  readonly children: Map<number, number[]>;
  readonly mode: 'input' | 'relu';
  readonly deadline: number;
  readonly bounder: Bounder;
  /** Splits the walk may add below a leaf (0: close leaves as they are, or fail). */
  readonly maxExtraDepth: number;
  open: number;
  rederived: number;
  added: number;
  reason?: string;
}

export async function produceProof(
  problem: CanonicalProblem,
  log: ProofLog | undefined,
  files: ProofFiles,
  outPath: string,
  deadline: number,
  solver: string,
): Promise<ProduceReport> {
  const t0 = performance.now();
  const bounder = bounderByName('beta', 'bab');
  const sections: Section[] = [];
  let rederived = 0;
  let added = 0;
  let open = 0;
  let reason: string | undefined;
  // A network the checker cannot take gets no file at all (UnsupportedProofError propagates).
  const nets = problem.boxes.map((box) => checkNetOf(box));
  for (const [b, box] of problem.boxes.entries()) {
    const net = nets[b];
    const recorded = log?.trees.get(box.index);
    // No recorded tree (incomplete mode, the exact MIP): first the root alone (a one-leaf certificate), else a recording search.
    const attempts: (() => Promise<ProofTree>)[] = recorded && recorded.nodes.length > 0 ? [async () => recorded] : [async () => rootOnly(), () => searchedTree(box, deadline)];
    for (const [i, attempt] of attempts.entries()) {
      const tree = await attempt();
      const last = i === attempts.length - 1;
      const children = new Map<number, number[]>();
      for (const n of tree.nodes) if (n.parent !== null) children.set(n.parent, [...(children.get(n.parent) ?? []), n.id]);
      const hasRelu = tree.nodes.some((n) => n.constraint?.kind === 'relu');
      const hasInput = tree.nodes.some((n) => n.constraint?.kind === 'input');
      const freeInputs = box.lower.filter((l, j) => box.upper[j] > l).length;
      const mode = hasRelu ? 'relu' : hasInput || freeInputs <= INPUT_SPLIT_MAX_DIM ? 'input' : 'relu';
      const ctx: WalkContext = { net, box, tree, children, mode, deadline, bounder, open: 0, rederived: 0, added: 0, maxExtraDepth: last ? MAX_EXTRA_DEPTH : 0 };
      await walk(ctx, 0, null, Array.from({ length: box.numDisjuncts }, (_, g) => g), 0);
      if (ctx.open > 0 && !last) continue;
      sections.push({ box, tree, children });
      rederived += ctx.rederived;
      added += ctx.added;
      open += ctx.open;
      reason ??= ctx.reason;
      break;
    }
  }
  const complete = open === 0;
  const written = await writeProof(outPath, files, problem, sections, complete, solver);
  return {
    complete,
    reason: complete ? undefined : (reason ?? `${open} leaves left open when the time ran out`),
    nodes: written.nodes,
    leaves: written.leaves,
    rederived,
    added,
    seconds: (performance.now() - t0) / 1000,
    bytes: written.bytes,
  };
}

/**
 * A region the answer did not come from branch and bound for (incomplete
 * mode, the exact MIP): branch and bound runs again, recording, within the
 * proof's time; its tree is then walked like a recorded one. Without it
 * (no time, or the search does not end unsat) the walk starts from the root.
 */
function rootOnly(): ProofTree {
  const t = new ProofTree();
  t.add(null);
  return t;
}

async function searchedTree(box: CanonicalBox, deadline: number): Promise<ProofTree> {
  const log = new ProofLog();
  const options = { ...DEFAULT_ENGINE_OPTIONS, threads: 1, deadline: performance.now() + 0.5 * (deadline - performance.now()), proofLog: log };
  const noCounterexamples = async () => null;
  const result = await runBranchAndBound(defaultBranching(box), {
    box,
    check: noCounterexamples,
    options,
    log: pino({ level: 'silent' }),
    witness: new Witness(),
    proof: log.tree(box.index),
    threads: 1,
  });
  const tree = log.trees.get(box.index);
  return result.kind === 'unsat' && tree && tree.nodes.length > 0 ? tree : rootOnly();
}

/**
 * Makes the subtree at `id` check: keeps the closures the checker's bounds
 * confirm, re-derives the others at the leaves they reach.
 */
async function walk(ctx: WalkContext, id: number, parent: NodeState | null, open: readonly number[], extraDepth: number): Promise<void> {
  const node = ctx.tree.nodes[id];
  const st = await nodeStateOf(ctx.net, node.constraint, parent);
  if (st.empty) {
    node.empty = true;
    node.close = [];
    pruneBelow(ctx, id);
    return;
  }
  node.empty = false;
  const kept: Closure[] = [];
  let still = open;
  for (const cl of node.close) {
    if (!still.includes(cl.disjunct)) continue;
    if (await confirms(ctx, st, cl, id)) {
      kept.push(cl);
      still = still.filter((g) => g !== cl.disjunct);
    }
  }
  node.close = kept;
  if (still.length === 0) {
    pruneBelow(ctx, id);
    return;
  }
  const kids = ctx.children.get(id);
  if (kids && kids.length > 0) {
    for (const c of kids) await walk(ctx, c, st, still, extraDepth);
    return;
  }
  await closeLeaf(ctx, node, st, still, extraDepth);
}

async function confirms(ctx: WalkContext, st: NodeState, cl: Closure, id: number): Promise<boolean> {
  try {
    return (await closureBound(ctx.net, st, cl, id)) > 0;
  } catch (e) {
    if (e instanceof Invalid) return false;
    throw e;
  }
}

/** A leaf with disjuncts still open: fresh duals from beta-CROWN on the node, then splits below it. */
async function closeLeaf(ctx: WalkContext, node: RecordedNode, st: NodeState, open: readonly number[], extraDepth: number): Promise<void> {
  if (performance.now() > ctx.deadline) {
    ctx.open++;
    ctx.reason ??= 'the proof time ran out';
    return;
  }
  ctx.rederived++;
  let still = open;
  const linear = isLinearLeaf(ctx.net, st);
  if (linear) {
    // Nothing left to split: the exact LP of the leaf, certified by its duals.
    for (const g of open) {
      const cl = await linearLeafClosure(ctx.net, st, g);
      if (cl && (await confirms(ctx, st, cl, node.id))) {
        node.close.push(cl);
        still = still.filter((x) => x !== g);
      }
    }
    if (still.length === 0) return;
  }
  const res = await boundNode(ctx, st);
  for (const g of still) {
    const rows = Array.from(ctx.box.rowGroup.keys())
      .filter((r) => ctx.box.rowGroup[r] === g)
      .sort((a, b) => res.rowLower[b] - res.rowLower[a]);
    for (const r of rows.slice(0, 2)) {
      const duals = res.bestDual ?? res.dual ? dualEntries(res.bestDual ?? res.dual!, 0, r, ctx.box.rowGroup.length, ctx.net.layers.slice(0, -1).map((l) => l.outDim), st.splits, res.preLower, res.preUpper) : undefined;
      const cl: Closure = { disjunct: g, rows: [[r, 1]], ...duals };
      if (await confirms(ctx, st, cl, node.id)) {
        node.close.push(cl);
        still = still.filter((x) => x !== g);
        break;
      }
    }
  }
  if (still.length === 0) return;
  const split = extraDepth < ctx.maxExtraDepth ? chooseSplit(ctx, st, res, ctx.mode === 'input' && extraDepth < MAX_INPUT_DEPTH ? 'input' : 'relu') : undefined;
  if (!split) {
    ctx.open++;
    ctx.reason ??= `node ${node.id} (region ${ctx.box.index}) could not be closed with the checker's bounds`;
    return;
  }
  const kids = split.map((c) => ctx.tree.add(node.id, c));
  ctx.added += kids.length;
  ctx.children.set(node.id, kids);
  for (const k of kids) await walk(ctx, k, st, still, extraDepth + 1);
}

async function boundNode(ctx: WalkContext, st: NodeState): Promise<BoundResult> {
  return ctx.bounder.bound(ctx.box.net, {
    size: 1,
    lower: st.lower,
    upper: st.upper,
    splits: st.splits,
    preLower: st.L,
    preUpper: st.Ub,
    certify: true,
  });
}

/** Two children that cover the node: halves of the input dimension that matters most, or the two signs of the loosest ReLU. */
function chooseSplit(ctx: WalkContext, st: NodeState, res: BoundResult, mode: 'input' | 'relu'): [NodeConstraint, NodeConstraint] | undefined {
  if (mode === 'input') {
    const n0 = st.lower.length;
    const m = ctx.box.rowGroup.length;
    let row = 0;
    for (let r = 1; r < m; r++) if (res.rowLower[r] > res.rowLower[row]) row = r;
    let best = -1;
    let bestScore = 0;
    for (let i = 0; i < n0; i++) {
      const w = st.upper[i] - st.lower[i];
      if (!(w > 0)) continue;
      const mid = st.lower[i] + 0.5 * w;
      if (!(mid > st.lower[i] && mid < st.upper[i])) continue;
      const a = res.linear ? Math.abs(res.linear.A[row * n0 + i]) : 1;
      const rootW = ctx.box.upper[i] - ctx.box.lower[i];
      const score = a * w + 1e-9 * (w / rootW);
      if (score > bestScore) {
        bestScore = score;
        best = i;
      }
    }
    if (best < 0) return undefined;
    const mid = st.lower[best] + 0.5 * (st.upper[best] - st.lower[best]);
    return [
      { kind: 'input', dim: best, lo: st.lower[best], hi: mid },
      { kind: 'input', dim: best, lo: mid, hi: st.upper[best] },
    ];
  }
  let best: [number, number] | undefined;
  let bestScore = 0;
  st.L.forEach((L, k) => {
    const Ub = st.Ub[k];
    const id = ctx.net.layers[k].identity;
    for (let j = 0; j < L.length; j++) {
      if ((id && id[j]) || st.splits[k][j] !== 0 || !(L[j] < 0 && Ub[j] > 0)) continue;
      const score = (-L[j] * Ub[j]) / (Ub[j] - L[j]);
      if (score > bestScore) {
        bestScore = score;
        best = [k, j];
      }
    }
  });
  if (!best) return undefined;
  return [
    { kind: 'relu', layer: best[0], neuron: best[1], sign: 1 },
    { kind: 'relu', layer: best[0], neuron: best[1], sign: -1 },
  ];
}

function pruneBelow(ctx: WalkContext, id: number): void {
  for (const c of ctx.children.get(id) ?? []) pruneBelow(ctx, c);
  ctx.children.delete(id);
}

async function writeProof(
  path: string,
  files: ProofFiles,
  problem: CanonicalProblem,
  sections: readonly Section[],
  complete: boolean,
  solver: string,
): Promise<{ nodes: number; leaves: number; bytes: number }> {
  const out = createWriteStream(path);
  let bytes = 0;
  const write = async (line: string) => {
    bytes += Buffer.byteLength(line) + 1;
    if (!out.write(line + '\n')) await once(out, 'drain');
  };
  await write(
    headerLine({
      format: PROOF_FORMAT,
      version: PROOF_VERSION,
      onnx: { file: files.onnxPath, sha256: sha256(files.onnxBytes) },
      vnnlib: { file: files.vnnlibPath, sha256: sha256(files.vnnlibBytes) },
      regions: problem.boxes.length,
      solver,
      created: new Date().toISOString(),
    }),
  );
  let nodes = 0;
  let leaves = 0;
  for (const { box, tree, children } of sections) {
    // Preorder, with ids renumbered densely so that the file does not show the discarded nodes.
    const newId = new Map<number, number>();
    const stack = [0];
    while (stack.length > 0) {
      const id = stack.pop()!;
      const n = tree.nodes[id];
      const mine = nodes++;
      newId.set(id, mine);
      const kids = children.get(id) ?? [];
      if (kids.length === 0) leaves++;
      const line: ProofNode = {
        region: box.index,
        id: mine,
        parent: n.parent === null ? null : newId.get(n.parent)!,
        constraint: n.constraint,
        close: n.close,
        empty: n.empty,
      };
      await write(nodeLine(line));
      for (let i = kids.length - 1; i >= 0; i--) stack.push(kids[i]);
    }
  }
  await write(footerLine({ end: true, nodes, complete }));
  out.end();
  await once(out, 'finish');
  return { nodes, leaves, bytes };
}
