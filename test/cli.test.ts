import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, mkdtempSync, openSync, readFileSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// Tests run from dist/test/; the repository root is two levels up.
const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'verify.js');
const net = join(root, 'networks', 'two_relu.onnx');
const tmp = mkdtempSync(join(tmpdir(), 'verify-cli-'));

function verify(...args: string[]) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 60_000 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr, first: r.stdout.split('\n')[0] };
}

test('unsat on the two-ReLU network, result file written', () => {
  const results = join(tmp, 'unsat.txt');
  const r = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), '--timeout', '20', '--results', results);
  assert.equal(r.first, 'unsat', r.stderr);
  assert.equal(r.code, 0);
  assert.equal(readFileSync(results, 'utf8'), 'unsat\n');
});

test('sat with a counterexample that satisfies the property', () => {
  const results = join(tmp, 'sat.txt');
  const r = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_sat.vnnlib'), '--timeout', '20', '--results', results);
  assert.equal(r.first, 'sat', r.stderr);
  const text = readFileSync(results, 'utf8');
  const value = (name: string) => Number(new RegExp(`\\(${name} ([^)]+)\\)`).exec(text)![1]);
  const [x0, x1, y0] = [value('X_0'), value('X_1'), value('Y_0')];
  assert.ok(x0 >= -2 && x0 <= 2 && x1 >= -2 && x1 <= 2, 'counterexample inside the box');
  const y = -Math.max(0, x0 + x1) - Math.max(0, x0 - x1);
  assert.ok(Math.abs(y - y0) < 1e-5, `reported Y_0 ${y0} matches the network ${y}`);
  assert.ok(y0 <= -3.5, 'reported output is in the unsafe set');
});

test('incomplete mode still answers unsat when one bounding pass suffices', () => {
  const r = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), '--mode', 'incomplete', '--bounder', 'crown');
  assert.ok(['unsat', 'unknown'].includes(r.first), r.stdout + r.stderr);
});

test('missing file: error verdict, exit code 2, message names the file', () => {
  const results = join(tmp, 'missing.txt');
  const r = verify('--onnx', join(tmp, 'nope.onnx'), '--vnnlib', join(root, 'specs', 'two_relu_sat.vnnlib'), '--results', results);
  assert.equal(r.first, 'error');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /nope\.onnx/);
  assert.equal(readFileSync(results, 'utf8'), 'error\n');
});

test('malformed VNN-LIB: message with file:line:col', () => {
  const bad = join(tmp, 'bad.vnnlib');
  writeFileSync(bad, '(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1.0)\n');
  const r = verify('--onnx', net, '--vnnlib', bad);
  assert.equal(r.first, 'error');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /bad\.vnnlib:\d+:\d+/);
});

test('spec and network disagree on the number of inputs', () => {
  const bad = join(tmp, 'dims.vnnlib');
  writeFileSync(bad, '(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 1.0))\n(assert (>= X_0 0.0))\n(assert (<= Y_0 0.0))\n');
  const r = verify('--onnx', net, '--vnnlib', bad);
  assert.equal(r.first, 'error');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /inputs/);
});

test('not an ONNX file', () => {
  const bad = join(tmp, 'junk.onnx');
  writeFileSync(bad, 'this is not protobuf at all');
  const results = join(tmp, 'junk.txt');
  const r = verify('--onnx', bad, '--vnnlib', join(root, 'specs', 'two_relu_sat.vnnlib'), '--results', results);
  assert.equal(r.first, 'error');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /junk\.onnx/);
  assert.equal(readFileSync(results, 'utf8'), 'error\n');
});

test('usage errors: missing flags and bad values', () => {
  const results = join(tmp, 'usage.txt');
  const r = verify('--vnnlib', 'x.vnnlib', '--results', results);
  assert.equal(r.first, 'error');
  assert.equal(r.code, 2);
  assert.match(r.stderr, /--onnx/);
  assert.equal(readFileSync(results, 'utf8'), 'error\n');
  const r2 = verify('--onnx', net, '--vnnlib', 'x', '--timeout', 'soon');
  assert.equal(r2.code, 2);
  const r3 = verify('--onnx', net, '--vnnlib', 'x', '--bounder', 'magic');
  assert.equal(r3.code, 2);
});

