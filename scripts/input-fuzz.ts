/**
 * Input fuzzer: malformed VNN-LIB and ONNX files, made from valid seeds built
 * here (scripts/fuzz/seeds.ts) by the mutations of scripts/fuzz/mutate.ts,
 * must give an answer or a clean input error: verify exits 0 or 2, never 3,
 * never dies of a signal, never hangs.
 *
 *   node dist/scripts/input-fuzz.js [--seed N] [--count N] [--budget-seconds S] [--out DIR]
 *                                   [--spawn-every K] [--timeout S]
 *
 * Every case runs the CLI's load path in-process (in a worker thread, errors
 * classified as the CLI classifies them); the real CLI (`node bin/verify.js`,
 * --timeout S, killed at S + 10 s) runs every K-th case and every case that
 * loads, so that onnxruntime and the solver see them too. Prints
 * `N passed, N failed`; each failing case is written to --out (model, property,
 * what went wrong). Exit code 0 when nothing failed, 1 otherwise.
 */
import { spawn } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';
import { mulberry32 } from '../src/attack/rng.js';
import { VERIFY_BIN } from '../src/batch/runner.js';
import { parseDecimal, parseInteger } from '../src/util/decimal.js';
import { mutateOnnx, mutateVnnlib, pick } from './fuzz/mutate.js';
import { makeSeeds, seedVnnlib } from './fuzz/seeds.js';
import type { LoadReply } from './fuzz/load-worker.js';

export interface FuzzOptions {
  readonly seed: number;
  readonly count: number;
  readonly budgetSeconds: number;
  /** Folder for failing cases (created when the first one fails). */
  readonly out?: string;
  /** Run the real CLI on every k-th case (and on every case that loads). */
  readonly spawnEvery: number;
  /** --timeout of the CLI runs, in seconds. */
  readonly timeout: number;
  /** A case whose in-process load takes longer than this (seconds) counts as a hang. */
  readonly loadLimit?: number;
  readonly log?: (line: string) => void;
}

export interface CaseResult {
  readonly index: number;
  readonly kind: string;
  readonly network: string;
  readonly passed: boolean;
  /** loaded / input-error in-process, and the CLI's exit status when it ran. */
  readonly detail: string;
}

export interface FuzzReport {
  readonly passed: number;
  readonly failed: number;
  readonly cases: readonly CaseResult[];
  readonly seconds: number;
  readonly stoppedByBudget: boolean;
}

/** The CLI's side of the contract: exit 0 with a verdict, or exit 2 with `error`. */
export function judgeCli(code: number | null, signal: string | null, hung: boolean, firstLine: string): { passed: boolean; detail: string } {
  if (hung) return { passed: false, detail: 'cli: hung (killed 10 s after its timeout)' };
  if (signal) return { passed: false, detail: `cli: killed by ${signal}` };
  if (code === 0 && ['sat', 'unsat', 'timeout', 'unknown'].includes(firstLine)) return { passed: true, detail: `cli: ${firstLine}` };
  if (code === 2 && firstLine === 'error') return { passed: true, detail: 'cli: input error' };
  return { passed: false, detail: `cli: exit ${code}, first line '${firstLine.slice(0, 40)}'` };
}

/** The in-process side: loading succeeds or fails with an input error. */
export function judgeLoad(reply: LoadReply | 'hung' | 'crashed'): { passed: boolean; detail: string } {
  if (reply === 'hung') return { passed: false, detail: 'load: hung' };
  if (reply === 'crashed') return { passed: false, detail: 'load: the thread died (out of memory?)' };
  if (reply.outcome === 'internal-error') return { passed: false, detail: `load: internal error: ${reply.stack ?? reply.message}` };
  return { passed: true, detail: `load: ${reply.outcome}` };
}

/** One worker thread that loads cases in turn; replaced when a case kills or hangs it. */
class Loader {
  private worker?: Worker;
  private next = 0;

  private start(): Worker {
    // Memory beyond this is a failure of the case, not of the fuzzer.
    const w = new Worker(new URL('./fuzz/load-worker.js', import.meta.url), { resourceLimits: { maxOldGenerationSizeMb: 3072 } });
    w.unref();
    return w;
  }

