import { describe, it } from 'node:test';
import assert from 'node:assert/strict';
import { performance } from 'node:perf_hooks';
import { MAX_DNF_TERMS, VnnlibError, parseSexprs, parseVnnlib, tokenize, type Spec } from '../src/vnnlib/index.js';

const FILE = 'spec.vnnlib';

function decls(nx: number, ny: number): string {
  const lines: string[] = [];
  for (let i = 0; i < nx; i++) lines.push(`(declare-const X_${i} Real)`);
  for (let j = 0; j < ny; j++) lines.push(`(declare-const Y_${j} Real)`);
  return lines.join('\n') + '\n';
}

/** One assert per bound, as the VNN-COMP generators write them. */
function boxAsserts(lo: readonly number[], hi: readonly number[]): string {
  return lo.map((l, i) => `(assert (>= X_${i} ${l}))\n(assert (<= X_${i} ${hi[i]}))\n`).join('');
}

function parse(text: string): Spec {
  return parseVnnlib(text, FILE);
}

/** Dense coefficient vector as a plain array, for deepEqual. */
function coefs(spec: Spec, region: number, disjunct: number, atom: number): number[] {
  return [...spec.regions[region]!.disjuncts[disjunct]!.atoms[atom]!.coef];
}

function rhs(spec: Spec, region: number, disjunct: number, atom: number): number {
  return spec.regions[region]!.disjuncts[disjunct]!.atoms[atom]!.rhs;
}

function throwsAt(text: string, line: number, col: number, message: RegExp): void {
  assert.throws(
    () => parse(text),
    (err: unknown) => {
      assert.ok(err instanceof VnnlibError, `expected VnnlibError, got ${String(err)}`);
      assert.match(err.message, message);
      assert.deepEqual(err.pos, { file: FILE, line, col }, err.message);
      assert.ok(err.message.startsWith(`${FILE}:${line}:${col}: `), err.message);
      return true;
    },
  );
}

describe('tokenizer', () => {
  it('tracks line and column of every token and skips comments', () => {
    const toks = tokenize('; header (not a paren)\n(assert\t(<= X_0 -1.5e3)) ; tail', FILE);
    assert.deepEqual(
      toks.map((t) => [t.kind, t.text, t.line, t.col]),
      [
        ['lparen', '(', 2, 1],
        ['symbol', 'assert', 2, 2],
        ['lparen', '(', 2, 9],
        ['symbol', '<=', 2, 10],
        ['symbol', 'X_0', 2, 13],
        ['number', '-1.5e3', 2, 17],
        ['rparen', ')', 2, 23],
        ['rparen', ')', 2, 24],
      ],
    );
    assert.equal(toks[5]!.value, -1500);
  });

  it('reads strings and |quoted symbols|', () => {
    const toks = tokenize('(set-info :source "a ""b"" (c)") |X 0|', FILE);
    assert.deepEqual(
      toks.map((t) => [t.kind, t.text]),
      [
        ['lparen', '('],
        ['symbol', 'set-info'],
        ['symbol', ':source'],
        ['string', 'a "b" (c)'],
        ['rparen', ')'],
        ['symbol', 'X 0'],
      ],
    );
  });

  it('rejects malformed numbers with their position', () => {
    assert.throws(() => tokenize('\n  (<= X_0 1.2.3)', FILE), /spec\.vnnlib:2:11: malformed number '1\.2\.3'/);
    assert.throws(() => tokenize('1e', FILE), /1:1: malformed number/);
  });

  it('builds nested s-expressions with positions', () => {
    const [form] = parseSexprs('(a (b 1) c)', FILE);
    assert.equal(form!.kind, 'list');
    if (form!.kind !== 'list') return;
    const inner = form.items[1]!;
    assert.equal(inner.kind, 'list');
    assert.deepEqual([inner.line, inner.col], [1, 4]);
  });
});

