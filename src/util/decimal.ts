/**
 * Strict numbers for flags and CSV cells. Number() accepts far more than a
 * user means: '0x10' (16), '0b1', '1_0' is rejected but ' 5 ' and '' (0) are
 * not, 'Infinity'. A flag that silently reads `--timeout 0x10` as 16 s is a
 * wrong answer to a typo, so only plain decimal notation is accepted.
 */

const DECIMAL = /^[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?$/;
const INTEGER = /^[+-]?\d+$/;

/** A finite decimal number ('12', '-0.5', '1e-3', '.5'), else undefined. */
export function parseDecimal(text: string): number | undefined {
  if (!DECIMAL.test(text)) return undefined;
  const n = Number(text);
  return Number.isFinite(n) ? n : undefined;
}

/** A safe integer in plain digits ('42', '-3'), else undefined. */
export function parseInteger(text: string): number | undefined {
  if (!INTEGER.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}
