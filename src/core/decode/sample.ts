/**
 * Canonical samples `{ ts, service, metric, value }` (replay files, NAB) -> `{ kind: 'sample' }`.
 *
 * - `ts`: epoch milliseconds (number) or an ISO 8601 / RFC 3339 string (`2014-07-01T00:00:00Z`;
 *   no zone = UTC). Missing, unparseable, before 1970 or of another type: MW_DECODE_BAD_TIMESTAMP.
 * - `service`: `"[cluster:]namespace/name"`, read by `parseServiceKey` (split at the first `/`,
 *   `%XX` escapes decoded; a bare name lands in namespace `default`), or
 *   `{ namespace?, name, cluster? }` (parts taken literally; an empty cluster is none). Missing
 *   or empty name/namespace: MW_DECODE_NO_IDENTITY; a part over 253 bytes or with control characters:
 *   MW_DECODE_BAD_IDENTITY (identity.ts); wrong types: MW_DECODE_SCHEMA.
 * - `metric`: a non-empty string, else MW_DECODE_SCHEMA.
 * - `value`: a finite JSON number (negative allowed: any gauge). `"NaN"`/`"+Inf"` text
 *   (prometheus-kafka-adapter style) or a non-finite number: MW_DECODE_BAD_VALUE; any other
 *   non-number, numeric strings included: MW_DECODE_SCHEMA.
 */
import { parseServiceKey, type Sample, type ServiceId } from '../model.js';
import { type Result, fail, ok } from '../result.js';
import { type Obj, type Part, isNonFiniteText, isObj, typeName } from './fields.js';
import { validateServiceId } from './identity.js';
import { parseTimestampMs } from './time.js';

export const isSample = (v: unknown): v is Obj => isObj(v) && 'metric' in v;

function sampleTs(v: unknown): Result<number> {
  if (v === undefined || v === null) return fail('MW_DECODE_BAD_TIMESTAMP', 'ts: missing');
  if (typeof v === 'number') {
    return Number.isFinite(v) && v >= 0 ? ok(v) : fail('MW_DECODE_BAD_TIMESTAMP', `ts: ${v} is not an epoch-ms time`);
  }
  if (typeof v === 'string') {
    const ms = parseTimestampMs(v);
    return ms === undefined ? fail('MW_DECODE_BAD_TIMESTAMP', `ts: not an ISO 8601 time: "${v}"`) : ok(ms);
  }
  return fail('MW_DECODE_BAD_TIMESTAMP', `ts: expected epoch ms or an ISO 8601 string, got ${typeName(v)}`);
}

function sampleService(v: unknown): Result<ServiceId> {
  let s: ServiceId;
  if (v === undefined || v === null || v === '') return fail('MW_DECODE_NO_IDENTITY', 'service: missing');
  if (typeof v === 'string') {
    s = parseServiceKey(v);
  } else if (isObj(v)) {
    const { namespace, name, cluster } = v;
    if (typeof name !== 'string')
      return name === undefined || name === null
        ? fail('MW_DECODE_NO_IDENTITY', 'service.name: missing')
        : fail('MW_DECODE_SCHEMA', `service.name: expected string, got ${typeName(name)}`);
    if (namespace !== undefined && namespace !== null && typeof namespace !== 'string')
      return fail('MW_DECODE_SCHEMA', `service.namespace: expected string, got ${typeName(namespace)}`);
    if (cluster !== undefined && cluster !== null && typeof cluster !== 'string')
      return fail('MW_DECODE_SCHEMA', `service.cluster: expected string, got ${typeName(cluster)}`);
    s = { namespace: namespace ?? 'default', name };
    if (cluster) s.cluster = cluster;
  } else {
    return fail('MW_DECODE_SCHEMA', `service: expected "namespace/name" or an object, got ${typeName(v)}`);
  }
  return validateServiceId(s, 'service');
}

function sampleValue(v: unknown): Result<number> {
  if (typeof v === 'number') return Number.isFinite(v) ? ok(v) : fail('MW_DECODE_BAD_VALUE', `value: not a finite number (${v})`);
  if (typeof v === 'string' && isNonFiniteText(v)) return fail('MW_DECODE_BAD_VALUE', `value: not a finite number ("${v}")`);
  return fail('MW_DECODE_SCHEMA', v === undefined ? 'value: missing' : `value: expected number, got ${typeName(v)}`);
}

export function decodeSample(o: Obj): Result<Part> {
  const ts = sampleTs(o['ts']);
  if (!ts.ok) return ts;
  const service = sampleService(o['service']);
  if (!service.ok) return service;
  const metric = o['metric'];
  if (typeof metric !== 'string' || metric === '') {
    return fail('MW_DECODE_SCHEMA', `metric: expected a non-empty string, got ${typeof metric === 'string' ? '""' : typeName(metric)}`);
  }
  const value = sampleValue(o['value']);
  if (!value.ok) return value;
  const sample: Sample = { ts: ts.value, service: service.value, metric, value: value.value };
  return ok({ observations: [{ kind: 'sample', sample }], ignored: 0 });
}
