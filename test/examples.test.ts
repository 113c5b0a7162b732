/**
 * The scheduler examples in docs/ parse (shell syntax with `sh -n`/`bash -n`, YAML with the subset
 * parser of test/helpers/yaml-subset.ts), agree with themselves (shard counts), and, run against a
 * tiny benchmark with their scheduler's variables set by hand, shard and merge it.
 */
import { after, test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { readResultsCsv } from '../src/batch/results-csv.js';
import { parseYamlSubset, YamlSubsetError, type Yaml } from './helpers/yaml-subset.js';
import { schedulerFreeEnv } from './helpers/scheduler-env.js';

const root = resolve(import.meta.dirname, '..', '..');
const docs = join(root, 'docs');
const tmp = mkdtempSync(join(tmpdir(), 'verify-examples-'));
after(() => rmSync(tmp, { recursive: true, force: true }));

/** A 4-instance benchmark folder named acasxu (the examples' benchmark) from the committed two_relu network. */
function tinyBenchmark(dir: string): string {
  const bench = join(dir, 'acasxu');
  mkdirSync(bench, { recursive: true });
  copyFileSync(join(root, 'networks', 'two_relu.onnx'), join(bench, 'a.onnx'));
  copyFileSync(join(root, 'networks', 'two_relu.onnx'), join(bench, 'b.onnx'));
  copyFileSync(join(root, 'specs', 'two_relu_sat.vnnlib'), join(bench, 'sat.vnnlib'));
  copyFileSync(join(root, 'specs', 'two_relu_unsat.vnnlib'), join(bench, 'unsat.vnnlib'));
  writeFileSync(join(bench, 'instances.csv'), 'a.onnx,sat.vnnlib,20\na.onnx,unsat.vnnlib,20\nb.onnx,sat.vnnlib,30\nb.onnx,unsat.vnnlib,30\n');
  return bench;
}

function run(cmd: string, args: string[], o: { cwd: string; env?: NodeJS.ProcessEnv }): Promise<{ code: number | null; out: string }> {
  return new Promise((res) => {
    const child = spawn(cmd, args, { cwd: o.cwd, env: schedulerFreeEnv(o.env), stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.on('close', (code) => res({ code, out }));
  });
}

function syntaxOk(shell: 'sh' | 'bash', script: string, what: string): void {
  const r = spawnSync(shell, ['-n', '-c', script], { encoding: 'utf8' });
  assert.equal(r.status, 0, `${what}: ${r.stderr}`);
}

const get = (y: Yaml, ...path: (string | number)[]): Yaml => path.reduce<Yaml>((v, k) => (v as any)?.[k] ?? null, y);

test('the YAML subset parser reads plain YAML and refuses what it does not know', () => {
  const [doc] = parseYamlSubset(
    'a: 1\nb:\n  - x\n  - k: "q: r" # c\n    l: [1, two]\nc: |\n  line 1\n\n  # kept\nd: {}\non: true\ne:\n- 2.5\n',
  );
  assert.deepEqual(doc, { a: 1, b: ['x', { k: 'q: r', l: [1, 'two'] }], c: 'line 1\n\n# kept\n', d: {}, on: true, e: [2.5] });
  assert.deepEqual(parseYamlSubset('---\na: 1\n---\nb: 2\n'), [{ a: 1 }, { b: 2 }]);
  for (const bad of ['a: 1\na: 2\n', 'a: &x 1\n', 'a: b: c\n', 'a:\n\tb: 1\n', 'a: {b: 1}\n', 'a: >\n  x\n', 'a: 1\n  b: 2\n', 'a: "open\n']) {
    assert.throws(() => parseYamlSubset(bad), YamlSubsetError, JSON.stringify(bad));
  }
});

test('Slurm example: shell syntax, #SBATCH header, and a 0-based array run by hand shards and merges', async () => {
  const script = join(docs, 'slurm-batch.sh');
  const text = readFileSync(script, 'utf8');
  syntaxOk('bash', text, 'slurm-batch.sh');
  // sbatch stops reading #SBATCH lines at the first command.
  const lines = text.split('\n');
  const firstCommand = lines.findIndex((l, i) => i > 0 && l.trim() !== '' && !l.startsWith('#'));
  assert.ok(lines.some((l) => l.startsWith('#SBATCH')));
  assert.ok(lines.every((l, i) => !l.startsWith('#SBATCH') || i < firstCommand), '#SBATCH lines before the first command');

  const dir = join(tmp, 'slurm');
  const bench = tinyBenchmark(dir);
  const env = { REPO: root, BENCH: bench, RESULTS: join(dir, 'results') };
  const tasks = await Promise.all(
    [0, 1].map((id) =>
      run('bash', [script], { cwd: dir, env: { ...env, SLURM_ARRAY_TASK_ID: String(id), SLURM_ARRAY_TASK_MIN: '0', SLURM_ARRAY_TASK_MAX: '1', SLURM_ARRAY_TASK_COUNT: '2' } }),
    ),
  );
  for (const t of tasks) assert.equal(t.code, 0, t.out);
  assert.match(tasks[0].out, /shard 1\/2 \(SLURM_ARRAY_TASK_ID=0/);
  assert.ok(existsSync(join(dir, 'results', 'acasxu-results-shard-2-of-2.csv')));
  const merge = await run('bash', [script, 'merge'], { cwd: dir, env });
  assert.equal(merge.code, 0, merge.out);
  assert.equal(readResultsCsv(join(dir, 'results', 'all.csv')).rows.length, 4);
  assert.deepEqual(JSON.parse(readFileSync(join(dir, 'results', 'summary.json'), 'utf8')).missing, []);
});

test('Kubernetes example: an Indexed Job whose count matches VERIFY_SHARD_COUNT; its pods, run by hand, shard and merge', async () => {
  const docsYaml = parseYamlSubset(readFileSync(join(docs, 'kubernetes-batch.yaml'), 'utf8'));
  assert.equal(docsYaml.length, 2);
  const [shards, merge] = docsYaml;
  assert.equal(get(shards, 'kind'), 'Job');
  assert.equal(get(shards, 'metadata', 'labels', 'step'), 'shards');
  assert.equal(get(merge, 'metadata', 'labels', 'step'), 'merge');
  assert.equal(get(shards, 'spec', 'completionMode'), 'Indexed');
  const completions = get(shards, 'spec', 'completions') as number;
  const container = get(shards, 'spec', 'template', 'spec', 'containers', 0);
  const env = get(container, 'env') as { name: string; value: string }[];
  assert.equal(Number(env.find((e) => e.name === 'VERIFY_SHARD_COUNT')?.value), completions, 'VERIFY_SHARD_COUNT = completions');
  const scripts: Record<string, string> = {};
  for (const [name, job] of [['shards', shards], ['merge', merge]] as const) {
    const pod = get(job, 'spec', 'template', 'spec');
    for (const c of [...(get(pod, 'initContainers') as Yaml[]), ...(get(pod, 'containers') as Yaml[])]) {
      assert.match(String(get(c, 'image')), /^node:20/, 'a stock node 20 image');
      const cmd = get(c, 'command') as string[];
      assert.deepEqual(cmd.slice(0, 2), ['sh', '-c']);
      syntaxOk('sh', cmd[2], `${name}/${get(c, 'name')}`);
      scripts[`${name}/${get(c, 'name')}`] = cmd[2];
    }
  }
  assert.match(scripts['shards/install'], /npm ci/);
  assert.doesNotMatch(scripts['shards/shard'], /--shard|--merge/, 'the shard comes from JOB_COMPLETION_INDEX');
  assert.match(scripts['merge/merge'], new RegExp(`--merge \\./acasxu-results-shard-\\*-of-${completions}\\.csv`));

  // The pods' commands with the volumes' paths pointed at a tiny benchmark, every index, then the merge.
  const dir = join(tmp, 'k8s');
  const bench = tinyBenchmark(dir);
  const results = join(dir, 'results');
  mkdirSync(results);
  const local = (s: string) =>
    s.replaceAll('/work/tsverify', root).replaceAll('/shared/benchmarks/acasxu', bench).replaceAll('/shared/results/acasxu', results);
  const pods = await Promise.all(
    Array.from({ length: completions }, (_, i) => run('sh', ['-c', local(scripts['shards/shard'])], { cwd: dir, env: { JOB_COMPLETION_INDEX: String(i), VERIFY_SHARD_COUNT: String(completions) } })),
  );
  for (const p of pods) assert.equal(p.code, 0, p.out);
  const merged = await run('sh', ['-c', local(scripts['merge/merge'])], { cwd: dir });
  assert.equal(merged.code, 0, merged.out);
  assert.equal(readResultsCsv(join(results, 'all.csv')).rows.length, 4);
  assert.ok(existsSync(join(results, 'report.html')));
});

test('GitHub Actions examples: matrix 1..N with --shard matrix.shard/job-total, a merge job after all shards', async () => {
  const wf = parseYamlSubset(readFileSync(join(docs, 'github-actions-batch.yml'), 'utf8'))[0];
  const shardJob = get(wf, 'jobs', 'shard');
  const mergeJob = get(wf, 'jobs', 'merge');
  const matrix = get(shardJob, 'strategy', 'matrix', 'shard') as number[];
  assert.deepEqual(matrix, Array.from({ length: matrix.length }, (_, i) => i + 1));
  assert.equal(get(shardJob, 'strategy', 'fail-fast'), false);
  assert.equal(get(mergeJob, 'needs'), 'shard');
  assert.equal(get(mergeJob, 'if'), 'always()');
  const runs = (job: Yaml) => (get(job, 'steps') as Yaml[]).map((s) => get(s, 'run')).filter((r): r is string => typeof r === 'string');
  const expr = /\$\{\{\s*([^}]*?)\s*\}\}/g;
  for (const r of [...runs(shardJob), ...runs(mergeJob)]) syntaxOk('bash', r.replace(expr, 'X'), r);
  const shardRun = runs(shardJob).find((r) => r.includes('verify.js batch'))!;
  assert.match(shardRun, /--shard \$\{\{ matrix\.shard \}\}\/\$\{\{ strategy\.job-total \}\}/);
  const mergeRun = runs(mergeJob).find((r) => r.includes('--merge'))!;
  // The gate workflow of the README parses too.
  assert.equal(get(parseYamlSubset(readFileSync(join(docs, 'github-actions-gate.yml'), 'utf8'))[0], 'jobs', 'gate', 'runs-on'), 'ubuntu-latest');

  // The matrix jobs' and the merge job's commands in one workspace (checkout = symlinks), expressions filled in.
  const ws = join(tmp, 'gh');
  mkdirSync(join(ws, 'benchmarks'), { recursive: true });
  symlinkSync(root, join(ws, 'tsverify'));
  symlinkSync(tinyBenchmark(join(tmp, 'gh-bench')), join(ws, 'benchmarks', 'acasxu'));
  const fill = (s: string, shard: number) => s.replace(expr, (_, e: string) => (e === 'matrix.shard' ? String(shard) : e === 'strategy.job-total' ? String(matrix.length) : assert.fail(e)));
  const jobs = await Promise.all(matrix.map((k) => run('bash', ['-e', '-c', fill(shardRun, k)], { cwd: ws })));
  for (const j of jobs) assert.equal(j.code, 0, j.out);
  const m = await run('bash', ['-e', '-c', mergeRun], { cwd: ws });
  assert.equal(m.code, 0, m.out);
  assert.equal(readResultsCsv(join(ws, 'all.csv')).rows.length, 4);
});
