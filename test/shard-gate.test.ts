import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { selectShard } from '../src/batch/shard.js';
import { sampleKey, sampleKeying } from '../src/gate/gate-shard.js';
import { parseSamplesCsv } from '../src/gate/samples.js';
import { reluIdentityClassifier } from './helpers/onnx-builder.js';
import { schedulerFreeEnv } from './helpers/scheduler-env.js';

const root = resolve(import.meta.dirname, '..', '..');
const bin = join(root, 'bin', 'verify.js');
const tmp = mkdtempSync(join(tmpdir(), 'verify-shard-gate-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** y = relu(x) on 2 inputs: class 0 when x0 > x1 >= 0; robust at radius eps iff the margin exceeds 2 eps. */
const classifier = join(tmp, 'classifier.onnx');
writeFileSync(classifier, reluIdentityClassifier());

// Margins 1, 1, 0.02, 0.6, 0.02, 0.8, 0.4: at eps 0.05 the 3rd and 5th samples are not robust (5/7).
const SAMPLES = ['x0,x1,label', '1,0,0', '0,1,1', '0.52,0.5,0', '0.3,0.9,1', '0.5,0.48,0', '0.9,0.1,0', '0.2,0.6,1'];
const samples = join(tmp, 'samples.csv');
writeFileSync(samples, `${SAMPLES.join('\n')}\n`);

function verify(args: string[], env: NodeJS.ProcessEnv = {}) {
  const r = spawnSync(process.execPath, [bin, ...args], { encoding: 'utf8', timeout: 120_000, cwd: tmp, env: schedulerFreeEnv(env) });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

function verifyAsync(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(process.execPath, [bin, ...args], { cwd: tmp, env: schedulerFreeEnv(env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => res({ code, out }));
  });
}

const json = (f: string) => JSON.parse(readFileSync(join(tmp, f), 'utf8'));
const answers = (report: { properties: { name: string; result: string }[] }) => report.properties.map((p) => `${p.name}:${p.result}`);
const robustness = ['--onnx', classifier, '--samples', samples, '--eps', '0.05', '--clip-min', '0', '--clip-max', '1', '--timeout', '20'];

test('a gate in 3 concurrent shards (flag, Kubernetes and Slurm variables) merges to the unsharded verdict', async () => {
  const full = verify(['gate', ...robustness, '--threshold', '0.7', '--json', 'full.json']);
  assert.equal(full.code, 0, full.stdout + full.stderr);
  assert.equal(json('full.json').verified, 5);

  const workDir = join(tmp, 'shared-work');
  const shards = await Promise.all([
    verifyAsync(['gate', ...robustness, '--shard', '1/3', '--json', 'g1.json', '--work-dir', workDir], {}),
    verifyAsync(['gate', ...robustness, '--json', 'g2.json', '--work-dir', workDir], { JOB_COMPLETION_INDEX: '1', VERIFY_SHARD_COUNT: '3' }),
    verifyAsync(['gate', ...robustness, '--json', 'g3.json', '--work-dir', workDir], { SLURM_ARRAY_TASK_ID: '3', SLURM_ARRAY_TASK_MIN: '1', SLURM_ARRAY_TASK_COUNT: '3' }),
  ]);
  for (const [i, s] of shards.entries()) {
    // A shard does not decide the gate, even when its own slice falls below the threshold.
    assert.equal(s.code, 0, s.out);
    assert.match(s.out, new RegExp(`gate shard ${i + 1}/3 \\(`));
    const j = json(`g${i + 1}.json`);
    assert.equal(j.passed, null);
    assert.deepEqual([j.shard.index, j.shard.count, j.set.properties], [i + 1, 3, 7]);
  }
  assert.match(shards[1].out, /JOB_COMPLETION_INDEX=1 \(3 shards from VERIFY_SHARD_COUNT\)/);
  assert.match(shards[2].out, /SLURM_ARRAY_TASK_ID=3/);
  // Each shard wrote only its own properties into the shared folder, named by CSV position.
  assert.deepEqual(readdirSync(workDir).sort(), [0, 1, 2, 3, 4, 5, 6].map((k) => `sample_${k}.vnnlib`));
  assert.equal(
    json('g1.json').properties.length + json('g2.json').properties.length + json('g3.json').properties.length,
    7,
  );

  const merged = verify(['gate', '--merge', 'g3.json', 'g1.json', 'g2.json', '--threshold', '0.7', '--json', 'merged.json']);
  assert.equal(merged.code, 0, merged.stdout + merged.stderr);
  assert.match(merged.stdout, /gate: PASS: 5\/7 properties verified robust \(71\.4%\), threshold 70\.0%; union of 3 shards/);
  const m = json('merged.json');
  const f = json('full.json');
  assert.deepEqual(answers(m), answers(f), 'same properties, same answers, CSV order');
  assert.deepEqual([m.passed, m.verified, m.total, m.counts], [f.passed, f.verified, f.total, f.counts]);
  // The threshold is applied to the union: 5/7 is below 0.8 whatever each shard got.
  const strict = verify(['gate', '--merge', 'g1.json', 'g2.json', 'g3.json', '--threshold', '0.8']);
  assert.equal(strict.code, 1, strict.stdout + strict.stderr);
  assert.match(strict.stdout, /gate: FAIL: 5\/7/);

  // A missing shard, or a shard of another gate (another eps), is refused: exit code 2.
  const missing = verify(['gate', '--merge', 'g1.json', 'g3.json']);
  assert.equal(missing.code, 2);
  assert.match(missing.stderr, /shard\(s\) 2\/3 missing/);
  const other = verify(['gate', ...robustness.map((a) => (a === '0.05' ? '0.01' : a)), '--shard', '2/3', '--json', 'other.json']);
  assert.equal(other.code, 0, other.stdout + other.stderr);
  const mixed = verify(['gate', '--merge', 'g1.json', 'other.json', 'g3.json']);
  assert.equal(mixed.code, 2);
  assert.match(mixed.stderr, /eps\/clip/);
  const unsharded = verify(['gate', '--merge', 'full.json']);
  assert.equal(unsharded.code, 2);
  assert.match(unsharded.stderr, /not the --json of a sharded verify gate run/);
  const noJson = verify(['gate', ...robustness, '--shard', '1/3']);
  assert.equal(noJson.code, 2);
  assert.match(noJson.stderr, /needs --json/);
});

test('gate shards: a sample keeps its shard when samples.csv is reordered', () => {
  const text = `${SAMPLES.join('\n')}\n`;
  const reordered = `${[SAMPLES[0], ...SAMPLES.slice(1).reverse()].join('\n')}\n`;
  const shardOf = (csv: string) => {
    const all = parseSamplesCsv(csv, 's.csv');
    const where = new Map<string, number>();
    for (const k of [1, 2, 3]) for (const s of selectShard(all, { index: k, count: 3 }, sampleKeying(20))) where.set(sampleKey(s), k);
    return where;
  };
  const a = shardOf(text);
  assert.equal(a.size, 7);
  assert.deepEqual([...shardOf(reordered)].sort(), [...a].sort());
});
