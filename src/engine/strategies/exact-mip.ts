import { exactMipBox } from '../exact-mip.js';
import type { Strategy } from './types.js';

/**
 * The exact Big-M MIP (HiGHS) per disjunct on a thread of its own: decides
 * small ReLU networks that branch and bound stalls on (issue 13: 6 of 120
 * random networks timed out at 60 s in either branching mode and took the
 * MIP under 2 s).
 */
export const exactMipStrategy: Strategy = {
  name: 'exact-mip',
  run: (ctx) => exactMipBox(ctx.box, ctx.check, ctx.options.deadline, ctx.witness, { thread: true, signal: ctx.signal }),
};
