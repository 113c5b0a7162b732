import { test } from 'node:test';
import assert from 'node:assert/strict';
import type { Instance } from '../src/batch/instances.js';
import { mergeResultRows } from '../src/batch/merge-results.js';
import type { ResultRow } from '../src/batch/results-csv.js';
import { resolveShard } from '../src/batch/shard-env.js';
import { assignShards, instanceKeying, parseShard, selectShard, setFingerprint } from '../src/batch/shard.js';
import { unionByKey } from '../src/batch/union.js';
import { mulberry32 } from './helpers/random-onnx.js';

function shuffled<T>(xs: readonly T[], seed: number): T[] {
  const rng = mulberry32(seed);
  const a = [...xs];
  for (let i = a.length - 1; i > 0; i--) {
    const j = Math.floor(rng() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/** A VNN-COMP-like list: 12 networks x 10 properties, timeouts from a few seconds to minutes. */
function bigList(): Instance[] {
  const rng = mulberry32(7);
  const out: Instance[] = [];
  for (let n = 0; n < 12; n++) for (let p = 0; p < 10; p++) out.push({ onnx: `onnx/net_${n}.onnx`, vnnlib: `vnnlib/prop_${p}.vnnlib`, timeout: Math.round(5 + 300 * rng() ** 3) });
  return out;
}

const keyOf = (i: Instance) => `${i.onnx},${i.vnnlib}`;

test('--shard K/N parsing', () => {
  assert.deepEqual(parseShard('2/8'), { index: 2, count: 8 });
  assert.deepEqual(parseShard(' 1 / 1 '), { index: 1, count: 1 });
  for (const bad of ['0/3', '4/3', '1/0', '3', 'a/b', '1.5/3', '-1/3', '']) assert.throws(() => parseShard(bad), /--shard/, bad);
});

test('shard assignment: a partition, independent of row order, balanced by timeout', () => {
  const list = bigList();
  const keying = instanceKeying();
  for (const n of [1, 2, 3, 7, 16]) {
    const assigned = assignShards(list, n, keying);
    const byKey = new Map(list.map((inst, i) => [keyOf(inst), assigned[i]]));
    // Every instance in exactly one shard, and the slices of selectShard add up to the list.
    assert.ok(assigned.every((s) => s >= 1 && s <= n));
    const slices = Array.from({ length: n }, (_, k) => selectShard(list, { index: k + 1, count: n }, keying));
    assert.equal(slices.reduce((s, x) => s + x.length, 0), list.length);
    assert.deepEqual(new Set(slices.flat().map(keyOf)).size, list.length);
    // Reordering the rows moves no instance to another shard.
    for (const seed of [1, 2, 3]) {
      const other = shuffled(list, seed);
      const again = assignShards(other, n, keying);
      other.forEach((inst, i) => assert.equal(again[i], byKey.get(keyOf(inst)), `${keyOf(inst)} with ${n} shards, shuffle ${seed}`));
    }
    // Longest-first greedy: the loads differ by at most the largest timeout.
    const loads = new Array(n).fill(0);
    list.forEach((inst, i) => (loads[assigned[i] - 1] += inst.timeout));
    const maxT = Math.max(...list.map((i) => i.timeout));
    assert.ok(Math.max(...loads) - Math.min(...loads) <= maxT, `loads ${loads.join(' ')} with ${n} shards`);
  }
  // Equal timeouts (--timeout S): the shards' sizes differ by at most one.
  const sizes = new Array(7).fill(0);
  for (const s of assignShards(list, 7, instanceKeying(30))) sizes[s - 1]++;
  assert.ok(Math.max(...sizes) - Math.min(...sizes) <= 1, sizes.join(' '));
});

test('shard assignment: repeated rows stay together; more shards than instances leaves some empty', () => {
  const list: Instance[] = [
    { onnx: 'a.onnx', vnnlib: 'p.vnnlib', timeout: 10 },
    { onnx: 'b.onnx', vnnlib: 'p.vnnlib', timeout: 10 },
    { onnx: './a.onnx', vnnlib: 'p.vnnlib', timeout: 10 },
  ];
  const keying = { key: (i: Instance) => keyOf({ ...i, onnx: i.onnx.replace(/^\.\//, '') }), weight: (i: Instance) => i.timeout };
  const s = assignShards(list, 2, keying);
  assert.equal(s[0], s[2], 'the two copies of a.onnx share a shard');
  assert.notEqual(s[0], s[1]);
  const many = assignShards(list, 1_000_000_000, keying);
  assert.deepEqual([...new Set(many)].sort(), [1, 2]);
  assert.deepEqual(selectShard(list, { index: 999, count: 1_000_000_000 }, keying), []);
  assert.equal(setFingerprint(['x', 'y']), setFingerprint(['y', 'x']));
  assert.notEqual(setFingerprint(['x', 'y']), setFingerprint(['x', 'z']));
});

test('shard from the scheduler environment; flag beats environment', () => {
  const at = (env: NodeJS.ProcessEnv, req = {}) => {
    const r = resolveShard(req, env);
    return r && `${r.index}/${r.count}`;
  };
  assert.equal(at({}), undefined);
  // Slurm arrays starting at 1, at 0, and with a step.
  const slurm = (id: number, min: number, count: number, step?: number) => ({
    SLURM_ARRAY_TASK_ID: String(id),
    SLURM_ARRAY_TASK_MIN: String(min),
    SLURM_ARRAY_TASK_MAX: String(min + (count - 1) * (step ?? 1)),
    SLURM_ARRAY_TASK_COUNT: String(count),
    ...(step ? { SLURM_ARRAY_TASK_STEP: String(step) } : {}),
  });
  assert.equal(at(slurm(1, 1, 4)), '1/4');
  assert.equal(at(slurm(4, 1, 4)), '4/4');
  assert.equal(at(slurm(0, 0, 4)), '1/4');
  assert.equal(at(slurm(3, 0, 4)), '4/4');
  assert.equal(at(slurm(5, 1, 4, 2)), '3/4');
  assert.match(resolveShard({}, slurm(3, 0, 4))!.source, /SLURM_ARRAY_TASK_ID=3 \(SLURM_ARRAY_TASK_MIN=0, SLURM_ARRAY_TASK_COUNT=4\)/);
  // --array=1,2,7: not a range that maps onto 1..N.
  assert.throws(() => at({ ...slurm(7, 1, 3), SLURM_ARRAY_TASK_MAX: '7' }), /evenly spaced.*--shard K\/N/);
  assert.throws(() => at({ SLURM_ARRAY_TASK_ID: '2' }), /SLURM_ARRAY_TASK_COUNT/);
  assert.throws(() => at(slurm(1, 1, 4), { count: 5 }), /--shard-count says 5 shards but SLURM_ARRAY_TASK_COUNT says 4/);
  // Kubernetes Indexed Jobs: a 0-based index, the count from --shard-count or VERIFY_SHARD_COUNT.
  assert.equal(at({ JOB_COMPLETION_INDEX: '0' }, { count: 3 }), '1/3');
  assert.equal(at({ JOB_COMPLETION_INDEX: '2', VERIFY_SHARD_COUNT: '3' }), '3/3');
  assert.throws(() => at({ JOB_COMPLETION_INDEX: '2' }), /--shard-count N or set VERIFY_SHARD_COUNT/);
  assert.throws(() => at({ JOB_COMPLETION_INDEX: '3' }, { count: 3 }), /not below the shard count 3/);
  assert.throws(() => at({ JOB_COMPLETION_INDEX: 'x' }, { count: 3 }), /JOB_COMPLETION_INDEX='x'/);
  // Our own variable, e.g. from a CI matrix.
  assert.equal(at({ VERIFY_SHARD: '2/5' }), '2/5');
  assert.throws(() => at({ VERIFY_SHARD: '6/5' }), /VERIFY_SHARD '6\/5'/);
  // Precedence: --no-shard, then --shard, then VERIFY_SHARD, then Slurm, then Kubernetes.
  const everything = { VERIFY_SHARD: '2/5', ...slurm(3, 1, 4), JOB_COMPLETION_INDEX: '0', VERIFY_SHARD_COUNT: '5' };
  assert.equal(at(everything, { flag: false }), undefined);
  assert.equal(at(everything, { flag: '1/2' }), '1/2');
  assert.equal(resolveShard({ flag: '1/2' }, everything)!.source, '--shard');
  assert.equal(at(everything), '2/5');
  assert.equal(at({ ...slurm(3, 1, 4), JOB_COMPLETION_INDEX: '0' }, { count: 4 }), '3/4');
  assert.throws(() => at({}, { flag: '1/2', count: 2 }), /drop --shard-count/);
  assert.throws(() => at({}, { count: 2 }), /no shard index/);
});

test('union of shards: duplicates kept once, decided answers preferred, sat against unsat is a conflict', () => {
  type A = { k: string; a: string; file: string };
  const keying = { key: (x: A) => x.k, answer: (x: A) => x.a, conflict: (xs: readonly A[]) => ({ k: xs[0].k, a: 'error', file: 'conflict' }) };
  const u = unionByKey<A>(
    [
      [{ k: 'p', a: 'unsat', file: 'a' }, { k: 'q', a: 'timeout', file: 'a' }, { k: 'r', a: 'sat', file: 'a' }, { k: 't', a: 'sat', file: 'a' }, { k: 't', a: 'sat', file: 'a' }],
      [{ k: 'q', a: 'sat', file: 'b' }, { k: 'r', a: 'unsat', file: 'b' }, { k: 's', a: 'unknown', file: 'b' }, { k: 'p', a: 'unsat', file: 'b' }],
    ],
    keying,
  );
  assert.deepEqual(
    u.items.map((x) => `${x.k}:${x.a}:${x.file}`),
    ['p:unsat:a', 'q:sat:b', 'r:error:conflict', 't:sat:a', 't:sat:a', 's:unknown:b'],
  );
  assert.deepEqual(u.duplicates.map((d) => d.key), ['p', 'q', 'r']);
  assert.deepEqual(u.conflicts, [{ key: 'r', found: [{ source: 0, answer: 'sat' }, { source: 1, answer: 'unsat' }] }]);
});

test('merged results: ordered like the instance list, missing instances found', () => {
  const row = (onnx: string, result: ResultRow['result']): ResultRow => ({ benchmark: 'b', onnx, vnnlib: 'p.vnnlib', timeout: 10, result, expected: '', seconds: 1, status: result === 'error' ? 'error' : 'unchecked' });
  const list: Instance[] = ['x', 'y', 'z', 'w'].map((n) => ({ onnx: `${n}.onnx`, vnnlib: 'p.vnnlib', timeout: 10 }));
  const m = mergeResultRows([[row('z.onnx', 'sat'), row('other.onnx', 'sat')], [row('x.onnx', 'unsat')]], { instances: list, benchmark: 'b' });
  assert.deepEqual(m.rows.map((r) => r.onnx), ['x.onnx', 'z.onnx', 'other.onnx']);
  assert.deepEqual(m.missing.map((i) => i.onnx), ['y.onnx', 'w.onnx']);
  assert.equal(m.extra, 1);
  assert.equal(m.duplicates.length, 0);
});
