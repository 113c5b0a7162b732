/**
 * VNN-LIB semantics: declarations, linear arithmetic, and the conversion of
 * the asserted formula into input boxes with an output DNF (types.ts).
 *
 * Pipeline: text -> tokens -> s-expressions -> per-assert DNF of classified
 * literals -> conjunction with a shared base -> boxes grouped into regions.
 */
import { readInputText } from '../util/input-file.js';
import { echo } from '../util/user-text.js';
import { describe, parseSexprs, posOf, type SExpr, type SList } from './sexpr.js';
import {
  VnnlibError,
  type InputInequality,
  type OutputAtom,
  type OutputConjunct,
  type SourcePos,
  type Spec,
  type SpecRegion,
} from './types.js';

/** Upper limit on DNF terms: beyond it the expansion itself would exhaust memory/time. */
export const MAX_DNF_TERMS = 100_000;

// ---------------------------------------------------------------------------
// Declarations

interface VarDecl {
  readonly kind: 'X' | 'Y';
  readonly index: number;
  readonly name: string;
  readonly pos: SourcePos;
  /** The variable as a linear term, shared by every use. */
  readonly term: Linear;
}

/** What formulas are interpreted in: the variables declared so far. */
interface Context {
  pos(e: SExpr): SourcePos;
  readonly vars: ReadonlyMap<string, VarDecl>;
  /** Accept constraints over several inputs (ParseOptions.linearInputs). */
  readonly linearInputs: boolean;
}

export interface ParseOptions {
  /**
   * Keep linear constraints over several inputs, e.g.
   * (assert (<= (+ X_0 X_1) 0.5)), as SpecRegion.inequalities instead of
   * rejecting them. Only for callers that bound over such sets.
   */
  readonly linearInputs?: boolean;
}

/** `X_12` -> { kind: 'X', index: 12 }; undefined for any other name. */
function parseVarName(name: string): { kind: 'X' | 'Y'; index: number } | undefined {
  const k = name[0];
  if ((k !== 'X' && k !== 'Y') || name[1] !== '_' || name.length < 3) return undefined;
  let index = 0;
  for (let i = 2; i < name.length; i++) {
    const d = name.charCodeAt(i) - 0x30;
    if (d < 0 || d > 9) return undefined;
    index = index * 10 + d;
  }
  // "X_01" would silently alias X_1.
  if (name.length > 3 && name[2] === '0') return undefined;
  return { kind: k, index };
}

function expectSymbol(e: SExpr | undefined, what: string, parent: SList, file: string): string {
  if (!e) throw new VnnlibError(`expected ${what}`, posOf(parent, file));
  if (e.kind !== 'symbol') throw new VnnlibError(`expected ${what}, got ${describe(e)}`, posOf(e, file));
  return e.name;
}

function declare(command: string, form: SList, vars: Map<string, VarDecl>, file: string): void {
  const nameExpr = form.items[1];
  const rest = form.items.slice(2);
  const name = expectSymbol(nameExpr, 'a variable name', form, file);
  let sortExpr: SExpr | undefined;
  if (command === 'declare-fun') {
    // (declare-fun X_0 () Real): only nullary functions are constants.
    const args = rest[0];
    if (!args || args.kind !== 'list' || args.items.length !== 0 || rest.length !== 2) {
      throw new VnnlibError(`unsupported declare-fun: expected (declare-fun NAME () Real)`, posOf(form, file));
    }
    sortExpr = rest[1];
  } else {
    if (rest.length !== 1) {
      throw new VnnlibError(`malformed declare-const: expected (declare-const NAME Real)`, posOf(form, file));
    }
    sortExpr = rest[0];
  }
  const sort = expectSymbol(sortExpr, 'a sort', form, file);
  if (sort !== 'Real') throw new VnnlibError(`unsupported sort '${echo(sort)}' for ${echo(name)} (only Real)`, posOf(sortExpr!, file));
  const pos = posOf(nameExpr!, file);
  const parsed = parseVarName(name);
  if (!parsed) throw new VnnlibError(`unsupported variable name '${echo(name)}' (expected X_i or Y_i)`, pos);
  const previous = vars.get(name);
  if (previous) {
    throw new VnnlibError(`${name} declared twice (first at ${previous.pos.line}:${previous.pos.col})`, pos);
  }
  const id = parsed.kind === 'X' ? parsed.index : -1 - parsed.index;
  vars.set(name, { kind: parsed.kind, index: parsed.index, name, pos, term: { ids: [id], coefs: [1], c: 0 } });
}

