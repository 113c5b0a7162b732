/**
 * Runs `verify` instances in child processes: one `node bin/verify.js` of this installation per
 * instance, killed shortly after its timeout if it has not answered, so that a hung or crashing
 * instance cannot stall or take down a batch. Used by `verify batch`, `verify gate` and
 * scripts/run-benchmark.ts.
 */
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { UsageError } from '../cli/errors.js';
import { SIGNAL_EXIT } from '../cli/signals.js';
import { safeSetTimeout } from '../util/timers.js';
import { instanceKey, resolveInstancePath, type ExpectedAnswer, type Instance } from './instances.js';
import { appendResultRow, openResultsCsv, type ResultRow } from './results-csv.js';
import { statusOf, summarize, type BatchResult, type BatchSummary } from './score.js';

/** bin/verify.js of this installation (dist/src/batch/runner.js -> ../../../bin/verify.js). */
export const VERIFY_BIN = fileURLToPath(new URL('../../../bin/verify.js', import.meta.url));

/** Seconds after the instance's timeout at which a child that has not answered is killed. */
export function killGraceSeconds(timeout: number): number {
  return 2 + 0.05 * timeout;
}

/** Flags the runner sets itself; they may not appear among the extra verify flags. */
const RESERVED_FLAGS = ['--onnx', '--vnnlib', '--timeout', '--results'];

export function checkExtraVerifyArgs(extra: readonly string[]): void {
  if (extra.length > 0 && !extra[0].startsWith('-')) throw new UsageError(`unexpected argument '${extra[0]}' (extra verify flags go after --)`);
  for (const a of extra) {
    const flag = a.split('=')[0];
    if (RESERVED_FLAGS.includes(flag)) throw new UsageError(`${flag} is set per instance; it cannot be among the extra verify flags`);
  }
}

export interface ChildRunOptions {
  readonly onnx: string;
  readonly vnnlib: string;
  /** Seconds, passed to verify --timeout. */
  readonly timeout: number;
  readonly extraArgs?: readonly string[];
  /** Passed as --results. */
  readonly resultsFile?: string;
  /** The verify command, argv style; default [node, VERIFY_BIN]. */
  readonly command?: readonly string[];
  /** Seconds after `timeout` at which the child is killed (default killGraceSeconds(timeout)). */
  readonly killGrace?: number;
  readonly signal?: AbortSignal;
}

export interface ChildRun {
  readonly result: BatchResult;
  /** Wall-clock seconds from spawn to exit. */
  readonly seconds: number;
  readonly exitCode: number | null;
  readonly signal: NodeJS.Signals | null;
  /** Killed by the runner at the kill deadline (recorded as timeout). */
  readonly killed: boolean;
  /** Why the result is error (or how a timeout came about); the last line of stderr when there is one. */
  readonly message?: string;
  readonly stdout: string;
  readonly stderr: string;
}

const VERDICTS = new Set(['sat', 'unsat', 'timeout', 'unknown', 'error']);
const MAX_CAPTURE = 64 * 2 ** 20;

function lastLine(s: string): string {
  return (
    s
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l !== '')
      .pop() ?? ''
  );
}

/** What a finished child said: exit status and stdout must agree, anything else is an error. */
export function interpretChild(exitCode: number | null, signal: NodeJS.Signals | null, stdout: string, stderr: string): { result: BatchResult; message?: string } {
  const why = lastLine(stderr);
  if (signal) return { result: 'error', message: `killed by ${signal}${why ? `: ${why}` : ''}` };
  const lines = stdout.split('\n');
  const first = lines[0].trim();
  if (exitCode !== 0) return { result: 'error', message: `exit code ${exitCode}${why ? `: ${why}` : ''}` };
  if (!VERDICTS.has(first)) return { result: 'error', message: `unexpected output '${first.slice(0, 80)}'${why ? ` (${why})` : ''}` };
  if (first === 'error') return { result: 'error', message: why || 'error' };
  if (first === 'sat' && !(lines[1] ?? '').trim().startsWith('(')) return { result: 'error', message: 'sat without a counterexample' };
  return { result: first as BatchResult, message: first === 'unknown' && why ? why : undefined };
}

