/**
 * `verify batch [instances.csv] --merge a.csv b.csv ... --out all.csv`: the shards' results CSVs
 * combined into one, with the summary and score of the union. Exit code 0, or 1 when some answer
 * is wrong, two shards contradict each other, or (given instances.csv) instances have no row.
 */
import { writeFileNoFollow } from '../util/output-file.js';
import { basename, dirname, resolve } from 'node:path';
import { readInstancesCsv } from '../batch/instances.js';
import { mergeResultsFiles } from '../batch/merge-results.js';
import { writeResultsCsv } from '../batch/results-csv.js';
import { formatSummary, summarize } from '../batch/score.js';
import type { Duplicate } from '../batch/union.js';
import { EXIT, UsageError } from './errors.js';

export interface BatchMergeFlags {
  readonly out?: string;
  readonly benchmark?: string;
  readonly summaryJson?: string;
  /** Flags that only make sense for a run; refused with --merge. */
  readonly shard?: string | false;
  readonly shardCount?: number;
  readonly fresh?: boolean;
  readonly timeout?: number;
}

/** Listed in full up to this many; a long tail is summarised. */
const LIST_LIMIT = 10;

function listSome(lines: readonly string[]): string {
  const shown = lines.slice(0, LIST_LIMIT).map((l) => `  ${l}\n`);
  return shown.join('') + (lines.length > LIST_LIMIT ? `  ... and ${lines.length - LIST_LIMIT} more\n` : '');
}

function describe(d: Duplicate, files: readonly string[]): string {
  return `${d.key.replace('|', ': ')}: ${d.found.map((f) => `${f.answer} in ${files[f.source]}`).join(', ')}`;
}

/** Returns the exit code. */
export function runBatchMerge(files: readonly string[], instancesCsv: string | undefined, verifyFlags: readonly string[], flags: BatchMergeFlags): number {
  if (!flags.out) throw new UsageError('--merge needs --out FILE for the merged results');
  const runOnly = [
    typeof flags.shard === 'string' ? '--shard' : '',
    flags.shardCount !== undefined ? '--shard-count' : '',
    flags.fresh ? '--fresh' : '',
    flags.timeout !== undefined ? '--timeout' : '',
    verifyFlags.length > 0 ? 'verify flags after --' : '',
  ].filter(Boolean);
  if (runOnly.length > 0) throw new UsageError(`--merge runs nothing: ${runOnly.join(', ')} do(es) not apply`);
  const instances = instancesCsv ? readInstancesCsv(instancesCsv) : undefined;
  const benchmark = flags.benchmark ?? (instancesCsv ? basename(dirname(resolve(instancesCsv))) : undefined);
  const merged = mergeResultsFiles(files, { instances, benchmark });
  writeResultsCsv(flags.out, merged.rows);

  const err = process.stderr;
  const dupOnly = merged.duplicates.filter((d) => !merged.conflicts.includes(d));
  if (merged.dropped > 0) err.write(`verify batch --merge: left out ${merged.dropped} incomplete line(s) (cut short by a kill)\n`);
  if (dupOnly.length > 0) err.write(`verify batch --merge: ${dupOnly.length} instance(s) in more than one file, kept once:\n${listSome(dupOnly.map((d) => describe(d, files)))}`);
  if (merged.conflicts.length > 0) {
    err.write(`verify batch --merge: CONFLICT: ${merged.conflicts.length} instance(s) answered both sat and unsat, recorded as error:\n${listSome(merged.conflicts.map((d) => describe(d, files)))}`);
  }
  if (merged.missing.length > 0) {
    err.write(
      `verify batch --merge: ${merged.missing.length} instance(s) of ${instancesCsv} have no row (a shard that did not run or finish; rerun it, it resumes):\n` +
        listSome(merged.missing.map((m) => `${m.onnx} ${m.vnnlib}`)),
    );
  }
  if (merged.extra > 0) err.write(`verify batch --merge: ${merged.extra} row(s) are not instances of ${instancesCsv} (kept)\n`);

  const summary = summarize(merged.rows);
  process.stdout.write(`merged ${files.length} file(s) into ${flags.out}: ${merged.rows.length} rows\n\nsummary (${benchmark ?? 'merged'}, ${flags.out}):\n${formatSummary(summary).replace(/^/gm, '  ')}\n`);
  if (flags.summaryJson) {
    const json = {
      benchmark: benchmark ?? null,
      instances: instancesCsv ? resolve(instancesCsv) : null,
      results: resolve(flags.out),
      merged: files.map((f) => resolve(f)),
      duplicates: dupOnly.length,
      conflicts: merged.conflicts.map((d) => ({ instance: d.key, found: d.found.map((f) => ({ file: files[f.source], answer: f.answer })) })),
      missing: merged.missing.map((m) => ({ onnx: m.onnx, vnnlib: m.vnnlib })),
      extra: merged.extra,
      ...summary,
    };
    writeFileNoFollow(flags.summaryJson, `${JSON.stringify(json, null, 2)}\n`);
  }
  return summary.wrong > 0 || merged.conflicts.length > 0 || merged.missing.length > 0 ? 1 : EXIT.ok;
}
