/**
 * The batch results CSV: one row per instance, appended (and flushed) as soon as the instance ends,
 * so that a killed run loses at most the instance that was running and can resume from the file.
 *
 *   benchmark,onnx,vnnlib,timeout,result,expected,seconds,status
 *
 * result: sat | unsat | timeout | unknown | error; expected: sat | unsat | unknown | (empty);
 * status: correct | wrong | unsolved | error | unchecked (src/batch/score.ts).
 */
import { closeSync, existsSync, fsyncSync, openSync, readFileSync, renameSync, writeFileSync, writeSync } from 'node:fs';
import { parse } from 'csv-parse/sync';
import { stringify } from 'csv-stringify/sync';
import { UsageError } from '../cli/errors.js';
import type { ExpectedAnswer } from './instances.js';
import { BATCH_STATUSES, isBatchResult, type BatchResult, type BatchStatus } from './score.js';

export const RESULTS_HEADER = ['benchmark', 'onnx', 'vnnlib', 'timeout', 'result', 'expected', 'seconds', 'status'] as const;

export interface ResultRow {
  readonly benchmark: string;
  readonly onnx: string;
  readonly vnnlib: string;
  /** The limit the instance ran with (after --timeout-scale), seconds. */
  readonly timeout: number;
  readonly result: BatchResult;
  readonly expected: ExpectedAnswer | '';
  /** Wall-clock seconds of the child process, start-up included. */
  readonly seconds: number;
  readonly status: BatchStatus;
}

export function formatResultRow(r: ResultRow): string {
  return stringify([[r.benchmark, r.onnx, r.vnnlib, r.timeout, r.result, r.expected, r.seconds.toFixed(3), r.status]]);
}

const HEADER_LINE = RESULTS_HEADER.join(',');

function parseLine(line: string): ResultRow | undefined {
  let cells: string[];
  try {
    const rows = parse(line, { relaxColumnCount: true }) as string[][];
    if (rows.length !== 1) return undefined;
    cells = rows[0];
  } catch {
    return undefined;
  }
  if (cells.length !== RESULTS_HEADER.length) return undefined;
  const [benchmark, onnx, vnnlib, timeoutText, result, expected, secondsText, status] = cells;
  const timeout = Number(timeoutText);
  const seconds = Number(secondsText);
  if (!onnx || !vnnlib || !isBatchResult(result) || !(BATCH_STATUSES as readonly string[]).includes(status)) return undefined;
  if (!Number.isFinite(timeout) || !Number.isFinite(seconds) || secondsText === '') return undefined;
  if (!['sat', 'unsat', 'unknown', ''].includes(expected)) return undefined;
  return { benchmark, onnx, vnnlib, timeout, result, expected: expected as ResultRow['expected'], seconds, status: status as BatchStatus };
}

export interface ReadResults {
  readonly rows: ResultRow[];
  /** Lines that were not valid rows (a line cut short by a kill, garbage): left out. */
  readonly dropped: number;
}

/** Reads a results CSV written by `verify batch`; refuses a file with another header. */
export function readResultsCsv(path: string): ReadResults {
  const text = readFileSync(path, 'utf8');
  if (text.trim() === '') return { rows: [], dropped: 0 };
  const lines = text.split('\n');
  // A last line without its newline was cut short by a kill while it was being written.
  const complete = lines.slice(0, -1);
  const partial = text.endsWith('\n') || complete.length === 0 ? 0 : 1;
  const header = lines[0].replace(/\r$/, '');
  if (header !== HEADER_LINE) {
    throw new UsageError(`${path} exists and is not a results file of verify batch (its first line is not '${HEADER_LINE}'); choose another --out or remove it`);
  }
  const rows: ResultRow[] = [];
  let dropped = partial;
  for (const raw of complete.slice(1)) {
    const line = raw.replace(/\r$/, '');
    if (line.trim() === '') continue;
    const row = parseLine(line);
    if (row) rows.push(row);
    else dropped++;
  }
  return { rows, dropped };
}

function writeAtomic(path: string, text: string): void {
  const tmp = `${path}.tmp-${process.pid}`;
  writeFileSync(tmp, text);
  renameSync(tmp, path);
}

/**
 * Prepares the results CSV and returns the rows already in it. fresh: start over (header only).
 * Otherwise an existing file is kept; if it holds a cut-short or malformed line it is rewritten
 * with only its valid rows, so that appending goes on from a clean file.
 */
export function openResultsCsv(path: string, opts: { fresh?: boolean } = {}): ReadResults {
  if (opts.fresh || !existsSync(path)) {
    writeAtomic(path, `${HEADER_LINE}\n`);
    return { rows: [], dropped: 0 };
  }
  const read = readResultsCsv(path);
  const text = readFileSync(path, 'utf8');
  if (read.dropped > 0 || text.trim() === '' || !text.endsWith('\n')) {
    writeAtomic(path, `${HEADER_LINE}\n${read.rows.map(formatResultRow).join('')}`);
  }
  return read;
}

/** Writes a whole results CSV at once (replacing the file atomically): the output of a merge. */
export function writeResultsCsv(path: string, rows: readonly ResultRow[]): void {
  writeAtomic(path, `${HEADER_LINE}\n${rows.map(formatResultRow).join('')}`);
}

/** Appends one row and flushes it to disk. */
export function appendResultRow(path: string, row: ResultRow): void {
  const fd = openSync(path, 'a');
  try {
    writeSync(fd, formatResultRow(row));
    fsyncSync(fd);
  } finally {
    closeSync(fd);
  }
}
