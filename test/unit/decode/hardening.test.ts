import { describe, expect, test } from 'vitest';
import { type DecodeOptions, decode, decodeBytes, utf8Length } from '../../../src/core/decode/index.js';
import { scanJson } from '../../../src/core/decode/json-text.js';
import { LIMITS } from '../../../src/core/decode/limits.js';
import { fixture } from './fixtures.js';

const auto: DecodeOptions = { hint: 'auto', maxBytes: 1024 * 1024 };
const enc = new TextEncoder();
const codeOf = (text: string, opts: DecodeOptions = auto): string | undefined => {
  const r = decode(text, opts);
  return r.ok ? undefined : r.error.code;
};
const reasonOf = (text: string, opts: DecodeOptions = auto): string => {
  const r = decode(text, opts);
  return r.ok ? '' : r.error.reason;
};
const sample = (extra: Record<string, unknown> = {}): Record<string, unknown> => ({
  ts: 1741944411472,
  service: 'shop/cart',
  metric: 'queue_depth',
  value: 3,
  ...extra,
});
const deepService = (depth: number): string =>
  `{"ts":1741944411472,"metric":"m","value":1,"service":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;

describe('size is counted in UTF-8 bytes', () => {
  const cjk = JSON.stringify(sample({ note: '指標'.repeat(200) })); // 3 bytes per CJK character

  test('a CJK record within the limit in characters but not in bytes is TOO_LARGE', () => {
    const bytes = enc.encode(cjk).byteLength;
    expect(cjk.length).toBeLessThan(bytes);
    const opts = { ...auto, maxBytes: bytes - 1 };
    expect(cjk.length).toBeLessThanOrEqual(opts.maxBytes);
    expect(codeOf(cjk, opts)).toBe('MW_DECODE_TOO_LARGE');
    expect(decodeBytes(enc.encode(cjk), opts)).toMatchObject({ ok: false, error: { code: 'MW_DECODE_TOO_LARGE' } });
    expect(decode(cjk, { ...auto, maxBytes: bytes }).ok).toBe(true);
    expect(decodeBytes(enc.encode(cjk), { ...auto, maxBytes: bytes }).ok).toBe(true);
  });

  test.each([
    ['ascii', 'abc'],
    ['two-byte', 'é ß'],
    ['three-byte', '指標'],
    ['surrogate pairs', '😀x😀'],
    ['lone surrogates (U+FFFD)', '\ud800x\udc00'],
  ])('utf8Length matches TextEncoder: %s', (_n, s) => {
    expect(utf8Length(s, 1000)).toBe(enc.encode(s).byteLength);
  });

  test('decodeBytes refuses the oversize value before converting it', () => {
    const r = decodeBytes(new Uint8Array(2_000_000), { ...auto, maxBytes: 1_000_000 });
    expect(r).toStrictEqual({
      ok: false,
      error: { code: 'MW_DECODE_TOO_LARGE', reason: '(message): 2000000 bytes, limit 1000000', decoder: 'auto' },
    });
  });

  test.each([
    ['invalid UTF-8', Uint8Array.from([0x7b, 0x22, 0xff, 0xfe, 0x22, 0x7d])],
    ['gzip magic', Uint8Array.from([0x1f, 0x8b, 0x08, 0x00, 0xc3, 0x28])],
    ['truncated multibyte sequence', enc.encode('{"m":"指').slice(0, -1)],
  ])('decodeBytes: %s is NOT_TEXT', (_n, bytes) => {
    const r = decodeBytes(bytes, auto);
    expect(r.ok ? undefined : r.error.code).toBe('MW_DECODE_NOT_TEXT');
  });

  test('decodeBytes decodes what decode decodes', () => {
    const text = fixture('envoy/fluent-bit-cri.json');
    expect(decodeBytes(enc.encode(text), auto)).toStrictEqual(decode(text, auto));
  });

  test('a null value (tombstone) is a rejection, not a throw', () => {
    expect(decodeBytes(null, auto).ok).toBe(false);
  });
});

describe('depth and width', () => {
  test('the 20,000-deep service object is TOO_DEEP, with a bounded reason', () => {
    const text = deepService(20_000);
    expect(text.length).toBeGreaterThan(100_000);
    expect(codeOf(text)).toBe('MW_DECODE_TOO_DEEP');
    expect(reasonOf(text)).toBe('(message): JSON nests deeper than 32 levels');
  });

  test.each([
    [31, undefined],
    [32, 'MW_DECODE_TOO_DEEP'], // the root object is level 1
  ])('depth %i below the root', (depth, code) => {
    const r = decode(deepService(depth), auto);
    // Within the limit the record parses and fails later, on its nameless service object.
    expect(r.ok ? undefined : r.error.code).toBe(code ?? 'MW_DECODE_NO_IDENTITY');
  });

  test('the limits come from the options', () => {
    expect(codeOf(deepService(5), { ...auto, maxJsonDepth: 4 })).toBe('MW_DECODE_TOO_DEEP');
    const wide = JSON.stringify(sample({ extra: Array.from({ length: 11 }, (_, i) => i) }));
    expect(codeOf(wide, { ...auto, maxJsonWidth: 10 })).toBe('MW_DECODE_TOO_WIDE');
    expect(codeOf(wide, { ...auto, maxJsonWidth: 11 })).toBeUndefined();
    expect(reasonOf(wide, { ...auto, maxJsonWidth: 10 })).toBe('(message): a JSON object or array has more than 10 members');
  });

  test('a wide object at the default limit', () => {
    const keys = Object.fromEntries(Array.from({ length: 10_001 }, (_, i) => [`k${i}`, 1]));
    expect(codeOf(JSON.stringify(sample({ extra: keys })))).toBe('MW_DECODE_TOO_WIDE');
  });

  test('brackets, commas and quotes inside strings do not count', () => {
    const text = JSON.stringify(sample({ note: '[[[[{{{{,,,,\\"'.repeat(100) }));
    expect(scanJson(text, { maxDepth: 2, maxWidth: 5 })).toBeUndefined();
    expect(codeOf(text, { ...auto, maxJsonDepth: 2, maxJsonWidth: 5 })).toBeUndefined();
  });

  test.each([
    ['Fluent Bit log', (inner: string) => JSON.stringify({ log: inner, kubernetes: { pod_name: 'p-1', namespace_name: 'n' } }), 'log'],
    ['Vector message', (inner: string) => JSON.stringify({ message: inner }), 'message'],
    ['OTel raw string literal', (inner: string) => JSON.stringify(inner), '(string literal)'],
  ])('an embedded line goes through the same guard: %s', (_n, wrap, where) => {
    const inner = `{"start_time":"2023-05-02T01:45:04.158Z","response_code":200,"x":${'['.repeat(40)}${']'.repeat(40)}}`;
    const r = decode(wrap(inner), auto);
    expect(r.ok ? undefined : r.error).toStrictEqual({
      code: 'MW_DECODE_TOO_DEEP',
      reason: `${where}: JSON nests deeper than 32 levels`,
      decoder: 'envoy',
    });
  });
});

describe('reasons quote at most ~200 characters of input', () => {
  const huge = 'x'.repeat(100_000);
  test.each([
    ['sample ts', JSON.stringify(sample({ ts: huge }))],
    ['sample value text', JSON.stringify(sample({ value: ` nan${' '.repeat(50_000)}` }))],
    ['Envoy start_time', JSON.stringify({ start_time: huge, response_code: 200 })],
    ['cAdvisor timestamp', JSON.stringify({ container_Id: 'abc', container_Name: '/x', container_stats: { timestamp: huge } })],
    ['cAdvisor label key', JSON.stringify({ container_labels: { [huge]: 1 }, container_stats: {} })],
    ['legacy number text', JSON.stringify({ start_time: '2023-05-02T01:45:04.158Z', response_code: `-${'9'.repeat(50_000)}` })],
    ['unknown format keys', JSON.stringify({ [huge]: 1, [`${huge}y`]: 2 })],
    ['invalid JSON', `{"a":${huge}`],
    ['OTLP schema path', JSON.stringify({ resourceLogs: [{ scopeLogs: [{ logRecords: [{ body: { stringValue: 5 } }] }] }] })],
  ])('%s', (_n, text) => {
    const reason = reasonOf(text);
    expect(reason).not.toBe('');
    expect(reason.length).toBeLessThanOrEqual(400);
  });

  test('an empty sample service object names no value at all', () => {
    expect(reasonOf(JSON.stringify(sample({ service: { name: '', pad: huge } })))).toBe('service.name: empty');
  });
});

describe('absurd numbers are BAD_VALUE with the field path', () => {
  const access = (fields: Record<string, unknown>): string =>
    JSON.stringify({
      start_time: '2023-05-02T01:45:04.158Z',
      upstream_cluster: 'inbound|80||',
      requested_server_name: 'outbound_.8000_._.httpbin.istio-demo.svc.cluster.local',
      response_code: 200,
      ...fields,
    });
  const cadvisor = (stats: Record<string, unknown>): string =>
    JSON.stringify({
      container_Id: 'abc',
      container_Name: '/web',
      container_labels: { 'com.docker.compose.service': 'web' },
      container_stats: { timestamp: '2024-01-01T00:00:00Z', ...stats },
    });

  test.each([
    ['duration 2 days', access({ duration: 2 * 86_400_000 }), 'duration'],
    ['duration 1e308', access({ duration: 1e308 }), 'duration'],
    ['bytes 2^64', access({ bytes_sent: 2 ** 64 }), 'bytes_sent'],
    ['bytes fractional', access({ bytes_received: 1.5 }), 'bytes_received'],
    ['legacy bytes text 2^64', access({ bytes_sent: '18446744073709551616' }), 'bytes_sent'],
    ['legacy status text huge', access({ response_code: '9'.repeat(400) }), 'response_code'],
    ['status 1000', access({ response_code: 1000 }), 'response_code'],
    ['cpu 2^64 ns', cadvisor({ cpu: { usage: { total: 2 ** 64 } } }), 'container_stats.cpu.usage.total'],
    ['cfs periods beyond 2^53', cadvisor({ cpu: { cfs: { periods: 2 ** 60 } } }), 'container_stats.cpu.cfs.periods'],
    ['memory 2 PiB', cadvisor({ memory: { working_set: 2 ** 51, usage: 2 ** 51 } }), 'container_stats.memory.working_set'],
    ['processes 10^8', cadvisor({ processes: { process_count: 1e8 } }), 'container_stats.processes.process_count'],
    ['network 2^64', cadvisor({ network: { interfaces: [{ rx_bytes: 2 ** 64 }] } }), 'container_stats.network.interfaces[0].rx_bytes'],
    ['sample value 1e16', JSON.stringify(sample({ value: 1e16 })), 'value'],
    ['sample value -1e300', JSON.stringify(sample({ value: -1e300 })), 'value'],
  ])('%s', (_n, text, path) => {
    const r = decode(text, auto);
    expect(r.ok ? undefined : r.error.code).toBe('MW_DECODE_BAD_VALUE');
    expect(r.ok ? '' : r.error.reason).toMatch(new RegExp(`^${path.replace(/[.[\]]/g, '\\$&')}: `));
  });

  test.each([
    ['a day exactly', access({ duration: 86_400_000 })],
    ['1 TiB', access({ bytes_sent: 2 ** 40 })],
    ['cpu past 2^53 ns (long-lived container)', cadvisor({ cpu: { usage: { total: 2 ** 60 } } })],
    ['sample 1e15', JSON.stringify(sample({ value: -1e15 }))],
  ])('plausible: %s', (_n, text) => {
    expect(decode(text, auto).ok).toBe(true);
  });

  test.each([
    ['a 257-character metric name', JSON.stringify(sample({ metric: 'm'.repeat(257) })), 'metric: 257 characters, limit 256'],
    ['a NUL in a metric name', JSON.stringify(sample({ metric: 'cpu\u0000x' })), 'metric: a control character in "cpu\\u0000x"'],
    ['a newline in a metric name', JSON.stringify(sample({ metric: 'cpu\nx' })), 'metric: a control character in "cpu\\nx"'],
  ])('%s is BAD_VALUE', (_n, text, reason) => {
    expect(decode(text, auto)).toMatchObject({
      ok: false,
      error: { code: 'MW_DECODE_BAD_VALUE', reason: expect.stringContaining(reason) as string },
    });
  });

  test('the table is what the decoders use', () => {
    expect(LIMITS.durationMs.max).toBe(86_400_000);
  });

  test.each([
    ['year 275760 epoch ms', JSON.stringify(sample({ ts: 8.64e15 }))],
    ['epoch ms 1e300', JSON.stringify(sample({ ts: 1e300 }))],
  ])('timestamps past year 9999 are BAD_TIMESTAMP: %s', (_n, text) => {
    expect(codeOf(text)).toBe('MW_DECODE_BAD_TIMESTAMP');
  });
});

describe('prototype pollution is inert', () => {
  const snapshot = (): string[] => Object.getOwnPropertyNames(Object.prototype).sort();
  const before = snapshot();

  const hostile = [
    ['sample service object', '{"ts":1741944411472,"metric":"m","value":1,"service":{"__proto__":{"name":"evil"},"name":"cart"}}'],
    ['sample inherits no service', '{"ts":1741944411472,"metric":"m","value":1,"__proto__":{"service":"evil/x"}}'],
    [
      'sample constructor/prototype',
      '{"ts":1741944411472,"metric":"m","value":1,"service":"a/b","constructor":{"prototype":{"polluted":1}}}',
    ],
    [
      'cAdvisor labels',
      '{"container_Id":"x","container_labels":{"__proto__":{"polluted":"1"},"constructor":"c"},"container_stats":{"timestamp":"2024-01-01T00:00:00Z","memory":{"working_set":1,"usage":1}}}',
    ],
    [
      'cAdvisor stats',
      '{"container_Id":"x","container_stats":{"__proto__":{"memory":{"working_set":1,"usage":1}},"timestamp":"2024-01-01T00:00:00Z"}}',
    ],
    ['envoy log', '{"__proto__":{"start_time":"2023-05-02T01:45:04.158Z"},"response_code":200,"authority":"a"}'],
    ['Fluent Bit kubernetes', '{"log":"{}","kubernetes":{"__proto__":{"pod_name":"p"},"labels":{"__proto__":{"app":"x"}}}}'],
    [
      'OTLP kvlist body',
      JSON.stringify({
        resourceLogs: [
          {
            resource: { attributes: [{ key: 'k8s.pod.labels.__proto__', value: { stringValue: 'x' } }] },
            scopeLogs: [
              {
                logRecords: [
                  {
                    body: {
                      kvlistValue: {
                        values: [
                          {
                            key: '__proto__',
                            value: { kvlistValue: { values: [{ key: 'start_time', value: { stringValue: '2023-05-02T01:45:04.158Z' } }] } },
                          },
                          { key: 'response_code', value: { intValue: '200' } },
                        ],
                      },
                    },
                  },
                ],
              },
            ],
          },
        ],
      }),
    ],
  ] as const;

  test.each(hostile)('%s: no throw, no inherited field, no pollution', (_n, text) => {
    const r = decode(text, auto);
    expect(typeof r.ok).toBe('boolean');
    if (r.ok) for (const o of r.value.observations) expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
    expect(snapshot()).toStrictEqual(before);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
  });

  test('a __proto__ service object is not read as the service', () => {
    expect(reasonOf(hostile[0][1])).toBe('');
    const r = decode(hostile[0][1], auto);
    expect(r.ok && r.value.observations[0]).toMatchObject({ kind: 'sample', sample: { service: { name: 'cart' } } });
    expect(codeOf(hostile[1][1])).toBe('MW_DECODE_NO_IDENTITY');
  });

  test('inherited keys never make a record look like an access log', () => {
    expect(codeOf(hostile[5][1])).toBe('MW_DECODE_UNKNOWN_FORMAT');
  });
});

describe('a decoder that throws (a bug) still yields a Problem', () => {
  test('MW_DECODE_INTERNAL with the error, never an exception', () => {
    // Stands in for a decoder bug: reading the options throws mid-decode.
    const buggy = {
      hint: 'auto',
      maxBytes: 1024,
      get maxJsonDepth(): number {
        throw new RangeError('Maximum call stack size exceeded');
      },
    } as DecodeOptions;
    const text = JSON.stringify(sample());
    expect(decode(text, buggy)).toStrictEqual({
      ok: false,
      error: {
        code: 'MW_DECODE_INTERNAL',
        reason: '(message): a decoder failed on this record (RangeError: Maximum call stack size exceeded)',
        decoder: 'auto',
      },
    });
    expect(decodeBytes(enc.encode(text), buggy).ok).toBe(false);
  });
});
