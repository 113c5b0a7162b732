import pino, { type Logger } from 'pino';

/** Logs go to stderr (or a file), never to stdout, whose first line is the verdict. */
export function makeLogger(level: string, file?: string): Logger {
  const dest = file ? pino.destination({ dest: file, sync: true, mkdir: true }) : pino.destination({ fd: 2, sync: true });
  return pino({ level, base: undefined }, dest);
}