describe('parseVnnlib', () => {
  it('ACAS-style property: one box, conjunction of output atoms', () => {
    const text =
      '; ACAS Xu property 3\n' +
      decls(5, 5) +
      boxAsserts([-0.3, -0.01, 0.49, 0.3, 0.3], [-0.29, 0.01, 0.5, 0.5, 0.5]) +
      '(assert (<= Y_0 Y_1))\n(assert (<= Y_0 Y_2))\n(assert (<= Y_0 Y_3))\n(assert (<= Y_0 Y_4))\n';
    const spec = parse(text);
    assert.equal(spec.file, FILE);
    assert.equal(spec.numInputs, 5);
    assert.equal(spec.numOutputs, 5);
    assert.equal(spec.regions.length, 1);
    const r = spec.regions[0]!;
    assert.deepEqual([...r.lower], [-0.3, -0.01, 0.49, 0.3, 0.3]);
    assert.deepEqual([...r.upper], [-0.29, 0.01, 0.5, 0.5, 0.5]);
    assert.equal(r.disjuncts.length, 1);
    assert.equal(r.disjuncts[0]!.atoms.length, 4);
    // Y_0 <= Y_2  ->  Y_0 - Y_2 <= 0
    assert.deepEqual(coefs(spec, 0, 0, 1), [1, 0, -1, 0, 0]);
    assert.equal(rhs(spec, 0, 0, 1), 0);
  });

  it('output atom with a constant: (>= Y_0 c) becomes -Y_0 <= -c', () => {
    const spec = parse(decls(1, 2) + boxAsserts([0], [1]) + '(assert (>= Y_0 3.991125645861615))');
    assert.deepEqual(coefs(spec, 0, 0, 0), [-1, 0]);
    assert.equal(rhs(spec, 0, 0, 0), -3.991125645861615);
  });

  it('mnist-style robustness: box + disjunction of single atoms', () => {
    const spec = parse(
      decls(3, 3) +
        boxAsserts([0, 0, 0], [0.03, 0.03, 0.03]) +
        '(assert (or (and (>= Y_1 Y_0)) (and (>= Y_2 Y_0))))',
    );
    assert.equal(spec.regions.length, 1);
    const r = spec.regions[0]!;
    assert.equal(r.disjuncts.length, 2);
    // Y_1 >= Y_0  ->  Y_0 - Y_1 <= 0
    assert.deepEqual(coefs(spec, 0, 0, 0), [1, -1, 0]);
    assert.deepEqual(coefs(spec, 0, 1, 0), [1, 0, -1]);
    assert.equal(rhs(spec, 0, 1, 0), 0);
  });

  it('multi-box: (or (and X... Y...) (and X... Y...)) groups terms by identical box', () => {
    const spec = parse(
      decls(2, 2) +
        '(assert (or\n' +
        '  (and (>= X_0 0) (<= X_0 1) (>= X_1 0) (<= X_1 1) (<= Y_0 Y_1))\n' +
        '  (and (>= X_0 2) (<= X_0 3) (>= X_1 0) (<= X_1 1) (<= Y_1 Y_0))\n' +
        '  (and (<= X_1 1) (>= X_1 0) (<= X_0 1) (>= X_0 0) (>= Y_0 5))\n' +
        '))',
    );
    assert.equal(spec.regions.length, 2);
    const [a, b] = spec.regions;
    assert.deepEqual([...a!.lower, ...a!.upper], [0, 0, 1, 1]);
    assert.deepEqual([...b!.lower, ...b!.upper], [2, 0, 3, 1]);
    assert.equal(a!.disjuncts.length, 2, 'first and third term share a box');
    assert.equal(b!.disjuncts.length, 1);
    assert.deepEqual(coefs(spec, 0, 1, 0), [-1, 0]);
    assert.equal(rhs(spec, 0, 1, 0), -5);
  });

  it('ACAS prop_6 shape: an or of input boxes times an or of output atoms', () => {
    const spec = parse(
      decls(1, 3) +
        '(assert (or (and (<= X_0 1) (>= X_0 0)) (and (<= X_0 -1) (>= X_0 -2))))\n' +
        '(assert (or (and (<= Y_1 Y_0)) (and (<= Y_2 Y_0))))\n',
    );
    assert.equal(spec.regions.length, 2);
    for (const r of spec.regions) assert.equal(r.disjuncts.length, 2);
    assert.deepEqual([spec.regions[1]!.lower[0], spec.regions[1]!.upper[0]], [-2, -1]);
  });

  it('distributes nested and/or in order', () => {
    // (A or B) and (C or (D and E)), each atom tagged by its rhs.
    const atom = (k: number) => `(<= Y_0 ${k})`;
    const spec = parse(
      decls(1, 1) +
        boxAsserts([0], [1]) +
        `(assert (and (or ${atom(1)} ${atom(2)}) (or ${atom(3)} (and ${atom(4)} (or (and ${atom(5)}))))))`,
    );
    const tags = spec.regions[0]!.disjuncts.map((d) => d.atoms.map((a) => a.rhs));
    assert.deepEqual(tags, [
      [1, 3],
      [1, 4, 5],
      [2, 3],
      [2, 4, 5],
    ]);
  });

  it('reads numbers in every notation, and linear terms', () => {
    const bounds: [string, number][] = [
      ['1', 1],
      ['-1', -1],
      ['0.5', 0.5],
      ['.5', 0.5],
      ['5.', 5],
      ['1e-3', 0.001],
      ['1.5E+2', 150],
      ['-2.5e-07', -2.5e-7],
      ['(- 0.5)', -0.5],
      ['+2', 2],
    ];
    const n = bounds.length;
    const text =
      decls(n + 4, 1) +
      bounds.map(([b], i) => `(assert (>= X_${i} ${b}))\n(assert (<= X_${i} 1000))\n`).join('') +
      // Coefficients are divided through; a negative one flips the bound.
      `(assert (<= (* 2 X_${n}) 1)) (assert (>= X_${n} (- 3)))\n` +
      `(assert (<= (* X_${n + 1} -4) 2)) (assert (<= X_${n + 1} 0))\n` +
      `(assert (<= (+ X_${n + 2} 1 (- 2)) 3)) (assert (< 0 X_${n + 2}))\n` +
      `(assert (= (- X_${n + 3} 1) 0.25))\n` +
      '(assert (> Y_0 (* 2 (- 1.5) (+ 1 1))))';
    const spec = parse(text);
    const r = spec.regions[0]!;
    assert.deepEqual([...r.lower.subarray(0, n)], bounds.map(([, v]) => v));
    assert.deepEqual([r.lower[n], r.upper[n]], [-3, 0.5]);
    assert.deepEqual([r.lower[n + 1], r.upper[n + 1]], [-0.5, 0]);
    assert.deepEqual([r.lower[n + 2], r.upper[n + 2]], [0, 4]);
    assert.deepEqual([r.lower[n + 3], r.upper[n + 3]], [1.25, 1.25]);
    // Y_0 > -6 (strict read as non-strict)  ->  -Y_0 <= 6
    assert.deepEqual(coefs(spec, 0, 0, 0), [-1]);
    assert.equal(rhs(spec, 0, 0, 0), 6);
  });

  it('ignores comments anywhere, including ones with parentheses and at EOF', () => {
    const spec = parse(
      '; (declare-const X_9 Real)\n' +
        '(declare-const X_0 Real) ; input ) (\n' +
        '(declare-const Y_0 Real);no space\n' +
        '(assert (<= X_0 ; upper\n 1))\n(assert (>= X_0 0))\n' +
        '(assert (<= Y_0 0)) ; last line without newline',
    );
    assert.equal(spec.numInputs, 1);
    assert.deepEqual([spec.regions[0]!.lower[0], spec.regions[0]!.upper[0]], [0, 1]);
  });

  it('constant atoms: true is dropped, false removes its conjunct', () => {
    const spec = parse(
      decls(1, 1) +
        boxAsserts([0], [1]) +
        '(assert (or (and (<= 1 2) (<= Y_0 1)) (and (<= 2 1) (<= Y_0 2)) (and (>= 3 3))))',
    );
    const ds = spec.regions[0]!.disjuncts;
    assert.equal(ds.length, 2);
    assert.deepEqual(ds[0]!.atoms.map((a) => a.rhs), [1]);
    // A conjunct with no output atom is unsafe on the whole box: kept, with zero atoms.
    assert.equal(ds[1]!.atoms.length, 0);
  });

  it('drops empty boxes; nothing left means regions: []', () => {
    const empty = parse(decls(1, 1) + boxAsserts([1], [0]) + '(assert (<= Y_0 0))');
    assert.deepEqual(empty.regions, []);
    const someEmpty = parse(
      decls(1, 1) + '(assert (or (and (>= X_0 1) (<= X_0 0) (<= Y_0 0)) (and (>= X_0 0) (<= X_0 1) (<= Y_0 1))))',
    );
    assert.equal(someEmpty.regions.length, 1);
    assert.equal(someEmpty.regions[0]!.disjuncts[0]!.atoms[0]!.rhs, 1);
    assert.deepEqual(parse(decls(1, 1) + boxAsserts([0], [1]) + '(assert (or))').regions, []);
  });

  it('accepts SMT-LIB housekeeping commands', () => {
    const spec = parse('(set-logic QF_LRA)\n(set-info :status sat)\n' + decls(1, 1) + boxAsserts([0], [1]) + '(check-sat)\n(exit)');
    assert.equal(spec.regions.length, 1);
  });
});