/**
 * Indices must be exactly 0..n-1. Duplicates are already rejected, so this
 * holds iff every index is < n; report the first declaration (in file order)
 * that breaks it, naming the smallest missing index.
 */
function checkContiguous(decls: readonly VarDecl[], kind: 'X' | 'Y'): VarDecl[] {
  const n = decls.length;
  const byIndex: VarDecl[] = new Array(n);
  let offender: VarDecl | undefined;
  for (const d of decls) {
    if (d.index < n) byIndex[d.index] = d;
    else offender ??= d;
  }
  if (offender) {
    let missing = 0;
    while (byIndex[missing]) missing++;
    throw new VnnlibError(
      `${offender.name} declared but ${kind}_${missing} is not: ${kind} indices must be contiguous 0..${n - 1}`,
      offender.pos,
    );
  }
  return byIndex;
}

// ---------------------------------------------------------------------------
// Linear expressions

/**
 * sum coefs[k]·var(ids[k]) + c, where id i >= 0 is X_i and id -1-j is Y_j.
 * Ids may repeat (X_0 - X_0); classify() combines them. Parallel arrays
 * rather than Maps because nearly every term has one or two variables and
 * big files have tens of thousands of them.
 */
interface Linear {
  readonly ids: readonly number[];
  readonly coefs: readonly number[];
  readonly c: number;
}

const NO_VARS: readonly number[] = [];

function constant(c: number): Linear {
  return { ids: NO_VARS, coefs: NO_VARS, c };
}

function isConstant(e: Linear): boolean {
  return e.coefs.every((v) => v === 0);
}

/** a + k·b */
function addScaled(a: Linear, b: Linear, k: number): Linear {
  if (b.ids.length === 0) return { ids: a.ids, coefs: a.coefs, c: a.c + k * b.c };
  return { ids: a.ids.concat(b.ids), coefs: a.coefs.concat(b.coefs.map((v) => k * v)), c: a.c + k * b.c };
}

function scaled(e: Linear, k: number): Linear {
  return { ids: e.ids, coefs: e.coefs.map((v) => k * v), c: k * e.c };
}

/** A term that is not an application: a number or a variable (shared, not copied). */
function atomLinear(e: SExpr, ctx: Context): Linear {
  switch (e.kind) {
    case 'number':
      return constant(e.value);
    case 'string':
      throw new VnnlibError(`unexpected string in arithmetic`, ctx.pos(e));
    case 'symbol': {
      const decl = ctx.vars.get(e.name);
      // Declarations are processed in file order, so this also rejects use before declaration.
      if (!decl) throw new VnnlibError(`undeclared variable '${echo(e.name)}'`, ctx.pos(e));
      return decl.term;
    }
    case 'list':
      throw new Error('atomLinear of a list');
  }
}

/** A linear term being summed: the arrays are this frame's own, so they grow in place. */
interface Sum {
  readonly ids: number[];
  readonly coefs: number[];
  c: number;
}

/**
 * Terms still to add to `acc`, each with its sign. Nested + and - are
 * flattened into one frame (their operands join the work list with the sign
 * pushed down), so neither depth nor length of a sum costs more than one
 * pass: a right-nested (+ X_0 (+ X_1 ...)) copied every partial sum before.
 */
interface SumFrame {
  readonly kind: 'sum';
  readonly acc: Sum;
  readonly work: [SExpr, number][];
}

/** (* ...) or (/ ...): each factor is a sum frame of its own, combined once all are known. */
interface ProductFrame {
  readonly kind: 'product';
  readonly e: SList;
  readonly op: '*' | '/';
  /** Sign of the product in the enclosing sum (+1 or -1). */
  readonly sign: number;
  readonly factors: Linear[];
  next: number;
}

