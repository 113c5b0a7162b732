/**
 * `verify batch --merge`: the results CSVs of the shards of one batch combined into one results CSV,
 * as the unsharded run would have written it (see union.ts for duplicates and conflicts).
 */
import { instanceKey, type Instance } from './instances.js';
import { readResultsCsv, type ResultRow } from './results-csv.js';
import { unionByKey, type Duplicate } from './union.js';

export interface MergeResultsOptions {
  /** The instance list of the batch: orders the rows like an unsharded run and finds missing instances. */
  readonly instances?: readonly Instance[];
  /** Benchmark column of the instance list's rows. */
  readonly benchmark?: string;
}

export interface MergedResults {
  readonly rows: ResultRow[];
  readonly duplicates: Duplicate[];
  readonly conflicts: Duplicate[];
  /** Instances of the list with no row in any file (a shard that did not run or did not finish). */
  readonly missing: Instance[];
  /** Rows whose instance is not in the list (another benchmark or another list). */
  readonly extra: number;
  /** Lines of the files that were not valid rows (cut short by a kill): left out. */
  readonly dropped: number;
}

export function rowKey(r: Pick<ResultRow, 'benchmark' | 'onnx' | 'vnnlib'>): string {
  return `${r.benchmark}|${instanceKey(r.onnx, r.vnnlib)}`;
}

/** The answer that stands for conflicting ones: an error, kept in the CSV so that it shows and scores 0. */
function conflictRow(rows: readonly ResultRow[]): ResultRow {
  return { ...rows[0], result: 'error', status: 'error', seconds: Math.max(...rows.map((r) => r.seconds)) };
}

export function mergeResultRows(lists: readonly (readonly ResultRow[])[], o: MergeResultsOptions = {}): Omit<MergedResults, 'dropped'> {
  const union = unionByKey<ResultRow>(lists, { key: rowKey, answer: (r) => r.result, conflict: conflictRow });
  let rows = union.items;
  const missing: Instance[] = [];
  let extra = 0;
  if (o.instances) {
    const benchmark = o.benchmark ?? '';
    const position = new Map<string, number>();
    o.instances.forEach((inst, i) => {
      const k = rowKey({ benchmark, ...inst });
      if (!position.has(k)) position.set(k, i);
    });
    const have = new Map<string, number>();
    for (const r of rows) {
      const k = rowKey(r);
      have.set(k, (have.get(k) ?? 0) + 1);
      if (!position.has(k)) extra++;
    }
    for (const inst of o.instances) {
      const k = rowKey({ benchmark, ...inst });
      const n = have.get(k) ?? 0;
      if (n > 0) have.set(k, n - 1);
      else missing.push(inst);
    }
    // In list order, as an unsharded run that was never interrupted writes them.
    const pos = (r: ResultRow) => position.get(rowKey(r)) ?? Infinity;
    rows = [...rows].sort((a, b) => pos(a) - pos(b));
  }
  return { rows, duplicates: union.duplicates, conflicts: union.conflicts, missing, extra };
}

/** Reads every results CSV (refusing files of another format) and merges them. */
export function mergeResultsFiles(files: readonly string[], o: MergeResultsOptions = {}): MergedResults {
  const read = files.map((f) => readResultsCsv(f));
  const merged = mergeResultRows(
    read.map((r) => r.rows),
    o,
  );
  return { ...merged, dropped: read.reduce((s, r) => s + r.dropped, 0) };
}
