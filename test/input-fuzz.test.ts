import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { judgeCli, judgeLoad, runFuzz, tallyByKind } from '../scripts/input-fuzz.js';

test('the fuzzer judges by the CLI contract: exit 0 with a verdict or 2 with error; 3, signals and hangs fail', () => {
  assert.ok(judgeCli(0, null, false, 'timeout').passed);
  assert.ok(judgeCli(0, null, false, 'unsat').passed);
  assert.ok(judgeCli(2, null, false, 'error').passed);
  assert.ok(!judgeCli(3, null, false, 'error').passed);
  assert.ok(!judgeCli(null, 'SIGABRT', false, 'timeout').passed);
  assert.ok(!judgeCli(null, 'SIGKILL', true, '').passed);
  assert.ok(!judgeCli(0, null, false, 'banana').passed);
  assert.ok(!judgeCli(2, null, false, 'unsat').passed);
  assert.ok(judgeLoad({ id: 0, outcome: 'loaded' }).passed);
  assert.ok(judgeLoad({ id: 0, outcome: 'input-error', message: 'x.vnnlib:1:1: bad' }).passed);
  assert.ok(!judgeLoad({ id: 0, outcome: 'internal-error', message: 'TypeError: x is undefined' }).passed);
  assert.ok(!judgeLoad('hung').passed);
  assert.ok(!judgeLoad('crashed').passed);
});

test('a CI-sized fuzzing run: every malformed input gives an answer or an input error', async (t) => {
  const out = mkdtempSync(join(tmpdir(), 'input-fuzz-test-'));
  try {
    const r = await runFuzz({ seed: 7, count: 50, budgetSeconds: 40, spawnEvery: 8, timeout: 1, out });
    const failures = r.cases.filter((c) => !c.passed).map((c) => `case ${c.index} (${c.kind}): ${c.detail.slice(0, 300)}`);
    t.diagnostic(`${r.cases.length} cases in ${r.seconds.toFixed(1)} s, ${r.cases.filter((c) => c.detail.includes('cli:')).length} through the CLI`);
    assert.deepEqual(failures, []);
    assert.deepEqual(readdirSync(out), [], 'no failing case written');
    // The run covered both formats, both paths and the main kinds of damage.
    assert.ok(r.cases.length >= 30, `only ${r.cases.length} cases within the budget`);
    const kinds = [...tallyByKind(r.cases).keys()];
    assert.ok(kinds.some((k) => k.startsWith('onnx:')) && kinds.some((k) => k.startsWith('vnnlib:')), kinds.join(' '));
    assert.ok(r.cases.some((c) => c.detail.includes('load: loaded; cli:')), 'some cases reach the solver');
    assert.ok(r.cases.some((c) => c.detail.includes('cli: input error')), 'some cases are rejected by the CLI');
  } finally {
    rmSync(out, { recursive: true, force: true });
  }
});