function sumFrame(e: SExpr, sign: number): SumFrame {
  return { kind: 'sum', acc: { ids: [], coefs: [], c: 0 }, work: [[e, sign]] };
}

function addInto(acc: Sum, t: Linear, k: number): void {
  for (let i = 0; i < t.ids.length; i++) {
    acc.ids.push(t.ids[i]!);
    acc.coefs.push(k * t.coefs[i]!);
  }
  acc.c += k * t.c;
}

/** Operands of an arithmetic application, after the checks every operator shares. */
function arithmeticArgs(e: SList, ctx: Context): { op: string; args: readonly SExpr[] } {
  const head = e.items[0];
  if (!head || head.kind !== 'symbol') throw new VnnlibError(`expected an arithmetic term, got ${describe(e)}`, ctx.pos(e));
  const args = e.items.slice(1);
  if (args.length === 0 || (head.name === '/' && args.length < 2)) {
    throw new VnnlibError(`'${echo(head.name)}' is missing arguments`, ctx.pos(e));
  }
  if (!['+', '-', '*', '/'].includes(head.name)) {
    throw new VnnlibError(`unsupported arithmetic operator '${echo(head.name)}'`, ctx.pos(head));
  }
  return { op: head.name, args };
}

/** The product's value, scaled by its sign; factors are in file order. */
function combineProduct(f: ProductFrame, ctx: Context): Linear {
  const args = f.e.items;
  let value: Linear;
  if (f.op === '*') {
    let k = 1;
    let variable: Linear | undefined;
    for (const t of f.factors) {
      if (isConstant(t)) {
        k *= t.c;
      } else if (variable) {
        throw new VnnlibError(`nonlinear term: product of two non-constant factors`, ctx.pos(f.e));
      } else {
        variable = t;
      }
    }
    value = variable ? scaled(variable, k) : constant(k);
  } else {
    const [first, ...divisors] = f.factors;
    value = first!;
    for (const [idx, d] of divisors.entries()) {
      if (!isConstant(d)) throw new VnnlibError(`nonlinear term: division by a non-constant`, ctx.pos(f.e));
      if (d.c === 0) throw new VnnlibError(`division by zero`, ctx.pos(args[idx + 2]!));
      value = scaled(value, 1 / d.c);
    }
  }
  return f.sign === 1 ? value : scaled(value, f.sign);
}

/**
 * The value of an arithmetic term. Iterative (explicit stack of frames), so
 * that a term nested thousands deep cannot overflow the call stack. Constants
 * of nested sums are added in file order: (+ a (+ b c)) is (a + b) + c in
 * float64, one rounding of many the file's decimal constants already carry.
 */
function linear(root: SExpr, ctx: Context): Linear {
  // Nearly every term is a bare variable or number: no frames for those.
  if (root.kind !== 'list') return atomLinear(root, ctx);
  const stack: (SumFrame | ProductFrame)[] = [sumFrame(root, 1)];
  for (;;) {
    const top = stack[stack.length - 1]!;
    if (top.kind === 'product') {
      if (top.next < top.e.items.length - 1) {
        stack.push(sumFrame(top.e.items[1 + top.next++]!, 1));
        continue;
      }
      stack.pop();
      // A product frame always sits on a sum frame.
      addInto((stack[stack.length - 1] as SumFrame).acc, combineProduct(top, ctx), 1);
      continue;
    }
    const item = top.work.pop();
    if (!item) {
      stack.pop();
      if (stack.length === 0) return top.acc;
      // A sum frame below the root is one factor of a product.
      (stack[stack.length - 1] as ProductFrame).factors.push(top.acc);
      continue;
    }
    const [e, sign] = item;
    if (e.kind !== 'list') {
      addInto(top.acc, atomLinear(e, ctx), sign);
      continue;
    }
    const { op, args } = arithmeticArgs(e, ctx);
    if (op === '+' || op === '-') {
      // (- a) is negation; it is also how SMT-LIB writes negative literals: (- 0.5).
      // The work list is a stack: operands go on last to first.
      const negate = op === '-';
      for (let i = args.length - 1; i >= 1; i--) top.work.push([args[i]!, negate ? -sign : sign]);
      top.work.push([args[0]!, negate && args.length === 1 ? -sign : sign]);
    } else {
      stack.push({ kind: 'product', e, op: op as '*' | '/', sign, factors: [], next: 0 });
    }
  }
}

