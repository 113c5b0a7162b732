import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { instanceKey, parseInstancesCsv, type Instance } from '../src/batch/instances.js';
import { readResultsCsv, RESULTS_HEADER, type ResultRow } from '../src/batch/results-csv.js';
import { SCORE_CORRECT, SCORE_WRONG } from '../src/batch/score.js';
import { instanceKeying, selectShard } from '../src/batch/shard.js';
import { loadReportInput } from '../src/cli/report-command.js';
import { tally } from '../src/report/tally.js';
import { OnnxBuilder } from './helpers/onnx-builder.js';
import { schedulerFreeEnv } from './helpers/scheduler-env.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'verify.js');
const tmp = mkdtempSync(join(tmpdir(), 'verify-shard-'));
const running = new Set<ChildProcess>();
after(() => {
  for (const c of running) if (c.pid) process.kill(-c.pid, 'SIGKILL');
  rmSync(tmp, { recursive: true, force: true });
});

/** y = relu(k x) on x in [-1, 1]: y ranges over [0, k]. */
function scaledRelu(k: number): Uint8Array {
  return new OnnxBuilder()
    .input('x', [1, 1])
    .init('W', [k], [1, 1])
    .init('B', [0], [1])
    .node('Gemm', ['x', 'W', 'B'], ['h'], { transB: 1 })
    .node('Relu', ['h'], ['y'])
    .output('y', [1, 1])
    .build();
}

function property(unsafe: string): string {
  return ['(declare-const X_0 Real)', '(declare-const Y_0 Real)', '(assert (>= X_0 -1.0))', '(assert (<= X_0 1.0))', `(assert ${unsafe})`, ''].join('\n');
}

/**
 * 10 instances with quick, certain answers and timeouts from 5 to 28 s: unsat (y < 0 is out of
 * reach), sat (y >= k/2), an error (corrupt ONNX), a wrong answer against a lying expected.csv and
 * an unchecked one; and a 6-row list of the same benchmark for the environment tests.
 */
function makeBenchmark(): string {
  const dir = join(tmp, 'tiny');
  mkdirSync(join(dir, 'onnx'), { recursive: true });
  mkdirSync(join(dir, 'vnnlib'), { recursive: true });
  writeFileSync(join(dir, 'onnx', 'corrupt.onnx'), 'not protobuf');
  writeFileSync(join(dir, 'vnnlib', 'negative.vnnlib'), property('(<= Y_0 -0.5)'));
  const rows: string[] = [];
  const expected = ['onnx,vnnlib,expected'];
  for (let k = 1; k <= 4; k++) {
    writeFileSync(join(dir, 'onnx', `relu_${k}.onnx`), scaledRelu(k));
    writeFileSync(join(dir, 'vnnlib', `half_${k}.vnnlib`), property(`(>= Y_0 ${k / 2})`));
    rows.push(`onnx/relu_${k}.onnx,vnnlib/negative.vnnlib,${5 * k}`, `onnx/relu_${k}.onnx,vnnlib/half_${k}.vnnlib,${7 * k}`);
    expected.push(`onnx/relu_${k}.onnx,vnnlib/negative.vnnlib,unsat`, `onnx/relu_${k}.onnx,vnnlib/half_${k}.vnnlib,${k === 2 ? 'unsat' : 'sat'}`);
  }
  rows.push('onnx/corrupt.onnx,vnnlib/negative.vnnlib,12', 'onnx/relu_1.onnx,vnnlib/half_4.vnnlib,9');
  expected.push('onnx/corrupt.onnx,vnnlib/negative.vnnlib,unsat');
  writeFileSync(join(dir, 'instances.csv'), `${rows.join('\n')}\n`);
  writeFileSync(join(dir, 'small.csv'), `${rows.slice(0, 6).join('\n')}\n`);
  writeFileSync(join(dir, 'expected.csv'), `${expected.join('\n')}\n`);
  return dir;
}

const bench = makeBenchmark();
const list = join(bench, 'instances.csv');

