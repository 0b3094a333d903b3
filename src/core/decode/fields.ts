/**
 * Hand-checked field access for the decoders' hot path (no schema library per record).
 *
 * A `Fields` records the FIRST problem it meets and keeps returning `undefined` afterwards, so a
 * decoder reads all its fields linearly and checks `fields.problem` once. Paths in reasons are
 * `a.b[2].c`; they are only built when something fails.
 *
 * Absent means `undefined` or `null` (JSON null = unset in Envoy's typed logs). Failure modes:
 * - wrong JSON type                      -> MW_DECODE_SCHEMA ("<path>: expected number, got string")
 * - "NaN"/"Inf" text, non-finite, a negative amount, or one beyond its plausible maximum
 *   (limits.ts) -> MW_DECODE_BAD_VALUE
 * Only own data is read (`own`, see there): a `__proto__`/`constructor` key from JSON.parse is
 * an ordinary own key and is never read as a field. Untrusted text in reasons is clipped and
 * quoted (`quote`).
 */
import { type ErrorCode } from '../../errors.js';
import { type Observation } from '../model.js';
import { type Problem, type Result, ok } from '../result.js';
import { quote } from './json-text.js';
import { type NumberLimit, beyond } from './limits.js';

export type Obj = Record<string, unknown>;

/** What a decoder makes of one parsed message before `decode` names the decoder. */
export interface Part {
  observations: Observation[];
  ignored: number;
}

/** One record skipped by design (aggregate cgroup, non-access-log line): counted, not an error. */
export const ignoredOne = (): Result<Part> => ok({ observations: [], ignored: 1 });

export const isObj = (v: unknown): v is Obj => typeof v === 'object' && v !== null && !Array.isArray(v);

/*
 * Own data only, without an Object.hasOwn per field (it doubled a canonical sample's decode
 * time): a JSON.parse object inherits nothing but Object.prototype's members, and no field name
 * the decoders read is one of them (`ts`, `start_time`, `container_stats`, …), so a
 * plain read of such a key is an own read as long as Object.prototype is clean. Nothing in the
 * decoders assigns untrusted keys into plain objects (key maps built from input have a null
 * prototype), which keeps it clean; test/unit/decode/fuzz.test.ts asserts it. Never call these
 * with a key taken from input.
 */

/** `o[key]` for a decoder's own field name (never an Object.prototype member name). */
export const own = (o: Obj | undefined, key: string): unknown => o?.[key];

/** True when `o` carries the decoder field `key` (a sniff). */
export const has = (o: Obj, key: string): boolean => o[key] !== undefined;

export function typeName(v: unknown): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v;
}

/** `base` + `key` as a readable path; `base` '' is the message root. */
export function at(base: string, key: string | number): string {
  if (typeof key === 'number') return `${base}[${key}]`;
  return base === '' ? key : `${base}.${key}`;
}

/** Text forms of non-finite numbers (Prometheus `FormatFloat`, JS `String(NaN)`). */
const NON_FINITE_TEXT = /^\s*[+-]?(nan|inf|infinity)\s*$/i;
/** Envoy's legacy all-string numbers: plain decimals only. */
const DECIMAL_TEXT = /^\d+(\.\d+)?$/;

export const isNonFiniteText = (s: string): boolean => NON_FINITE_TEXT.test(s);

export class Fields {
  problem: Problem | undefined = undefined;

  fail(code: ErrorCode, path: string, what: string): undefined {
    this.problem ??= { code, reason: `${path === '' ? '(message)' : path}: ${what}` };
    return undefined;
  }

  /** An optional nested object; absent parent or value -> undefined. */
  obj(parent: Obj | undefined, key: string, base: string): Obj | undefined {
    const v = own(parent, key);
    if (v === undefined || v === null) return undefined;
    if (isObj(v)) return v;
    return this.fail('MW_DECODE_SCHEMA', at(base, key), `expected object, got ${typeName(v)}`);
  }

  arr(parent: Obj | undefined, key: string, base: string): unknown[] | undefined {
    const v = own(parent, key);
    if (v === undefined || v === null) return undefined;
    if (Array.isArray(v)) return v as unknown[];
    return this.fail('MW_DECODE_SCHEMA', at(base, key), `expected array, got ${typeName(v)}`);
  }

  /** An optional string. With `placeholder`, Envoy's `"-"` and `""` also mean absent. */
  str(parent: Obj | undefined, key: string, base: string, placeholder = false): string | undefined {
    const v = own(parent, key);
    if (v === undefined || v === null) return undefined;
    if (typeof v !== 'string') return this.fail('MW_DECODE_SCHEMA', at(base, key), `expected string, got ${typeName(v)}`);
    return placeholder && (v === '-' || v === '') ? undefined : v;
  }

  /** An optional map of string values (container/pod labels). */
  labels(parent: Obj | undefined, key: string, base: string): Record<string, string> | undefined {
    const v = this.obj(parent, key, base);
    if (v === undefined) return undefined;
    for (const k in v) {
      if (!Object.hasOwn(v, k)) continue;
      if (typeof v[k] !== 'string')
        return this.fail('MW_DECODE_SCHEMA', `${at(base, key)}[${quote(k)}]`, `expected string, got ${typeName(v[k])}`);
    }
    return v as Record<string, string>;
  }

  /**
   * An optional non-negative finite amount (counter, gauge, bytes, ms) within `limit`.
   * `legacy` also accepts Envoy's string numbers (`"13"`) and `"-"` for absent.
   */
  amount(parent: Obj | undefined, key: string, base: string, limit: NumberLimit, legacy = false): number | undefined {
    const v = own(parent, key);
    if (v === undefined || v === null) return undefined;
    if (typeof v === 'number') return this.inRange(v, key, base, limit);
    if (typeof v === 'string') {
      if (legacy && (v === '-' || v === '')) return undefined;
      if (isNonFiniteText(v)) return this.fail('MW_DECODE_BAD_VALUE', at(base, key), `not a finite number (${quote(v)})`);
      if (legacy && DECIMAL_TEXT.test(v)) return this.inRange(Number(v), key, base, limit);
      if (legacy && /^-\d/.test(v))
        return this.fail('MW_DECODE_BAD_VALUE', at(base, key), `negative value ${quote(v)} where only >= 0 is possible`);
    }
    return this.fail('MW_DECODE_SCHEMA', at(base, key), `expected number, got ${typeName(v)}`);
  }

  private inRange(v: number, key: string, base: string, limit: NumberLimit): number | undefined {
    if (!Number.isFinite(v)) return this.fail('MW_DECODE_BAD_VALUE', at(base, key), `not a finite number (${v})`);
    if (v < 0) return this.fail('MW_DECODE_BAD_VALUE', at(base, key), `negative value ${v} where only >= 0 is possible`);
    const why = beyond(v, limit);
    return why === undefined ? v : this.fail('MW_DECODE_BAD_VALUE', at(base, key), why);
  }
}
