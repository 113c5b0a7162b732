import type { Logger } from 'pino';
import { CounterexampleChecker } from '../attack/validate.js';
import { ReferenceModel } from '../onnx/reference.js';
import type { Outcome } from '../report/verdict.js';
import { loadProblem } from './load-problem.js';
import type { EngineOptions } from './options.js';
import { solveProblem } from './solve.js';

/** One instance end to end: load both files, compile, solve. Input errors propagate as exceptions. */
export async function runInstance(onnxPath: string, vnnlibPath: string, options: EngineOptions, log: Logger): Promise<Outcome> {
  const t0 = performance.now();
  const { bytes, net, spec, problem } = loadProblem(onnxPath, vnnlibPath);
  // Named after the file: onnxruntime's rejections of the model name it (src/onnx/reference.ts).
  const reference = await ReferenceModel.create(bytes, onnxPath);
  const checker = new CounterexampleChecker(reference, spec, options.strictBox);
  log.info(
    {
      layers: net.layers.map((l) => `${l.inDim}->${l.outDim}`).join(' '),
      boxes: problem.boxes.length,
      rows: problem.boxes.map((b) => b.net.outputDim),
      loadMs: Math.round(performance.now() - t0),
    },
    'problem compiled',
  );
  return solveProblem(problem, (box) => (x) => checker.check(box, x), options, log);
}
