/**
 * Writes the small example networks into networks/ (float32 ONNX):
 *   two_relu.onnx              y = -relu(x1+x2) - relu(x1-x2), input [1,2], output [1,1]
 *   acas_like_5x20x20x5.onnx   seeded random Gemm+Relu, 5-20-20-5
 *   conv_small.onnx            1x1x6x6 -> Conv(2 ch, k3) -> Relu -> Flatten -> Gemm(3)
 *
 *   node dist/scripts/make-networks.js [outDir]
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { OnnxBuilder } from '../test/helpers/onnx-builder.js';
import { randomConvOnnx, randomFcOnnx } from '../test/helpers/random-onnx.js';

function twoRelu(): Uint8Array {
  return new OnnxBuilder()
    .input('x', [1, 2])
    .init('W1', [1, 1, 1, -1], [2, 2])
    .init('B1', [0, 0], [2])
    .node('Gemm', ['x', 'W1', 'B1'], ['h'], { transB: 1 })
    .node('Relu', ['h'], ['r'])
    .init('W2', [-1, -1], [1, 2])
    .init('B2', [0], [1])
    .node('Gemm', ['r', 'W2', 'B2'], ['y'], { transB: 1 })
    .output('y', [1, 1])
    .build();
}

const outDir = process.argv[2] ?? 'networks';
mkdirSync(outDir, { recursive: true });
const nets: [string, Uint8Array][] = [
  ['two_relu.onnx', twoRelu()],
  ['acas_like_5x20x20x5.onnx', randomFcOnnx({ seed: 2024, sizes: [5, 20, 20, 5] })],
  ['conv_small.onnx', randomConvOnnx({ seed: 7, inputShape: [1, 1, 6, 6], convs: [{ out: 2, k: 3 }], fc: [3] })],
];
for (const [name, bytes] of nets) {
  writeFileSync(join(outDir, name), bytes);
  console.log(`wrote ${join(outDir, name)} (${bytes.length} bytes)`);
}
