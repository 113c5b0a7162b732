import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { lstatSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseVnnlib } from '../src/vnnlib/parse.js';
import { gatePasses } from '../src/gate/gate.js';
import { robustnessVnnlib, vnnNumber } from '../src/gate/robustness-spec.js';
import { parseSamplesCsv } from '../src/gate/samples.js';
import { reluIdentityClassifier } from './helpers/onnx-builder.js';
import { schedulerFreeEnv } from './helpers/scheduler-env.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'verify.js');
const tmp = mkdtempSync(join(tmpdir(), 'verify-gate-test-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function verify(args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd: tmp, env: schedulerFreeEnv() });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** y = relu(x): class 0 when x0 > x1 >= 0, class 1 when x1 > x0 >= 0. Margin at (1, 0) is 1. */
const classifier = join(tmp, 'classifier.onnx');
writeFileSync(classifier, reluIdentityClassifier());

// Two confidently classified samples (margin 1) and one barely classified (margin 0.2).
const samples = join(tmp, 'samples.csv');
writeFileSync(samples, 'x0,x1,label\n1,0,0\n0,1,1\n0.2,0,0\n');

function gate(args: string[]) {
  const json = join(tmp, `gate-${Math.random().toString(36).slice(2)}.json`);
  const r = verify(['gate', ...args, '--json', json, '--timeout', '20']);
  let report: any;
  try {
    report = JSON.parse(readFileSync(json, 'utf8'));
  } catch {
    report = undefined;
  }
  return { ...r, report };
}

test('samples CSV, robustness property text, pass rule', () => {
  const s = parseSamplesCsv('a,b,label\n0.5,1e-3,2\n# comment\n1,2,0\n', 's.csv');
  assert.deepEqual(s.map((x) => [x.input, x.label]), [[[0.5, 0.001], 2], [[1, 2], 0]]);
  assert.throws(() => parseSamplesCsv('1,2,0\n1,2\n', 's.csv'), /s\.csv:2: 2 columns/);
  assert.throws(() => parseSamplesCsv('1,2,0.5\n', 's.csv'), /label/);
  assert.throws(() => parseSamplesCsv('1,x,0\n2,3,1\n4,y,0\n', 's.csv'), /s\.csv:3: 'y' is not a decimal number/);
  assert.throws(() => parseSamplesCsv('1,2,0\n0x10,3,1\n', 's.csv'), /s\.csv:2: '0x10' is not a decimal number/);
  assert.equal(vnnNumber(1e-7), '0.0000001');
  assert.equal(vnnNumber(-1.5e-10), '-0.00000000015');
  assert.equal(vnnNumber(2), '2.0');
  assert.equal(vnnNumber(1.5e22), '15000000000000000000000.0');
  for (const v of [0.1 + 0.2, -3.3e-9, 123.456, 7e-300]) assert.equal(Number(vnnNumber(v)), v);
  const text = robustnessVnnlib([0.05, 0.5], 1, 3, { eps: 0.1, clipMin: 0, clipMax: 1 });
  const spec = parseVnnlib(text, 'gen.vnnlib');
  assert.equal(spec.numInputs, 2);
  assert.equal(spec.numOutputs, 3);
  assert.deepEqual(Array.from(spec.regions[0].lower), [0, 0.4]);
  assert.deepEqual(Array.from(spec.regions[0].upper), [0.15000000000000002, 0.6]);
  assert.equal(spec.regions[0].disjuncts.length, 2, 'one disjunct per other class');
  assert.throws(() => robustnessVnnlib([1, 2], 3, 3, { eps: 0.1 }), /label 3/);
  assert.throws(() => robustnessVnnlib([2], 0, 2, { eps: 0.1, clipMax: 1 }), /outside/);
  assert.ok(gatePasses(9, 10, 0.9));
  assert.ok(!gatePasses(8, 10, 0.9));
  assert.ok(gatePasses(0, 3, 0));
});

test('gate passes on a robust case (small eps): exit 0 and JSON', () => {
  const r = gate(['--onnx', classifier, '--samples', samples, '--eps', '0.05']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /gate: PASS: 3\/3 properties verified robust/);
  assert.equal(r.report.passed, true);
  assert.equal(r.report.verified, 3);
  assert.equal(r.report.verifiedFraction, 1);
  assert.deepEqual(r.report.counts, { sat: 0, unsat: 3, timeout: 0, unknown: 0, error: 0 });
  assert.equal(r.report.properties.length, 3);
  for (const p of r.report.properties) {
    assert.equal(p.result, 'unsat');
    assert.ok(p.seconds > 0);
  }
});

test('gate fails on a non-robust case (large eps): exit 1; threshold decides', () => {
  const big = gate(['--onnx', classifier, '--samples', samples, '--eps', '0.6']);
  assert.equal(big.code, 1, big.stdout + big.stderr);
  assert.match(big.stdout, /gate: FAIL: 0\/3/);
  assert.equal(big.report.passed, false);
  assert.equal(big.report.counts.sat, 3);
  // eps 0.3: the two confident samples are robust, the barely classified one is not.
  const workDir = join(tmp, 'work');
  const strict = gate(['--onnx', classifier, '--samples', samples, '--eps', '0.3', '--clip-min', '0', '--clip-max', '1', '--work-dir', workDir]);
  assert.equal(strict.code, 1, strict.stdout + strict.stderr);
  assert.deepEqual(strict.report.properties.map((p: { result: string }) => p.result), ['unsat', 'unsat', 'sat']);
  assert.ok(Math.abs(strict.report.verifiedFraction - 2 / 3) < 1e-12);
  assert.deepEqual(readdirSync(workDir).sort(), ['sample_0.vnnlib', 'sample_1.vnnlib', 'sample_2.vnnlib']);
  assert.match(readFileSync(join(workDir, 'sample_0.vnnlib'), 'utf8'), /\(assert \(>= X_1 0\.0\)\)/, 'clipped at 0');
  const lenient = gate(['--onnx', classifier, '--samples', samples, '--eps', '0.3', '--threshold', '0.6']);
  assert.equal(lenient.code, 0, lenient.stdout + lenient.stderr);
  assert.equal(lenient.report.passed, true);
});

test('gate over a property list', () => {
  const list = join(tmp, 'props.csv');
  writeFileSync(list, `${join(root, 'networks', 'two_relu.onnx')},${join(root, 'specs', 'two_relu_unsat.vnnlib')}\n${join(root, 'networks', 'two_relu.onnx')},${join(root, 'specs', 'two_relu_sat.vnnlib')},15\n`);
  const r = gate(['--properties', list, '--threshold', '0.5']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.deepEqual(r.report.properties.map((p: { result: string; timeout: number }) => [p.result, p.timeout]), [['unsat', 20], ['sat', 15]]);
  assert.equal(gate(['--properties', list]).code, 1);
});

test('gate: bad input gives exit code 2', () => {
  const wide = join(tmp, 'wide.csv');
  writeFileSync(wide, '1,2,3,0\n');
  const cases: string[][] = [
    [],
    ['--onnx', classifier, '--samples', samples],
    ['--onnx', classifier, '--samples', wide, '--eps', '0.1'],
    ['--onnx', classifier, '--samples', samples, '--eps', '0.1', '--threshold', '2'],
    ['--onnx', join(tmp, 'nope.onnx'), '--samples', samples, '--eps', '0.1'],
    ['--properties', join(tmp, 'nope.csv')],
    ['--properties', samples, '--onnx', classifier],
  ];
  for (const args of cases) {
    const r = verify(['gate', ...args]);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.match(r.stderr, /error/);
  }
});

test('gate: a samples file name cannot inject constraints into the generated VNN-LIB', () => {
  // The comment of each generated property names the samples file: a newline in the name
  // used to end the comment, so `(assert false)` joined the property, which then held
  // trivially (unsat) and a non-robust sample passed the gate.
  const evil = join(tmp, 's2\n(assert false)\n;.csv');
  writeFileSync(evil, 'x0,x1,label\n0.2,0,0\n');
  const work = join(tmp, 'inject-work');
  const r = gate(['--onnx', classifier, '--samples', evil, '--eps', '0.5', '--work-dir', work]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.equal(r.report.counts.sat, 1, 'the sample is not robust at eps 0.5');
  const text = readFileSync(join(work, 'sample_0.vnnlib'), 'utf8');
  assert.doesNotMatch(text, /^\(assert false\)/m);
  assert.match(text.split('\n')[0], /^; sample 0 \(.*s2\\n\(assert false\)\\n;\.csv:2\)$/);
});

test('gate: --json and --work-dir files replace symlinks instead of writing through them', () => {
  const victim = join(tmp, 'victim.txt');
  writeFileSync(victim, 'precious\n');
  const work = join(tmp, 'symlink-work');
  mkdirSync(work, { recursive: true });
  symlinkSync(victim, join(work, 'sample_0.vnnlib'));
  const json = join(tmp, 'link.json');
  symlinkSync(victim, json);
  const r = verify(['gate', '--onnx', classifier, '--samples', samples, '--eps', '0.05', '--work-dir', work, '--json', json, '--timeout', '20']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.equal(readFileSync(victim, 'utf8'), 'precious\n', "the symlinks' target is untouched");
  assert.ok(!lstatSync(json).isSymbolicLink());
  assert.equal(JSON.parse(readFileSync(json, 'utf8')).passed, true);
  assert.ok(!lstatSync(join(work, 'sample_0.vnnlib')).isSymbolicLink());
  assert.match(readFileSync(join(work, 'sample_0.vnnlib'), 'utf8'), /declare-const X_0/);
});

test('gate: a FIFO as --samples is an input error, not a hang', () => {
  const fifo = join(tmp, 'samples-pipe');
  if (spawnSync('mkfifo', [fifo]).status !== 0) return;
  const r = verify(['gate', '--onnx', classifier, '--samples', fifo, '--eps', '0.05', '--timeout', '20']);
  assert.equal(r.code, 2, r.stdout + r.stderr);
  assert.match(r.stderr, /samples-pipe: the samples CSV must be a regular file, this is a FIFO/);
});