// ---------------------------------------------------------------------------
// Literals and DNF

/** A bound on one input: X_index <= value (isUpper) or X_index >= value. */
interface InputBound {
  readonly kind: 'x';
  readonly index: number;
  readonly isUpper: boolean;
  readonly value: number;
}

/**
 * sum coefs[k]·Y_{outputs[k]} <= rhs, sparse: the number of outputs is only
 * known once every declaration has been read, so densifying waits until then.
 */
interface OutputLit {
  readonly kind: 'y';
  readonly outputs: readonly number[];
  readonly coefs: readonly number[];
  readonly rhs: number;
  /** The dense atom, built once and shared by every term the literal ends up in. */
  dense?: OutputAtom;
}

/** sum coefs[k]·X_{inputs[k]} <= rhs over two or more inputs (linearInputs only). */
interface InputIneqLit {
  readonly kind: 'xl';
  readonly inputs: readonly number[];
  readonly coefs: readonly number[];
  readonly rhs: number;
  readonly pos: SourcePos;
  dense?: InputInequality;
}

type Literal = InputBound | OutputLit | InputIneqLit;

/**
 * A DNF whose terms all share `base`: the formula is OR_t (base AND terms[t]).
 * Keeping the base apart is what makes thousands of single-atom asserts cheap:
 * they go to the base once instead of being copied into every term.
 * terms = [] is false; terms = [[]] with an empty base is true.
 */
interface Dnf {
  readonly base: Literal[];
  readonly terms: Literal[][];
}

const dnfTrue = (): Dnf => ({ base: [], terms: [[]] });
const dnfFalse = (): Dnf => ({ base: [], terms: [] });

function pushAll<T>(into: T[], from: readonly T[]): void {
  // Not push(...from): spreading tens of thousands of arguments can overflow the stack.
  for (const v of from) into.push(v);
}

function tooMany(count: number, at: SExpr, ctx: Context): never {
  throw new VnnlibError(`DNF expansion needs ${count} terms, more than the limit of ${MAX_DNF_TERMS}`, ctx.pos(at));
}

/**
 * AND of DNFs, fed one operand at a time: single-term operands join the base,
 * only real disjunctions are kept apart to be multiplied out at the end. The
 * top level feeds it each assert as soon as it is read, so nothing else of
 * the assert (its syntax tree in particular) stays alive.
 */
class Conjunction {
  private readonly base: Literal[] = [];
  private readonly multi: Literal[][][] = [];
  private count = 1;
  private isFalse = false;

  constructor(private readonly ctx: Context) {}

  /** `at`: the operand's syntax, only to locate a too-large expansion. */
  add(dnf: Dnf, at: SExpr): void {
    if (this.isFalse) return;
    if (dnf.terms.length === 0) {
      this.isFalse = true;
      return;
    }
    pushAll(this.base, dnf.base);
    if (dnf.terms.length === 1) {
      pushAll(this.base, dnf.terms[0]!);
      return;
    }
    this.count *= dnf.terms.length;
    if (this.count > MAX_DNF_TERMS) tooMany(this.count, at, this.ctx);
    this.multi.push(dnf.terms);
  }

  result(): Dnf {
    if (this.isFalse) return dnfFalse();
    let terms: Literal[][] = [[]];
    for (const m of this.multi) {
      const next: Literal[][] = [];
      for (const t of terms) for (const u of m) next.push(t.length === 0 ? u : t.concat(u));
      terms = next;
    }
    return { base: this.base, terms };
  }
}

/** OR of DNFs: terms are concatenated, each carrying its own operand's base. */
function disjoin(parts: readonly Dnf[], at: SExpr, ctx: Context): Dnf {
  if (parts.length === 1) return parts[0]!;
  let count = 0;
  for (const p of parts) count += p.terms.length;
  if (count > MAX_DNF_TERMS) tooMany(count, at, ctx);
  const terms: Literal[][] = [];
  for (const p of parts) {
    for (const t of p.terms) terms.push(p.base.length === 0 ? t : p.base.concat(t));
  }
  return { base: [], terms };
}

