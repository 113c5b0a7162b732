/**
 * S-expressions over the token stream. Every node records the line and
 * column of its first token so the semantic layer can point at the offending
 * construct; the SourcePos object itself is only built when an error needs
 * it (posOf), which keeps big files down to one allocation per atom.
 */
import { Lexer } from './tokenizer.js';
import { echo } from '../util/user-text.js';
import { VnnlibError, type SourcePos } from './types.js';

interface Located {
  readonly line: number;
  readonly col: number;
}

export interface SList extends Located {
  readonly kind: 'list';
  readonly items: readonly SExpr[];
}

export interface SSymbol extends Located {
  readonly kind: 'symbol';
  readonly name: string;
}

export interface SNumber extends Located {
  readonly kind: 'number';
  readonly value: number;
}

export interface SString extends Located {
  readonly kind: 'string';
  readonly value: string;
}

export type SExpr = SList | SSymbol | SNumber | SString;

export function posOf(e: Located, file: string): SourcePos {
  return { file, line: e.line, col: e.col };
}

/**
 * Parse all top-level forms. Iterative (explicit stack) so that deeply
 * nested input cannot overflow the JS call stack.
 *
 * With `onForm`, each top-level form is handed over as soon as its ')' is
 * read and is not kept: a big spec is thousands of small asserts, and letting
 * each tree die young is far cheaper for V8's GC than holding the whole file's
 * tree (measured: ~3x on a 2 MB spec). Without it, the forms are returned.
 */
export function parseSexprs(text: string, file: string, onForm?: (form: SExpr) => void): SExpr[] {
  const lx = new Lexer(text, file);
  const top: SExpr[] = [];
  const emit = (form: SExpr) => (onForm ? onForm(form) : top.push(form));
  // Open lists, innermost last.
  const stack: { kind: 'list'; items: SExpr[]; line: number; col: number }[] = [];
  let current = top;
  const add = (atom: SExpr) => (stack.length > 0 ? current.push(atom) : emit(atom));

  for (;;) {
    switch (lx.next()) {
      case 'eof': {
        const open = stack[stack.length - 1];
        // The innermost unclosed '(' is the useful one to point at: the
        // outermost is usually an (assert that runs to the end of the file.
        if (open) throw new VnnlibError(`unexpected end of file: '(' opened here is never closed`, posOf(open, file));
        return top;
      }
      case 'lparen': {
        const list = { kind: 'list' as const, items: [] as SExpr[], line: lx.line, col: lx.col };
        // Nested lists join their parent now; a top-level one is emitted when complete.
        if (stack.length > 0) current.push(list);
        stack.push(list);
        current = list.items;
        break;
      }
      case 'rparen': {
        const closed = stack.pop();
        if (!closed) throw new VnnlibError(`unbalanced ')': no matching '('`, lx.pos());
        if (stack.length > 0) {
          current = stack[stack.length - 1]!.items;
        } else {
          current = top;
          emit(closed);
        }
        break;
      }
      case 'number':
        add({ kind: 'number', value: lx.value, line: lx.line, col: lx.col });
        break;
      case 'string':
        add({ kind: 'string', value: lx.text, line: lx.line, col: lx.col });
        break;
      case 'symbol':
        add({ kind: 'symbol', name: lx.text, line: lx.line, col: lx.col });
        break;
    }
  }
}

/** Short rendering of a node for error messages (user text: cut and escaped). */
export function describe(e: SExpr): string {
  switch (e.kind) {
    case 'symbol':
      return echo(e.name);
    case 'number':
      return String(e.value);
    case 'string':
      return `"${echo(e.value)}"`;
    case 'list': {
      const head = e.items[0];
      if (!head) return '()';
      return head.kind === 'list' ? '((...) ...)' : `(${describe(head)} ...)`;
    }
  }
}
