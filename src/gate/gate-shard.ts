/**
 * A gate split over several jobs: which properties a shard runs, and the JSON it leaves for
 * `verify gate --merge` (src/gate/gate-merge.ts), which applies the threshold to the union.
 *
 * A shard does not decide the gate: with a threshold below 1 a slice may fall short while the
 * whole set passes, so a shard's exit code says only whether it ran.
 */
import { keyHash, setFingerprint, type ShardKeying } from '../batch/shard.js';
import type { ResolvedShard } from '../batch/shard-env.js';
import type { GateProperty, GateReport } from './gate.js';
import type { Sample } from './samples.js';

/**
 * A sample by content (values and label), not by line: reordering samples.csv moves no sample to
 * another shard. Identical samples share a key and therefore a shard.
 */
export function sampleKey(s: Pick<Sample, 'input' | 'label'>): string {
  return `sample:${keyHash(JSON.stringify([s.input, s.label])).slice(0, 24)}`;
}

/** Rows of --properties are keyed by their paths as written (instanceKey), the same on every machine. */
export function propertyKeying(): ShardKeying<GateProperty> {
  return { key: (p) => p.key ?? p.name, weight: (p) => p.timeout };
}

/** Samples all get the same --timeout: the shards get equal numbers of samples, in hash order. */
export function sampleKeying(timeout: number): ShardKeying<Sample> {
  return { key: sampleKey, weight: () => timeout };
}

/** The whole set the shards were cut from: shards of one gate agree on it. */
export interface GateSet {
  readonly properties: number;
  readonly fingerprint: string;
}

export function gateSet(keys: readonly string[]): GateSet {
  return { properties: keys.length, fingerprint: setFingerprint(keys) };
}

/** What a shard's --json holds: its slice's results, the shard, the set, and the inputs that define the set. */
export interface GateShardJson extends Omit<GateReport, 'passed'> {
  readonly passed: null;
  readonly shard: { readonly index: number; readonly count: number; readonly source: string };
  readonly set: GateSet;
  readonly eps?: number;
  readonly clipMin?: number | null;
  readonly clipMax?: number | null;
  readonly note: string;
}

export function gateShardJson(
  report: GateReport,
  shard: ResolvedShard,
  set: GateSet,
  robustness?: { eps: number; clipMin?: number; clipMax?: number },
): GateShardJson {
  return {
    ...report,
    passed: null,
    shard: { index: shard.index, count: shard.count, source: shard.source },
    set,
    ...(robustness ? { eps: robustness.eps, clipMin: robustness.clipMin ?? null, clipMax: robustness.clipMax ?? null } : {}),
    note: 'one shard of a gate: verify gate --merge applies the threshold to the union of all shards',
  };
}
