/**
 * `verify gate --merge a.json b.json ...`: the shards' JSON files of one gate, combined, and the
 * threshold applied to the union. The merge refuses an incomplete set (a shard missing, shards of
 * different sets or sizes): a gate must not pass on the properties that happened to run.
 */
import { readFileSync } from 'node:fs';
import { UsageError } from '../cli/errors.js';
import { BATCH_RESULTS, type BatchResult } from '../batch/score.js';
import { unionByKey, type Duplicate } from '../batch/union.js';
import { gateReport, type GatePropertyResult, type GateReport } from './gate.js';
import type { GateSet } from './gate-shard.js';

interface ShardFile {
  readonly file: string;
  readonly index: number;
  readonly count: number;
  readonly set: GateSet;
  /** eps, clipMin, clipMax as the shard wrote them (absent for --properties gates). */
  readonly robustness: string;
  readonly properties: GatePropertyResult[];
}

function fail(file: string, why: string): never {
  throw new UsageError(`${file}: ${why}`);
}

function readShardFile(file: string): ShardFile {
  let json: any;
  try {
    json = JSON.parse(readFileSync(file, 'utf8'));
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code) throw e;
    fail(file, `not JSON (${(e as Error).message})`);
  }
  const shard = json?.shard;
  if (!shard || !Number.isSafeInteger(shard.index) || !Number.isSafeInteger(shard.count)) {
    fail(file, 'not the --json of a sharded verify gate run (no shard field); run the gate with --shard K/N');
  }
  if (!json.set || !Number.isSafeInteger(json.set.properties) || typeof json.set.fingerprint !== 'string') fail(file, 'no set field');
  if (!Array.isArray(json.properties)) fail(file, 'no properties list');
  for (const p of json.properties) {
    if (typeof p?.key !== 'string' || !(BATCH_RESULTS as readonly string[]).includes(p.result) || typeof p.seconds !== 'number') {
      fail(file, 'a property without key, result or seconds');
    }
  }
  return {
    file,
    index: shard.index,
    count: shard.count,
    set: json.set,
    robustness: JSON.stringify([json.eps ?? null, json.clipMin ?? null, json.clipMax ?? null]),
    properties: json.properties,
  };
}

export interface GateMerge {
  readonly report: GateReport;
  readonly shards: number;
  /** The files in shard order: what the duplicates' `source` positions refer to. */
  readonly sources: string[];
  readonly duplicates: Duplicate[];
  readonly conflicts: Duplicate[];
}

function conflict(ps: readonly GatePropertyResult[]): GatePropertyResult {
  const result: BatchResult = 'error';
  return { ...ps[0], result, verified: false, seconds: Math.max(...ps.map((p) => p.seconds)), message: 'shards answered both sat and unsat' };
}

export function mergeGateShards(files: readonly string[], threshold: number): GateMerge {
  if (files.length === 0) throw new UsageError('--merge needs the JSON files of the shards');
  const shards = files.map(readShardFile);
  const first = shards[0];
  for (const s of shards) {
    if (s.count !== first.count) fail(s.file, `shard ${s.index}/${s.count}, but ${first.file} is shard ${first.index}/${first.count}`);
    if (s.set.fingerprint !== first.set.fingerprint || s.set.properties !== first.set.properties) {
      fail(s.file, `a shard of another set of properties than ${first.file} (${s.set.properties} vs ${first.set.properties} properties, fingerprint ${s.set.fingerprint} vs ${first.set.fingerprint})`);
    }
    if (s.robustness !== first.robustness) fail(s.file, `eps/clip ${s.robustness} differ from ${first.file}'s ${first.robustness}`);
  }
  const present = new Set(shards.map((s) => s.index));
  const missing = Array.from({ length: first.count }, (_, i) => i + 1).filter((i) => !present.has(i));
  if (missing.length > 0) {
    throw new UsageError(`shard(s) ${missing.map((i) => `${i}/${first.count}`).join(', ')} missing: the gate is decided on the whole set only; rerun them`);
  }
  const ordered = [...shards].sort((a, b) => a.index - b.index);
  const union = unionByKey(
    ordered.map((s) => s.properties),
    { key: (p) => p.key!, answer: (p) => p.result, conflict },
  );
  // Samples back in CSV order; listed properties stay in shard order (the JSON does not keep list positions).
  union.items.sort((a, b) => (a.samplesLine ?? 0) - (b.samplesLine ?? 0));
  if (union.items.length !== first.set.properties) {
    throw new UsageError(`the shards hold ${union.items.length} properties, the set has ${first.set.properties}`);
  }
  return { report: gateReport(union.items, threshold), shards: first.count, sources: ordered.map((s) => s.file), duplicates: union.duplicates, conflicts: union.conflicts };
}
