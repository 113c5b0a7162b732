/**
 * Graph IR -> LayeredNet. Every non-constant value is tracked as an affine
 * map of the current layer's variables (the base). Each node is lowered by
 * its op module (src/ir/ops/registry.ts): linear ops compose into those maps;
 * an activation (Relu, ..., and MaxPool's ReLU tree) closes a layer through
 * `activate`: its input's map becomes the layer's {W, b} and the activated
 * outputs become the next base. Values still needed after the layer (skip
 * connections) are carried through it as identity neurons, so DAGs of
 * activations and linear ops lower exactly.
 */
import { numel, type Graph, type IRNode, type Tensor } from '../ir/graph.js';
import { opModule } from '../ir/ops/registry.js';
import { asFloat, floatT, NotLinear, type LowerCtx, type OpModule, type Operand } from '../ir/ops/op.js';
import { OnnxError } from '../onnx/errors.js';
import { sparseLayer, withActivations, type AffineLayer, type LayerActivation, type LayeredNet } from './layered.js';
import { identity as identityAct, type Activation } from './activations/registry.js';
import { constantMap, identityMap, mapEntries, MAX_DENSE_ENTRIES, shiftColumns, stackMaps, toCsr, toDense, TooLargeError, type AffineMap } from './affine-map.js';

/**
 * Layers of more than this many entries (dense: 128 MiB, and the bounders
 * cache W^T and |W|^T beside it) with at most SPARSE_LAYER_FRACTION of them
 * nonzero are held in CSR; every layer beyond MAX_DENSE_ENTRIES is. Smaller
 * or denser layers stay dense, where src/tensor/matmul.ts still multiplies
 * in CSR per product when that pays. Measured (linear.ts products, 2 cores):
 * at 1-1.6% density dense and CSR layers take the same time for 1-128 rows
 * (matmul picks CSR itself); at 5-10% a dense layer is 2-14x faster for
 * 16-128 rows (onnxruntime ~60 GMAC/s against ~0.5 for the CSR loops), the
 * same for one row. So CSR layers buy memory (the dense W, W^T and |W|^T
 * caches of a 2^24-entry layer are 384 MiB), not speed.
 */
export const SPARSE_LAYER_MIN_ENTRIES = 2 ** 24;
export const SPARSE_LAYER_FRACTION = 0.1;

/** The layer x -> act(map x): sparse when large and mostly zeros (see SPARSE_LAYER_MIN_ENTRIES), dense otherwise. */
function layerOf(map: AffineMap, acts: { identity?: Uint8Array; act?: LayerActivation }): AffineLayer {
  const entries = map.rows * map.cols;
  const b = Float64Array.from(map.b);
  if (!map.W && (entries > MAX_DENSE_ENTRIES || (entries > SPARSE_LAYER_MIN_ENTRIES && mapEntries(map) <= SPARSE_LAYER_FRACTION * entries))) {
    return sparseLayer({ inDim: map.cols, outDim: map.rows, csr: toCsr(map), b, ...acts });
  }
  return { inDim: map.cols, outDim: map.rows, W: toDense(map), b, ...acts };
}

/** The lowering's running state: the current base and every live value's map in it. */
interface State {
  maps: Map<string, AffineMap>;
  cols: number;
  /** Values found constant during lowering (from inputs the property fixes), beside the graph's folded constants. */
  readonly consts: Map<string, Tensor>;
  readonly shapeOf: (name: string) => readonly number[];
}

/** Options of the lowering. */
export interface LowerOptions {
  /**
   * Input elements (flat index -> value) that the property fixes: they enter
   * as constants, so products and quotients of network values that only
   * involve them (masks, normalisations by fixed counts) become linear.
   * The lowered net keeps all inputs; fixed ones get zero weights.
   */
  readonly fixedInputs?: ReadonlyMap<number, number>;
}

/** True when the map does not depend on the base variables (every row a constant). */
function isConstantMap(m: AffineMap): boolean {
  if (m.sel) return m.sel.every((j, r) => j < 0 || m.scale![r] === 0);
  if (m.W) return m.W.every((w) => w === 0);
  return false;
}