// ---------------------------------------------------------------------------
// Atoms

/**
 * (id, total coefficient) per distinct variable. Atoms almost always have one
 * or two variables, where a linear scan beats allocating a Map per atom.
 */
function combineTerms(e: Linear): Iterable<[number, number]> {
  const { ids, coefs } = e;
  if (ids.length > 8) {
    const m = new Map<number, number>();
    for (let k = 0; k < ids.length; k++) m.set(ids[k]!, (m.get(ids[k]!) ?? 0) + coefs[k]!);
    return m;
  }
  const out: [number, number][] = [];
  outer: for (let k = 0; k < ids.length; k++) {
    for (const entry of out) {
      if (entry[0] === ids[k]) {
        entry[1] += coefs[k]!;
        continue outer;
      }
    }
    out.push([ids[k]!, coefs[k]!]);
  }
  return out;
}

/**
 * Classify `e <= 0` as an input bound, an output atom, or a constant.
 * Returns null for a constant atom that is false.
 */
function classify(e: Linear, ctx: Context, at: SExpr): Literal | 'true' | null {
  const xs: [number, number][] = [];
  const ys: [number, number][] = [];
  let finite = Number.isFinite(e.c);
  for (const [id, v] of combineTerms(e)) {
    if (v === 0) continue;
    finite &&= Number.isFinite(v);
    if (id >= 0) xs.push([id, v]);
    else ys.push([-1 - id, v]);
  }
  if (!finite) throw new VnnlibError(`constraint has a non-finite coefficient or constant`, ctx.pos(at));

  if (xs.length > 0 && ys.length > 0) {
    throw new VnnlibError(`unsupported: constraint mixes inputs (X) and outputs (Y)`, ctx.pos(at));
  }
  if (xs.length > 1 && ctx.linearInputs) {
    return { kind: 'xl', inputs: xs.map(([i]) => i), coefs: xs.map(([, v]) => v), rhs: -e.c + 0, pos: ctx.pos(at) };
  }
  if (xs.length > 1) {
    const names = xs.map(([i]) => `X_${i}`).join(', ');
    throw new VnnlibError(
      `unsupported: linear constraint over several inputs (${names}); only bounds on single inputs are supported`,
      ctx.pos(at),
    );
  }
  if (xs.length === 1) {
    const [index, a] = xs[0]!;
    // a·X + c <= 0  <=>  X <= -c/a (a > 0), X >= -c/a (a < 0). `+ 0` turns -0 into 0
    // so that boxes equal as numbers are also equal bit for bit when grouped.
    return { kind: 'x', index, isUpper: a > 0, value: -e.c / a + 0 };
  }
  if (ys.length > 0) {
    return { kind: 'y', outputs: ys.map(([j]) => j), coefs: ys.map(([, v]) => v), rhs: -e.c + 0 };
  }
  return e.c <= 0 ? 'true' : null;
}

function diff(a: Linear, b: Linear): Linear {
  return addScaled(a, b, -1);
}

/**
 * (op t0 t1 ... tk): SMT-LIB comparisons chain, so this is the conjunction of
 * (op t_i t_{i+1}). Strict < and > are read as <= and >=: the verifier reasons
 * about closed sets, so proving the closure unreachable proves the open set
 * unreachable too, and a counterexample exactly on the boundary is a
 * measure-zero event that VNN-COMP's own checker accepts within tolerance.
 */
function comparison(op: string, e: SList, ctx: Context): Dnf {
  const args = e.items.slice(1);
  if (args.length < 2) throw new VnnlibError(`'${op}' needs at least two arguments`, ctx.pos(e));
  const terms = args.map((a) => linear(a, ctx));
  const lits: Literal[] = [];
  for (let k = 0; k + 1 < terms.length; k++) {
    const a = terms[k]!;
    const b = terms[k + 1]!;
    // Each side is an expression that must be <= 0; '=' gives both.
    const le = op === '<=' || op === '<' || op === '=';
    const ge = op === '>=' || op === '>' || op === '=';
    for (const side of [le ? diff(a, b) : null, ge ? diff(b, a) : null]) {
      if (!side) continue;
      const lit = classify(side, ctx, e);
      if (lit === null) return dnfFalse();
      if (lit !== 'true') lits.push(lit);
    }
  }
  return { base: lits, terms: [[]] };
}

