/**
 * The command-line side of sharded gates: what `verify gate --shard K/N` prints and writes when its
 * slice is done, and `verify gate --merge a.json b.json ...`, which decides the gate.
 */
import { writeFileNoFollow } from '../util/output-file.js';
import { resolve } from 'node:path';
import type { ResolvedShard } from '../batch/shard-env.js';
import { formatShard } from '../batch/shard.js';
import type { Duplicate } from '../batch/union.js';
import type { GateReport } from '../gate/gate.js';
import { mergeGateShards } from '../gate/gate-merge.js';
import { gateShardJson, type GateSet } from '../gate/gate-shard.js';
import { EXIT } from './errors.js';

/** Gate failed (as in gate-command.ts). */
const GATE_FAILED = 1;

const pct = (x: number) => `${(100 * x).toFixed(1)}%`;

export function shardNote(shard: ResolvedShard, properties: number, set: GateSet): string {
  return `shard ${formatShard(shard)} (${shard.source}): ${properties} of ${set.properties} properties`;
}

/** A shard's slice is done: its counts, and the JSON for the merge. Exit code 0: the merge decides. */
export function finishGateShard(
  report: GateReport,
  shard: ResolvedShard,
  set: GateSet,
  json: string,
  robustness?: { eps: number; clipMin?: number; clipMax?: number },
): number {
  const c = report.counts;
  process.stdout.write(
    `\ngate ${shardNote(shard, report.total, set)}: ${report.verified} verified robust; ` +
      `unsat ${c.unsat}, sat ${c.sat}, timeout ${c.timeout}, unknown ${c.unknown}, error ${c.error}; ${report.totalSeconds.toFixed(1)} s in total\n` +
      `  the gate is decided by verify gate --merge over the JSON files of all ${shard.count} shards (this one: ${json})\n`,
  );
  writeFileNoFollow(json, `${JSON.stringify(gateShardJson(report, shard, set, robustness), null, 2)}\n`);
  return EXIT.ok;
}

function describe(d: Duplicate, files: readonly string[]): string {
  return `${d.key}: ${d.found.map((f) => `${f.answer} in ${files[f.source]}`).join(', ')}`;
}

/** `verify gate --merge`: exit 0 pass, 1 fail, (thrown UsageError) 2 incomplete or mixed shards. */
export function runGateMerge(files: readonly string[], threshold: number, json: string | undefined): number {
  const m = mergeGateShards(files, threshold);
  const r = m.report;
  const dupOnly = m.duplicates.filter((d) => !m.conflicts.includes(d));
  if (dupOnly.length > 0) process.stderr.write(`verify gate --merge: ${dupOnly.length} propert(y/ies) in more than one shard file, kept once:\n${dupOnly.map((d) => `  ${describe(d, m.sources)}\n`).join('')}`);
  if (m.conflicts.length > 0) {
    process.stderr.write(`verify gate --merge: CONFLICT: ${m.conflicts.length} propert(y/ies) answered both sat and unsat, counted as errors:\n${m.conflicts.map((d) => `  ${describe(d, m.sources)}\n`).join('')}`);
  }
  const c = r.counts;
  process.stdout.write(
    `gate: ${r.passed ? 'PASS' : 'FAIL'}: ${r.verified}/${r.total} properties verified robust (${pct(r.verifiedFraction)}), threshold ${pct(r.threshold)}; union of ${m.shards} shards\n` +
      `  unsat ${c.unsat}, sat ${c.sat}, timeout ${c.timeout}, unknown ${c.unknown}, error ${c.error}; ${r.totalSeconds.toFixed(1)} s in total\n`,
  );
  if (json) {
    const out = {
      ...r,
      merged: files.map((f) => resolve(f)),
      shards: m.shards,
      duplicates: dupOnly.length,
      conflicts: m.conflicts.map((d) => ({ property: d.key, found: d.found.map((f) => ({ file: m.sources[f.source], answer: f.answer })) })),
    };
    writeFileNoFollow(json, `${JSON.stringify(out, null, 2)}\n`);
  }
  return r.passed ? EXIT.ok : GATE_FAILED;
}