function nodeContext(graph: Graph, node: IRNode, i: number, st: State, lastUse: ReadonlyMap<string, number>, layers: AffineLayer[]): LowerCtx {
  const input = (k: number): Operand | undefined => {
    const name = node.inputs[k];
    if (name === undefined || name === '') return undefined;
    const shape = graph.shapes.get(name) ?? [];
    const c = graph.constants.get(name) ?? st.consts.get(name);
    if (c) return { c, shape };
    const map = st.maps.get(name);
    if (!map) throw new NotLinear(`value '${name}' is not available in the current layer`);
    // A value that depends only on fixed inputs is a constant to the op.
    if (isConstantMap(map)) return { c: floatT(shape, Float64Array.from(map.b)), shape };
    return { map, shape };
  };
  const need = (k: number): Operand => {
    const o = input(k);
    if (!o) throw new Error(`input ${k} is missing`);
    return o;
  };
  return {
    node,
    graph,
    get cols() {
      return st.cols;
    },
    input,
    need,
    needMap(k) {
      const o = need(k);
      if (!o.map) throw new NotLinear(`input ${k} is not a network value`);
      return o.map;
    },
    outShape: (k = 0) => graph.shapes.get(node.outputs[k]) ?? [],
    activate: (map, act) => activate(st, map, act, i, lastUse, layers),
  };
}

/**
 * Emit a layer whose activated neurons are `u` (under `act`), followed by
 * identity neurons that carry every value still needed after node i, either
 * the values themselves or, when that is narrower, the base variables they
 * depend on. The state moves to the new base; returns `u`'s outputs in it.
 */
function activate(st: State, u: AffineMap, act: Activation | readonly Activation[], i: number, lastUse: ReadonlyMap<string, number>, layers: AffineLayer[]): AffineMap {
  if (Array.isArray(act) && act.length !== u.rows) throw new Error(`internal: ${act.length} activations for ${u.rows} neurons`);
  // Constant values are not carried through the layer: they stay constants.
  for (const [name, m] of st.maps) {
    if (isConstantMap(m)) {
      st.consts.set(name, floatT(st.shapeOf(name), Float64Array.from(m.b)));
      st.maps.delete(name);
    }
  }
  const live = [...st.maps.entries()].filter(([name]) => (lastUse.get(name) ?? -1) > i);
  const carriedRows = live.reduce((s, [, m]) => s + m.rows, 0);
  const carryValues = carriedRows <= st.cols;
  const parts = [u, ...(live.length === 0 ? [] : carryValues ? live.map(([, m]) => m) : [identityMap(st.cols)])];
  const stacked = stackMaps(parts);
  const outDim = stacked.rows;
  const perNeuron = Array.from({ length: outDim }, (_, j) => (j < u.rows ? (Array.isArray(act) ? (act as readonly Activation[])[j] : (act as Activation)) : identityAct));
  layers.push(layerOf(stacked, withActivations(perNeuron)));
  const maps = new Map<string, AffineMap>();
  let off = u.rows;
  for (const [name, m] of live) {
    if (carryValues) {
      maps.set(name, identityMap(m.rows, off, outDim));
      off += m.rows;
    } else {
      maps.set(name, shiftColumns(m, outDim, u.rows));
    }
  }
  st.maps = maps;
  st.cols = outDim;
  return identityMap(u.rows, 0, outDim);
}

