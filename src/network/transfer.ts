/**
 * A LayeredNet as plain data for postMessage: activations are objects with
 * functions, which structured cloning refuses, so layers carry their keys
 * and the receiving thread looks them up again.
 */
import { activationByKey } from './activations/registry.js';
import type { AffineLayer, LayeredNet } from './layered.js';

type PlainLayer = Omit<AffineLayer, 'act'> & { readonly actKeys?: readonly string[]; readonly kindOf?: Uint8Array; readonly groups?: readonly Int32Array[] };
export type PlainNet = Omit<LayeredNet, 'layers'> & { readonly layers: readonly PlainLayer[] };

export function toPlainNet(net: LayeredNet): PlainNet {
  return {
    ...net,
    layers: net.layers.map(({ act, ...rest }) => (act ? { ...rest, actKeys: act.kinds.map((a) => a.key), kindOf: act.kindOf, groups: act.groups } : rest)),
  };
}

export function fromPlainNet(plain: PlainNet): LayeredNet {
  return {
    ...plain,
    layers: plain.layers.map(({ actKeys, kindOf, groups, ...rest }) =>
      actKeys && kindOf && groups ? { ...rest, act: { kinds: actKeys.map(activationByKey), kindOf, groups } } : rest,
    ),
  };
}
