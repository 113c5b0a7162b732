import { sShaped } from './s-shaped.js';

/** tanh x. */
export const tanh = sShaped({
  key: 'tanh',
  f: Math.tanh,
  df: (x) => {
    const t = Math.tanh(x);
    return 1 - t * t;
  },
  low: -1,
  high: 1,
});