export function lowerToLayered(graph: Graph, options: LowerOptions = {}): LayeredNet {
  if (graph.inputs.length !== 1) {
    throw new OnnxError(graph.source, undefined, `a LayeredNet needs exactly one real input, the model has ${graph.inputs.length}`);
  }
  const input = graph.inputs[0];
  const inputDim = numel(input.shape);
  const outName = graph.outputs[0].name;
  const lastUse = new Map<string, number>();
  graph.nodes.forEach((n, i) => n.inputs.forEach((x) => lastUse.set(x, i)));
  lastUse.set(outName, Infinity);

  const layers: AffineLayer[] = [];
  const st: State = { maps: new Map([[input.name, inputMap(inputDim, options.fixedInputs)]]), cols: inputDim, consts: new Map(), shapeOf: (name) => graph.shapes.get(name) ?? [] };
  graph.nodes.forEach((node, i) => {
    try {
      const mod = opModule(node.op);
      if (!mod) throw new NotLinear(`op ${node.op} is unknown`);
      if (!mod.lower) throw new NotLinear(mod.notLinear ?? `op ${node.op} is not piecewise linear`);
      const ctx = nodeContext(graph, node, i, st, lastUse, layers);
      if (options.fixedInputs && foldConstantNode(graph, node, ctx, st, mod)) return;
      const outs = mod.lower(ctx);
      outs.forEach((m, k) => {
        const o = node.outputs[k];
        if (o === undefined || o === '') return;
        if (m.rows !== numel(graph.shapes.get(o) ?? [])) throw new Error(`internal: ${m.rows} rows for shape [${graph.shapes.get(o)}]`);
        st.maps.set(o, m);
      });
    } catch (e) {
      if (e instanceof OnnxError) throw e;
      const detail = e instanceof TooLargeError ? `${e.message} (building hidden layer ${layers.length})` : (e as Error).message;
      throw new OnnxError(graph.source, node, `cannot lower to a layered network: ${detail}`);
    }
    for (const x of node.inputs) if (lastUse.get(x) === i) st.maps.delete(x);
  });

  const c = graph.constants.get(outName) ?? st.consts.get(outName);
  const outMap = c ? constantMap(st.cols, asFloat(c as Tensor)) : st.maps.get(outName);
  if (!outMap) throw new OnnxError(graph.source, undefined, `output '${outName}' was not computed`);
  try {
    layers.push(layerOf(outMap, {}));
  } catch (e) {
    if (e instanceof TooLargeError) throw new OnnxError(graph.source, undefined, `cannot lower to a layered network: ${e.message} (the output layer, ${layers.length})`);
    throw e;
  }
  checkFiniteLayers(layers, graph.source);
  return { inputShape: [...input.shape], inputDim, outputDim: outMap.rows, layers };
}

/** The input's map: the identity, with fixed elements as constants. */
function inputMap(n: number, fixed: ReadonlyMap<number, number> | undefined): AffineMap {
  const m = identityMap(n);
  if (!fixed || fixed.size === 0) return m;
  const sel = Int32Array.from(m.sel!);
  const scale = Float64Array.from(m.scale!);
  const b = new Float64Array(n);
  for (const [i, v] of fixed) {
    sel[i] = -1;
    scale[i] = 0;
    b[i] = v;
  }
  return { rows: n, cols: n, sel, scale, b };
}

/**
 * A node all of whose inputs are constants (folded ones, or values of fixed
 * inputs): evaluated here in float64, its outputs become constants. Returns
 * false when some input is a network value.
 */
function foldConstantNode(graph: Graph, node: IRNode, ctx: LowerCtx, st: State, mod: OpModule): boolean {
  const ins: (Tensor | undefined)[] = [];
  for (let k = 0; k < node.inputs.length; k++) {
    const o = ctx.input(k);
    if (o && !o.c) return false;
    ins.push(o?.c);
  }
  const outs = mod.evaluate(node, ins, node.outputs.map((o) => graph.shapes.get(o) ?? []));
  node.outputs.forEach((o, k) => {
    if (o !== '' && outs[k]) st.consts.set(o, outs[k]);
  });
  return true;
}

/**
 * The loader has checked every weight is finite (src/onnx/finite.ts), but
 * composing linear ops without a ReLU between them multiplies weights: huge
 * ones can overflow float64 here, and NaN bounds would follow.
 */
function checkFiniteLayers(layers: readonly AffineLayer[], source: string): void {
  layers.forEach((l, k) => {
    for (const a of [l.csr ? l.csr.val : l.W, l.b]) {
      for (let i = 0; i < a.length; i++) {
        if (!Number.isFinite(a[i])) {
          throw new OnnxError(source, undefined, `layer ${k} of the lowered network has a non-finite weight (${a[i]}): the model's weights overflow float64 when its linear ops are composed`);
        }
      }
    }
  });
}
