/**
 * Per-instance status against the expected answer, batch summary and the VNN-COMP score.
 *
 * Scoring scheme: the VNN-COMP 2022 rules:
 *   +10 for each correct `sat` or `unsat` answer,
 *   -150 for each wrong answer (`sat` where the property holds, `unsat` where it is violated),
 *     0 for `timeout`, `unknown` and `error`.
 * The competition also awards time bonuses (+2 to the fastest tool, +1 to the second fastest on an
 * instance); they need other tools' times and are left out here. Answers with no expected answer to
 * compare with (status `unchecked`) are counted but not scored.
 */
import type { ExpectedAnswer } from './instances.js';

export const SCORE_CORRECT = 10;
export const SCORE_WRONG = -150;

export type BatchResult = 'sat' | 'unsat' | 'timeout' | 'unknown' | 'error';
export const BATCH_RESULTS: readonly BatchResult[] = ['sat', 'unsat', 'timeout', 'unknown', 'error'];

export type BatchStatus = 'correct' | 'wrong' | 'unsolved' | 'error' | 'unchecked';
export const BATCH_STATUSES: readonly BatchStatus[] = ['correct', 'wrong', 'unsolved', 'error', 'unchecked'];

export function isBatchResult(s: string): s is BatchResult {
  return (BATCH_RESULTS as readonly string[]).includes(s);
}

/** correct/wrong: a sat/unsat answer against a sat/unsat expected answer; unchecked: nothing to compare with. */
export function statusOf(result: BatchResult, expected: ExpectedAnswer | '' | undefined): BatchStatus {
  if (result === 'error') return 'error';
  if (result === 'timeout' || result === 'unknown') return 'unsolved';
  if (expected === 'sat' || expected === 'unsat') return expected === result ? 'correct' : 'wrong';
  return 'unchecked';
}

export function scoreOf(status: BatchStatus): number {
  return status === 'correct' ? SCORE_CORRECT : status === 'wrong' ? SCORE_WRONG : 0;
}

export interface ScoredRow {
  readonly result: BatchResult;
  readonly status: BatchStatus;
  readonly seconds: number;
  /** The instance's time limit in seconds, when known: a longer run is an overrun. */
  readonly timeout?: number;
}

export interface BatchSummary {
  readonly total: number;
  /** sat/unsat answers that are not wrong (correct + unchecked). */
  readonly solved: number;
  /** sat answers that are not wrong. */
  readonly sat: number;
  /** unsat answers that are not wrong. */
  readonly unsat: number;
  readonly correct: number;
  readonly wrong: number;
  readonly unchecked: number;
  readonly timeout: number;
  readonly unknown: number;
  readonly errors: number;
  /**
   * Runs that took longer than their time limit (wall clock from spawn to exit),
   * whatever their answer: verify promises its verdict before the limit, so
   * every one is a broken promise worth looking at.
   */
  readonly overruns: number;
  /** Sum of the per-instance wall-clock seconds. */
  readonly totalSeconds: number;
  /** Median seconds of the solved instances (null when none). */
  readonly medianSolvedSeconds: number | null;
  /** VNN-COMP 2022 score without time bonuses (see the comment at the top of this file). */
  readonly score: number;
  readonly scoring: string;
}

export const SCORING_DESCRIPTION = `VNN-COMP 2022: +${SCORE_CORRECT} per correct sat/unsat, ${SCORE_WRONG} per wrong answer, 0 otherwise; no time bonuses`;

export function median(xs: readonly number[]): number | null {
  if (xs.length === 0) return null;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function summarize(rows: readonly ScoredRow[]): BatchSummary {
  const count = (p: (r: ScoredRow) => boolean) => rows.filter(p).length;
  const ok = (r: ScoredRow) => r.status === 'correct' || r.status === 'unchecked';
  const solvedRows = rows.filter(ok);
  return {
    total: rows.length,
    solved: solvedRows.length,
    sat: count((r) => ok(r) && r.result === 'sat'),
    unsat: count((r) => ok(r) && r.result === 'unsat'),
    correct: count((r) => r.status === 'correct'),
    wrong: count((r) => r.status === 'wrong'),
    unchecked: count((r) => r.status === 'unchecked'),
    timeout: count((r) => r.result === 'timeout'),
    unknown: count((r) => r.result === 'unknown'),
    errors: count((r) => r.result === 'error'),
    overruns: count((r) => r.timeout !== undefined && r.seconds > r.timeout),
    totalSeconds: Math.round(rows.reduce((s, r) => s + r.seconds, 0) * 1000) / 1000,
    medianSolvedSeconds: median(solvedRows.map((r) => r.seconds)),
    score: rows.reduce((s, r) => s + scoreOf(r.status), 0),
    scoring: SCORING_DESCRIPTION,
  };
}

export function formatSummary(s: BatchSummary): string {
  const med = s.medianSolvedSeconds === null ? '-' : `${s.medianSolvedSeconds.toFixed(2)} s`;
  return [
    `instances: ${s.total}`,
    `solved:    ${s.solved} (sat ${s.sat}, unsat ${s.unsat}; ${s.correct} checked correct, ${s.unchecked} unchecked)`,
    `wrong:     ${s.wrong}`,
    `unsolved:  ${s.timeout + s.unknown} (timeout ${s.timeout}, unknown ${s.unknown})`,
    `errors:    ${s.errors}`,
    `overruns:  ${s.overruns} (runs longer than their time limit)`,
    `time:      ${s.totalSeconds.toFixed(1)} s in total, median solved ${med}`,
    `score:     ${s.score} (${s.scoring})`,
  ].join('\n');
}
