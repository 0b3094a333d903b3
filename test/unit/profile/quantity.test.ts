/** Kubernetes quantity strings parsed to cores and bytes: the units the profile schema promises. */
import { describe, expect, it } from 'vitest';
import { parseBytes, parseCpuCores, parseQuantity } from '../../../src/core/profile/quantity.js';

describe('parseQuantity', () => {
  it.each<[string | number, number]>([
    ['250m', 0.25],
    ['1', 1],
    ['1.5', 1.5],
    ['.5', 0.5],
    ['2.', 2],
    ['+3', 3],
    ['100n', 1e-7],
    ['10u', 1e-5],
    ['1k', 1000],
    ['2M', 2e6],
    ['1G', 1e9],
    ['1T', 1e12],
    ['1P', 1e15],
    ['1E', 1e18],
    ['1Ki', 1024],
    ['512Mi', 512 * 1024 * 1024],
    ['1.5Gi', 1.5 * 1024 ** 3],
    ['1Ti', 1024 ** 4],
    ['1Pi', 1024 ** 5],
    ['1Ei', 1024 ** 6],
    ['129e6', 129e6],
    ['5E3', 5000],
    ['1e-3', 0.001],
    ['0', 0],
    [0.5, 0.5],
    [2, 2],
  ])('%s → %d', (input, expected) => {
    expect(parseQuantity(input)).toEqual({ ok: true, value: expected });
  });

  it.each<[string | number, string]>([
    ['', 'empty'],
    ['-1', 'negative'],
    ['-250m', 'negative with suffix'],
    ['1Mb', 'unknown suffix'],
    ['1 Gi', 'space'],
    ['Gi', 'no number'],
    ['1.2.3', 'two points'],
    ['1KiB', 'trailing letters'],
    ['1ki', 'lower-case binary suffix'],
    ['0x10', 'hex'],
    ['1e400', 'not finite'],
    ['9'.repeat(400), 'too long'],
    ['NaN', 'NaN text'],
    ['Infinity', 'Infinity text'],
    [-1, 'negative number'],
    [Number.NaN, 'NaN'],
    [Number.POSITIVE_INFINITY, 'infinite number'],
  ])('rejects %j (%s) with MW_PROFILE_INVALID', (input) => {
    const result = parseQuantity(input);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.error.code).toBe('MW_PROFILE_INVALID');
  });
});

describe('units', () => {
  it('CPU stays in (fractional) cores', () => {
    expect(parseCpuCores('250m')).toEqual({ ok: true, value: 0.25 });
    expect(parseCpuCores('1500m')).toEqual({ ok: true, value: 1.5 });
  });

  it.each([
    ['512Mi', 536870912],
    ['1G', 1e9],
    ['100m', 1],
    ['1.5', 2],
    ['0', 0],
  ])('bytes of %s are %d (whole bytes, rounded up)', (input, bytes) => {
    expect(parseBytes(input)).toEqual({ ok: true, value: bytes });
  });

  it('passes failures through', () => {
    expect(parseBytes('-1Mi').ok).toBe(false);
  });
});
