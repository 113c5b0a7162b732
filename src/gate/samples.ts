/**
 * Samples of `verify gate --samples`: a CSV whose rows are the input values (flattened in the
 * network's input order, X_0 first) followed by the label (the index of the correct output).
 * An optional header row (any non-numeric cell) is skipped; `#` starts a comment.
 */
import { parse } from 'csv-parse/sync';
import { UsageError } from '../cli/errors.js';
import { parseDecimal } from '../util/decimal.js';
import { readInputText } from '../util/input-file.js';
import { echo } from '../util/user-text.js';

export interface Sample {
  readonly input: readonly number[];
  readonly label: number;
  /** Line in the CSV, for messages. */
  readonly line: number;
  /** Position among the CSV's samples (from 0): names the generated property, also in a shard. */
  readonly index: number;
}

export function parseSamplesCsv(text: string, file: string): Sample[] {
  let rows: { record: string[]; info: { lines: number } }[];
  try {
    rows = parse(text, { relaxColumnCount: true, skipEmptyLines: true, trim: true, info: true, comment: '#' }) as unknown as typeof rows;
  } catch (e) {
    throw new UsageError(`${file}: not a valid CSV file (${(e as Error).message})`);
  }
  const isNum = (c: string) => parseDecimal(c) !== undefined;
  const data = rows.filter((r, k) => !(k === 0 && r.record.some((c) => !isNum(c))));
  const samples: Sample[] = [];
  let width: number | undefined;
  for (const { record, info } of data) {
    const at = `${file}:${info.lines}`;
    if (record.length < 2) throw new UsageError(`${at}: expected the input values followed by the label`);
    width ??= record.length;
    if (record.length !== width) throw new UsageError(`${at}: ${record.length} columns, the first sample has ${width}`);
    const bad = record.find((c) => !isNum(c));
    if (bad !== undefined) throw new UsageError(`${at}: '${echo(bad)}' is not a decimal number`);
    const values = record.map((c) => parseDecimal(c)!);
    const label = values.pop()!;
    if (!Number.isInteger(label) || label < 0) throw new UsageError(`${at}: the label (last column) must be a non-negative integer, got '${echo(record[record.length - 1])}'`);
    samples.push({ input: values, label, line: info.lines, index: samples.length });
  }
  if (samples.length === 0) throw new UsageError(`${file}: no samples`);
  return samples;
}

export function readSamplesCsv(path: string): Sample[] {
  return parseSamplesCsv(readInputText(path, 'samples CSV'), path);
}