export function runVerifyChild(o: ChildRunOptions): Promise<ChildRun> {
  const [cmd, ...prefix] = o.command ?? [process.execPath, VERIFY_BIN];
  const args = [...prefix, '--onnx', o.onnx, '--vnnlib', o.vnnlib, '--timeout', String(o.timeout)];
  if (o.resultsFile) args.push('--results', o.resultsFile);
  args.push(...(o.extraArgs ?? []));
  const t0 = performance.now();
  return new Promise((resolve) => {
    let stdout = '';
    let stderr = '';
    let killed = false;
    let settled = false;
    const child = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout.setEncoding('utf8').on('data', (d: string) => {
      if (stdout.length < MAX_CAPTURE) stdout += d;
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => {
      stderr = (stderr + d).slice(-16384);
    });
    let hardKill: NodeJS.Timeout | undefined;
    const kill = () => {
      killed = true;
      child.kill('SIGTERM');
      hardKill = safeSetTimeout(() => child.kill('SIGKILL'), 2000);
    };
    const deadline = safeSetTimeout(kill, (o.timeout + (o.killGrace ?? killGraceSeconds(o.timeout))) * 1000);
    const onAbort = () => kill();
    o.signal?.addEventListener('abort', onAbort, { once: true });
    const done = (exitCode: number | null, signal: NodeJS.Signals | null, spawnError?: Error) => {
      if (settled) return;
      settled = true;
      clearTimeout(deadline);
      clearTimeout(hardKill);
      o.signal?.removeEventListener('abort', onAbort);
      const seconds = (performance.now() - t0) / 1000;
      const base = { seconds, exitCode, signal, killed, stdout, stderr };
      if (spawnError) resolve({ ...base, result: 'error', message: `could not start verify: ${spawnError.message}` });
      else if (killed) resolve({ ...base, result: 'timeout', message: `no answer ${(seconds - o.timeout).toFixed(1)} s after the timeout: killed` });
      else resolve({ ...base, ...interpretChild(exitCode, signal, stdout, stderr) });
    };
    child.on('error', (e) => done(null, null, e));
    child.on('close', (code, signal) => done(code, signal));
  });
}

// ---------------------------------------------------------------------------
// A batch: every instance of a list, resumable from its results CSV.

export interface BatchOptions {
  readonly instances: readonly Instance[];
  /** Folder the instance paths are relative to. */
  readonly root: string;
  /** The results CSV (appended to; rows already there are skipped). */
  readonly out: string;
  /** The benchmark column; part of the resume key, so one CSV can hold several benchmarks. */
  readonly benchmark: string;
  readonly expected?: ReadonlyMap<string, ExpectedAnswer>;
  /** Multiplies the instances' timeouts (default 1). */
  readonly timeoutScale?: number;
  /** Replaces the instances' timeouts (then --timeout-scale is ignored). */
  readonly timeout?: number;
  readonly extraArgs?: readonly string[];
  /** Start a new results CSV instead of resuming. */
  readonly fresh?: boolean;
  readonly command?: readonly string[];
  readonly signal?: AbortSignal;
  /** Called once before the first instance runs. */
  readonly onStart?: (info: { total: number; alreadyDone: number; dropped: number }) => void;
  /** Called as an instance starts. */
  readonly onRun?: (inst: Instance, position: { index: number; total: number }) => void;
  /** Called as each instance ends (after its row is in the CSV). */
  readonly onResult?: (row: ResultRow, run: ChildRun, position: { index: number; total: number }) => void;
}

export interface BatchOutcome {
  /** One row per instance of the list, in list order (earlier rows included). */
  readonly rows: ResultRow[];
  /** Instances run now. */
  readonly ran: number;
  /** Instances skipped because the results CSV already had them. */
  readonly skipped: number;
  /** Malformed lines removed from the results CSV (a row cut short by a kill). */
  readonly dropped: number;
  readonly summary: BatchSummary;
  /** The run was aborted (signal) before every instance ran. */
  readonly aborted: boolean;
}

function resumeKey(benchmark: string, onnx: string, vnnlib: string): string {
  return `${benchmark}|${instanceKey(onnx, vnnlib)}`;
}

export function effectiveTimeout(inst: Instance, o: { timeout?: number; timeoutScale?: number }): number {
  const t = o.timeout ?? inst.timeout * (o.timeoutScale ?? 1);
  return Math.round(t * 1000) / 1000;
}

export async function runBatch(o: BatchOptions): Promise<BatchOutcome> {
  checkExtraVerifyArgs(o.extraArgs ?? []);
  if (o.timeoutScale !== undefined && !(o.timeoutScale > 0)) throw new UsageError('--timeout-scale must be a positive number');
  if (o.timeout !== undefined && !(o.timeout > 0)) throw new UsageError('--timeout must be a positive number of seconds');
  const existing = openResultsCsv(o.out, { fresh: o.fresh });
  // Earlier rows by key, in file order; an instance listed twice is matched to rows one by one.
  const earlier = new Map<string, ResultRow[]>();
  for (const r of existing.rows) {
    const k = resumeKey(r.benchmark, r.onnx, r.vnnlib);
    earlier.set(k, [...(earlier.get(k) ?? []), r]);
  }
  const slots: (ResultRow | undefined)[] = o.instances.map((inst) => earlier.get(resumeKey(o.benchmark, inst.onnx, inst.vnnlib))?.shift());
  const alreadyDone = slots.filter((r) => r !== undefined).length;
  o.onStart?.({ total: o.instances.length, alreadyDone, dropped: existing.dropped });
  let ran = 0;
  let aborted = false;
  for (const [i, inst] of o.instances.entries()) {
    if (slots[i]) continue;
    if (o.signal?.aborted) {
      aborted = true;
      break;
    }
    const timeout = effectiveTimeout(inst, o);
    o.onRun?.(inst, { index: alreadyDone + ran + 1, total: o.instances.length });
    const run = await runVerifyChild({
      onnx: resolveInstancePath(o.root, inst.onnx),
      vnnlib: resolveInstancePath(o.root, inst.vnnlib),
      timeout,
      extraArgs: o.extraArgs,
      command: o.command,
      signal: o.signal,
    });
    // An instance cut short by the abort (or by a Ctrl-C that reached the child first: verify
    // answers it with exit code 130) is not recorded: it runs again on resume.
    if (o.signal?.aborted || run.signal === 'SIGINT' || run.exitCode === SIGNAL_EXIT.SIGINT) {
      aborted = true;
      break;
    }
    const expected = o.expected?.get(instanceKey(inst.onnx, inst.vnnlib)) ?? '';
    const row: ResultRow = {
      benchmark: o.benchmark,
      onnx: inst.onnx,
      vnnlib: inst.vnnlib,
      timeout,
      result: run.result,
      expected,
      seconds: Math.round(run.seconds * 1000) / 1000,
      status: statusOf(run.result, expected),
    };
    appendResultRow(o.out, row);
    slots[i] = row;
    ran++;
    o.onResult?.(row, run, { index: alreadyDone + ran, total: o.instances.length });
  }
  const rows = slots.filter((r): r is ResultRow => r !== undefined);
  return { rows, ran, skipped: alreadyDone, dropped: existing.dropped, summary: summarize(rows), aborted };
}