interface Ran {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Starts `verify ...` in its own process group (so that a kill takes its verify children too). */
function start(args: string[], env: NodeJS.ProcessEnv = {}): { child: ChildProcess; done: Promise<Ran> } {
  const child = spawn(process.execPath, [bin, ...args], { cwd: tmp, env: schedulerFreeEnv(env), detached: true, stdio: ['ignore', 'pipe', 'pipe'] });
  running.add(child);
  let stdout = '';
  let stderr = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const done = new Promise<Ran>((res) =>
    child.on('close', (code, signal) => {
      running.delete(child);
      res({ code, signal, stdout, stderr });
    }),
  );
  return { child, done };
}

function verify(args: string[], env: NodeJS.ProcessEnv = {}): Ran {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd: tmp, env: schedulerFreeEnv(env) });
  return { code: r.status, signal: r.signal, stdout: r.stdout, stderr: r.stderr };
}

/** Everything but the time: what must agree between a sharded and an unsharded run. */
function answers(rows: readonly ResultRow[]): string[] {
  return rows.map((r) => [r.benchmark, r.onnx, r.vnnlib, r.timeout, r.result, r.expected, r.status].join(','));
}

function completeRows(csv: string): number {
  if (!existsSync(csv)) return 0;
  const lines = readFileSync(csv, 'utf8').split('\n');
  return Math.max(0, lines.length - 2);
}

test('3 concurrent shards, one killed and rerun, merge to exactly the rows and score of the unsharded run', async () => {
  const full = verify(['batch', list, '--out', 'full.csv', '--summary-json', 'full.json']);
  assert.equal(full.code, 1, `the lying expected.csv makes one answer wrong\n${full.stdout}${full.stderr}`);
  const fullRows = readResultsCsv(join(tmp, 'full.csv')).rows;
  const fullSummary = JSON.parse(readFileSync(join(tmp, 'full.json'), 'utf8'));
  assert.equal(fullRows.length, 10);
  assert.equal(fullSummary.score, 7 * SCORE_CORRECT + SCORE_WRONG, 'the run itself is as designed');

  const instances = parseInstancesCsv(readFileSync(list, 'utf8'), list);
  const slices = [1, 2, 3].map((k) => selectShard(instances, { index: k, count: 3 }, instanceKeying()));
  assert.deepEqual(slices.flat().map((i) => instanceKey(i.onnx, i.vnnlib)).sort(), instances.map((i) => instanceKey(i.onnx, i.vnnlib)).sort());
  // The shard to kill: the largest, so that it still has instances to run after its first row.
  const victim = [0, 1, 2].reduce((a, b) => (slices[b].length > slices[a].length ? b : a)) + 1;
  assert.ok(slices[victim - 1].length >= 3);

  const shardArgs = (k: number) => ['batch', list, '--shard', `${k}/3`, '--out', `shard-${k}.csv`];
  const runs = [1, 2, 3].map((k) => start(shardArgs(k)));
  const victimCsv = join(tmp, `shard-${victim}.csv`);
  const deadline = Date.now() + 60_000;
  while (completeRows(victimCsv) < 1) {
    assert.ok(Date.now() < deadline, 'the shard wrote no row within 60 s');
    await sleep(20);
  }
  // A hard kill of the whole process group, as a scheduler ends a preempted job.
  process.kill(-runs[victim - 1].child.pid!, 'SIGKILL');
  const killed = await runs[victim - 1].done;
  assert.equal(killed.signal, 'SIGKILL');
  const others = await Promise.all(runs.filter((_, i) => i !== victim - 1).map((r) => r.done));
  for (const o of others) {
    assert.ok(o.code === 0 || o.code === 1, o.stdout + o.stderr);
    assert.match(o.stdout, /summary \(tiny, shard-\d\.csv, shard \d\/3 \(--shard\): \d+ of 10 instances\)/);
  }
  const before = readResultsCsv(victimCsv).rows.length;
  assert.ok(before >= 1 && before < slices[victim - 1].length, `killed after ${before} of ${slices[victim - 1].length} rows`);

  const again = await start(shardArgs(victim)).done;
  assert.ok(again.code === 0 || again.code === 1, again.stdout + again.stderr);
  assert.match(again.stdout, new RegExp(`resuming shard-${victim}\\.csv: ${before} of ${slices[victim - 1].length} instances already done`));
  for (const k of [1, 2, 3]) {
    const rows = readResultsCsv(join(tmp, `shard-${k}.csv`)).rows;
    const keys = rows.map((r) => instanceKey(r.onnx, r.vnnlib));
    assert.equal(new Set(keys).size, keys.length, `no duplicates in shard ${k}`);
    assert.deepEqual(keys.sort(), slices[k - 1].map((i: Instance) => instanceKey(i.onnx, i.vnnlib)).sort(), `shard ${k} ran its slice`);
  }

  const merge = verify(['batch', list, '--merge', 'shard-1.csv', 'shard-2.csv', 'shard-3.csv', '--out', 'all.csv', '--summary-json', 'all.json']);
  assert.equal(merge.code, full.code, merge.stdout + merge.stderr);
  assert.equal(merge.stderr, '', 'no duplicates, conflicts or missing instances');
  assert.deepEqual(answers(readResultsCsv(join(tmp, 'all.csv')).rows), answers(fullRows));
  const merged = JSON.parse(readFileSync(join(tmp, 'all.json'), 'utf8'));
  for (const f of ['total', 'solved', 'sat', 'unsat', 'correct', 'wrong', 'unchecked', 'timeout', 'unknown', 'errors', 'score']) {
    assert.equal(merged[f], fullSummary[f], f);
  }
  assert.deepEqual(merged.missing, []);

  // verify report --merge: one run of the union, with the unsharded run's tally.
  const shardFiles = [1, 2, 3].map((k) => join(tmp, `shard-${k}.csv`));
  const report = loadReportInput(shardFiles, { title: 't', merge: true }, () => assert.fail('no duplicates expected'));
  assert.equal(report.runs.length, 1);
  const fullReport = loadReportInput([join(tmp, 'full.csv')], { title: 't' });
  const counts = (rows: Parameters<typeof tally>[0]) => {
    const { totalSeconds, medianSolvedSeconds, ...rest } = tally(rows);
    return rest;
  };
  assert.deepEqual(counts(report.runs[0].rows), counts(fullReport.runs[0].rows));
  assert.equal(report.runs[0].rows.length, 10);
});