describe('parseVnnlib errors', () => {
  it('unbalanced parentheses', () => {
    throwsAt(decls(1, 1) + '(assert (<= X_0 1)))\n', 3, 20, /unbalanced '\)'/);
    // Unclosed: point at the innermost '(' left open.
    throwsAt(decls(1, 1) + '(assert (and (<= X_0 1)\n  (>= X_0 0)\n', 3, 9, /end of file/);
  });

  it('undeclared variable', () => {
    throwsAt(decls(1, 1) + '(assert (<= X_0 1))\n(assert (>=   X_1 0))', 4, 15, /undeclared variable 'X_1'/);
  });

  it('use before declaration', () => {
    throwsAt('(assert (<= X_0 1))\n(declare-const X_0 Real)', 1, 13, /undeclared variable 'X_0'/);
  });

  it('unbounded input, reported at its declaration', () => {
    throwsAt(decls(2, 1) + '(assert (>= X_0 0)) (assert (<= X_0 1)) (assert (>= X_1 0))', 2, 16, /X_1 has no finite upper bound/);
  });

  it('nonlinear term', () => {
    throwsAt(decls(2, 1) + boxAsserts([0, 0], [1, 1]) + '(assert (<= Y_0\n  (* X_0 (+ 1 X_1))))', 9, 3, /nonlinear/);
  });

  it('atom mixing inputs and outputs', () => {
    throwsAt(decls(1, 1) + boxAsserts([0], [1]) + '(assert (or (and (<= Y_0 0))\n (and  (<= X_0 Y_0))))', 6, 8, /unsupported: .*mixes/);
  });

  it('linear constraint over several inputs', () => {
    throwsAt(decls(2, 1) + '(assert (<= (+ X_0 X_1) 1))', 4, 9, /unsupported: .*X_0, X_1/);
  });

  it('non-contiguous declarations', () => {
    throwsAt('(declare-const X_0 Real)\n(declare-const X_2 Real)\n(declare-const Y_0 Real)', 2, 16, /X_2 declared but X_1 is not/);
  });

  it('too many DNF terms', () => {
    const or10 = (k: number) => `(assert (or ${Array.from({ length: 10 }, (_, i) => `(<= Y_0 ${k * 10 + i})`).join(' ')}))\n`;
    let text = decls(1, 1) + boxAsserts([0], [1]);
    for (let k = 0; k < 6; k++) text += or10(k);
    // 10^5 terms is the limit itself; the sixth disjunction pushes past it.
    throwsAt(text, 10, 1, new RegExp(`1000000 terms, more than the limit of ${MAX_DNF_TERMS}`));
  });
});