/** A formula that is neither `and` nor `or`: true, false or a comparison. */
function atomFormula(e: SExpr, ctx: Context): Dnf {
  if (e.kind === 'symbol') {
    if (e.name === 'true') return dnfTrue();
    if (e.name === 'false') return dnfFalse();
  }
  if (e.kind !== 'list') throw new VnnlibError(`expected a formula, got ${describe(e)}`, ctx.pos(e));
  const head = e.items[0];
  if (!head || head.kind !== 'symbol') throw new VnnlibError(`expected a formula, got ${describe(e)}`, ctx.pos(e));
  switch (head.name) {
    case '<=':
    case '>=':
    case '<':
    case '>':
    case '=':
      return comparison(head.name, e, ctx);
    default:
      throw new VnnlibError(`unsupported: formula operator '${echo(head.name)}'`, ctx.pos(head));
  }
}

function connective(e: SExpr): 'and' | 'or' | undefined {
  if (e.kind !== 'list') return undefined;
  const head = e.items[0];
  return head?.kind === 'symbol' && (head.name === 'and' || head.name === 'or') ? head.name : undefined;
}

/** An and/or being evaluated: its operands still to do (a stack: last first) and the result so far. */
type ConnectiveFrame =
  | { readonly kind: 'and'; readonly e: SList; readonly work: SExpr[]; readonly conj: Conjunction }
  | { readonly kind: 'or'; readonly e: SList; readonly work: SExpr[]; readonly parts: Dnf[]; count: number };

function pushOperands(work: SExpr[], e: SList): void {
  for (let i = e.items.length - 1; i >= 1; i--) work.push(e.items[i]!);
}

function openFrame(e: SList, kind: 'and' | 'or', ctx: Context): ConnectiveFrame {
  const work: SExpr[] = [];
  pushOperands(work, e);
  return kind === 'and' ? { kind, e, work, conj: new Conjunction(ctx) } : { kind, e, work, parts: [], count: 0 };
}

/** One operand's DNF into its frame; `at` locates a too-large expansion. */
function accept(frame: ConnectiveFrame, value: Dnf, at: SExpr, ctx: Context): void {
  if (frame.kind === 'and') {
    frame.conj.add(value, at);
  } else {
    frame.count += value.terms.length;
    if (frame.count > MAX_DNF_TERMS) tooMany(frame.count, frame.e, ctx);
    frame.parts.push(value);
  }
}

/**
 * A formula's DNF. Iterative (explicit stack), so that and/or nested
 * thousands deep cannot overflow the call stack; an `and` directly inside an
 * `and` (or an `or` inside an `or`) adds its operands to the enclosing frame,
 * since both are associative, so (and (and (and ...))) is one flat frame.
 */
function formula(root: SExpr, ctx: Context): Dnf {
  const rootKind = connective(root);
  if (!rootKind) return atomFormula(root, ctx);
  const stack: ConnectiveFrame[] = [openFrame(root as SList, rootKind, ctx)];
  for (;;) {
    const top = stack[stack.length - 1]!;
    const operand = top.work.pop();
    if (operand === undefined) {
      stack.pop();
      const value = top.kind === 'and' ? top.conj.result() : disjoin(top.parts, top.e, ctx);
      const parent = stack[stack.length - 1];
      if (!parent) return value;
      accept(parent, value, top.e, ctx);
      continue;
    }
    const kind = connective(operand);
    if (kind === top.kind) pushOperands(top.work, operand as SList);
    else if (kind) stack.push(openFrame(operand as SList, kind, ctx));
    else accept(top, atomFormula(operand, ctx), operand, ctx);
  }
}

// ---------------------------------------------------------------------------
// Boxes and regions

