/**
 * A LayeredNet as plain data for postMessage: activations are objects with
 * functions, which structured cloning refuses, so layers carry their keys
 * and the receiving thread looks them up again.
 */
import { activationByKey } from './activations/registry.js';
import { sparseLayer, type AffineLayer, type LayeredNet } from './layered.js';

type PlainLayer = Omit<AffineLayer, 'act' | 'W'> & { readonly W?: Float64Array } & { readonly actKeys?: readonly string[]; readonly kindOf?: Uint8Array; readonly groups?: readonly Int32Array[] };
export type PlainNet = Omit<LayeredNet, 'layers'> & { readonly layers: readonly PlainLayer[] };

export function toPlainNet(net: LayeredNet): PlainNet {
  return {
    ...net,
    // Spreading skips a sparse layer's W (a non-enumerable getter), so it is never materialised here.
    layers: net.layers.map(({ act, ...rest }) => (act ? { ...rest, actKeys: act.kinds.map((a) => a.key), kindOf: act.kindOf, groups: act.groups } : rest)),
  };
}

export function fromPlainNet(plain: PlainNet): LayeredNet {
  return {
    ...plain,
    layers: plain.layers.map(({ actKeys, kindOf, groups, ...rest }) => {
      const layer = actKeys && kindOf && groups ? { ...rest, act: { kinds: actKeys.map(activationByKey), kindOf, groups } } : rest;
      // A sparse layer's dense W is a lazy getter, not data: rebuild it on this side.
      return layer.csr ? sparseLayer({ ...layer, csr: layer.csr }) : (layer as AffineLayer);
    }),
  };
}
