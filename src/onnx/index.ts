export { OnnxError } from './errors.js';
export { loadOnnx, readOnnx } from './load.js';
export { ReferenceModel } from './reference.js';
export { foldConstants } from './fold.js';
export { inferShapes, SUPPORTED_OPS } from './shapes.js';
