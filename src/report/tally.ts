/**
 * Per-tool counts, VNN-COMP-style score and cactus times, for our runs and for peer tools alike.
 */
import { instanceKey, type PeerTable, type ResultValue, type Run, type Status } from './read-results.js';

/** VNN-COMP scoring: +10 per correct answer, -150 per wrong one, 0 otherwise. */
export const SCORE_CORRECT = 10;
export const SCORE_WRONG = -150;

/** One answer of one tool on one instance, whatever its origin. */
export interface Answer {
  readonly result: ResultValue;
  readonly seconds: number;
  readonly status: Status;
}

export interface Tally {
  readonly instances: number;
  /** correct + unchecked (sat/unsat answers not known to be wrong). */
  readonly solved: number;
  /** Solved with no ground truth to check them against. */
  readonly unchecked: number;
  readonly sat: number;
  readonly unsat: number;
  readonly wrong: number;
  /** timeout or unknown. */
  readonly unsolved: number;
  readonly errors: number;
  /** Sum of all the instance times (NaN times left out). */
  readonly totalSeconds: number;
  /** Median time of the solved instances, NaN when none. */
  readonly medianSolvedSeconds: number;
  readonly score: number;
}

export function isSolved(s: Status): boolean {
  return s === 'correct' || s === 'unchecked';
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 === 1 ? s[m] : (s[m - 1] + s[m]) / 2;
}

export function tally(answers: readonly Answer[]): Tally {
  let solved = 0, unchecked = 0, sat = 0, unsat = 0, wrong = 0, unsolved = 0, errors = 0, total = 0;
  const solvedTimes: number[] = [];
  for (const a of answers) {
    if (Number.isFinite(a.seconds)) total += a.seconds;
    switch (a.status) {
      case 'correct':
      case 'unchecked':
        solved++;
        if (a.status === 'unchecked') unchecked++;
        if (a.result === 'sat') sat++;
        else unsat++;
        if (Number.isFinite(a.seconds)) solvedTimes.push(a.seconds);
        break;
      case 'wrong':
        wrong++;
        break;
      case 'unsolved':
        unsolved++;
        break;
      case 'error':
        errors++;
        break;
    }
  }
  return {
    instances: answers.length,
    solved,
    unchecked,
    sat,
    unsat,
    wrong,
    unsolved,
    errors,
    totalSeconds: total,
    medianSolvedSeconds: median(solvedTimes),
    score: solved * SCORE_CORRECT + wrong * SCORE_WRONG,
  };
}

/**
 * Cactus points of a tool: the solved instances' times sorted ascending; the k-th value (1-based) is the
 * time it takes to solve the k-th fastest instance, plotted at x = k.
 */
export function cactusTimes(answers: readonly Answer[], minSeconds = 0): number[] {
  return answers
    .filter((a) => isSolved(a.status))
    .map((a) => (Number.isFinite(a.seconds) ? Math.max(a.seconds, minSeconds) : minSeconds))
    .sort((a, b) => a - b);
}

/** A benchmark's runs and peer tools, peers restricted to the instances our runs cover. */
export interface BenchmarkData {
  readonly name: string;
  readonly runs: readonly Run[];
  readonly peers?: PeerTable;
  /** Instances in order of first appearance in the runs: key, onnx, vnnlib, expected. */
  readonly instances: readonly { key: string; onnx: string; vnnlib: string; expected: string }[];
  /** Peer answers per tool on our instances (keys absent from peers.csv are left out). */
  readonly peerAnswers: ReadonlyMap<string, ReadonlyMap<string, Answer>>;
  /** Our instances found in peers.csv. */
  readonly peerMatched: number;
}

export function groupBenchmarks(runs: readonly Run[], peers: readonly PeerTable[]): BenchmarkData[] {
  const names: string[] = [];
  for (const r of runs) if (!names.includes(r.benchmark)) names.push(r.benchmark);
  return names.map((name) => {
    const bRuns = runs.filter((r) => r.benchmark === name);
    const instances: { key: string; onnx: string; vnnlib: string; expected: string }[] = [];
    const seen = new Set<string>();
    for (const r of bRuns) {
      for (const row of r.rows) {
        const key = instanceKey(row.onnx, row.vnnlib);
        if (seen.has(key)) continue;
        seen.add(key);
        instances.push({ key, onnx: row.onnx, vnnlib: row.vnnlib, expected: row.expected });
      }
    }
    const peer = peers.find((p) => p.benchmark === name);
    const peerAnswers = new Map<string, Map<string, Answer>>();
    const matched = new Set<string>();
    if (peer) {
      for (const t of peer.tools) peerAnswers.set(t, new Map());
      for (const row of peer.rows) {
        const key = instanceKey(row.onnx, row.vnnlib);
        if (!seen.has(key)) continue;
        matched.add(key);
        for (const t of peer.tools) peerAnswers.get(t)!.set(key, row.answers[t]);
      }
    }
    return { name, runs: bRuns, peers: peer, instances, peerAnswers, peerMatched: matched.size };
  });
}
