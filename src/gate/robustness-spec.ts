/**
 * Local-robustness properties in VNN-LIB. For a sample x with label c and radius eps:
 * inputs in the box [x - eps, x + eps] (clipped to [clipMin, clipMax]); the unsafe set is
 * "some other output is at least the label's": OR_{j != c} Y_j >= Y_c.
 * `unsat` = robust at x; `sat` = a counterexample (an input of the box the network does not
 * classify as c, ties included).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { UsageError } from '../cli/errors.js';
import { writeFileNoFollow } from '../util/output-file.js';
import { echo } from '../util/user-text.js';
import type { Sample } from './samples.js';

export interface RobustnessOptions {
  readonly eps: number;
  readonly clipMin?: number;
  readonly clipMax?: number;
}

/** A VNN-LIB number: the shortest round-trip digits of the float64, written without an exponent. */
export function vnnNumber(v: number): string {
  if (!Number.isFinite(v)) throw new UsageError(`${v} is not a finite number`);
  const s = String(v);
  const m = /^(-?)(\d)(?:\.(\d+))?e([+-]\d+)$/.exec(s);
  if (!m) return s.includes('.') ? s : `${s}.0`;
  const [, sign, lead, frac = '', expText] = m;
  const digits = lead + frac;
  const exp = Number(expText);
  if (exp < 0) return `${sign}0.${'0'.repeat(-exp - 1)}${digits}`;
  const int = digits.slice(0, exp + 1).padEnd(exp + 1, '0');
  return `${sign}${int}.${digits.slice(exp + 1) || '0'}`;
}

export function robustnessBox(x: readonly number[], o: RobustnessOptions): { lower: number[]; upper: number[] } {
  const lower = x.map((v) => Math.max(v - o.eps, o.clipMin ?? -Infinity));
  const upper = x.map((v) => Math.min(v + o.eps, o.clipMax ?? Infinity));
  return { lower, upper };
}

export function checkRobustnessOptions(o: RobustnessOptions): void {
  if (!(o.eps >= 0) || !Number.isFinite(o.eps)) throw new UsageError('--eps must be a non-negative number');
  if (o.clipMin !== undefined && o.clipMax !== undefined && !(o.clipMin <= o.clipMax)) throw new UsageError('--clip-min must not exceed --clip-max');
}

export function robustnessVnnlib(x: readonly number[], label: number, numOutputs: number, o: RobustnessOptions, comment?: string): string {
  if (numOutputs < 2) throw new UsageError('local robustness needs a network with at least 2 outputs');
  if (!(label >= 0 && label < numOutputs)) throw new UsageError(`label ${label} is not an output index of the network (0..${numOutputs - 1})`);
  const { lower, upper } = robustnessBox(x, o);
  const i = lower.findIndex((l, k) => !(l <= upper[k]));
  if (i >= 0) throw new UsageError(`input ${i} (${x[i]}) is outside [--clip-min, --clip-max]`);
  const clip = o.clipMin !== undefined || o.clipMax !== undefined ? `, clipped to [${o.clipMin ?? '-inf'}, ${o.clipMax ?? 'inf'}]` : '';
  const lines = [
    // The comment quotes user text (the samples file's name): with its line breaks
    // escaped it cannot end the comment and put its own constraints into the property.
    ...(comment ? [`; ${echo(comment, 1000)}`] : []),
    `; local robustness: label ${label}, eps ${o.eps}${clip}; unsafe: some Y_j >= Y_${label}`,
    ...x.map((_, k) => `(declare-const X_${k} Real)`),
    ...Array.from({ length: numOutputs }, (_, j) => `(declare-const Y_${j} Real)`),
    ...x.flatMap((_, k) => [`(assert (>= X_${k} ${vnnNumber(lower[k])}))`, `(assert (<= X_${k} ${vnnNumber(upper[k])}))`]),
    '(assert (or',
    ...Array.from({ length: numOutputs }, (_, j) => j)
      .filter((j) => j !== label)
      .map((j) => `  (and (>= Y_${j} Y_${label}))`),
    '))',
  ];
  return `${lines.join('\n')}\n`;
}

export interface GeneratedProperty {
  readonly name: string;
  readonly vnnlib: string;
  readonly sample: Sample;
}

/**
 * One VNN-LIB file per sample, named sample_<k>.vnnlib (k from 0, the sample's position in the CSV), in `dir`.
 * `total`: the number of samples in the CSV, when `samples` is only a shard of them (k is padded to its width).
 */
export function writeRobustnessProperties(
  samples: readonly Sample[],
  net: { inputDim: number; outputDim: number },
  o: RobustnessOptions,
  dir: string,
  source = 'samples',
  total = samples.length,
): GeneratedProperty[] {
  checkRobustnessOptions(o);
  mkdirSync(dir, { recursive: true });
  const width = String(total - 1).length;
  return samples.map((s) => {
    const k = s.index;
    const at = `${source}:${s.line}`;
    if (s.input.length !== net.inputDim) throw new UsageError(`${at}: ${s.input.length} input values, the network has ${net.inputDim} inputs`);
    let text: string;
    try {
      text = robustnessVnnlib(s.input, s.label, net.outputDim, o, `sample ${k} (${at})`);
    } catch (e) {
      throw new UsageError(`${at}: ${(e as Error).message}`);
    }
    const name = `sample_${String(k).padStart(width, '0')}`;
    const vnnlib = join(dir, `${name}.vnnlib`);
    writeFileNoFollow(vnnlib, text);
    return { name, vnnlib, sample: s };
  });
}
