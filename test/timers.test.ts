import { test } from 'node:test';
import assert from 'node:assert/strict';
import { clampDelay, MAX_TIMER_MS, safeSetTimeout } from '../src/util/timers.js';

test('delays past 2^31 ms are clamped instead of firing at once', async () => {
  assert.equal(clampDelay(10_000_000 * 1000), MAX_TIMER_MS);
  assert.equal(clampDelay(2 ** 31), MAX_TIMER_MS);
  assert.equal(clampDelay(1500), 1500);
  assert.equal(clampDelay(-5), 0);
  assert.equal(clampDelay(NaN), 0);
  // The real thing: node would fire a raw setTimeout(fn, 2^31) after 1 ms.
  let fired = false;
  const t = safeSetTimeout(() => (fired = true), 10_000_000 * 1000);
  await new Promise((r) => setTimeout(r, 50));
  clearTimeout(t);
  assert.equal(fired, false);
});
