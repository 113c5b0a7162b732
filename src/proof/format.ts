/**
 * The unsat certificate format (docs/proof-format.md): JSON Lines, one
 * header, then the nodes of one branch-and-bound tree per input region
 * (parents before children), then a footer that guards against truncation.
 * Parsing validates the shape of every line and names the line of the first
 * problem; what the values prove is the checker's business.
 */

export const PROOF_FORMAT = 'tsverify-proof';
export const PROOF_VERSION = 1;

export interface FileDigest {
  readonly file: string;
  readonly sha256: string;
}

export interface ProofHeader {
  readonly format: typeof PROOF_FORMAT;
  readonly version: number;
  readonly onnx: FileDigest;
  readonly vnnlib: FileDigest;
  /** Number of input regions of the property (one tree each). */
  readonly regions: number;
  readonly solver?: string;
  readonly created?: string;
}

/** What a child adds to its parent's region. */
export type NodeConstraint =
  /** Input dimension `dim` restricted to [lo, hi]. */
  | { readonly kind: 'input'; readonly dim: number; readonly lo: number; readonly hi: number }
  /** ReLU `neuron` of hidden layer `layer`: sign +1 means xhat >= 0, -1 means xhat <= 0. */
  | { readonly kind: 'relu'; readonly layer: number; readonly neuron: number; readonly sign: 1 | -1 };

/** [layer, neuron, value] */
export type DualEntry = readonly [number, number, number];

/**
 * Disjunct `disjunct` is unreachable on the node because sum_r w_r g_r > 0
 * there (rows of that disjunct, w_r >= 0), shown by a backward pass with
 * the given lower slopes (alpha in [0,1]) and split multipliers (beta >= 0);
 * neurons without an entry take the default slope.
 */
export interface Closure {
  readonly disjunct: number;
  readonly rows: readonly (readonly [number, number])[];
  readonly alpha?: readonly DualEntry[];
  readonly beta?: readonly DualEntry[];
}

export interface ProofNode {
  readonly region: number;
  readonly id: number;
  readonly parent: number | null;
  readonly constraint?: NodeConstraint;
  readonly close: readonly Closure[];
  /** Claimed: the node's region is empty (its split constraints contradict its bounds). */
  readonly empty: boolean;
}

export interface ProofFooter {
  readonly end: true;
  readonly nodes: number;
  /** False when the producer left some leaf open (the checker will reject the proof). */
  readonly complete: boolean;
}

export class ProofFormatError extends Error {
  constructor(file: string, line: number, message: string) {
    super(`${file}:${line}: ${message}`);
    this.name = 'ProofFormatError';
  }
}

// ---- writing ----------------------------------------------------------------

export function headerLine(h: ProofHeader): string {
  return JSON.stringify(h);
}

export function nodeLine(n: ProofNode): string {
  const o: Record<string, unknown> = { r: n.region, id: n.id };
  if (n.parent !== null) o.parent = n.parent;
  const c = n.constraint;
  if (c?.kind === 'input') o.input = [c.dim, c.lo, c.hi];
  if (c?.kind === 'relu') o.relu = [c.layer, c.neuron, c.sign];
  if (n.empty) o.empty = true;
  if (n.close.length > 0) {
    o.close = n.close.map((cl) => {
      const x: Record<string, unknown> = { d: cl.disjunct, rows: cl.rows };
      if (cl.alpha && cl.alpha.length > 0) x.alpha = cl.alpha;
      if (cl.beta && cl.beta.length > 0) x.beta = cl.beta;
      return x;
    });
  }
  return JSON.stringify(o);
}

export function footerLine(f: ProofFooter): string {
  return JSON.stringify(f);
}

// ---- reading ----------------------------------------------------------------

export interface ParsedProof {
  readonly header: ProofHeader;
  readonly nodes: ProofNode[];
  readonly footer: ProofFooter;
}

