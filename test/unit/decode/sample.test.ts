import { describe, expect, test } from 'vitest';
import { decode } from '../../../src/core/decode/index.js';
import { type Sample } from '../../../src/core/model.js';
import { fixtureLines } from './fixtures.js';

const opts = { hint: 'auto', maxBytes: 1_000_000 } as const;
const utc = (iso: string): number => Date.parse(iso);
const aws = (name: string): Sample['service'] => ({ namespace: 'realAWSCloudwatch', name });

const [nab0, nab1, nab2] = fixtureLines('sample/nab.ndjson');
const [can0, can1, can2, can3] = fixtureLines('sample/canonical.ndjson');

const samples: { name: string; text: string | undefined; expected: Sample }[] = [
  {
    name: 'NAB ec2 cpu (float)',
    text: nab0,
    expected: { ts: utc('2014-02-14T14:30:00Z'), service: aws('ec2_cpu_utilization_24ae8d'), metric: 'value', value: 0.132 },
  },
  {
    name: 'NAB elb requests (integer)',
    text: nab1,
    expected: { ts: utc('2014-04-10T00:04:00Z'), service: aws('elb_request_count_8c0756'), metric: 'value', value: 94 },
  },
  {
    name: 'NAB name with dots and dashes',
    text: nab2,
    expected: { ts: utc('2013-10-09T16:25:00Z'), service: aws('iio_us-east-1_i-a2eb1cd9_NetworkIn'), metric: 'value', value: 9926554 },
  },
  {
    name: 'epoch ms + object service with cluster',
    text: can0,
    expected: {
      ts: 1741944411472,
      service: { namespace: 'bookinfo', name: 'reviews', cluster: 'prod-eu1' },
      metric: 'latency_p99_ms',
      value: 231.5,
    },
  },
  {
    name: 'bare name -> default namespace, negative gauge',
    text: can1,
    expected: { ts: 1741944411472, service: { namespace: 'default', name: 'checkout' }, metric: 'queue_depth', value: -3 },
  },
  {
    name: 'zone offset; object without namespace',
    text: can2,
    expected: { ts: utc('2025-03-14T09:26:51.472Z'), service: { namespace: 'default', name: 'ledger' }, metric: 'balance_delta', value: 0 },
  },
  {
    name: 'raw NAB time (space, no zone = UTC), exponent',
    text: can3,
    expected: { ts: utc('2014-02-14T14:30:00Z'), service: aws('ec2_cpu_utilization_24ae8d'), metric: 'value', value: 0.132 },
  },
];

describe('samples', () => {
  test.each(samples)('$name', ({ text, expected }) => {
    expect(decode(text ?? '', opts)).toStrictEqual({
      ok: true,
      value: { decoder: 'sample', observations: [{ kind: 'sample', sample: expected }], ignored: 0 },
    });
  });

  test('hint sample gives the same result as auto', () => {
    expect(decode(nab0 ?? '', { hint: 'sample', maxBytes: 1000 })).toStrictEqual(decode(nab0 ?? '', opts));
  });
});

const good = { ts: '2014-02-14T14:30:00Z', service: 'ns/svc', metric: 'value', value: 1 };
const bad: { name: string; text: string; code: string; reason: string }[] = [
  {
    name: '"NaN" value (adapter stale marker)',
    text: JSON.stringify({ ...good, value: 'NaN' }),
    code: 'MW_DECODE_BAD_VALUE',
    reason: 'value: not a finite number ("NaN")',
  },
  {
    name: '"+Inf" value',
    text: JSON.stringify({ ...good, value: '+Inf' }),
    code: 'MW_DECODE_BAD_VALUE',
    reason: 'value: not a finite number ("+Inf")',
  },
  {
    name: 'overflowing 1e999',
    text: JSON.stringify(good).replace('"value":1', '"value":1e999'),
    code: 'MW_DECODE_BAD_VALUE',
    reason: 'value: not a finite number (Infinity)',
  },
  {
    name: 'numeric string value',
    text: JSON.stringify({ ...good, value: '12' }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'value: expected number, got string',
  },
  {
    name: 'null value',
    text: JSON.stringify({ ...good, value: null }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'value: expected number, got null',
  },
  { name: 'missing value', text: JSON.stringify({ ...good, value: undefined }), code: 'MW_DECODE_SCHEMA', reason: 'value: missing' },
  {
    name: 'empty metric',
    text: JSON.stringify({ ...good, metric: '' }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'metric: expected a non-empty string, got ""',
  },
  {
    name: 'numeric metric',
    text: JSON.stringify({ ...good, metric: 7 }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'metric: expected a non-empty string, got number',
  },
  { name: 'missing ts', text: JSON.stringify({ ...good, ts: undefined }), code: 'MW_DECODE_BAD_TIMESTAMP', reason: 'ts: missing' },
  {
    name: 'Feb 30',
    text: JSON.stringify({ ...good, ts: '2014-02-30T00:00:00Z' }),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    reason: 'ts: not an ISO 8601 time: "2014-02-30T00:00:00Z"',
  },
  {
    name: 'epoch ms as a string',
    text: JSON.stringify({ ...good, ts: '1741944411472' }),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    reason: 'ts: not an ISO 8601 time',
  },
  {
    name: 'negative epoch',
    text: JSON.stringify({ ...good, ts: -1 }),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    reason: 'ts: -1 is not an epoch-ms time',
  },
  {
    name: 'boolean ts',
    text: JSON.stringify({ ...good, ts: true }),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    reason: 'ts: expected epoch ms or an ISO 8601 string, got boolean',
  },
  {
    name: 'missing service',
    text: JSON.stringify({ ...good, service: undefined }),
    code: 'MW_DECODE_NO_IDENTITY',
    reason: 'service: missing',
  },
  { name: 'empty service', text: JSON.stringify({ ...good, service: '' }), code: 'MW_DECODE_NO_IDENTITY', reason: 'service: missing' },
  {
    name: 'empty namespace',
    text: JSON.stringify({ ...good, service: '/svc' }),
    code: 'MW_DECODE_NO_IDENTITY',
    reason: 'service.namespace: empty',
  },
  { name: 'empty name', text: JSON.stringify({ ...good, service: 'ns/' }), code: 'MW_DECODE_NO_IDENTITY', reason: 'service.name: empty' },
  {
    name: 'object without name',
    text: JSON.stringify({ ...good, service: { namespace: 'ns' } }),
    code: 'MW_DECODE_NO_IDENTITY',
    reason: 'service.name: missing',
  },
  {
    name: 'numeric service',
    text: JSON.stringify({ ...good, service: 42 }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'service: expected "namespace/name" or an object, got number',
  },
  {
    name: 'numeric service.name',
    text: JSON.stringify({ ...good, service: { name: 5 } }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'service.name: expected string, got number',
  },
  {
    name: 'numeric service.cluster',
    text: JSON.stringify({ ...good, service: { name: 'a', cluster: 1 } }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'service.cluster: expected string, got number',
  },
];

describe('sample errors', () => {
  test.each(bad)('$name -> $code', ({ text, code, reason }) => {
    const r = decode(text, opts);
    expect(r.ok ? undefined : { code: r.error.code, decoder: r.error.decoder }).toStrictEqual({ code, decoder: 'sample' });
    expect(r.ok ? '' : r.error.reason).toContain(reason);
  });
});
