/**
 * Loading of results CSVs (ours) and peers.csv files (VNN-COMP tools) for the HTML report.
 *
 * Two results formats are accepted:
 *  - `verify batch`:  benchmark,onnx,vnnlib,timeout,result,expected,seconds,status
 *  - legacy (scripts/run-benchmark.ts): onnx,vnnlib,timeout,verdict,expected,seconds,status
 * The status column is not trusted as is: every row is re-classified from result and expected
 * (a `wrong` status in the file is kept even when expected does not show it, e.g. a refuted counterexample).
 */
import { readInputText } from '../util/input-file.js';
import { basename } from 'node:path';
import { parse } from 'csv-parse/sync';

export type ResultValue = 'sat' | 'unsat' | 'timeout' | 'unknown' | 'error';
export type Expected = 'sat' | 'unsat' | 'unknown';
/** correct: sat/unsat matching expected; unchecked: sat/unsat with no ground truth; unsolved: timeout/unknown. */
export type Status = 'correct' | 'wrong' | 'unchecked' | 'unsolved' | 'error';

export interface InstanceResult {
  readonly onnx: string;
  readonly vnnlib: string;
  /** Instance time limit in seconds, NaN when the file has none. */
  readonly timeout: number;
  readonly result: ResultValue;
  readonly expected: Expected;
  /** Wall-clock seconds, NaN when missing. */
  readonly seconds: number;
  readonly status: Status;
}

/** The rows of one results file that belong to one benchmark. */
export interface Run {
  readonly label: string;
  readonly benchmark: string;
  readonly source: string;
  readonly rows: readonly InstanceResult[];
}

export interface PeerAnswer {
  readonly result: ResultValue;
  readonly seconds: number;
  /** Marked `_penalized` by the VNN-COMP scoring. */
  readonly penalized: boolean;
  readonly status: Status;
}

export interface PeerRow {
  readonly onnx: string;
  readonly vnnlib: string;
  readonly expected: Expected;
  readonly answers: Readonly<Record<string, PeerAnswer>>;
}

export interface PeerTable {
  readonly benchmark: string;
  readonly source: string;
  /** The '#' comment lines, without the '#'. */
  readonly notes: readonly string[];
  readonly tools: readonly string[];
  readonly rows: readonly PeerRow[];
}

/** Malformed results or peers file: the caller reports it as a user input error. */
export class CsvFormatError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'CsvFormatError';
  }
}

const RESULT_ALIASES: Record<string, ResultValue> = {
  sat: 'sat',
  violated: 'sat',
  unsat: 'unsat',
  holds: 'unsat',
  timeout: 'timeout',
  timeout_exceeded: 'timeout',
  unknown: 'unknown',
  error: 'error',
};

function normalizeResult(raw: string): ResultValue | undefined {
  return RESULT_ALIASES[raw.trim().toLowerCase()];
}

function normalizeExpected(raw: string | undefined): Expected {
  const r = normalizeResult(raw ?? '');
  return r === 'sat' || r === 'unsat' ? r : 'unknown';
}

function parseSeconds(raw: string | undefined): number {
  if (raw === undefined || raw.trim() === '') return NaN;
  const n = Number(raw);
  return Number.isFinite(n) && n >= 0 ? n : NaN;
}

/** Status of an answer given the ground truth; `markedWrong` keeps a `wrong` verdict from the file. */
export function classify(result: ResultValue, expected: Expected, markedWrong = false): Status {
  if (result === 'error') return 'error';
  if (result === 'timeout' || result === 'unknown') return 'unsolved';
  if (markedWrong) return 'wrong';
  if (expected === 'unknown') return 'unchecked';
  return result === expected ? 'correct' : 'wrong';
}

/** Benchmark name from a results file name: the part before the first '-' ("acasxu-complete.csv" -> "acasxu"). */
export function benchmarkFromFileName(path: string): string {
  const stem = basename(path).replace(/\.csv$/i, '');
  return stem.split('-')[0] || stem;
}

/** Key that identifies an instance across files whatever folder prefix they use. */
export function instanceKey(onnx: string, vnnlib: string): string {
  const norm = (p: string) => basename(p.trim().replace(/\\/g, '/')).replace(/\.gz$/i, '');
  return `${norm(onnx)}|${norm(vnnlib)}`;
}

/** Splits off leading/whole-line '#' comments; returns the remaining CSV text and the comments. */
function stripComments(text: string): { body: string; comments: string[] } {
  const comments: string[] = [];
  const lines = text.replace(/^\uFEFF/, '').split(/\r?\n/);
  const kept: string[] = [];
  for (const line of lines) {
    if (line.trimStart().startsWith('#')) comments.push(line.trimStart().slice(1).trim());
    else kept.push(line);
  }
  return { body: kept.join('\n'), comments };
}

function parseRecords(text: string, source: string): { header: string[]; records: string[][]; comments: string[] } {
  const { body, comments } = stripComments(text);
  let rows: string[][];
  try {
    rows = parse(body, { skip_empty_lines: true, relax_column_count: true, trim: true }) as string[][];
  } catch (e) {
    throw new CsvFormatError(`${source}: not a valid CSV file: ${(e as Error).message}`);
  }
  if (rows.length === 0) throw new CsvFormatError(`${source}: empty file (no header line)`);
  const header = rows[0].map((h) => h.trim().toLowerCase());
  return { header, records: rows.slice(1), comments };
}