export function parseProof(text: string, file: string): ParsedProof {
  const lines = text.split('\n');
  while (lines.length > 0 && lines[lines.length - 1].trim() === '') lines.pop();
  const bad = (i: number, msg: string): never => {
    throw new ProofFormatError(file, i + 1, msg);
  };
  const json = (i: number): Record<string, unknown> => {
    try {
      const v = JSON.parse(lines[i]) as unknown;
      if (typeof v !== 'object' || v === null || Array.isArray(v)) bad(i, 'expected a JSON object');
      return v as Record<string, unknown>;
    } catch (e) {
      if (e instanceof ProofFormatError) throw e;
      return bad(i, `not JSON: ${(e as Error).message}`);
    }
  };
  if (lines.length < 2) bad(0, 'a proof has a header line, node lines and a footer line');
  const h = json(0);
  if (h.format !== PROOF_FORMAT) bad(0, `format must be "${PROOF_FORMAT}"`);
  if (h.version !== PROOF_VERSION) bad(0, `unsupported version ${String(h.version)} (this checker reads ${PROOF_VERSION})`);
  const digest = (v: unknown, what: string): FileDigest => {
    const o = v as Record<string, unknown> | undefined;
    if (!o || typeof o.file !== 'string' || typeof o.sha256 !== 'string' || !/^[0-9a-f]{64}$/.test(o.sha256)) bad(0, `${what} must be {"file", "sha256"}`);
    return { file: o!.file as string, sha256: o!.sha256 as string };
  };
  if (!isNat(h.regions)) bad(0, 'regions must be a non-negative integer');
  const header: ProofHeader = {
    format: PROOF_FORMAT,
    version: PROOF_VERSION,
    onnx: digest(h.onnx, 'onnx'),
    vnnlib: digest(h.vnnlib, 'vnnlib'),
    regions: h.regions as number,
    solver: typeof h.solver === 'string' ? h.solver : undefined,
    created: typeof h.created === 'string' ? h.created : undefined,
  };
  const f = json(lines.length - 1);
  if (f.end !== true || !isNat(f.nodes) || typeof f.complete !== 'boolean') bad(lines.length - 1, 'the last line must be the footer {"end": true, "nodes": N, "complete": bool} (truncated file?)');
  const footer: ProofFooter = { end: true, nodes: f.nodes as number, complete: f.complete as boolean };
  const nodes: ProofNode[] = [];
  for (let i = 1; i < lines.length - 1; i++) nodes.push(parseNode(json(i), (msg) => bad(i, msg)));
  if (nodes.length !== footer.nodes) bad(lines.length - 1, `footer says ${footer.nodes} nodes, the file has ${nodes.length}`);
  return { header, nodes, footer };
}

function isNat(v: unknown): v is number {
  return typeof v === 'number' && Number.isInteger(v) && v >= 0;
}

function isNum(v: unknown): v is number {
  return typeof v === 'number' && Number.isFinite(v);
}

function parseNode(o: Record<string, unknown>, bad: (msg: string) => never): ProofNode {
  if (!isNat(o.r)) bad('r (region) must be a non-negative integer');
  if (!isNat(o.id)) bad('id must be a non-negative integer');
  if (o.parent !== undefined && !isNat(o.parent)) bad('parent must be a node id');
  let constraint: NodeConstraint | undefined;
  if (o.input !== undefined && o.relu !== undefined) bad('a node adds either an input interval or a ReLU sign, not both');
  if (o.input !== undefined) {
    const a = o.input as unknown[];
    if (!Array.isArray(a) || a.length !== 3 || !isNat(a[0]) || !isNum(a[1]) || !isNum(a[2])) bad('input must be [dim, lo, hi]');
    constraint = { kind: 'input', dim: a[0] as number, lo: a[1] as number, hi: a[2] as number };
  }
  if (o.relu !== undefined) {
    const a = o.relu as unknown[];
    if (!Array.isArray(a) || a.length !== 3 || !isNat(a[0]) || !isNat(a[1]) || (a[2] !== 1 && a[2] !== -1)) bad('relu must be [layer, neuron, 1 | -1]');
    constraint = { kind: 'relu', layer: a[0] as number, neuron: a[1] as number, sign: a[2] as 1 | -1 };
  }
  if (o.parent === undefined && constraint) bad('the root of a region adds no constraint');
  if (o.parent !== undefined && !constraint) bad('a child node must add an input interval or a ReLU sign');
  if (o.empty !== undefined && o.empty !== true) bad('empty must be true when present');
  const close: Closure[] = [];
  if (o.close !== undefined) {
    if (!Array.isArray(o.close)) bad('close must be a list');
    for (const c of o.close as unknown[]) {
      const x = c as Record<string, unknown>;
      if (typeof x !== 'object' || x === null || !isNat(x.d)) bad('each closure needs d (the disjunct)');
      const rows = x.rows as unknown[];
      if (!Array.isArray(rows) || rows.length === 0) bad('each closure needs rows: [[row, weight], ...]');
      for (const rw of rows) {
        if (!Array.isArray(rw) || rw.length !== 2 || !isNat(rw[0]) || !isNum(rw[1])) bad('rows entries must be [row, weight]');
      }
      const duals = (v: unknown, what: string): DualEntry[] | undefined => {
        if (v === undefined) return undefined;
        if (!Array.isArray(v)) bad(`${what} must be a list of [layer, neuron, value]`);
        for (const e of v as unknown[]) {
          if (!Array.isArray(e) || e.length !== 3 || !isNat(e[0]) || !isNat(e[1]) || !isNum(e[2])) bad(`${what} entries must be [layer, neuron, value]`);
        }
        return v as DualEntry[];
      };
      close.push({ disjunct: x.d as number, rows: rows as [number, number][], alpha: duals(x.alpha, 'alpha'), beta: duals(x.beta, 'beta') });
    }
  }
  return { region: o.r as number, id: o.id as number, parent: o.parent === undefined ? null : (o.parent as number), constraint, close, empty: o.empty === true };
}
