/**
 * Kubernetes resource quantities (k8s.io/apimachinery resource.Quantity), parsed to numbers.
 *
 * Input: a string such as `250m`, `1.5`, `512Mi`, `1G`, `129e6`, or a plain non-negative number
 * (YAML writes `cpu: 2` as a number). Grammar: an unsigned decimal (`+` allowed, `-` never:
 * resources are not negative) followed by at most one suffix: binary `Ki Mi Gi Ti Pi Ei`
 * (powers of 1024), decimal `n u m k M G T P E` (1e-9 … 1e18), or an exponent `e<int>`/`E<int>`.
 * Output: the value in base units (cores for CPU, bytes for memory and storage). Bytes are
 * rounded up to a whole byte, as Kubernetes does (`100m` of memory is 1 byte).
 * Failure: a Result naming what is wrong; absurd values (not finite) are rejected.
 */
import { type Result, fail, ok } from '../result.js';

/** The grammar above; also published as the `pattern` of quantity strings in the profile schema. */
export const QUANTITY_PATTERN = /^\+?(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+|[KMGTPE]i|[numkMGTPE])?$/;

/** Longest accepted quantity string: far beyond any real one, short enough to bound the work. */
export const QUANTITY_MAX_CHARS = 64;

const DECIMAL_EXPONENT: Readonly<Record<string, number>> = { n: -9, u: -6, m: -3, k: 3, M: 6, G: 9, T: 12, P: 15, E: 18 };
const BINARY_POWER: Readonly<Record<string, number>> = { Ki: 10, Mi: 20, Gi: 30, Ti: 40, Pi: 50, Ei: 60 };

/** A quantity as written in a profile: a Kubernetes quantity string or a plain number. */
export type QuantityInput = string | number;

/** The value of a quantity in base units, or why it is not one. */
export function parseQuantity(input: QuantityInput): Result<number> {
  if (typeof input === 'number') {
    if (!Number.isFinite(input) || input < 0) return fail('MW_PROFILE_INVALID', `quantity ${input} must be a finite number ≥ 0`);
    return ok(input);
  }
  if (input.length === 0 || input.length > QUANTITY_MAX_CHARS) {
    return fail('MW_PROFILE_INVALID', `quantity must have 1 to ${QUANTITY_MAX_CHARS} characters`);
  }
  if (!QUANTITY_PATTERN.test(input)) {
    return fail('MW_PROFILE_INVALID', `"${input}" is not a Kubernetes quantity (e.g. 250m, 1.5, 512Mi, 2G)`);
  }
  const body = input.startsWith('+') ? input.slice(1) : input;
  const match = /^([0-9.]+)(.*)$/.exec(body);
  const mantissa = match?.[1] ?? '';
  const suffix = match?.[2] ?? '';
  let value: number;
  const binary = BINARY_POWER[suffix];
  const decimal = DECIMAL_EXPONENT[suffix];
  if (binary !== undefined) value = Number(mantissa) * 2 ** binary;
  else if (decimal !== undefined) value = Number(`${mantissa}e${decimal}`);
  else value = Number(`${mantissa}${suffix}`); // no suffix, or an e/E exponent
  if (!Number.isFinite(value)) return fail('MW_PROFILE_INVALID', `quantity "${input}" is too large`);
  return ok(value);
}

/** CPU in cores (`250m` → 0.25). */
export const parseCpuCores = (input: QuantityInput): Result<number> => parseQuantity(input);

/** Memory or storage in whole bytes (`512Mi` → 536870912), rounded up. */
export function parseBytes(input: QuantityInput): Result<number> {
  const parsed = parseQuantity(input);
  return parsed.ok ? ok(Math.ceil(parsed.value)) : parsed;
}
