import { Writable } from 'node:stream';

/** A pino destination that keeps every log line, parsed, to read back what a run logged. */
export class LogLines extends Writable {
  readonly lines: Record<string, unknown>[] = [];

  override _write(chunk: Buffer, _enc: string, done: () => void): void {
    for (const l of chunk.toString().split('\n')) if (l) this.lines.push(JSON.parse(l) as Record<string, unknown>);
    done();
  }
}
