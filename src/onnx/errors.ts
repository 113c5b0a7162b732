/**
 * The one error type of the ONNX front end. Its message always names the
 * file, and the node and op when one is at fault, so that a user with a
 * model we cannot handle knows exactly which part of it to look at.
 */
export interface NodeRef {
  readonly name: string;
  readonly op: string;
}

import { echo, safeMessage } from '../util/user-text.js';

/** Longest file path kept in a message. */
const PATH_ECHO_MAX = 1000;

export class OnnxError extends Error {
  readonly source: string;
  readonly node?: NodeRef;

  constructor(source: string, node: NodeRef | undefined, detail: string) {
    // File, node and op names are the user's text: escaped and cut (src/util/user-text.ts).
    const file = echo(source, PATH_ECHO_MAX);
    const where = node ? `${file}: node '${echo(node.name)}' (op ${echo(node.op)})` : file;
    super(`${where}: ${safeMessage(detail)}`);
    this.name = 'OnnxError';
    this.source = source;
    this.node = node;
  }
}
