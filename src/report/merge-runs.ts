/**
 * `verify report --merge`: the results files are shards of one run; per benchmark their rows become
 * one run, with the same rules as `verify batch --merge` (src/batch/union.ts): an instance found in
 * several files is kept once, preferring a decided answer, and `sat` against `unsat` becomes an error.
 */
import { unionByKey } from '../batch/union.js';
import { instanceKey, type InstanceResult, type Run } from './read-results.js';

export interface MergedRuns {
  readonly runs: Run[];
  /** One line per duplicated or conflicting instance, for stderr. */
  readonly notes: string[];
  readonly conflicts: number;
}

function conflictRow(rows: readonly InstanceResult[]): InstanceResult {
  return { ...rows[0], result: 'error', status: 'error', seconds: Math.max(...rows.map((r) => r.seconds)) };
}

export function mergeRuns(runs: readonly Run[], label = `merged (${new Set(runs.map((r) => r.source)).size} files)`): MergedRuns {
  const benchmarks = [...new Set(runs.map((r) => r.benchmark))];
  const notes: string[] = [];
  let conflicts = 0;
  const merged = benchmarks.map((benchmark): Run => {
    const parts = runs.filter((r) => r.benchmark === benchmark);
    const u = unionByKey(
      parts.map((r) => r.rows),
      { key: (r) => instanceKey(r.onnx, r.vnnlib), answer: (r) => r.result, conflict: conflictRow },
    );
    for (const d of u.duplicates) {
      const isConflict = u.conflicts.includes(d);
      const where = d.found.map((f) => `${f.answer} in ${parts[f.source].source}`).join(', ');
      notes.push(`${isConflict ? 'CONFLICT (recorded as error)' : 'duplicate (kept once)'}: ${benchmark} ${d.key}: ${where}`);
    }
    conflicts += u.conflicts.length;
    return { label, benchmark, source: parts.map((r) => r.source).join(' + '), rows: u.items };
  });
  return { runs: merged, notes, conflicts };
}
