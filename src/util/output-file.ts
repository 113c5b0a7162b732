/**
 * Files a command creates in places the user names (--json, --work-dir):
 * never written through an existing symlink. With writeFileSync, a symlink
 * planted at the path (a shared CI workspace, a work folder from an earlier
 * run) redirects the write to wherever it points. Here whatever is at the path
 * is removed first and the file is created with O_EXCL, which fails rather
 * than follow a symlink that reappears in between.
 */
import { closeSync, constants, lstatSync, openSync, unlinkSync, writeSync } from 'node:fs';
import { UsageError } from '../cli/errors.js';
import { echo } from './user-text.js';

const PATH_ECHO_MAX = 1000;

export function writeFileNoFollow(path: string, data: string): void {
  const where = echo(path, PATH_ECHO_MAX);
  try {
    if (lstatSync(path).isDirectory()) throw new UsageError(`${where}: is a directory, cannot write a file there`);
    unlinkSync(path);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    if ((e as NodeJS.ErrnoException).code !== 'ENOENT') throw new UsageError(`${where}: cannot replace it (${(e as Error).message})`);
  }
  let fd: number;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL | (constants.O_NOFOLLOW ?? 0), 0o644);
  } catch (e) {
    throw new UsageError(`${where}: cannot create it (${(e as Error).message})`);
  }
  try {
    const buf = Buffer.from(data, 'utf8');
    let off = 0;
    while (off < buf.length) off += writeSync(fd, buf, off, buf.length - off);
  } finally {
    closeSync(fd);
  }
}
