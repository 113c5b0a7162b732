/**
 * The one error type of the ONNX front end. Its message always names the
 * file, and the node and op when one is at fault, so that a user with a
 * model we cannot handle knows exactly which part of it to look at.
 */
export interface NodeRef {
  readonly name: string;
  readonly op: string;
}

export class OnnxError extends Error {
  readonly source: string;
  readonly node?: NodeRef;

  constructor(source: string, node: NodeRef | undefined, detail: string) {
    const where = node ? `${source}: node '${node.name}' (op ${node.op})` : source;
    super(`${where}: ${detail}`);
    this.name = 'OnnxError';
    this.source = source;
    this.node = node;
  }
}
