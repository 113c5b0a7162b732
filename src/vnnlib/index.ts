/** Public API of the VNN-LIB reader: parse a property file into input boxes and an output DNF. */
export { parseVnnlib, readVnnlib, MAX_DNF_TERMS } from './parse.js';
export { VnnlibError } from './types.js';
export type { SourcePos, OutputAtom, OutputConjunct, SpecRegion, Spec } from './types.js';
export { Lexer, tokenize, type Token, type TokenKind } from './tokenizer.js';
export { parseSexprs, posOf, type SExpr, type SList, type SSymbol, type SNumber, type SString } from './sexpr.js';
