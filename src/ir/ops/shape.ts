/** Shape (opset 15 start/end): always folded, since every shape is concrete. */
import { shapeBounds } from '../params.js';
import { intT, type OpModule } from './op.js';

export const shapeOp: OpModule = {
  ops: ['Shape'],
  shape(node, s) {
    const [lo, hi] = shapeBounds(node, (s[0] as number[]).length);
    return [[hi - lo]];
  },
  evaluate: (node, ins, outShapes) => [intT(outShapes[0], ins[0]!.shape.slice(...shapeBounds(node, ins[0]!.shape.length)))],
  notLinear: 'a Shape node is folded by the loader and never lowered',
};
