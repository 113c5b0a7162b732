/**
 * The fused class product of a stencil (src/tensor/stencil.ts) in WebAssembly (stencil-kernel.wat): per row
 * and member, gather the member's inputs, multiply by the class's block eight outputs at a time in f64x2
 * lanes, and store or add the outputs at the member's indices. Unlike im2col through onnxruntime's MatMul it
 * never materialises the gathered or the multiplied operand (members x block width per row: 16-48 MB per call
 * on oval21's convolutions), whose allocation, copies and small inner dimension held MatMul to about 1-2
 * GMAC/s. For small blocks only (stencil.ts's IM2COL_MIN_DIM): on large ones MatMul is far faster.
 *
 * One instance per thread (module state): index and block arrays are copied into its memory once (keyed by
 * array identity; stencils are immutable and live as long as their layer), the rows of each call in chunks.
 */
import { STENCIL_KERNEL_BASE64 } from './stencil-kernel.js';

interface Instance {
  readonly memory: WebAssembly.Memory;
  readonly classProduct: (
    src: number, srcCols: number, out: number, outCols: number, R: number,
    members: number, from: number, fw: number, to: number, tw: number, op: number, add: number, scratch: number,
  ) => void;
}

let instance: Instance | undefined;
/** End of the persistent data (indices and blocks), in bytes. */
let top = 0;
const placed = new WeakMap<Int32Array | Float64Array, number>();

/** Bytes of rows (inputs and outputs together) copied into the module per call. */
const CHUNK_BYTES = 16 << 20;

function kernel(): Instance {
  if (!instance) {
    const mod = new WebAssembly.Module(Buffer.from(STENCIL_KERNEL_BASE64, 'base64'));
    const ex = new WebAssembly.Instance(mod, {}).exports as unknown as Instance;
    instance = { memory: ex.memory, classProduct: ex.classProduct };
  }
  return instance;
}

const align = (n: number) => (n + 15) & ~15;

/** Grows the memory to hold `bytes`. */
function reserve(k: Instance, bytes: number): void {
  const have = k.memory.buffer.byteLength;
  if (bytes > have) k.memory.grow(Math.ceil((bytes - have) / 65536));
}

/** The array's offset in the module's memory, copied there on first use. */
function place(k: Instance, a: Int32Array | Float64Array): number {
  let off = placed.get(a);
  if (off === undefined) {
    off = align(top);
    reserve(k, off + a.byteLength);
    new Uint8Array(k.memory.buffer, off, a.byteLength).set(new Uint8Array(a.buffer, a.byteOffset, a.byteLength));
    top = off + a.byteLength;
    placed.set(a, off);
  }
  return off;
}

/** One class of a product: member indices into a source row (`from`, fw each) and an output row (`to`, tw each), and the fw x tw block. */
export interface ClassOperands {
  readonly members: number;
  readonly from: Int32Array;
  readonly fw: number;
  readonly to: Int32Array;
  readonly tw: number;
  readonly op: Float64Array;
}

/**
 * For every row r < R and class: out[r, to] (+)= src[r, from] · op, member by member; `add` false overwrites
 * the outputs (each output of the classes written once), true adds to what out holds. `outZero` says out
 * holds zeros (a fresh array), which then need no copying in. Rows go through the module's memory about
 * `chunkBytes` at a time.
 */
export function classProducts(
  classes: readonly ClassOperands[],
  src: Float64Array,
  srcCols: number,
  out: Float64Array,
  outCols: number,
  R: number,
  add: boolean,
  outZero = false,
  chunkBytes = CHUNK_BYTES,
): void {
  if (R === 0 || classes.length === 0) return;
  const k = kernel();
  const offs = classes.map((cl) => ({ from: place(k, cl.from), to: place(k, cl.to), op: place(k, cl.op) }));
  const scratchBytes = 16 * Math.max(...classes.map((cl) => cl.fw));
  const rowBytes = 8 * (srcCols + outCols);
  const step = Math.max(1, Math.min(R, Math.floor(chunkBytes / rowBytes)));
  const scratch = align(top);
  const srcOff = align(scratch + scratchBytes);
  const outOff = align(srcOff + 8 * step * srcCols);
  reserve(k, outOff + 8 * step * outCols);
  const buf = k.memory.buffer;
  for (let r0 = 0; r0 < R; r0 += step) {
    const n = Math.min(R, r0 + step) - r0;
    new Float64Array(buf, srcOff, n * srcCols).set(src.subarray(r0 * srcCols, (r0 + n) * srcCols));
    const o = new Float64Array(buf, outOff, n * outCols);
    if (outZero) o.fill(0);
    else o.set(out.subarray(r0 * outCols, (r0 + n) * outCols));
    classes.forEach((cl, i) => k.classProduct(srcOff, srcCols, outOff, outCols, n, cl.members, offs[i].from, cl.fw, offs[i].to, cl.tw, offs[i].op, +add, scratch));
    out.set(o, r0 * outCols);
  }
}