/** Everything known once the whole file has been read. */
interface Declared {
  readonly numInputs: number;
  readonly numOutputs: number;
  /** X declarations by index, to point at the declaration when a bound is missing. */
  readonly inputs: readonly VarDecl[];
}

function dense(l: OutputLit, numOutputs: number): OutputAtom {
  if (!l.dense) {
    const coef = new Float64Array(numOutputs);
    for (let k = 0; k < l.outputs.length; k++) coef[l.outputs[k]!] = l.coefs[k]!;
    l.dense = { coef, rhs: l.rhs };
  }
  return l.dense;
}

function denseInequality(l: InputIneqLit, numInputs: number): InputInequality {
  if (!l.dense) {
    const coef = new Float64Array(numInputs);
    for (let k = 0; k < l.inputs.length; k++) coef[l.inputs[k]!] = l.coefs[k]!;
    l.dense = { coef, rhs: l.rhs, pos: l.pos };
  }
  return l.dense;
}

/**
 * Intersect the literals' input bounds into lower/upper; collect their
 * output atoms into ys and their inequalities over several inputs into ineqs.
 */
function apply(lits: readonly Literal[], lower: Float64Array, upper: Float64Array, ys: OutputAtom[], numOutputs: number, ineqs?: InputInequality[]): void {
  for (const l of lits) {
    if (l.kind === 'y') ys.push(dense(l, numOutputs));
    else if (l.kind === 'xl') ineqs?.push(denseInequality(l, lower.length));
    else if (l.isUpper) {
      if (l.value < upper[l.index]!) upper[l.index] = l.value;
    } else if (l.value > lower[l.index]!) lower[l.index] = l.value;
  }
}

function isEmptyBox(lower: Float64Array, upper: Float64Array): boolean {
  for (let i = 0; i < lower.length; i++) if (lower[i]! > upper[i]!) return true;
  return false;
}

function checkBounded(lower: Float64Array, upper: Float64Array, decl: Declared): void {
  for (let i = 0; i < lower.length; i++) {
    const lo = Number.isFinite(lower[i]!);
    const hi = Number.isFinite(upper[i]!);
    if (lo && hi) continue;
    const d = decl.inputs[i]!;
    const which = !lo && !hi ? 'lower and upper bounds' : !lo ? 'lower bound' : 'upper bound';
    throw new VnnlibError(`input ${d.name} has no finite ${which}: every input must be boxed`, d.pos);
  }
}

/** FNV-1a over the raw float64 bits of both bounds, to bucket boxes before an exact comparison. */
function boxHash(lower: Float64Array, upper: Float64Array): number {
  let h = 0x811c9dc5;
  for (const a of [lower, upper]) {
    const words = new Uint32Array(a.buffer, a.byteOffset, a.length * 2);
    for (let i = 0; i < words.length; i++) h = Math.imul(h ^ words[i]!, 0x01000193);
  }
  return h >>> 0;
}

function sameBox(r: SpecRegion, lower: Float64Array, upper: Float64Array): boolean {
  for (let i = 0; i < lower.length; i++) {
    if (r.lower[i] !== lower[i] || r.upper[i] !== upper[i]) return false;
  }
  return true;
}

interface MutableRegion {
  readonly lower: Float64Array;
  readonly upper: Float64Array;
  readonly disjuncts: OutputConjunct[];
  readonly inequalities?: readonly InputInequality[];
}

/** Same inequality objects in the same order (literals are shared, so equal constraints are the same objects). */
function sameInequalities(a: readonly InputInequality[] | undefined, b: readonly InputInequality[] | undefined): boolean {
  const x = a ?? [];
  const y = b ?? [];
  return x.length === y.length && x.every((v, i) => v === y[i]);
}

/** Regions keyed by exact box, in order of first appearance. */
class RegionTable {
  readonly regions: MutableRegion[] = [];
  private readonly buckets = new Map<number, MutableRegion[]>();

  get(lower: Float64Array, upper: Float64Array, inequalities?: readonly InputInequality[]): MutableRegion {
    const h = boxHash(lower, upper);
    let bucket = this.buckets.get(h);
    if (!bucket) this.buckets.set(h, (bucket = []));
    let region = bucket.find((r) => sameBox(r, lower, upper) && sameInequalities(r.inequalities, inequalities));
    if (!region) {
      region = inequalities && inequalities.length ? { lower, upper, disjuncts: [], inequalities } : { lower, upper, disjuncts: [] };
      bucket.push(region);
      this.regions.push(region);
    }
    return region;
  }
}

