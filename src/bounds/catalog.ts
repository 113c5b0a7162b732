/**
 * The bounders by name, without their code: the CLI's `--bounder` / `--tight`
 * choices and help, the worker pool and the engine's automatic choice all
 * come from this list (src/bounds/registry.ts adds each one's factory, and
 * its Record type makes a missing one a compile error). A bounder that
 * encodes ReLU networks itself (the Planet LP, the MIP, the dual solvers of
 * [Th2]) says so, and is refused, with the reason, on a network with other
 * activations. Kept free of the bounders' imports so that `--help` stays light.
 */
import { isReluNet, nonReluActivations, type LayeredNet } from '../network/layered.js';

export interface BounderInfo {
  readonly name: string;
  /** One line for --help. */
  readonly summary: string;
  /** True when the bounder encodes max(x, 0) itself (LP, MIP, dual solvers): ReLU networks only. */
  readonly reluOnly: boolean;
}

const CATALOG = [
  { name: 'ibp', summary: 'interval bound propagation', reluOnly: false },
  { name: 'crown', summary: 'backward linear bounds (CROWN)', reluOnly: false },
  { name: 'alpha', summary: 'CROWN with optimised ReLU lower slopes (alpha-CROWN)', reluOnly: false },
  { name: 'beta', summary: 'alpha-CROWN plus split multipliers (beta-CROWN)', reluOnly: false },
  { name: 'symbolic', summary: 'forward symbolic intermediate bounds, CROWN output (few inputs)', reluOnly: false },
  { name: 'bigm', summary: 'Big-M Lagrangian dual (supergradient)', reluOnly: true },
  { name: 'activeset', summary: 'Active Set dual with Anderson cuts', reluOnly: true },
  { name: 'bddplus', summary: 'Lagrangian decomposition (proximal Frank-Wolfe)', reluOnly: true },
  { name: 'lp', summary: 'Planet LP relaxation (HiGHS)', reluOnly: true },
  { name: 'mip', summary: 'exact MIP (HiGHS); complete mode solves each disjunct exactly', reluOnly: true },
] as const satisfies readonly BounderInfo[];

export type BounderName = (typeof CATALOG)[number]['name'];

export const BOUNDERS: readonly BounderInfo[] = CATALOG;
export const BOUNDER_NAMES: readonly BounderName[] = CATALOG.map((e) => e.name);

/** Why `name` cannot bound `net`, or undefined when it can. */
export function unsupportedReason(name: BounderName, net: LayeredNet): string | undefined {
  const info = BOUNDERS.find((b) => b.name === name);
  if (!info?.reluOnly || isReluNet(net)) return undefined;
  return `bounder '${name}' encodes ReLU networks only; this network has ${nonReluActivations(net).join(', ')}`;
}
