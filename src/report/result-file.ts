import { statSync, truncateSync, writeFileSync, type Stats } from 'node:fs';
import { UsageError } from '../cli/errors.js';
import { echo } from '../util/user-text.js';
import type { Outcome } from './verdict.js';

/** Full round-trip precision: the checker re-reads these numbers. */
function num(v: number): string {
  return Number.isInteger(v) ? v.toFixed(1) : String(v);
}

/** The VNN-COMP result file: the verdict, then for `sat` the assignment ((X_0 v) ... (Y_0 v)). */
export function formatResult(outcome: Outcome): string {
  if (outcome.verdict !== 'sat') return `${outcome.verdict}\n`;
  const { x, y } = outcome.counterexample;
  const parts = [...Array.from(x, (v, i) => `(X_${i} ${num(v)})`), ...Array.from(y, (v, j) => `(Y_${j} ${num(v)})`)];
  return `sat\n(${parts.join('\n ')})\n`;
}

export function writeResultFile(path: string, outcome: Outcome): void {
  writeFileSync(path, formatResult(outcome));
}

/**
 * Called at start. A result file left by an earlier run must not outlive this
 * one: if this run is killed before its verdict (SIGKILL), an old `unsat`
 * would read as its answer; a regular file is emptied (`--results /dev/stdout`
 * is left alone). A path that cannot be written (a directory, a missing
 * folder) fails now, before any solving, not after the verdict.
 */
export function prepareResultFile(path: string): void {
  let st: Stats;
  try {
    st = statSync(path);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw e;
    try {
      writeFileSync(path, '');
    } catch (w) {
      throw new UsageError(`cannot create the result file ${echo(path, 1000)} (${(w as NodeJS.ErrnoException).code ?? (w as Error).message})`);
    }
    return;
  }
  if (st.isDirectory()) throw new UsageError(`--results ${echo(path, 1000)} is a directory`);
  if (st.isFile()) truncateSync(path, 0);
}