function buildRegions(dnf: Dnf, decl: Declared): SpecRegion[] {
  const { numInputs, numOutputs } = decl;
  const baseLower = new Float64Array(numInputs).fill(-Infinity);
  const baseUpper = new Float64Array(numInputs).fill(Infinity);
  const baseYs: OutputAtom[] = [];
  const baseIneqs: InputInequality[] = [];
  apply(dnf.base, baseLower, baseUpper, baseYs, numOutputs, baseIneqs);
  const table = new RegionTable();
  // Region of the terms that add no input bound (usually all of them): looked up once.
  let baseRegion: MutableRegion | undefined;

  for (const term of dnf.terms) {
    const ys = baseYs.slice();
    let region: MutableRegion;
    if (term.some((l) => l.kind === 'x' || l.kind === 'xl')) {
      const lower = baseLower.slice();
      const upper = baseUpper.slice();
      const ineqs = baseIneqs.slice();
      apply(term, lower, upper, ys, numOutputs, ineqs);
      // An empty box makes the term unsatisfiable: drop it (checked before
      // boundedness, since an unsatisfiable term needs no finite box).
      if (isEmptyBox(lower, upper)) continue;
      checkBounded(lower, upper, decl);
      region = table.get(lower, upper, ineqs);
    } else {
      if (!baseRegion) {
        if (isEmptyBox(baseLower, baseUpper)) break;
        checkBounded(baseLower, baseUpper, decl);
        baseRegion = table.get(baseLower, baseUpper, baseIneqs);
      }
      apply(term, baseLower, baseUpper, ys, numOutputs);
      region = baseRegion;
    }
    region.disjuncts.push({ atoms: ys });
  }
  return table.regions;
}

// ---------------------------------------------------------------------------
// Entry points

/** SMT-LIB commands that carry no constraint: accepted and ignored. */
const IGNORED_COMMANDS = new Set(['set-logic', 'set-info', 'set-option', 'check-sat', 'get-model', 'get-value', 'exit']);

export function parseVnnlib(text: string, file: string, options: ParseOptions = {}): Spec {
  const vars = new Map<string, VarDecl>();
  const ctx: Context = { pos: (e) => posOf(e, file), vars, linearInputs: options.linearInputs ?? false };
  const all = new Conjunction(ctx);

  // Each form is interpreted as soon as it is read, so the syntax tree of the
  // whole file never has to exist at once (see parseSexprs).
  parseSexprs(text, file, (form) => {
    const head = form.kind === 'list' ? form.items[0] : undefined;
    if (form.kind !== 'list' || !head || head.kind !== 'symbol') {
      throw new VnnlibError(`expected a command such as (assert ...), got ${describe(form)}`, posOf(form, file));
    }
    if (head.name === 'declare-const' || head.name === 'declare-fun') {
      declare(head.name, form, vars, file);
    } else if (head.name === 'assert') {
      if (form.items.length !== 2) throw new VnnlibError(`assert takes exactly one formula`, posOf(form, file));
      all.add(formula(form.items[1]!, ctx), form);
    } else if (!IGNORED_COMMANDS.has(head.name)) {
      throw new VnnlibError(`unsupported command '${echo(head.name)}'`, posOf(head, file));
    }
  });

  const decls = [...vars.values()];
  const inputs = checkContiguous(decls.filter((d) => d.kind === 'X'), 'X');
  const outputs = checkContiguous(decls.filter((d) => d.kind === 'Y'), 'Y');
  const declared: Declared = { numInputs: inputs.length, numOutputs: outputs.length, inputs };
  const regions = buildRegions(all.result(), declared);
  return { file, numInputs: declared.numInputs, numOutputs: declared.numOutputs, regions };
}

export function readVnnlib(path: string, options: ParseOptions = {}): Spec {
  return parseVnnlib(readInputText(path, 'VNN-LIB property'), path, options);
}
