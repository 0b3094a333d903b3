/** Kubernetes quantity strings parsed to cores and bytes: the units the profile schema promises. */
import fc from 'fast-check';
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

describe('laws', () => {
  it('a binary suffix multiplies by its power of 1024; m divides by 1000', () => {
    fc.assert(
      fc.property(fc.nat({ max: 1_000_000 }), fc.constantFrom(['Ki', 10], ['Mi', 20], ['Gi', 30], ['Ti', 40]), (n, [suffix, power]) => {
        expect(parseQuantity(`${n}${suffix}`)).toEqual({ ok: true, value: n * 2 ** power });
        expect(parseQuantity(`${n}m`)).toEqual({ ok: true, value: Number(`${n}e-3`) });
      }),
    );
  });

  it('never accepts a negative quantity and never returns a negative value', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 12 }), (text) => {
        const parsed = parseQuantity(text);
        if (text.startsWith('-')) expect(parsed.ok).toBe(false);
        if (parsed.ok) expect(parsed.value).toBeGreaterThanOrEqual(0);
      }),
    );
  });
});
