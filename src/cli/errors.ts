/** Errors caused by the user's input (bad file, bad flag): reported plainly, exit code 2. */
const INPUT_ERROR_NAMES = new Set(['OnnxError', 'VnnlibError', 'ProblemError', 'UsageError', 'InputFileError', 'TooLargeError', 'ProofFormatError']);
const FS_CODES = new Set(['ENOENT', 'EISDIR', 'EACCES', 'ENOTDIR']);

export class UsageError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UsageError';
  }
}

export function isInputError(e: unknown): boolean {
  if (!(e instanceof Error)) return false;
  const code = (e as NodeJS.ErrnoException).code;
  return INPUT_ERROR_NAMES.has(e.name) || (code !== undefined && FS_CODES.has(code));
}

export const EXIT = {
  /** A verdict was reached: sat, unsat, timeout or unknown. */
  ok: 0,
  /** Bad input: unreadable or malformed file, unsupported operator, wrong flags. */
  inputError: 2,
  /** A bug of ours. */
  internalError: 3,
} as const;
