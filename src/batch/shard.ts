/**
 * Deterministic, balanced slices of an instance list, for running one batch as N independent jobs
 * (Slurm array tasks, Kubernetes Indexed Job pods, CI matrix jobs) that share nothing but the list.
 *
 * Every job computes the whole assignment from the list alone, so the slices never overlap and
 * together cover the list. A row's shard depends only on the set of rows, never on its position:
 * rows are ordered by weight (the timeout), ties by a hash of their key, and assigned
 * longest-first to the least-loaded shard (ties to the lowest shard number).
 */
import { createHash } from 'node:crypto';
import { UsageError } from '../cli/errors.js';
import { instanceKey, type Instance } from './instances.js';

/** Shard `index` of `count`, 1-based like the `--shard K/N` flag. */
export interface Shard {
  readonly index: number;
  readonly count: number;
}

export function formatShard(s: Shard): string {
  return `${s.index}/${s.count}`;
}

/** `K/N` with 1 <= K <= N. */
export function parseShard(text: string, what = '--shard'): Shard {
  const m = /^\s*(\d+)\s*\/\s*(\d+)\s*$/.exec(text);
  if (!m) throw new UsageError(`${what} '${text}': expected K/N, e.g. 2/8 (the 2nd of 8 shards, counted from 1)`);
  const index = Number(m[1]);
  const count = Number(m[2]);
  if (!Number.isSafeInteger(count) || count < 1) throw new UsageError(`${what} '${text}': the shard count must be at least 1`);
  if (!(index >= 1 && index <= count)) throw new UsageError(`${what} '${text}': the shard number must be between 1 and ${count}`);
  return { index, count };
}

/** Hex SHA-256 of a key: the tie-break order, spreading e.g. the properties of one network over the shards. */
export function keyHash(key: string): string {
  return createHash('sha256').update(key).digest('hex');
}

export interface ShardKeying<T> {
  /** Identity of an item; items with the same key always share a shard (a duplicated row stays one unit). */
  key(item: T): string;
  /** Expected cost of an item (its timeout): what the shards are balanced on. */
  weight(item: T): number;
}

/**
 * The shard (1-based) of every item, in input order. Longest-processing-time-first keeps the
 * heaviest shard within 4/3 of the optimum; equal weights make it a round robin in hash order.
 */
export function assignShards<T>(items: readonly T[], count: number, keying: ShardKeying<T>): number[] {
  if (!(Number.isSafeInteger(count) && count >= 1)) throw new UsageError(`shard count ${count}: must be a positive integer`);
  const units = new Map<string, { weights: number[]; hash: string; shard: number }>();
  const keys = items.map((it) => keying.key(it));
  items.forEach((it, i) => {
    const k = keys[i];
    const u = units.get(k) ?? { weights: [], hash: keyHash(k), shard: 0 };
    u.weights.push(keying.weight(it));
    units.set(k, u);
  });
  const order = [...units.entries()].map(([key, u]) => ({
    key,
    u,
    // Summed in sorted order so that the float sum does not depend on row order either.
    weight: [...u.weights].sort((a, b) => a - b).reduce((s, w) => s + w, 0),
  }));
  order.sort((a, b) => b.weight - a.weight || (a.u.hash < b.u.hash ? -1 : a.u.hash > b.u.hash ? 1 : 0) || (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  // Shards past the number of units stay empty; not allocating them keeps a typo like 1/100000000 cheap.
  const loads = new Array<number>(Math.min(count, order.length)).fill(0);
  for (const { u, weight } of order) {
    let best = 0;
    for (let s = 1; s < loads.length; s++) if (loads[s] < loads[best]) best = s;
    loads[best] += weight;
    u.shard = best + 1;
  }
  return keys.map((k) => units.get(k)!.shard);
}

/** The items of one shard, in input order. */
export function selectShard<T>(items: readonly T[], shard: Shard, keying: ShardKeying<T>): T[] {
  const assigned = assignShards(items, shard.count, keying);
  return items.filter((_, i) => assigned[i] === shard.index);
}

/** Fingerprint of the whole set (order-free): shards of one run agree on it, so a merge can tell runs apart. */
export function setFingerprint(keys: readonly string[]): string {
  return keyHash([...keys].sort().join('\n')).slice(0, 16);
}

/**
 * Shards of an instances.csv: keyed by the normalised onnx,vnnlib paths, weighted by the timeouts
 * as written in the CSV (scaling them all alike would not change which shard is lighter, and
 * rounding scaled sums could break load ties differently); `--timeout S` makes all weights equal
 * (pass it as `timeout`).
 */
export function instanceKeying(timeout?: number): ShardKeying<Instance> {
  return { key: (i) => instanceKey(i.onnx, i.vnnlib), weight: (i) => timeout ?? i.timeout };
}
