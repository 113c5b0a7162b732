/**
 * Tokenizer for the SMT-LIB subset used by VNN-LIB.
 *
 * Hand-written character scanner: VNN-LIB files reach several MB (a CIFAR
 * box alone is 6k asserts), so we make one pass over the text and never
 * split it into lines or run a regex per token. The Lexer is a cursor that
 * allocates nothing per token (its fields are overwritten by next()); on a
 * 2-core machine, allocating a token plus a position object per token cost
 * more than everything else in the parser together.
 */
import { echo } from '../util/user-text.js';
import { VnnlibError, type SourcePos } from './types.js';

export type TokenKind = 'lparen' | 'rparen' | 'symbol' | 'number' | 'string' | 'eof';

export interface Token {
  readonly kind: TokenKind;
  /** Symbol name, string contents (unescaped), or number text; '(' / ')' for parens. */
  readonly text: string;
  /** The number's value; NaN for other kinds. */
  readonly value: number;
  /** 1-based. */
  readonly line: number;
  /** 1-based, in UTF-16 code units (a tab counts as one column). */
  readonly col: number;
}

const LPAREN = 0x28;
const RPAREN = 0x29;
const SEMI = 0x3b;
const QUOTE = 0x22;
const BAR = 0x7c;
const NL = 0x0a;
const CR = 0x0d;
const PLUS = 0x2b;
const MINUS = 0x2d;
const DOT = 0x2e;

function isSpace(c: number): boolean {
  // 0xfeff: a byte-order mark left at the start by some editors.
  return c === 0x20 || c === 0x09 || c === 0x0a || c === 0x0d || c === 0x0c || c === 0x0b || c === 0xfeff;
}

function isDigit(c: number): boolean {
  return c >= 0x30 && c <= 0x39;
}

/** Characters that end a bare symbol or number. */
function isDelimiter(c: number): boolean {
  return isSpace(c) || c === LPAREN || c === RPAREN || c === SEMI || c === QUOTE || c === BAR;
}

/**
 * Does text[start, end) look like it was meant to be a number? Used to report
 * `1.2.3` as a malformed number instead of letting it through as a symbol.
 */
function looksNumeric(text: string, start: number, end: number): boolean {
  let i = start;
  const c0 = text.charCodeAt(i);
  if (c0 === PLUS || c0 === MINUS) i++;
  if (i >= end) return false;
  const c = text.charCodeAt(i);
  return isDigit(c) || (c === DOT && i + 1 < end && isDigit(text.charCodeAt(i + 1)));
}

/**
 * Strict decimal grammar: [+-]? (d+ ('.' d*)? | '.' d+) ([eE] [+-]? d+)?
 * Number() alone is too lenient: it accepts "0x10", "0b1" and "".
 */
function isNumberLiteral(text: string, start: number, end: number): boolean {
  let i = start;
  if (i < end && (text.charCodeAt(i) === PLUS || text.charCodeAt(i) === MINUS)) i++;
  let mantissaDigits = 0;
  while (i < end && isDigit(text.charCodeAt(i))) { i++; mantissaDigits++; }
  if (i < end && text.charCodeAt(i) === DOT) {
    i++;
    while (i < end && isDigit(text.charCodeAt(i))) { i++; mantissaDigits++; }
  }
  if (mantissaDigits === 0) return false;
  if (i < end && (text.charCodeAt(i) | 0x20) === 0x65 /* e or E */) {
    i++;
    if (i < end && (text.charCodeAt(i) === PLUS || text.charCodeAt(i) === MINUS)) i++;
    let expDigits = 0;
    while (i < end && isDigit(text.charCodeAt(i))) { i++; expDigits++; }
    if (expDigits === 0) return false;
  }
  return i === end;
}

/** Pull-style tokenizer: call next(), then read the current token's fields. */
export class Lexer {
  kind: TokenKind = 'eof';
  text = '';
  /** Only meaningful while kind is 'number' (not reset for other tokens). */
  value = NaN;
  line = 1;
  col = 1;

  private i = 0;
  private curLine = 1;
  /** Index of the first character of the current line: col = i - lineStart + 1. */
  private lineStart = 0;

  constructor(
    private readonly src: string,
    readonly file: string,
  ) {}

  /** Position of the current token. */
  pos(): SourcePos {
    return { file: this.file, line: this.line, col: this.col };
  }

  next(): TokenKind {
    const src = this.src;
    const n = src.length;
    let i = this.i;
    // Skip whitespace and ; comments.
    for (;;) {
      if (i >= n) {
        this.i = i;
        this.line = this.curLine;
        this.col = i - this.lineStart + 1;
        this.text = '';
        return (this.kind = 'eof');
      }
      const c = src.charCodeAt(i);
      if (c === NL || c === CR) {
        // \n, \r\n and a lone \r (old Mac files) each end one line.
        i += c === CR && src.charCodeAt(i + 1) === NL ? 2 : 1;
        this.curLine++;
        this.lineStart = i;
      } else if (isSpace(c)) {
        i++;
      } else if (c === SEMI) {
        // A comment ends at either line break: with CR-only line endings a
        // comment that ran to the next \n would swallow the rest of the file.
        while (i < n && src.charCodeAt(i) !== NL && src.charCodeAt(i) !== CR) i++;
      } else {
        break;
      }
    }

    this.line = this.curLine;
    this.col = i - this.lineStart + 1;
    const c = src.charCodeAt(i);
    if (c === LPAREN || c === RPAREN) {
      this.i = i + 1;
      this.text = c === LPAREN ? '(' : ')';
      return (this.kind = c === LPAREN ? 'lparen' : 'rparen');
    }
    if (c === QUOTE || c === BAR) return this.quoted(i, c);

    let j = i + 1;
    while (j < n && !isDelimiter(src.charCodeAt(j))) j++;
    this.i = j;
    this.text = src.slice(i, j);
    if (looksNumeric(src, i, j)) {
      if (!isNumberLiteral(src, i, j)) throw new VnnlibError(`malformed number '${echo(this.text)}'`, this.pos());
      this.value = Number(this.text);
      return (this.kind = 'number');
    }
    return (this.kind = 'symbol');
  }

  /** SMT-LIB "strings" ("" escapes a quote) and |quoted symbols|; both may span lines. */
  private quoted(start: number, delim: number): TokenKind {
    const src = this.src;
    const n = src.length;
    const parts: string[] = [];
    let from = start + 1;
    let j = from;
    for (;;) {
      if (j >= n) {
        throw new VnnlibError(delim === QUOTE ? 'unterminated string literal' : 'unterminated |quoted symbol|', this.pos());
      }
      const d = src.charCodeAt(j);
      if (d === delim) {
        parts.push(src.slice(from, j));
        if (delim === QUOTE && src.charCodeAt(j + 1) === QUOTE) {
          parts.push('"');
          j += 2;
          from = j;
          continue;
        }
        break;
      }
      if (d === NL || (d === CR && src.charCodeAt(j + 1) !== NL)) {
        this.curLine++;
        this.lineStart = j + 1;
      }
      j++;
    }
    this.i = j + 1;
    this.text = parts.join('');
    return (this.kind = delim === QUOTE ? 'string' : 'symbol');
  }
}

/** All tokens at once (for tests and tooling; the parser pulls from a Lexer). */
export function tokenize(text: string, file: string): Token[] {
  const lx = new Lexer(text, file);
  const out: Token[] = [];
  while (lx.next() !== 'eof') {
    out.push({ kind: lx.kind, text: lx.text, value: lx.kind === 'number' ? lx.value : NaN, line: lx.line, col: lx.col });
  }
  return out;
}