export interface ResultsOptions {
  /** Name shown for the file's runs (default: the file name without .csv). */
  readonly label?: string;
  /** Benchmark of rows without a `benchmark` column (default: file name prefix before the first '-'). */
  readonly benchmark?: string;
}

/** Parses one results CSV (either format) into one run per benchmark, in order of first appearance. */
export function parseResultsCsv(text: string, source: string, opts: ResultsOptions = {}): Run[] {
  const { header, records } = parseRecords(text, source);
  const col = (name: string) => header.indexOf(name);
  const iOnnx = col('onnx');
  const iVnnlib = col('vnnlib');
  const iResult = col('result') >= 0 ? col('result') : col('verdict');
  const iSeconds = col('seconds') >= 0 ? col('seconds') : col('time');
  const missing = [
    iOnnx < 0 ? 'onnx' : '',
    iVnnlib < 0 ? 'vnnlib' : '',
    iResult < 0 ? 'result (or verdict)' : '',
    iSeconds < 0 ? 'seconds' : '',
  ].filter(Boolean);
  if (missing.length > 0) {
    throw new CsvFormatError(`${source}: not a results file: missing column(s) ${missing.join(', ')} in header '${header.join(',')}'`);
  }
  const iBench = col('benchmark');
  const iTimeout = col('timeout');
  const iExpected = col('expected');
  const iStatus = col('status');
  const fallbackBenchmark = opts.benchmark ?? benchmarkFromFileName(source);
  const label = opts.label ?? basename(source).replace(/\.csv$/i, '');
  const byBenchmark = new Map<string, InstanceResult[]>();
  records.forEach((rec, k) => {
    const line = k + 2;
    const get = (i: number) => (i >= 0 && i < rec.length ? rec[i] : '');
    const rawResult = get(iResult);
    const result = normalizeResult(rawResult);
    if (result === undefined) {
      throw new CsvFormatError(`${source}:${line}: unknown result '${rawResult}' (expected sat, unsat, timeout, unknown or error)`);
    }
    const expected = normalizeExpected(get(iExpected));
    const markedWrong = get(iStatus).trim().toLowerCase() === 'wrong';
    const benchmark = get(iBench).trim() || fallbackBenchmark;
    const row: InstanceResult = {
      onnx: get(iOnnx),
      vnnlib: get(iVnnlib),
      timeout: parseSeconds(get(iTimeout)),
      result,
      expected,
      seconds: parseSeconds(get(iSeconds)),
      status: classify(result, expected, markedWrong),
    };
    const list = byBenchmark.get(benchmark) ?? [];
    list.push(row);
    byBenchmark.set(benchmark, list);
  });
  if (byBenchmark.size === 0) return [{ label, benchmark: fallbackBenchmark, source, rows: [] }];
  return [...byBenchmark].map(([benchmark, rows]) => ({ label, benchmark, source, rows }));
}

export function readResultsCsv(path: string, opts: ResultsOptions = {}): Run[] {
  return parseResultsCsv(readInputText(path, 'results CSV'), path, opts);
}

/** Parses a benchmark's peers.csv: '#' comment lines, then onnx,vnnlib,expected,...,<tool>_result,<tool>_time. */
export function parsePeersCsv(text: string, source: string, benchmark: string): PeerTable {
  const { header, records, comments } = parseRecords(text, source);
  const iOnnx = header.indexOf('onnx');
  const iVnnlib = header.indexOf('vnnlib');
  const iExpected = header.indexOf('expected');
  if (iOnnx < 0 || iVnnlib < 0) throw new CsvFormatError(`${source}: not a peers file: missing onnx or vnnlib column`);
  const tools: { name: string; iResult: number; iTime: number }[] = [];
  header.forEach((h, i) => {
    const m = /^(.+)_result$/.exec(h);
    if (!m) return;
    const iTime = header.indexOf(`${m[1]}_time`);
    if (iTime < 0) throw new CsvFormatError(`${source}: column ${h} has no matching ${m[1]}_time column`);
    tools.push({ name: m[1], iResult: i, iTime });
  });
  if (tools.length === 0) throw new CsvFormatError(`${source}: not a peers file: no <tool>_result columns`);
  const rows = records.map((rec): PeerRow => {
    const get = (i: number) => (i >= 0 && i < rec.length ? rec[i] : '');
    const expected = normalizeExpected(get(iExpected));
    const answers: Record<string, PeerAnswer> = {};
    for (const t of tools) {
      let raw = get(t.iResult).trim().toLowerCase();
      const penalized = raw.endsWith('_penalized');
      if (penalized) raw = raw.slice(0, -'_penalized'.length);
      const result = normalizeResult(raw) ?? (raw === '' ? 'unknown' : 'error');
      answers[t.name] = { result, seconds: parseSeconds(get(t.iTime)), penalized, status: classify(result, expected, penalized) };
    }
    return { onnx: get(iOnnx), vnnlib: get(iVnnlib), expected, answers };
  });
  return { benchmark, source, notes: comments, tools: tools.map((t) => t.name), rows };
}

export function readPeersCsv(path: string, benchmark: string): PeerTable {
  return parsePeersCsv(readInputText(path, 'peers CSV'), path, benchmark);
}