test('merge: a shard missing, the same shard twice, and contradicting answers', () => {
  const header = RESULTS_HEADER.join(',');
  const a = 'tiny,onnx/relu_1.onnx,vnnlib/negative.vnnlib,5,unsat,unsat,0.5,correct';
  const b = 'tiny,onnx/relu_2.onnx,vnnlib/negative.vnnlib,10,unsat,unsat,0.5,correct';
  writeFileSync(join(tmp, 'm1.csv'), `${header}\n${a}\n${b}\n`);
  writeFileSync(join(tmp, 'm2.csv'), `${header}\n${b.replace('0.5', '0.7')}\n${a.replace(',unsat,unsat,0.5,correct', ',sat,unsat,0.9,wrong')}\n`);
  const m = verify(['batch', list, '--merge', 'm1.csv', 'm2.csv', '--out', 'm.csv']);
  assert.equal(m.code, 1);
  assert.match(m.stderr, /1 instance\(s\) in more than one file, kept once:\n {2}tiny: onnx\/relu_2\.onnx,vnnlib\/negative\.vnnlib: unsat in m1\.csv, unsat in m2\.csv/);
  assert.match(m.stderr, /CONFLICT: 1 instance\(s\) answered both sat and unsat, recorded as error:\n {2}tiny: onnx\/relu_1\.onnx,vnnlib\/negative\.vnnlib: unsat in m1\.csv, sat in m2\.csv/);
  assert.match(m.stderr, /8 instance\(s\) of .*instances\.csv have no row/);
  assert.deepEqual(
    readResultsCsv(join(tmp, 'm.csv')).rows.map((r) => [r.onnx, r.result, r.status, r.seconds]),
    [
      ['onnx/relu_1.onnx', 'error', 'error', 0.9],
      ['onnx/relu_2.onnx', 'unsat', 'correct', 0.5],
    ],
  );
  // Without the list nothing is missing; duplicates with the same answer alone are fine.
  const ok = verify(['batch', '--merge', 'm1.csv', 'm1.csv', '--out', 'm-ok.csv']);
  assert.equal(ok.code, 0, ok.stdout + ok.stderr);
  assert.equal(readResultsCsv(join(tmp, 'm-ok.csv')).rows.length, 2);
  assert.match(ok.stdout, /score: +20 /);
  // Usage errors.
  assert.equal(verify(['batch', '--merge', 'm1.csv']).code, 2, 'no --out');
  assert.equal(verify(['batch', '--merge', 'm1.csv', '--out', 'x.csv', '--shard', '1/2']).code, 2);
  assert.equal(verify(['batch', '--merge', 'nope.csv', '--out', 'x.csv']).code, 2);
  assert.equal(verify(['batch']).code, 2, 'no instances.csv');
});

