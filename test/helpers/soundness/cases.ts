/**
 * Fuzz instances: one seeded network and box per case, and two properties on
 * it whose exact margins are set just below zero (truth `sat`) and just above
 * (truth `unsat`), at 1e-3 or 1e-6 of the output scale. Everything follows
 * from (shape, seed): a failing case is reproduced by regenerating it.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { mulberry32 } from '../../../src/attack/rng.js';
import { forward, type LayeredNet } from '../../../src/network/layered.js';
import { lowerToLayered } from '../../../src/network/lower.js';
import { loadOnnx } from '../../../src/onnx/load.js';
import { ReferenceModel } from '../../../src/onnx/reference.js';
import { BOX_STYLES, centre, holdsFloat32Point, randomInputBox, type BoxStyle, type InputBox } from './boxes.js';
import { randomNetwork, type Magnitude, type NetworkCase, type Shape } from './networks.js';
import { randomProperty, toVnnlib, type Property } from './property.js';
import { exactTruth, tolerances, tuneProperty, type Truth } from './truth.js';

export interface CaseKey {
  readonly shape: Shape;
  readonly seed: number;
}

export interface Instance {
  /** `<shape>-<seed>-<sat|unsat>-<level>`: file stem and report key. */
  readonly id: string;
  readonly key: CaseKey;
  readonly network: NetworkCase;
  readonly net: LayeredNet;
  readonly box: InputBox;
  readonly boxStyle: BoxStyle;
  readonly property: Property;
  /** The exact margin the property was tuned to. */
  readonly target: number;
  readonly truth: Truth;
  /** max |y| at the box centre, at least 1. */
  readonly scale: number;
  readonly vnnlib: string;
}

export interface GeneratedCase {
  readonly instances: Instance[];
  /**
   * Largest |onnxruntime - lowered forward| over a few float32 points, over
   * the float32 band: when this exceeds the band the lowering (and so the
   * MIP truth) does not describe the model, and the case is not judged.
   */
  readonly loweringMismatch: number;
  readonly seconds: number;
}

const int = (rng: () => number, lo: number, hi: number) => lo + Math.floor(rng() * (hi - lo + 1));

/** A random point of the box rounded to float32 (both sides of the comparison see the same input). */
function float32Point(box: InputBox, rng: () => number): Float64Array {
  return Float64Array.from(box.lower, (l, i) => Math.fround(l + (box.upper[i] - l) * rng()));
}

async function loweringMismatch(bytes: Uint8Array, net: LayeredNet, box: InputBox, rng: () => number): Promise<number> {
  const model = await ReferenceModel.create(bytes);
  try {
    let worst = 0;
    for (let s = 0; s < 4; s++) {
      const x = float32Point(box, rng);
      const a = await model.run(x);
      const b = forward(net, x);
      for (let j = 0; j < a.length; j++) worst = Math.max(worst, Math.abs(a[j] - b[j]));
    }
    return worst;
  } finally {
    await model.release();
  }
}

export async function generateCase(key: CaseKey, mipSeconds = 10): Promise<GeneratedCase> {
  const t0 = performance.now();
  const rng = mulberry32(key.seed);
  const magnitude: Magnitude = rng() < 0.6 ? 'large' : 'ordinary';
  const network = randomNetwork(key.shape, rng, magnitude);
  const boxStyle = BOX_STYLES[Math.floor(rng() * BOX_STYLES.length)];
  const n = network.numInputs;
  const box = randomInputBox(rng, n, int(rng, 2, Math.min(12, n)), boxStyle);
  const net = lowerToLayered(loadOnnx(network.bytes, `${key.shape}-${key.seed}.onnx`));
  const scale = Math.max(1, ...Array.from(forward(net, centre(box)), Math.abs));
  const mismatch = await loweringMismatch(network.bytes, net, box, rng);
  const done = (instances: Instance[]): GeneratedCase => ({ instances, loweringMismatch: mismatch, seconds: (performance.now() - t0) / 1000 });
  if (mismatch > tolerances(scale).float32Band) return done([]);

  const anchor = forward(net, Float64Array.from(box.lower, (l, i) => l + (box.upper[i] - l) * rng()));
  const base = randomProperty(rng, anchor, 0.05 * scale);
  const level = () => (rng() < 0.5 ? 1e-3 : 1e-6) * scale;
  const targets: [string, number][] = [
    ['sat', -level()],
    ['unsat', level()],
  ];
  const instances: Instance[] = [];
  for (const [label, target] of targets) {
    const property = await tuneProperty(net, box, base, target, mipSeconds);
    if (!property) continue;
    const truth = await exactTruth(net, box, property, scale, mipSeconds);
    const rel = Math.abs(target) / scale >= 1e-4 ? '1e-3' : '1e-6';
    instances.push({
      id: `${key.shape}-${key.seed}-${label}-${rel}`,
      key,
      network,
      net,
      box,
      boxStyle,
      property,
      target,
      truth,
      scale,
      vnnlib: toVnnlib(box, property),
    });
  }
  return done(instances);
}

/** Write the instance's model and property; returns their paths. */
export function writeInstance(inst: Instance, dir: string): { onnx: string; vnnlib: string } {
  const onnx = join(dir, `${inst.id}.onnx`);
  const vnnlib = join(dir, `${inst.id}.vnnlib`);
  writeFileSync(onnx, inst.network.bytes);
  writeFileSync(vnnlib, inst.vnnlib);
  return { onnx, vnnlib };
}

/** One line describing the instance's box, for reports. */
export function describeBox(inst: Instance): string {
  const counts = new Map<string, number>();
  for (const k of inst.box.kinds) counts.set(k, (counts.get(k) ?? 0) + 1);
  const parts = [...counts.entries()].map(([k, c]) => `${c} ${k}`).join(', ');
  return `${inst.boxStyle} box (${parts}; ${holdsFloat32Point(inst.box) ? 'holds' : 'no'} float32 point)`;
}
