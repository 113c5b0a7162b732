/**
 * Progress of a batch: a cli-progress bar (with one log line per finished instance above it) when
 * the output is a terminal, plain lines, one per instance, otherwise (CI logs, pipes, files).
 */
import cliProgress from 'cli-progress';

export interface Reporter {
  /** total instances, of which `done` are already finished (resumed). */
  start(total: number, done: number): void;
  /** An instance starts running. */
  running(label: string): void;
  /** An instance ended: its one-line report; `done` instances are now finished. */
  finished(line: string, done: number, tally: string): void;
  /** A message outside the instance lines. */
  note(line: string): void;
  stop(): void;
}

export interface ReporterOptions {
  /** Use the progress bar (default: whether `stream` is a TTY). */
  readonly tty?: boolean;
  readonly stream?: NodeJS.WriteStream;
}

export function makeReporter(o: ReporterOptions = {}): Reporter {
  const stream = o.stream ?? process.stdout;
  const tty = o.tty ?? stream.isTTY === true;
  if (!tty) {
    return {
      start: () => {},
      running: () => {},
      finished: (line) => void stream.write(`${line}\n`),
      note: (line) => void stream.write(`${line}\n`),
      stop: () => {},
    };
  }
  const multi = new cliProgress.MultiBar(
    {
      stream,
      format: ' {bar} {value}/{total} | {tally} | {current}',
      hideCursor: true,
      clearOnComplete: false,
      autopadding: true,
      barsize: 30,
    },
    cliProgress.Presets.shades_classic,
  );
  let bar: cliProgress.SingleBar | undefined;
  return {
    start(total, done) {
      bar = multi.create(total, done, { tally: '', current: '' });
    },
    running(label) {
      bar?.update({ current: label });
    },
    finished(line, done, tally) {
      multi.log(`${line}\n`);
      bar?.update(done, { tally, current: '' });
    },
    note(line) {
      multi.log(`${line}\n`);
    },
    stop() {
      // Render once more: log lines are only flushed by a render, and stop() does not flush them.
      multi.update();
      multi.stop();
    },
  };
}