describe('parseVnnlib performance', () => {
  it('parses a ~2 MB spec quickly', (t) => {
    const n = 20_000;
    const parts: string[] = [decls(n, 10)];
    for (let i = 0; i < n; i++) {
      const lo = -((i % 97) / 97);
      parts.push(`(assert (<= X_${i} ${(1 + lo).toFixed(16)}))\n(assert (>= X_${i} ${lo.toFixed(16)}))\n`);
    }
    parts.push('(assert (or\n' + Array.from({ length: 9 }, (_, j) => `  (and (>= Y_${j + 1} Y_0))\n`).join('') + '))\n');
    const text = parts.join('');
    assert.ok(text.length > 2_000_000, `generated ${text.length} bytes`);

    const cpu0 = process.cpuUsage();
    const t0 = performance.now();
    const spec = parse(text);
    const ms = performance.now() - t0;
    const cpu = process.cpuUsage(cpu0);
    // CPU time alongside wall time tells a slow parser from a busy machine.
    t.diagnostic(`${(text.length / 1e6).toFixed(2)} MB parsed in ${ms.toFixed(0)} ms (cpu ${((cpu.user + cpu.system) / 1000).toFixed(0)} ms)`);

    assert.equal(spec.numInputs, n);
    assert.equal(spec.regions.length, 1);
    assert.equal(spec.regions[0]!.disjuncts.length, 9);
    // Target is well under 1 s; the bound is loose so a loaded machine does not fail it.
    assert.ok(ms < 2000, `parse took ${ms.toFixed(0)} ms`);
  });
});