test('numeric flags: strict decimal, and a limit past 2^31 ms is not an immediate timeout', () => {
  const results = join(tmp, 'numeric.txt');
  for (const bad of [['--timeout', '0x10'], ['--timeout', 'Infinity'], ['--timeout', ' 5'], ['--timeout', '1e400'], ['--seed', '1e3'], ['--threads', '0b1']]) {
    const r = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), ...bad, '--results', results);
    assert.equal(r.code, 2, `${bad.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.first, 'error');
    assert.match(r.stderr, new RegExp(bad[0]));
    assert.equal(readFileSync(results, 'utf8'), 'error\n');
  }
  // 10^7 s: node's timers overflow at 2^31 ms and fired after 1 ms, giving `timeout` at once.
  const r = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), '--timeout', '10000000');
  assert.equal(r.first, 'unsat', r.stderr);
  assert.equal(r.code, 0);
  assert.doesNotMatch(r.stderr, /TimeoutOverflowWarning/);
});

test('inputs must be regular files of bounded size: FIFO, /dev/zero, directory, missing, oversized', () => {
  const fifo = join(tmp, 'pipe');
  const hasFifo = spawnSync('mkfifo', [fifo]).status === 0;
  const dir = join(tmp, 'a-folder');
  mkdirSync(dir);
  const huge = join(tmp, 'huge.vnnlib');
  // Sparse: takes no disk space, but its size is past the 256 MiB cap for text inputs.
  closeSync(openSync(huge, 'w'));
  truncateSync(huge, 257 * 2 ** 20);
  const spec = join(root, 'specs', 'two_relu_unsat.vnnlib');
  const cases: [string[], RegExp][] = [
    [['--onnx', dir, '--vnnlib', spec], /a-folder: the ONNX model must be a regular file, this is a directory/],
    [['--onnx', net, '--vnnlib', dir], /a-folder: the VNN-LIB property must be a regular file, this is a directory/],
    [['--onnx', join(tmp, 'absent.onnx'), '--vnnlib', spec], /absent\.onnx: cannot open the ONNX model: no such file/],
    [['--onnx', net, '--vnnlib', join(tmp, 'absent.vnnlib')], /absent\.vnnlib: cannot open the VNN-LIB property: no such file/],
    [['--onnx', net, '--vnnlib', huge], /huge\.vnnlib: the VNN-LIB property is 257 MiB, more than the limit of 256 MiB/],
  ];
  if (existsSync('/dev/zero')) {
    cases.push([['--onnx', '/dev/zero', '--vnnlib', spec], /\/dev\/zero: the ONNX model must be a regular file, this is a character device/]);
    cases.push([['--onnx', net, '--vnnlib', '/dev/zero'], /\/dev\/zero: the VNN-LIB property must be a regular file/]);
  }
  if (hasFifo) {
    cases.push([['--onnx', fifo, '--vnnlib', spec], /pipe: the ONNX model must be a regular file, this is a FIFO/]);
    cases.push([['--onnx', net, '--vnnlib', fifo], /pipe: the VNN-LIB property must be a regular file, this is a FIFO/]);
  }
  for (const [args, message] of cases) {
    const results = join(tmp, 'file-kinds.txt');
    // Before the fix a FIFO hung the process after the verdict: the spawn timeout (60 s) catches that.
    const r = verify(...args, '--timeout', '10', '--results', results);
    assert.equal(r.code, 2, `${args.join(' ')}: ${r.stdout}${r.stderr}`);
    assert.equal(r.first, 'error');
    assert.match(r.stderr, message);
    assert.equal(readFileSync(results, 'utf8'), 'error\n');
  }
});

test('a non-finite weight or a model onnxruntime rejects: exit 2 naming the file and the initializer or node', async () => {
  const { OnnxBuilder } = await import('./helpers/onnx-builder.js');
  const twoRelu = (w0: number, opset = 13) =>
    new OnnxBuilder({ opset, irVersion: 8 })
      .input('x', [1, 2])
      .init('W1', [w0, 1, 1, -1], [2, 2])
      .node('Gemm', ['x', 'W1'], ['h'], { transB: 1 })
      .node('Relu', ['h'], ['r'])
      .init('W2', [-1, -1], [1, 2])
      .node('Gemm', ['r', 'W2'], ['y'], { transB: 1 }, 'out')
      .output('y', [1, 1])
      .build();
  const cases: [string, Uint8Array, RegExp][] = [
    ['inf.onnx', twoRelu(Infinity), /inf\.onnx: initializer 'W1' holds Infinity/],
    ['nan.onnx', twoRelu(NaN), /nan\.onnx: initializer 'W1' holds NaN/],
    ['opset.onnx', twoRelu(1, 999), /opset\.onnx: opset 999/],
  ];
  for (const [name, bytes, message] of cases) {
    const onnx = join(tmp, name);
    writeFileSync(onnx, bytes);
    const results = join(tmp, `${name}.txt`);
    const r = verify('--onnx', onnx, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), '--timeout', '20', '--results', results);
    assert.equal(r.code, 2, `${name}: ${r.stdout}${r.stderr}`);
    assert.equal(r.first, 'error');
    assert.match(r.stderr, message);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.equal(readFileSync(results, 'utf8'), 'error\n');
  }
  // The same network with finite weights is fine (the test net is two_relu's).
  const ok = join(tmp, 'finite.onnx');
  writeFileSync(ok, twoRelu(1));
  assert.equal(verify('--onnx', ok, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), '--timeout', '20').first, 'unsat');
});

test('error messages escape control bytes and cut long user text', () => {
  const evil = `\x1b[2J\x1b]0;owned\x07${'z'.repeat(100_000)}`;
  for (const args of [['--onnx', net, '--vnnlib', 'x', '--bounder', evil], ['--onnx', join(tmp, evil.slice(0, 200)), '--vnnlib', 'x'], [`--${evil}`]]) {
    const r = verify(...args);
    assert.equal(r.code, 2, r.stderr);
    assert.doesNotMatch(r.stderr, /\x1b|\x07/, 'no raw escape sequences');
    assert.ok(r.stderr.length < 4000, `stderr of ${r.stderr.length} characters`);
    assert.match(r.stderr, /\\x1b\[2J/);
  }
  // A token of a megabyte in a VNN-LIB file: its line in the message is short.
  const spec = join(tmp, 'huge-token.vnnlib');
  writeFileSync(spec, `(declare-const X_0 Real)\n(declare-const Y_0 Real)\n(assert (<= X_0 ${'q'.repeat(1_000_000)}))\n`);
  const r = verify('--onnx', net, '--vnnlib', spec);
  assert.equal(r.code, 2);
  assert.ok(r.stderr.length < 1000, `stderr of ${r.stderr.length} characters`);
  assert.match(r.stderr, /huge-token\.vnnlib:3:17: undeclared variable 'q+\.\.\. \(1000000 characters\)'/);
});

test('an unwritable --results path fails at start: exit 2, `error` on stdout, before any solving', () => {
  const dir = join(tmp, 'results-is-a-folder');
  mkdirSync(dir);
  const asDir = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), '--results', dir);
  assert.equal(asDir.code, 2);
  assert.equal(asDir.first, 'error');
  assert.match(asDir.stderr, /results-is-a-folder is a directory/);
  const missing = verify('--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_unsat.vnnlib'), '--results', join(tmp, 'no-such-folder', 'r.txt'));
  assert.equal(missing.code, 2);
  assert.equal(missing.first, 'error');
  assert.match(missing.stderr, /cannot create the result file .*no-such-folder/);
});

test('--help and --version', () => {
  const h = verify('--help');
  assert.equal(h.code, 0);
  assert.match(h.stdout, /--onnx/);
  const v = verify('--version');
  assert.equal(v.code, 0);
  assert.match(v.stdout, /^\d+\.\d+\.\d+/);
});

test('the timeout is a promise: the verdict comes before --timeout expires', async () => {
  const { randomFcOnnx } = await import('./helpers/random-onnx.js');
  const onnx = join(tmp, 'big.onnx');
  writeFileSync(onnx, randomFcOnnx({ seed: 3, sizes: [10, 300, 300, 300, 300, 2] }));
  const decl = [...Array.from({ length: 10 }, (_, i) => `(declare-const X_${i} Real)`), '(declare-const Y_0 Real)', '(declare-const Y_1 Real)'];
  const box = Array.from({ length: 10 }, (_, i) => `(assert (>= X_${i} -1.0))\n(assert (<= X_${i} 1.0))`);
  // Unsafe: Y_0 >= Y_1 + 1000 -- out of reach for any attack, far too loose a box to prove in 2 s.
  const spec = join(tmp, 'big.vnnlib');
  writeFileSync(spec, [...decl, ...box, '(assert (>= Y_0 (+ Y_1 0.0)))', '(assert (<= Y_0 (+ Y_1 0.0001)))'].join('\n'));
  const results = join(tmp, 'big.txt');
  const t0 = performance.now();
  const r = verify('--onnx', onnx, '--vnnlib', spec, '--timeout', '2', '--results', results);
  const seconds = (performance.now() - t0) / 1000;
  assert.ok(['timeout', 'sat', 'unsat'].includes(r.first), r.stdout + r.stderr);
  assert.equal(readFileSync(results, 'utf8').split('\n')[0], r.first);
  // The limit is measured from process start; allow for node's own start-up on a loaded machine.
  assert.ok(seconds < 3.0, `took ${seconds.toFixed(2)} s for --timeout 2`);
});

// ---------------------------------------------------------------------------
// Big networks: the timeout and the exit, signals. One 4 x 1000 ReLU network
// (12 MB): loading it takes a noticeable part of a second and every product
// goes through onnxruntime, where the solver thread spends most of its time.

const bigNet = (() => {
  let made: { onnx: string; vnnlib: string } | undefined;
  return async () => {
    if (made) return made;
    const { randomFcOnnx } = await import('./helpers/random-onnx.js');
    const onnx = join(tmp, 'wide.onnx');
    writeFileSync(onnx, randomFcOnnx({ seed: 5, sizes: [50, 1000, 1000, 1000, 1000, 2] }));
    const n = 50;
    const lines = [...Array.from({ length: n }, (_, i) => `(declare-const X_${i} Real)`), '(declare-const Y_0 Real)', '(declare-const Y_1 Real)'];
    for (let i = 0; i < n; i++) lines.push(`(assert (>= X_${i} -1.0))`, `(assert (<= X_${i} 1.0))`);
    // A thin slab of outputs: out of reach of the attacks, far from provable in seconds.
    lines.push('(assert (>= Y_0 Y_1))', '(assert (<= Y_0 (+ Y_1 0.0001)))');
    const vnnlib = join(tmp, 'wide.vnnlib');
    writeFileSync(vnnlib, lines.join('\n'));
    return (made = { onnx, vnnlib });
  };
})();

interface Spawned {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
  seconds: number;
}

/** verify as a child process; `during` gets the child once it runs. Times spawn to exit. */
function spawnVerify(args: string[], during?: (child: ReturnType<typeof spawn>) => void): Promise<Spawned> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(process.execPath, [bin, ...args], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const guard = setTimeout(() => child.kill('SIGKILL'), 60_000);
    child.on('close', (code, signal) => {
      clearTimeout(guard);
      resolve({ code, signal, stdout, stderr, seconds: (performance.now() - t0) / 1000 });
    });
    during?.(child);
  });
}

test('stopping the solver inside onnxruntime: exit 0 and the verdict before the limit, every time', async () => {
  // Before the native gate, 11 of 12 such runs ended in SIGABRT ("terminate called after
  // throwing an instance of 'Napi::Error'") after `timeout` was printed.
  const { onnx, vnnlib } = await bigNet();
  const limit = 1.5;
  for (let run = 0; run < 5; run++) {
    const r = await spawnVerify(['--onnx', onnx, '--vnnlib', vnnlib, '--timeout', String(limit)]);
    const first = r.stdout.split('\n')[0];
    assert.equal(r.signal, null, `run ${run}: killed by ${r.signal}: ${r.stderr}`);
    assert.equal(r.code, 0, `run ${run}: exit ${r.code}: ${r.stderr}`);
    assert.ok(['timeout', 'unknown'].includes(first), `run ${run}: ${r.stdout}`);
    assert.doesNotMatch(r.stderr, /terminate called|Napi::Error/);
    // Measured from spawn: node's start-up and the model's loading are inside the limit.
    assert.ok(r.seconds < limit + 0.5, `run ${run}: exited after ${r.seconds.toFixed(2)} s for --timeout ${limit}`);
  }
});

test('SIGTERM, SIGINT, SIGHUP: `timeout` on stdout and in the result file, exit 128 + signal; a stale result file is cleared at start', async () => {
  const { onnx, vnnlib } = await bigNet();
  const results = join(tmp, 'signalled.txt');
  for (const [sig, code] of [['SIGTERM', 143], ['SIGINT', 130], ['SIGHUP', 129]] as const) {
    writeFileSync(results, 'unsat\n'); // left by an earlier run
    let clearedBeforeSignal = false;
    let signalledAt = 0;
    const r = await spawnVerify(['--onnx', onnx, '--vnnlib', vnnlib, '--timeout', '60', '--results', results], (child) => {
      const poll = setInterval(() => {
        if (readFileSync(results, 'utf8') !== '') return;
        clearedBeforeSignal = true;
        clearInterval(poll);
        // Let the solver get going (loading, onnxruntime) before the signal.
        setTimeout(() => {
          signalledAt = performance.now();
          child.kill(sig);
        }, 700);
      }, 20);
    });
    assert.ok(clearedBeforeSignal, `${sig}: the stale result file was not cleared`);
    assert.equal(r.signal, null, `${sig}: died of ${r.signal}: ${r.stderr}`);
    assert.equal(r.code, code, `${sig}: ${r.stderr}`);
    assert.equal(r.stdout.split('\n')[0], 'timeout');
    assert.equal(readFileSync(results, 'utf8'), 'timeout\n');
    assert.match(r.stderr, new RegExp(`interrupted by ${sig}`));
    assert.ok((performance.now() - signalledAt) / 1000 < 3, `${sig}: took too long to exit after the signal`);
  }
});

test('a reader that closes stdout early does not crash the run: exit 0, result file written', async () => {
  const results = join(tmp, 'epipe.txt');
  const child = spawn(process.execPath, [bin, '--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_sat.vnnlib'), '--timeout', '20', '--results', results], {
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  // Our end of stdout is closed before the verdict comes: every write of the child meets EPIPE.
  child.stdout.destroy();
  let stderr = '';
  child.stderr.on('data', (d) => (stderr += d));
  const code = await new Promise<number | null>((r) => child.on('close', r));
  assert.equal(code, 0, stderr);
  assert.doesNotMatch(stderr, /EPIPE/);
  assert.match(readFileSync(results, 'utf8'), /^sat\n\(\(X_0 /);
});

test('verify --proof writes a certificate that check-proof accepts; a tampered one is rejected with exit 1', () => {
  const proof = join(tmp, 'two_relu.proof.jsonl');
  const spec = join(root, 'specs', 'two_relu_unsat.vnnlib');
  const r = verify('--onnx', net, '--vnnlib', spec, '--timeout', '20', '--proof', proof);
  assert.equal(r.first, 'unsat');
  assert.match(r.stderr, /proof written to .*two_relu\.proof\.jsonl \(\d+ nodes/);
  const ok = verify('check-proof', '--onnx', net, '--vnnlib', spec, '--proof', proof);
  assert.equal(ok.code, 0, ok.stderr);
  assert.equal(ok.first, 'valid');
  const json = verify('check-proof', '--onnx', net, '--vnnlib', spec, '--proof', proof, '--json');
  assert.equal((JSON.parse(json.first) as { valid: boolean }).valid, true);
  // Another property, same network: the digest does not match.
  const bad = verify('check-proof', '--onnx', net, '--vnnlib', join(root, 'specs', 'two_relu_sat.vnnlib'), '--proof', proof);
  assert.equal(bad.code, 1);
  assert.match(bad.first, /^invalid: the proof is for another property/);
  // A malformed certificate is bad input: exit 2, the file and line named.
  const broken = join(tmp, 'broken.jsonl');
  writeFileSync(broken, readFileSync(proof, 'utf8').split('\n').slice(0, 2).join('\n') + '\n{"r":0,\n');
  const m = verify('check-proof', '--onnx', net, '--vnnlib', spec, '--proof', broken);
  assert.equal(m.code, 2);
  assert.match(m.stderr, /broken\.jsonl:3: /);
  const missing = verify('check-proof', '--onnx', net, '--vnnlib', spec);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /missing --proof/);
});
