/** Redis reconnect backoff: doubles from 100 ms, capped at 2 s, jittered to [½, 1] of the step. */
import { describe, expect, test } from 'vitest';
import { formatMs, reconnectDelayMs } from '../../../src/stores/redis/connection.js';

describe('reconnectDelayMs', () => {
  test.each([
    [1, 50, 100],
    [2, 100, 200],
    [5, 800, 1600],
    [6, 1000, 2000],
    [50, 1000, 2000],
  ])('attempt %i lies in [%i, %i]', (attempt, lo, hi) => {
    expect(reconnectDelayMs(attempt, () => 0)).toBe(lo);
    expect(reconnectDelayMs(attempt, () => 1)).toBe(hi);
  });
});

test('formatMs', () => {
  expect([formatMs(250), formatMs(5000), formatMs(1500), formatMs(120_000)]).toEqual(['250 ms', '5 s', '1.5 s', '120 s']);
});