  load(onnx: string, vnnlib: string, limitMs: number): Promise<LoadReply | 'hung' | 'crashed'> {
    const w = (this.worker ??= this.start());
    const id = this.next++;
    return new Promise((resolve) => {
      const done = (r: LoadReply | 'hung' | 'crashed') => {
        clearTimeout(timer);
        w.off('message', onMessage);
        w.off('exit', onExit);
        w.off('error', onError);
        if (r === 'hung' || r === 'crashed') {
          // The load path is plain TypeScript (no onnxruntime): terminating it is safe.
          void w.terminate();
          this.worker = undefined;
        }
        resolve(r);
      };
      const onMessage = (m: LoadReply) => m.id === id && done(m);
      const onExit = () => done('crashed');
      const onError = () => done('crashed');
      const timer = setTimeout(() => done('hung'), limitMs);
      w.on('message', onMessage);
      w.on('exit', onExit);
      w.on('error', onError);
      w.postMessage({ id, onnx, vnnlib });
    });
  }

  async close(): Promise<void> {
    await this.worker?.terminate();
  }
}

function runCli(onnx: string, vnnlib: string, timeout: number): Promise<{ code: number | null; signal: string | null; hung: boolean; firstLine: string; stderr: string }> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [VERIFY_BIN, '--onnx', onnx, '--vnnlib', vnnlib, '--timeout', String(timeout)], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    let hung = false;
    child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout = (stdout + d).slice(0, 1 << 16)));
    child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr = (stderr + d).slice(-8192)));
    const kill = setTimeout(() => {
      hung = true;
      child.kill('SIGKILL');
    }, (timeout + 10) * 1000);
    child.on('close', (code, signal) => {
      clearTimeout(kill);
      resolve({ code, signal, hung, firstLine: stdout.split('\n')[0]!.trim(), stderr });
    });
  });
}

export async function runFuzz(o: FuzzOptions): Promise<FuzzReport> {
  const log = o.log ?? (() => undefined);
  const seeds = makeSeeds();
  const work = mkdtempSync(join(tmpdir(), 'input-fuzz-'));
  const loader = new Loader();
  const cases: CaseResult[] = [];
  const t0 = performance.now();
  let stoppedByBudget = false;
  try {
    for (let index = 0; index < o.count; index++) {
      if ((performance.now() - t0) / 1000 > o.budgetSeconds) {
        stoppedByBudget = true;
        break;
      }
      // Each case has its own stream: `--seed S` and the index reproduce it alone.
      const rng = mulberry32((o.seed * 1_000_003 + index) >>> 0);
      const net = pick(rng, seeds);
      const property = seedVnnlib(net, rng);
      const which = rng();
      let onnx: Uint8Array = net.onnx;
      let vnnlib: Uint8Array | string = property;
      const kinds: string[] = [];
      if (which < 0.55 || which >= 0.9) {
        const m = mutateVnnlib(property, rng);
        vnnlib = m.data;
        kinds.push(m.kind);
      }
      if (which >= 0.45) {
        const m = mutateOnnx(net.onnx, rng);
        onnx = m.data;
        kinds.push(m.kind);
      }
      const kind = kinds.join('+');
      const onnxPath = join(work, 'case.onnx');
      const vnnlibPath = join(work, 'case.vnnlib');
      writeFileSync(onnxPath, onnx);
      writeFileSync(vnnlibPath, vnnlib);

      const reply = await loader.load(onnxPath, vnnlibPath, (o.loadLimit ?? 30) * 1000);
      let verdict = judgeLoad(reply);
      const details = [verdict.detail];
      let stderr = '';
      const loaded = typeof reply === 'object' && reply.outcome === 'loaded';
      if (verdict.passed && (loaded || index % o.spawnEvery === 0)) {
        const run = await runCli(onnxPath, vnnlibPath, o.timeout);
        const cli = judgeCli(run.code, run.signal, run.hung, run.firstLine);
        details.push(cli.detail);
        stderr = run.stderr;
        verdict = { passed: cli.passed, detail: details.join('; ') };
      }
      const result: CaseResult = { index, kind, network: net.name, passed: verdict.passed, detail: details.join('; ') };
      cases.push(result);
      if (!result.passed) {
        log(`FAIL case ${index} (${kind}, ${net.name}): ${result.detail.split('\n')[0]}`);
        if (o.out) {
          const dir = join(o.out, `case-${index}`);
          mkdirSync(dir, { recursive: true });
          writeFileSync(join(dir, 'model.onnx'), onnx);
          writeFileSync(join(dir, 'property.vnnlib'), vnnlib);
          writeFileSync(join(dir, 'report.json'), `${JSON.stringify({ seed: o.seed, ...result, stderr }, null, 2)}\n`);
        }
      }
    }
  } finally {
    await loader.close();
    rmSync(work, { recursive: true, force: true });
  }
  const failed = cases.filter((c) => !c.passed).length;
  return { passed: cases.length - failed, failed, cases, seconds: (performance.now() - t0) / 1000, stoppedByBudget };
}

