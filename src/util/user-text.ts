/**
 * User text (tokens, names, file paths) echoed in error messages. Two dangers:
 * control bytes (an ESC sequence rewrites the user's terminal, a newline forges
 * a line of output) and size (a 20 MB token would become a 20 MB stderr line).
 * Every message that can carry user text goes through one of these.
 */

/** Characters a single echoed token or name keeps before it is cut. */
export const ECHO_MAX = 80;
/** Characters a whole one-line error message keeps before it is cut. */
export const MESSAGE_MAX = 2000;

// C0 and C1 controls, DEL, the line/paragraph separators and the bidirectional
// overrides (which can make a message read differently from what it says).
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;
const UNSAFE_KEEP_NL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u2028\u2029\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

function escapeChar(c: string): string {
  switch (c) {
    case '\n': return '\\n';
    case '\r': return '\\r';
    case '\t': return '\\t';
    default: {
      const code = c.charCodeAt(0);
      return code < 0x100 ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
    }
  }
}

/** Control and direction characters as visible escapes (\n, \x1b, \u202e). */
export function escapeControls(s: string): string {
  return s.replace(UNSAFE, escapeChar);
}

/** First `max` characters, not splitting a surrogate pair. */
function head(s: string, max: number): string {
  let end = max;
  const c = s.charCodeAt(end - 1);
  if (c >= 0xd800 && c <= 0xdbff) end--;
  return s.slice(0, end);
}

/** Cut to `max` characters with an ellipsis and the full length, then escaped. */
export function echo(s: string, max = ECHO_MAX): string {
  const cut = s.length > max ? `${head(s, max)}... (${s.length} characters)` : s;
  return escapeControls(cut);
}

/** A whole one-line message: escaped, cut at MESSAGE_MAX. */
export function safeMessage(s: string, max = MESSAGE_MAX): string {
  return echo(s, max);
}

/**
 * Multi-line text for a terminal (commander's usage output, stack traces):
 * newlines stay, other controls are escaped, each line is cut at MESSAGE_MAX.
 */
export function safeLines(s: string, max = MESSAGE_MAX): string {
  return s
    .split('\n')
    .map((line) => (line.length > max ? `${head(line, max)}... (${line.length} characters)` : line).replace(UNSAFE_KEEP_NL, escapeChar))
    .join('\n');
}
