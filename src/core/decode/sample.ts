/**
 * Canonical samples `{ ts, service, metric, value }` (replay files, NAB) -> `{ kind: 'sample' }`.
 *
 * - `ts`: epoch milliseconds (number) or an ISO 8601 / RFC 3339 string (`2014-07-01T00:00:00Z`;
 *   no zone = UTC). Missing, unparseable, before 1970, after year 9999 or of another type:
 *   MW_DECODE_BAD_TIMESTAMP.
 * - `service`: `"[cluster:]namespace/name"`, read by `parseServiceKey` (split at the first `/`,
 *   `%XX` escapes decoded; a bare name lands in namespace `default`), or
 *   `{ namespace?, name, cluster? }` (parts taken literally; an empty cluster is none). Missing
 *   or empty name/namespace: MW_DECODE_NO_IDENTITY; a part over 253 bytes or with control characters:
 *   MW_DECODE_BAD_IDENTITY (identity.ts); wrong types: MW_DECODE_SCHEMA.
 * - `metric`: a non-empty string, else MW_DECODE_SCHEMA; more than MAX_METRIC_NAME_CHARS characters
 *   or a control character (a metric name becomes a key and a label): MW_DECODE_BAD_VALUE.
 * - `value`: a finite JSON number (negative allowed: any gauge) with |value| <= SAMPLE_ABS_MAX
 *   (limits.ts). `"NaN"`/`"+Inf"` text (prometheus-kafka-adapter style), a non-finite number
 *   or an absurd magnitude: MW_DECODE_BAD_VALUE; any other
 *   non-number, numeric strings included: MW_DECODE_SCHEMA.
 */
import { parseServiceKey, type Sample, type ServiceId } from '../model.js';
import { type Result, fail, ok } from '../result.js';
import { type Obj, type Part, has, isNonFiniteText, isObj, own, typeName } from './fields.js';
import { validateServiceId } from './identity.js';
import { quote } from './json-text.js';
import { MAX_EVENT_TIME_MS, MAX_METRIC_NAME_CHARS, SAMPLE_ABS_MAX } from './limits.js';

/** True when `s` holds a C0 control character or DEL. */
function hasControlChar(s: string): boolean {
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    if (c < 0x20 || c === 0x7f) return true;
  }
  return false;
}
import { parseTimestampMs } from './time.js';

export const isSample = (v: unknown): v is Obj => isObj(v) && has(v, 'metric');

function sampleTs(v: unknown): Result<number> {
  if (v === undefined || v === null) return fail('MW_DECODE_BAD_TIMESTAMP', 'ts: missing');
  if (typeof v === 'number') {
    return Number.isFinite(v) && v >= 0 && v <= MAX_EVENT_TIME_MS
      ? ok(v)
      : fail('MW_DECODE_BAD_TIMESTAMP', `ts: ${v} is not an epoch-ms time between 1970 and 9999`);
  }
  if (typeof v === 'string') {
    const ms = parseTimestampMs(v);
    return ms === undefined || ms > MAX_EVENT_TIME_MS ? fail('MW_DECODE_BAD_TIMESTAMP', `ts: not an ISO 8601 time: ${quote(v)}`) : ok(ms);
  }
  return fail('MW_DECODE_BAD_TIMESTAMP', `ts: expected epoch ms or an ISO 8601 string, got ${typeName(v)}`);
}

function sampleService(v: unknown): Result<ServiceId> {
  let s: ServiceId;
  if (v === undefined || v === null || v === '') return fail('MW_DECODE_NO_IDENTITY', 'service: missing');
  if (typeof v === 'string') {
    s = parseServiceKey(v);
  } else if (isObj(v)) {
    const namespace = own(v, 'namespace');
    const name = own(v, 'name');
    const cluster = own(v, 'cluster');
    if (typeof name !== 'string')
      return name === undefined || name === null
        ? fail('MW_DECODE_NO_IDENTITY', 'service.name: missing')
        : fail('MW_DECODE_SCHEMA', `service.name: expected string, got ${typeName(name)}`);
    if (namespace !== undefined && namespace !== null && typeof namespace !== 'string')
      return fail('MW_DECODE_SCHEMA', `service.namespace: expected string, got ${typeName(namespace)}`);
    if (cluster !== undefined && cluster !== null && typeof cluster !== 'string')
      return fail('MW_DECODE_SCHEMA', `service.cluster: expected string, got ${typeName(cluster)}`);
    s = { namespace: typeof namespace === 'string' ? namespace : 'default', name };
    if (typeof cluster === 'string' && cluster !== '') s.cluster = cluster;
  } else {
    return fail('MW_DECODE_SCHEMA', `service: expected "namespace/name" or an object, got ${typeName(v)}`);
  }
  return validateServiceId(s, 'service');
}

function sampleValue(v: unknown): Result<number> {
  if (typeof v === 'number') {
    if (!Number.isFinite(v)) return fail('MW_DECODE_BAD_VALUE', `value: not a finite number (${v})`);
    if (Math.abs(v) > SAMPLE_ABS_MAX) return fail('MW_DECODE_BAD_VALUE', `value: ${v} is beyond the plausible magnitude ${SAMPLE_ABS_MAX}`);
    return ok(v);
  }
  if (typeof v === 'string' && isNonFiniteText(v)) return fail('MW_DECODE_BAD_VALUE', `value: not a finite number (${quote(v)})`);
  return fail('MW_DECODE_SCHEMA', v === undefined ? 'value: missing' : `value: expected number, got ${typeName(v)}`);
}

export function decodeSample(o: Obj): Result<Part> {
  const ts = sampleTs(own(o, 'ts'));
  if (!ts.ok) return ts;
  const service = sampleService(own(o, 'service'));
  if (!service.ok) return service;
  const metric = own(o, 'metric');
  if (typeof metric !== 'string' || metric === '') {
    return fail('MW_DECODE_SCHEMA', `metric: expected a non-empty string, got ${typeof metric === 'string' ? '""' : typeName(metric)}`);
  }
  if (metric.length > MAX_METRIC_NAME_CHARS)
    return fail('MW_DECODE_BAD_VALUE', `metric: ${metric.length} characters, limit ${MAX_METRIC_NAME_CHARS} (${quote(metric, 40)})`);
  if (hasControlChar(metric)) return fail('MW_DECODE_BAD_VALUE', `metric: a control character in ${quote(metric)}`);
  const value = sampleValue(own(o, 'value'));
  if (!value.ok) return value;
  const sample: Sample = { ts: ts.value, service: service.value, metric, value: value.value };
  return ok({ observations: [{ kind: 'sample', sample }], ignored: 0 });
}
