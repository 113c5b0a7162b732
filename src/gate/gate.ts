/**
 * The robustness gate: run a list of properties (each `unsat` = verified robust) through the same
 * child-process runner as `verify batch`, and pass when the verified fraction reaches the threshold.
 */
import { UsageError } from '../cli/errors.js';
import { runVerifyChild, checkExtraVerifyArgs, type ChildRun } from '../batch/runner.js';
import type { BatchResult } from '../batch/score.js';

export interface GateProperty {
  readonly name: string;
  readonly onnx: string;
  readonly vnnlib: string;
  /** Seconds. */
  readonly timeout: number;
  /** Identity of the property in its set, independent of its position (src/gate/gate-shard.ts): what shards are assigned and merged by. */
  readonly key?: string;
  /** For generated robustness properties: the sample's label and its line in the samples CSV. */
  readonly label?: number;
  readonly samplesLine?: number;
}

export interface GatePropertyResult extends GateProperty {
  readonly result: BatchResult;
  readonly verified: boolean;
  readonly seconds: number;
  readonly message?: string;
}

export interface GateReport {
  readonly passed: boolean;
  readonly threshold: number;
  readonly total: number;
  /** Properties proved (`unsat`: robust). */
  readonly verified: number;
  readonly verifiedFraction: number;
  readonly counts: Record<BatchResult, number>;
  readonly totalSeconds: number;
  readonly properties: GatePropertyResult[];
}

export function checkThreshold(t: number): void {
  if (!(t >= 0 && t <= 1)) throw new UsageError('--threshold must be a fraction between 0 and 1');
}

/** verified / total >= threshold, without float trouble at fractions like 0.9 of 10. */
export function gatePasses(verified: number, total: number, threshold: number): boolean {
  return total > 0 && verified >= threshold * total - 1e-9 * total;
}

export interface GateOptions {
  readonly threshold: number;
  readonly extraArgs?: readonly string[];
  readonly command?: readonly string[];
  readonly signal?: AbortSignal;
  /** A shard may have no properties; a whole gate may not. */
  readonly allowEmpty?: boolean;
  readonly onRun?: (p: GateProperty, index: number) => void;
  readonly onResult?: (r: GatePropertyResult, run: ChildRun, index: number) => void;
}

export function gateReport(results: readonly GatePropertyResult[], threshold: number): GateReport {
  const counts: Record<BatchResult, number> = { sat: 0, unsat: 0, timeout: 0, unknown: 0, error: 0 };
  for (const r of results) counts[r.result]++;
  const verified = counts.unsat;
  const total = results.length;
  return {
    passed: gatePasses(verified, total, threshold),
    threshold,
    total,
    verified,
    verifiedFraction: total ? verified / total : 0,
    counts,
    totalSeconds: Math.round(results.reduce((s, r) => s + r.seconds, 0) * 1000) / 1000,
    properties: [...results],
  };
}

/** Runs every property (in order); `aborted` when the signal stopped it early. */
export async function runGate(properties: readonly GateProperty[], o: GateOptions): Promise<{ report: GateReport; aborted: boolean }> {
  checkThreshold(o.threshold);
  checkExtraVerifyArgs(o.extraArgs ?? []);
  if (properties.length === 0 && !o.allowEmpty) throw new UsageError('no properties to check');
  const results: GatePropertyResult[] = [];
  let aborted = false;
  for (const [i, p] of properties.entries()) {
    if (o.signal?.aborted) {
      aborted = true;
      break;
    }
    o.onRun?.(p, i);
    const run = await runVerifyChild({ onnx: p.onnx, vnnlib: p.vnnlib, timeout: p.timeout, extraArgs: o.extraArgs, command: o.command, signal: o.signal });
    if (o.signal?.aborted) {
      aborted = true;
      break;
    }
    const r: GatePropertyResult = {
      ...p,
      result: run.result,
      verified: run.result === 'unsat',
      seconds: Math.round(run.seconds * 1000) / 1000,
      ...(run.message ? { message: run.message } : {}),
    };
    results.push(r);
    o.onResult?.(r, run, i);
  }
  return { report: gateReport(results, o.threshold), aborted };
}