test('the scheduler environment selects the slice; --shard beats it, --no-shard ignores it', () => {
  const small = join(bench, 'small.csv');
  const instances = parseInstancesCsv(readFileSync(small, 'utf8'), small);
  const slice = (k: number, n: number) => selectShard(instances, { index: k, count: n }, instanceKeying()).map((i) => instanceKey(i.onnx, i.vnnlib));
  const cases: { name: string; env: NodeJS.ProcessEnv; args?: string[]; shard?: [number, number]; source?: RegExp }[] = [
    {
      name: 'slurm-from-1',
      env: { SLURM_ARRAY_TASK_ID: '2', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_MAX: '3', SLURM_ARRAY_TASK_COUNT: '3' },
      shard: [2, 3],
      source: /SLURM_ARRAY_TASK_ID=2/,
    },
    {
      name: 'slurm-from-0',
      env: { SLURM_ARRAY_TASK_ID: '0', SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '2', SLURM_ARRAY_TASK_COUNT: '3' },
      shard: [1, 3],
      source: /SLURM_ARRAY_TASK_ID=0/,
    },
    { name: 'k8s-flag', env: { JOB_COMPLETION_INDEX: '2' }, args: ['--shard-count', '3'], shard: [3, 3], source: /JOB_COMPLETION_INDEX=2 \(3 shards from --shard-count\)/ },
    { name: 'k8s-env', env: { JOB_COMPLETION_INDEX: '0', VERIFY_SHARD_COUNT: '2' }, shard: [1, 2], source: /VERIFY_SHARD_COUNT/ },
    { name: 'matrix', env: { VERIFY_SHARD: '2/2' }, shard: [2, 2], source: /VERIFY_SHARD=2\/2/ },
    { name: 'flag-beats-env', env: { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }, args: ['--shard', '3/3'], shard: [3, 3], source: /\(--shard\)/ },
    { name: 'no-shard', env: { VERIFY_SHARD: '1/2', JOB_COMPLETION_INDEX: '1' }, args: ['--no-shard'] },
  ];
  for (const c of cases) {
    const out = `env-${c.name}.csv`;
    const json = join(tmp, `env-${c.name}.json`);
    const r = verify(['batch', small, '--out', out, '--summary-json', json, ...(c.args ?? [])], c.env);
    assert.ok(r.code === 0 || r.code === 1, `${c.name}: ${r.stdout}${r.stderr}`);
    const ran = readResultsCsv(join(tmp, out)).rows.map((row) => instanceKey(row.onnx, row.vnnlib));
    const summary = JSON.parse(readFileSync(json, 'utf8'));
    if (c.shard) {
      const [k, n] = c.shard;
      assert.deepEqual(ran.sort(), slice(k, n).sort(), c.name);
      assert.ok(ran.length > 0, `${c.name}: an empty slice would prove nothing`);
      assert.match(r.stdout, new RegExp(`summary \\(tiny, ${out}, shard ${k}/${n} `), c.name);
      assert.match(r.stdout, c.source!, c.name);
      assert.deepEqual([summary.shard.index, summary.shard.count, summary.shard.of], [k, n, 6], c.name);
    } else {
      assert.equal(ran.length, 6, c.name);
      assert.equal(summary.shard, null);
    }
  }
  // An index without a count, and a count the array contradicts: refused before anything runs.
  const noCount = verify(['batch', small, '--out', 'env-bad.csv'], { JOB_COMPLETION_INDEX: '1' });
  assert.equal(noCount.code, 2);
  assert.match(noCount.stderr, /give --shard-count N or set VERIFY_SHARD_COUNT/);
  const mismatch = verify(['batch', small, '--out', 'env-bad.csv', '--shard-count', '4'], { SLURM_ARRAY_TASK_ID: '1', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' });
  assert.equal(mismatch.code, 2);
  assert.match(mismatch.stderr, /--shard-count says 4 shards but SLURM_ARRAY_TASK_COUNT says 3/);
  assert.ok(!existsSync(join(tmp, 'env-bad.csv')));
});