/** Per mutation kind: cases, failures. */
export function tallyByKind(cases: readonly CaseResult[]): Map<string, { cases: number; failed: number }> {
  const m = new Map<string, { cases: number; failed: number }>();
  for (const c of cases) {
    for (const k of c.kind.split('+')) {
      const t = m.get(k) ?? { cases: 0, failed: 0 };
      t.cases++;
      if (!c.passed) t.failed++;
      m.set(k, t);
    }
  }
  return new Map([...m].sort((a, b) => a[0].localeCompare(b[0])));
}

function parseArgs(argv: string[]): FuzzOptions {
  const o = { seed: 1, count: 200, budgetSeconds: 600, out: 'input-fuzz-failures', spawnEvery: 10, timeout: 2 };
  for (let i = 0; i < argv.length; i += 2) {
    const [flag, value] = [argv[i]!, argv[i + 1]];
    if (value === undefined) throw new Error(`${flag} needs a value`);
    const num = (v: number | undefined) => {
      if (v === undefined || !(v >= 0)) throw new Error(`${flag}: '${value}' is not a non-negative number`);
      return v;
    };
    if (flag === '--seed') o.seed = num(parseInteger(value));
    else if (flag === '--count') o.count = num(parseInteger(value));
    else if (flag === '--budget-seconds') o.budgetSeconds = num(parseDecimal(value));
    else if (flag === '--out') o.out = value;
    else if (flag === '--spawn-every') o.spawnEvery = Math.max(1, num(parseInteger(value)));
    else if (flag === '--timeout') o.timeout = num(parseDecimal(value));
    else throw new Error(`unknown flag ${flag}`);
  }
  return o;
}

async function main(): Promise<void> {
  let o: FuzzOptions;
  try {
    o = parseArgs(process.argv.slice(2));
  } catch (e) {
    process.stderr.write(`input-fuzz: ${(e as Error).message}\nusage: input-fuzz [--seed N] [--count N] [--budget-seconds S] [--out DIR] [--spawn-every K] [--timeout S]\n`);
    process.exit(2);
  }
  const r = await runFuzz({ ...o, log: (l) => process.stdout.write(`${l}\n`) });
  const spawned = r.cases.filter((c) => c.detail.includes('cli:')).length;
  process.stdout.write(`\nseed ${o.seed}: ${r.cases.length} cases in ${r.seconds.toFixed(1)} s (${spawned} through the CLI)${r.stoppedByBudget ? ', stopped by the time budget' : ''}\n`);
  for (const [k, t] of tallyByKind(r.cases)) process.stdout.write(`  ${k.padEnd(34)} ${String(t.cases).padStart(5)} cases, ${t.failed} failed\n`);
  process.stdout.write(`${r.passed} passed, ${r.failed} failed${r.failed ? ` (cases in ${o.out})` : ''}\n`);
  process.exit(r.failed ? 1 : 0);
}

if (process.argv[1] && import.meta.url === pathToFileURL(process.argv[1]).href) await main();
