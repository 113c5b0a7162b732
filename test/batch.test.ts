import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseExpectedCsv, parseInstancesCsv } from '../src/batch/instances.js';
import { openResultsCsv, readResultsCsv, RESULTS_HEADER } from '../src/batch/results-csv.js';
import { interpretChild, runBatch, runVerifyChild } from '../src/batch/runner.js';
import { formatSummary, SCORE_CORRECT, SCORE_WRONG, statusOf, summarize } from '../src/batch/score.js';
import { schedulerFreeEnv } from './helpers/scheduler-env.js';

// Tests run from dist/test/; the repository root is two levels up.
const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'verify.js');
const tmp = mkdtempSync(join(tmpdir(), 'verify-batch-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

function verify(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd: tmp, env: schedulerFreeEnv(env) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** A VNN-COMP style benchmark folder: two_relu with its sat and unsat specs, and a corrupt ONNX file. */
function makeBenchmark(name: string): string {
  const dir = join(tmp, name);
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  mkdirSync(join(dir, 'vnnlib'), { recursive: true });
  copyFileSync(join(root, 'networks', 'two_relu.onnx'), join(dir, 'onnx', 'two_relu.onnx'));
  writeFileSync(join(dir, 'onnx', 'corrupt.onnx'), 'definitely not protobuf');
  copyFileSync(join(root, 'specs', 'two_relu_sat.vnnlib'), join(dir, 'vnnlib', 'sat.vnnlib'));
  copyFileSync(join(root, 'specs', 'two_relu_unsat.vnnlib'), join(dir, 'vnnlib', 'unsat.vnnlib'));
  writeFileSync(
    join(dir, 'instances.csv'),
    ['onnx/two_relu.onnx,vnnlib/unsat.vnnlib,20', 'onnx/two_relu.onnx,vnnlib/sat.vnnlib,20', 'onnx/corrupt.onnx,vnnlib/sat.vnnlib,20', ''].join('\n'),
  );
  writeFileSync(
    join(dir, 'expected.csv'),
    ['onnx,vnnlib,expected', 'onnx/two_relu.onnx,vnnlib/unsat.vnnlib,unsat', 'onnx/two_relu.onnx,vnnlib/sat.vnnlib,sat', 'onnx/corrupt.onnx,vnnlib/sat.vnnlib,sat', ''].join('\n'),
  );
  return dir;
}

function dataRows(csv: string): string[][] {
  return readFileSync(csv, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => l.split(','));
}

test('instances.csv and expected.csv parsing', () => {
  const inst = parseInstancesCsv('# comment\n./onnx/a.onnx, vnnlib/p.vnnlib ,116\n\nonnx/b.onnx,vnnlib/q.vnnlib,5.5\n', 'i.csv');
  assert.deepEqual(inst, [
    { onnx: 'onnx/a.onnx', vnnlib: 'vnnlib/p.vnnlib', timeout: 116 },
    { onnx: 'onnx/b.onnx', vnnlib: 'vnnlib/q.vnnlib', timeout: 5.5 },
  ]);
  assert.throws(() => parseInstancesCsv('a.onnx,p.vnnlib,soon\n', 'i.csv'), /i\.csv:1: timeout 'soon'/);
  assert.throws(() => parseInstancesCsv('a.onnx,p.vnnlib\n', 'i.csv'), /missing the timeout/);
  assert.equal(parseInstancesCsv('onnx,vnnlib\na.onnx,p.vnnlib\n', 'l.csv', { defaultTimeout: 7 })[0].timeout, 7);
  const exp = parseExpectedCsv('onnx,vnnlib,expected\nonnx/a.onnx,vnnlib/p.vnnlib,sat\nonnx/b.onnx,vnnlib/q.vnnlib,\n', 'e.csv');
  assert.equal(exp.get('onnx/a.onnx,vnnlib/p.vnnlib'), 'sat');
  assert.equal(exp.get('onnx/b.onnx,vnnlib/q.vnnlib'), 'unknown');
});

test('status and VNN-COMP score', () => {
  assert.equal(statusOf('sat', 'sat'), 'correct');
  assert.equal(statusOf('unsat', 'sat'), 'wrong');
  assert.equal(statusOf('unsat', 'unknown'), 'unchecked');
  assert.equal(statusOf('sat', ''), 'unchecked');
  assert.equal(statusOf('timeout', 'sat'), 'unsolved');
  assert.equal(statusOf('unknown', 'sat'), 'unsolved');
  assert.equal(statusOf('error', 'sat'), 'error');
  const s = summarize([
    { result: 'sat', status: 'correct', seconds: 1 },
    { result: 'unsat', status: 'correct', seconds: 3 },
    { result: 'unsat', status: 'wrong', seconds: 2 },
    { result: 'sat', status: 'unchecked', seconds: 5 },
    { result: 'timeout', status: 'unsolved', seconds: 10.2, timeout: 10 },
    { result: 'error', status: 'error', seconds: 0.3, timeout: 10 },
  ]);
  // Only the timeout ran past its limit; rows without a limit are never overruns.
  assert.equal(s.overruns, 1);
  assert.equal(s.score, 2 * SCORE_CORRECT + SCORE_WRONG);
  assert.deepEqual(
    [s.total, s.solved, s.sat, s.unsat, s.correct, s.wrong, s.unchecked, s.timeout, s.errors],
    [6, 3, 2, 1, 2, 1, 1, 1, 1],
  );
  assert.equal(s.totalSeconds, 21.5);
  assert.match(formatSummary(s), /^overruns: +1 /m);
  assert.equal(s.medianSolvedSeconds, 3);
});

test('runBatch counts overruns: an answer that came after the time limit', async () => {
  const node = (code: string) => [process.execPath, '-e', code, '--'];
  const outcome = await runBatch({
    instances: [
      { onnx: 'a.onnx', vnnlib: 'a.vnnlib', timeout: 0.5 },
      { onnx: 'b.onnx', vnnlib: 'b.vnnlib', timeout: 0.5 },
    ],
    root: tmp,
    out: join(tmp, 'overruns.csv'),
    benchmark: 'overruns',
    fresh: true,
    // b.onnx answers after 0.9 s, past its 0.5 s limit (killed only at 0.5 + 2 s).
    command: node('const slow = process.argv.includes("' + join(tmp, 'b.onnx') + '"); setTimeout(() => console.log("unsat"), slow ? 900 : 0)'),
  });
  assert.deepEqual(outcome.rows.map((r) => r.result), ['unsat', 'unsat']);
  assert.equal(outcome.summary.overruns, 1);
});

test('results CSV: a line cut short by a kill is dropped and the file is cleaned', () => {
  const csv = join(tmp, 'partial.csv');
  const header = RESULTS_HEADER.join(',');
  writeFileSync(csv, `${header}\nb,onnx/a.onnx,vnnlib/p.vnnlib,10,sat,sat,1.000,correct\nb,onnx/a.onnx,vnnlib/q.vnn`);
  const r = openResultsCsv(csv);
  assert.equal(r.rows.length, 1);
  assert.equal(r.dropped, 1);
  assert.equal(readFileSync(csv, 'utf8'), `${header}\nb,onnx/a.onnx,vnnlib/p.vnnlib,10,sat,sat,1.000,correct\n`);
  writeFileSync(join(tmp, 'other.csv'), 'something,else\n');
  assert.throws(() => readResultsCsv(join(tmp, 'other.csv')), /not a results file/);
});

test('child outcomes: crash, garbage output, signal, hang killed at the deadline', async () => {
  assert.equal(interpretChild(0, null, 'unsat\n', '').result, 'unsat');
  assert.equal(interpretChild(0, null, 'sat\n((X_0 1.0)\n (Y_0 2.0))\n', '').result, 'sat');
  assert.equal(interpretChild(0, null, 'sat\n', '').result, 'error');
  assert.equal(interpretChild(0, null, 'banana\n', '').result, 'error');
  assert.equal(interpretChild(3, null, 'error\n', 'boom\n').message, 'exit code 3: boom');
  assert.equal(interpretChild(null, 'SIGSEGV', '', '').result, 'error');
  const node = (code: string) => [process.execPath, '-e', code, '--'];
  const crash = await runVerifyChild({ onnx: 'a', vnnlib: 'b', timeout: 5, command: node('process.stdout.write("unsat\\n"); process.exit(3)') });
  assert.equal(crash.result, 'error');
  const garbage = await runVerifyChild({ onnx: 'a', vnnlib: 'b', timeout: 5, command: node('console.log("hello world")') });
  assert.equal(garbage.result, 'error');
  assert.match(garbage.message ?? '', /unexpected output 'hello world'/);
  const signal = await runVerifyChild({ onnx: 'a', vnnlib: 'b', timeout: 5, command: node('process.kill(process.pid, "SIGKILL")') });
  assert.equal(signal.result, 'error');
  assert.match(signal.message ?? '', /SIGKILL/);
  const t0 = performance.now();
  const hung = await runVerifyChild({ onnx: 'a', vnnlib: 'b', timeout: 0.3, killGrace: 0.3, command: node('setInterval(() => {}, 1000)') });
  assert.equal(hung.result, 'timeout');
  assert.ok(hung.killed);
  assert.ok((performance.now() - t0) / 1000 < 5, 'the hung child was killed soon after its deadline');
  // A limit past 2^31 ms: node's timers would fire at once and kill the child after 1 ms.
  const slow = await runVerifyChild({ onnx: 'a', vnnlib: 'b', timeout: 10_000_000, command: node('setTimeout(() => console.log("unsat"), 300)') });
  assert.equal(slow.result, 'unsat', slow.message);
  assert.equal(slow.killed, false);
});

test('verify batch: expected answers, crash recorded as error, summary and score, plain output', () => {
  const dir = makeBenchmark('bench');
  const out = join(tmp, 'bench-out.csv');
  const json = join(tmp, 'bench-summary.json');
  const r = verify(['batch', join(dir, 'instances.csv'), '--out', out, '--summary-json', json]);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  // Not a TTY: one plain line per instance, no progress-bar escapes.
  assert.match(r.stdout, /^\[1\/3\] onnx\/two_relu\.onnx vnnlib\/unsat\.vnnlib: unsat \(expected unsat\) [\d.]+ s correct$/m);
  assert.match(r.stdout, /^\[2\/3\] onnx\/two_relu\.onnx vnnlib\/sat\.vnnlib: sat \(expected sat\) [\d.]+ s correct$/m);
  assert.match(r.stdout, /^\[3\/3\] onnx\/corrupt\.onnx vnnlib\/sat\.vnnlib: error .*corrupt\.onnx/m);
  assert.doesNotMatch(r.stdout, /\x1b\[/);
  assert.match(r.stdout, /score: +20 /);
  const rows = dataRows(out);
  assert.equal(readFileSync(out, 'utf8').split('\n')[0], 'benchmark,onnx,vnnlib,timeout,result,expected,seconds,status');
  assert.deepEqual(
    rows.map((c) => [c[0], c[1], c[2], c[3], c[4], c[5], c[7]]),
    [
      ['bench', 'onnx/two_relu.onnx', 'vnnlib/unsat.vnnlib', '20', 'unsat', 'unsat', 'correct'],
      ['bench', 'onnx/two_relu.onnx', 'vnnlib/sat.vnnlib', '20', 'sat', 'sat', 'correct'],
      ['bench', 'onnx/corrupt.onnx', 'vnnlib/sat.vnnlib', '20', 'error', 'sat', 'error'],
    ],
  );
  const s = JSON.parse(readFileSync(json, 'utf8'));
  assert.deepEqual(
    [s.total, s.solved, s.sat, s.unsat, s.wrong, s.timeout, s.unknown, s.errors, s.overruns, s.score, s.ran],
    [3, 2, 1, 1, 0, 0, 0, 1, 0, 2 * SCORE_CORRECT, 3],
  );
  assert.match(r.stdout, /overruns: +0 /);
  assert.ok(s.totalSeconds > 0);
});

test('verify batch resumes after a kill: only the missing instances run, no duplicate rows', () => {
  const dir = makeBenchmark('resume');
  const out = join(tmp, 'resume-out.csv');
  // As a killed run leaves it: the first instance done (with a recognisable time), the second cut short.
  const first = 'resume,onnx/two_relu.onnx,vnnlib/unsat.vnnlib,20,unsat,unsat,123.456,correct';
  writeFileSync(out, `${RESULTS_HEADER.join(',')}\n${first}\nresume,onnx/two_relu.onnx,vnnlib/sa`);
  const r = verify(['batch', join(dir, 'instances.csv'), '--out', out, '--timeout-scale', '0.5']);
  assert.equal(r.code, 0, r.stdout + r.stderr);
  assert.match(r.stdout, /1 of 3 instances already done/);
  assert.doesNotMatch(r.stdout, /\[1\/3\]/);
  assert.match(r.stdout, /\[2\/3\] onnx\/two_relu\.onnx vnnlib\/sat\.vnnlib: sat/);
  assert.match(r.stdout, /\[3\/3\] onnx\/corrupt\.onnx/);
  const lines = readFileSync(out, 'utf8').trim().split('\n');
  assert.equal(lines.length, 4, lines.join('\n'));
  assert.equal(lines[1], first, 'the earlier row is kept as it was');
  assert.equal(new Set(lines.map((l) => l.split(',').slice(0, 3).join(','))).size, 4, 'no duplicates');
  assert.equal(dataRows(out)[1][3], '10', 'the scaled timeout is recorded');
  // Everything done: a third run runs nothing and reports the same totals.
  const again = verify(['batch', join(dir, 'instances.csv'), '--out', out]);
  assert.equal(again.code, 0);
  assert.match(again.stdout, /3 of 3 instances already done/);
  assert.equal(readFileSync(out, 'utf8').trim().split('\n').length, 4);
});

test('verify batch: wrong answers give exit code 1; bad input gives 2', () => {
  const dir = makeBenchmark('wrong');
  writeFileSync(join(dir, 'instances.csv'), 'onnx/two_relu.onnx,vnnlib/sat.vnnlib,20\n');
  const expected = join(dir, 'lies.csv');
  writeFileSync(expected, 'onnx,vnnlib,expected\nonnx/two_relu.onnx,vnnlib/sat.vnnlib,unsat\n');
  const r = verify(['batch', join(dir, 'instances.csv'), '--out', join(tmp, 'wrong.csv'), '--expected', expected]);
  assert.equal(r.code, 1, r.stdout + r.stderr);
  assert.match(r.stdout, /WRONG/);
  assert.match(r.stdout, new RegExp(`score: +${SCORE_WRONG} `));
  assert.equal(verify(['batch', join(tmp, 'nope.csv')]).code, 2);
  assert.equal(verify(['batch', join(dir, 'instances.csv'), '--timeout-scale', 'x']).code, 2);
  const reserved = verify(['batch', join(dir, 'instances.csv'), '--out', join(tmp, 'r.csv'), '--', '--timeout', '3']);
  assert.equal(reserved.code, 2);
  assert.match(reserved.stderr, /--timeout is set per instance/);
});

/** Pids of running processes whose command line mentions `needle` (Linux /proc). */
function processesMentioning(needle: string): number[] {
  if (!existsSync('/proc')) return [];
  const pids: number[] = [];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (readFileSync(`/proc/${d}/cmdline`, 'utf8').includes(needle)) pids.push(Number(d));
    } catch {
      // the process ended while we looked
    }
  }
  return pids;
}

test('verify batch on SIGTERM / SIGHUP: the running child is stopped, nothing recorded, exit 143 / 129', async () => {
  const { randomFcOnnx } = await import('./helpers/random-onnx.js');
  const dir = join(tmp, 'interrupted');
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, 'slow-net.onnx'), randomFcOnnx({ seed: 3, sizes: [10, 300, 300, 300, 300, 2] }));
  const lines = [...Array.from({ length: 10 }, (_, i) => `(declare-const X_${i} Real)`), '(declare-const Y_0 Real)', '(declare-const Y_1 Real)'];
  for (let i = 0; i < 10; i++) lines.push(`(assert (>= X_${i} -1.0))`, `(assert (<= X_${i} 1.0))`);
  lines.push('(assert (>= Y_0 Y_1))', '(assert (<= Y_0 (+ Y_1 0.0001)))');
  writeFileSync(join(dir, 'slow.vnnlib'), lines.join('\n'));
  writeFileSync(join(dir, 'instances.csv'), 'slow-net.onnx,slow.vnnlib,60\n');
  for (const [sig, code] of [['SIGTERM', 143], ['SIGHUP', 129]] as const) {
    const out = join(tmp, `interrupted-${sig}.csv`);
    const batch = spawn(process.execPath, [bin, 'batch', join(dir, 'instances.csv'), '--out', out, '--fresh'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    batch.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
    const exited = new Promise<number | null>((res) => batch.on('close', (c) => res(c)));
    // Wait for the child verify to be running.
    const t0 = performance.now();
    while (processesMentioning('slow-net.onnx').length === 0 && performance.now() - t0 < 20_000) await new Promise((r) => setTimeout(r, 50));
    await new Promise((r) => setTimeout(r, 500));
    batch.kill(sig);
    assert.equal(await exited, code, stderr);
    assert.match(stderr, /interrupted/);
    assert.deepEqual(processesMentioning('slow-net.onnx'), [], 'no verify child left running');
    assert.deepEqual(dataRows(out), [], 'an interrupted instance is not recorded');
  }
});

// ---------------------------------------------------------------------------
// VNN-COMP scripts

const vnncomp = join(root, 'scripts', 'vnncomp');

function script(name: string, args: string[], env: NodeJS.ProcessEnv) {
  const r = spawnSync('bash', [join(vnncomp, name), ...args], { encoding: 'utf8', timeout: 60_000, cwd: tmp, env: { ...process.env, ...env } });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

test('VNN-COMP scripts: version check, prepare, run_instance writes the result file', async () => {
  const env = { TSVERIFY_VNNCOMP_STATE: join(tmp, 'vnncomp-state') };
  const net = join(root, 'networks', 'two_relu.onnx');
  const unsat = join(root, 'specs', 'two_relu_unsat.vnnlib');
  const sat = join(root, 'specs', 'two_relu_sat.vnnlib');
  for (const [name, args] of [
    ['install_tool.sh', ['v2']],
    ['prepare_instance.sh', ['v0', 'test', net, unsat]],
    ['run_instance.sh', ['v2', 'test', net, unsat, join(tmp, 'x.txt'), '10']],
  ] as const) {
    const r = script(name, [...args], env);
    assert.notEqual(r.code, 0, name);
    assert.match(r.stderr, /version/, name);
  }
  const missing = script('prepare_instance.sh', ['v1', 'test', join(tmp, 'nope.onnx'), unsat], env);
  assert.notEqual(missing.code, 0);
  assert.match(missing.stderr, /nope\.onnx/);
  const corrupt = join(tmp, 'corrupt.onnx');
  writeFileSync(corrupt, 'not protobuf');
  assert.notEqual(script('prepare_instance.sh', ['v1', 'test', corrupt, unsat], env).code, 0);

  // A leftover process of this installation (its command line names bin/verify.js) is ended by prepare.
  const leftover = spawn(process.execPath, ['-e', 'setInterval(() => {}, 1000)', bin], { stdio: 'ignore' });
  const exited = new Promise((res) => leftover.on('exit', res));
  mkdirSync(env.TSVERIFY_VNNCOMP_STATE, { recursive: true });
  writeFileSync(join(env.TSVERIFY_VNNCOMP_STATE, `run-${leftover.pid}.pid`), `${leftover.pid}\n`);
  try {
    const prep = script('prepare_instance.sh', ['v1', 'test', net, unsat], env);
    assert.equal(prep.code, 0, prep.stdout + prep.stderr);
    assert.match(prep.stdout, /killing leftover verify process/);
    await exited;
  } finally {
    leftover.kill('SIGKILL');
  }

  const unsatFile = join(tmp, 'unsat-result.txt');
  const r1 = script('run_instance.sh', ['v1', 'test', net, unsat, unsatFile, '20'], env);
  assert.equal(r1.code, 0, r1.stdout + r1.stderr);
  assert.equal(readFileSync(unsatFile, 'utf8'), 'unsat\n');
  const satFile = join(tmp, 'sat-result.txt');
  const r2 = script('run_instance.sh', ['v1', 'test', net, sat, satFile, '20'], env);
  assert.equal(r2.code, 0, r2.stdout + r2.stderr);
  const text = readFileSync(satFile, 'utf8');
  assert.match(text, /^sat\n\(\(X_0 [-\d.e]+\)\n \(X_1 [-\d.e]+\)\n \(Y_0 [-\d.e]+\)\)\n$/);
  const y0 = Number(/\(Y_0 ([^)]+)\)/.exec(text)![1]);
  assert.ok(y0 <= -3.5, 'the counterexample is in the unsafe set');
  assert.ok(existsSync(env.TSVERIFY_VNNCOMP_STATE));
});
