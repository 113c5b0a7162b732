/**
 * VNN-COMP instance lists: `instances.csv` (onnx,vnnlib,timeout; no header; paths relative to the
 * benchmark folder) and `expected.csv` (header onnx,vnnlib,expected).
 */
import { existsSync } from 'node:fs';
import { dirname, isAbsolute, join, posix } from 'node:path';
import { parse } from 'csv-parse/sync';
import { UsageError } from '../cli/errors.js';
import { parseDecimal } from '../util/decimal.js';
import { readInputText } from '../util/input-file.js';
import { echo } from '../util/user-text.js';

export interface Instance {
  /** Path as written in the CSV (relative to the root folder unless absolute). */
  readonly onnx: string;
  readonly vnnlib: string;
  /** Seconds, as written in the CSV (before any scaling). */
  readonly timeout: number;
}

/** Paths are compared as written, minus a leading `./` and doubled slashes. */
export function normalizeRelPath(p: string): string {
  const t = p.trim().replaceAll('\\', '/');
  return isAbsolute(t) ? t : posix.normalize(t).replace(/^\.\//, '');
}

/** The identity of an instance in instances.csv, expected.csv and the results CSV. */
export function instanceKey(onnx: string, vnnlib: string): string {
  return `${normalizeRelPath(onnx)},${normalizeRelPath(vnnlib)}`;
}

export function resolveInstancePath(root: string, p: string): string {
  return isAbsolute(p) ? p : join(root, p);
}

function parseRows(text: string, file: string): { line: number; cells: string[] }[] {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, { relaxColumnCount: true, skipEmptyLines: true, trim: true, info: true, comment: '#' }) as unknown as typeof rows;
  } catch (e) {
    throw new UsageError(`${file}: not a valid CSV file (${(e as Error).message})`);
  }
  return rows.map((r) => ({ line: r.info.lines, cells: r.record })).filter((r) => r.cells.some((c) => c !== ''));
}

export interface ParseInstancesOptions {
  /** Timeout for rows without a third column; without it the column is required. */
  readonly defaultTimeout?: number;
}

/**
 * Rows `onnx,vnnlib,timeout`. Blank lines and `#` comments are skipped; a first row whose timeout
 * column is not a number (a header such as `onnx,vnnlib,timeout`) is skipped too.
 */
export function parseInstancesCsv(text: string, file: string, opts: ParseInstancesOptions = {}): Instance[] {
  const out: Instance[] = [];
  for (const [k, { line, cells }] of parseRows(text, file).entries()) {
    const [onnx = '', vnnlib = '', timeoutText] = cells;
    const isHeader = k === 0 && /^onnx$/i.test(onnx) && /^vnnlib$/i.test(vnnlib);
    if (isHeader) continue;
    if (cells.length > 3) throw new UsageError(`${file}:${line}: expected onnx,vnnlib,timeout (got ${cells.length} columns)`);
    if (!onnx || !vnnlib) throw new UsageError(`${file}:${line}: expected onnx,vnnlib,timeout`);
    let timeout: number;
    if (timeoutText === undefined || timeoutText === '') {
      if (opts.defaultTimeout === undefined) throw new UsageError(`${file}:${line}: missing the timeout column`);
      timeout = opts.defaultTimeout;
    } else {
      timeout = parseDecimal(timeoutText) ?? NaN;
      if (!(timeout > 0)) throw new UsageError(`${file}:${line}: timeout '${echo(timeoutText)}' is not a positive decimal number`);
    }
    out.push({ onnx: normalizeRelPath(onnx), vnnlib: normalizeRelPath(vnnlib), timeout });
  }
  return out;
}

export function readInstancesCsv(path: string, opts: ParseInstancesOptions = {}): Instance[] {
  const rows = parseInstancesCsv(readInputText(path, 'instances CSV'), path, opts);
  if (rows.length === 0) throw new UsageError(`${path}: no instances`);
  return rows;
}

export type ExpectedAnswer = 'sat' | 'unsat' | 'unknown';

/** expected.csv: header with onnx, vnnlib, expected columns; other columns ignored. Keys from instanceKey. */
export function parseExpectedCsv(text: string, file: string): Map<string, ExpectedAnswer> {
  let rows: Record<string, string>[];
  try {
    rows = parse(text, { columns: true, skipEmptyLines: true, trim: true, comment: '#', relaxColumnCount: true }) as Record<string, string>[];
  } catch (e) {
    throw new UsageError(`${file}: not a valid CSV file (${(e as Error).message})`);
  }
  const map = new Map<string, ExpectedAnswer>();
  if (rows.length > 0 && !('onnx' in rows[0] && 'vnnlib' in rows[0] && 'expected' in rows[0])) {
    throw new UsageError(`${file}: expected a header with onnx,vnnlib,expected columns`);
  }
  for (const r of rows) {
    const e = (r.expected ?? '').toLowerCase();
    // VNN-COMP uses sat/unsat; "holds"/"violated" appear in some tools' outputs.
    const answer: ExpectedAnswer = e === 'sat' || e === 'violated' ? 'sat' : e === 'unsat' || e === 'holds' ? 'unsat' : 'unknown';
    map.set(instanceKey(r.onnx ?? '', r.vnnlib ?? ''), answer);
  }
  return map;
}

export function readExpectedCsv(path: string): Map<string, ExpectedAnswer> {
  return parseExpectedCsv(readInputText(path, 'expected-answers CSV'), path);
}

/** expected.csv beside instances.csv, if there is one. */
export function defaultExpectedPath(instancesCsv: string): string | undefined {
  const p = join(dirname(instancesCsv), 'expected.csv');
  return existsSync(p) ? p : undefined;
}
