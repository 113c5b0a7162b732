import { statSync, truncateSync, writeFileSync } from 'node:fs';
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
 * A result file left by an earlier run must not outlive this one: if this run
 * is killed before its verdict (SIGKILL), an old `unsat` would read as its
 * answer. Emptied at start; only a regular file (`--results /dev/stdout` is
 * left alone).
 */
export function clearResultFile(path: string): void {
  let isFile: boolean;
  try {
    isFile = statSync(path).isFile();
  } catch {
    return; // nothing there (or nothing we can see): nothing stale
  }
  if (isFile) truncateSync(path, 0);
}
