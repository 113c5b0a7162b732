/**
 * setTimeout with a delay node can honour. Node stores delays as 32-bit signed
 * milliseconds: anything from 2^31 ms (24.8 days) up, and NaN, fires after 1 ms
 * with a TimeoutOverflowWarning, which turned `--timeout 10000000` into an
 * immediate `timeout` and made `verify batch` kill its children at once.
 * Every timer in src/ goes through here.
 */

/** The longest delay node's timers accept. */
export const MAX_TIMER_MS = 2 ** 31 - 1;

/** `ms` clamped into [0, MAX_TIMER_MS]; NaN counts as 0. */
export function clampDelay(ms: number): number {
  if (!(ms > 0)) return 0;
  return Math.min(ms, MAX_TIMER_MS);
}

/** A limit beyond MAX_TIMER_MS (24.8 days) fires at MAX_TIMER_MS: nobody waits that long for a verdict. */
export function safeSetTimeout(fn: () => void, ms: number): NodeJS.Timeout {
  return setTimeout(fn, clampDelay(ms));
}