describe('parseVnnlib robustness', () => {
  const DEPTH = 50_000;
  const nest = (open: string, inner: string, close: string) => open.repeat(DEPTH) + inner + close.repeat(DEPTH);
  const box = decls(1, 2) + boxAsserts([0], [1]);

  it('and/or nested 50,000 deep: no stack overflow, same meaning as flat', () => {
    const and = parse(box + `(assert ${nest('(and ', '(<= Y_0 3)', ')')})`);
    assert.equal(and.regions[0]!.disjuncts.length, 1);
    assert.equal(rhs(and, 0, 0, 0), 3);
    const or = parse(box + `(assert ${nest('(or (<= Y_1 1) ', '(<= Y_0 3)', ')')})`);
    // One disjunct per level plus the innermost atom, in file order.
    assert.equal(or.regions[0]!.disjuncts.length, DEPTH + 1);
    assert.deepEqual(coefs(or, 0, 0, 0), [0, 1]);
    assert.deepEqual(coefs(or, 0, DEPTH, 0), [1, 0]);
    // Alternating and/or cannot be flattened: one frame per level, still no recursion.
    const alt = parse(box + `(assert ${'(and (or '.repeat(DEPTH / 2)}(<= Y_0 3)${'))'.repeat(DEPTH / 2)})`);
    assert.equal(alt.regions[0]!.disjuncts.length, 1);
  });

  it('+, -, * nested 50,000 deep', () => {
    // Left-nested sum of constants: Y_0 + 1 + 1 + ... <= 0.
    const plus = parse(box + `(assert (<= ${nest('(+ ', 'Y_0', ' 1)')} 0))`);
    assert.equal(rhs(plus, 0, 0, 0), -DEPTH);
    // Right-nested sum over both outputs: one linear pass, coefficients add up.
    const right = parse(box + `(assert (<= ${nest('(+ Y_1 ', 'Y_0', ')')} 0))`);
    assert.deepEqual(coefs(right, 0, 0, 0), [1, DEPTH]);
    // An even number of negations is the identity, an odd one negates.
    const minus = parse(box + `(assert (<= ${nest('(- ', 'Y_0', ')')} 2))`);
    assert.deepEqual(coefs(minus, 0, 0, 0), [1, 0]);
    const minus1 = parse(box + `(assert (<= (- ${nest('(- ', 'Y_0', ')')}) 2))`);
    assert.deepEqual(coefs(minus1, 0, 0, 0), [-1, 0]);
    // Binary minus: Y_1 - (Y_1 - (... - Y_0)): 0 or 1 of each by parity.
    const sub = parse(box + `(assert (<= ${nest('(- Y_1 ', 'Y_0', ')')} 0))`);
    assert.deepEqual(coefs(sub, 0, 0, 0), [1, 0]);
    const times = parse(box + `(assert (<= ${nest('(* 1 ', '(* 2 Y_0)', ')')} 4))`);
    assert.deepEqual(coefs(times, 0, 0, 0), [2, 0]);
    // Errors deep inside still carry their position.
    throwsAt(box + `(assert (<= ${nest('(+ 1 ', 'Y_9', ')')} 0))`, 6, 13 + 5 * DEPTH, /undeclared variable 'Y_9'/);
  });

  it('nested and/or/+/- in a 2 MB spec parse in well under the time limit', () => {
    const depth = 400_000;
    const text = box + `(assert ${'(and '.repeat(depth)}(<= (- (+ Y_0 1) 2) 0)${')'.repeat(depth)})`;
    assert.ok(text.length > 2_000_000);
    const t0 = performance.now();
    const spec = parse(text);
    const ms = performance.now() - t0;
    assert.equal(rhs(spec, 0, 0, 0), 1);
    assert.ok(ms < 5000, `took ${ms.toFixed(0)} ms`);
  });

  it('CR-only and CRLF line endings: lines counted, comments end at the line break', () => {
    const lines = ['; a comment', ...decls(1, 1).trim().split('\n'), '(assert (>= X_0 0)) ; trailing', '(assert (<= X_0 1))', '(assert (<= Y_0 0))'];
    for (const eol of ['\r', '\r\n', '\n']) {
      const spec = parse(lines.join(eol));
      assert.equal(spec.numInputs, 1, JSON.stringify(eol));
      assert.equal(spec.regions[0]!.disjuncts.length, 1);
      throwsAt([...lines, '(assert (<= Y_0 nope))'].join(eol), 7, 17, /undeclared variable 'nope'/);
    }
    // A CR inside a quoted symbol ends a line too.
    throwsAt(decls(1, 1) + '(set-info |a\rb|) (assert (<= X_0 zz))', 4, 21, /undeclared variable 'zz'/);
  });

  it('echoed tokens are cut and escaped: no megabyte lines, no terminal escapes', () => {
    const huge = 'A'.repeat(1_000_000);
    assert.throws(() => parse(decls(1, 1) + `(assert (<= X_0 ${huge}))`), (e: unknown) => {
      assert.ok(e instanceof VnnlibError);
      assert.ok(e.message.length < 400, `message of ${e.message.length} characters`);
      assert.match(e.message, /\.\.\. \(1000000 characters\)/);
      return true;
    });
    assert.throws(() => parse(decls(1, 1) + '(assert (<= X_0 |evil\x1b[2J\nline|))'), (e: unknown) => {
      assert.ok(e instanceof VnnlibError);
      assert.doesNotMatch(e.message, /[\x00-\x1f]/);
      assert.match(e.message, /evil\\x1b\[2J\\nline/);
      return true;
    });
    // A malformed number of a million digits.
    assert.throws(() => parse(decls(1, 1) + `(assert (<= X_0 1.${'2.'.repeat(500_000)}))`), (e: unknown) => e instanceof VnnlibError && e.message.length < 400);
  });
});
