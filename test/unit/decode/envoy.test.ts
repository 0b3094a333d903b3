import { describe, expect, test } from 'vitest';
import { decodeAccessLog } from '../../../src/core/decode/envoy.js';
import { decode } from '../../../src/core/decode/index.js';
import { type RequestRecord } from '../../../src/core/model.js';
import { fixture } from './fixtures.js';

const opts = { hint: 'auto', maxBytes: 1_000_000 } as const;
const utc = (iso: string): number => Date.parse(iso);

const messages: { file: string; requests: RequestRecord[]; ignored?: number }[] = [
  {
    // Istio 1.17 typed line, server side, no shipper: the Istio SNI names the local service.
    file: 'raw-typed-inbound.json',
    requests: [
      {
        ts: utc('2023-05-02T01:45:04.158Z'),
        service: { namespace: 'istio-demo', name: 'httpbin' },
        direction: 'inbound',
        protocol: 'HTTP/1.1',
        status: 200,
        isError: false,
        durationMs: 2,
        bytesReceived: 0,
        bytesSent: 508,
      },
    ],
  },
  {
    // Istio 1.5 legacy all-string line: "418", "-" placeholders, inbound cluster carrying the host.
    file: 'raw-legacy-inbound.json',
    requests: [
      {
        ts: utc('2020-12-08T03:24:22.162Z'),
        service: { namespace: 'default', name: 'httpbin' },
        direction: 'inbound',
        protocol: 'HTTP/1.1',
        status: 418,
        isError: false,
        durationMs: 1,
        bytesReceived: 0,
        bytesSent: 135,
      },
    ],
  },
  {
    // TCP: protocol "-" -> tcp, response_code 0 without failure flags is not an error.
    file: 'raw-typed-tcp-inbound.json',
    requests: [
      {
        ts: utc('2025-03-14T09:30:00.001Z'),
        service: { namespace: 'db', name: 'mysql' },
        direction: 'inbound',
        protocol: 'tcp',
        status: 0,
        isError: false,
        durationMs: 60012,
        bytesReceived: 18342,
        bytesSent: 901245,
      },
    ],
  },
  {
    // Fluent Bit cri + kubernetes filter: canonical-name label names the emitter; 503 URX,UF.
    file: 'fluent-bit-cri.json',
    requests: [
      {
        ts: utc('2025-03-14T09:26:51.457Z'),
        service: { namespace: 'bookinfo', name: 'productpage' },
        direction: 'outbound',
        peer: { namespace: 'bookinfo', name: 'reviews' },
        protocol: 'HTTP/1.1',
        status: 503,
        isError: true,
        durationMs: 27,
        bytesReceived: 0,
        bytesSent: 91,
        pod: { key: 'bookinfo/productpage-v1-6b746f74dc-9stvs', labelled: true },
      },
    ],
  },
  {
    // Fluent Bit docker parser (log ends with \n) + legacy Istio 1.5 line.
    file: 'fluent-bit-docker-legacy.json',
    requests: [
      {
        ts: utc('2020-12-08T03:24:22.162Z'),
        service: { namespace: 'default', name: 'sleep' },
        direction: 'outbound',
        peer: { namespace: 'default', name: 'httpbin' },
        protocol: 'HTTP/1.1',
        status: 418,
        isError: false,
        durationMs: 2,
        bytesReceived: 0,
        bytesSent: 135,
        pod: { key: 'default/sleep-854565cb79-x8n9q', labelled: true },
      },
    ],
  },
  {
    // Merge_Log On: keys at top level; Istio 1.23/1.24 trailing ';' on the cluster; subset v1.
    file: 'fluent-bit-merged.json',
    requests: [
      {
        ts: utc('2025-03-14T09:26:53.120Z'),
        service: { namespace: 'bookinfo', name: 'reviews' },
        direction: 'outbound',
        peer: { namespace: 'bookinfo', name: 'ratings' },
        protocol: 'HTTP/2',
        status: 200,
        isError: false,
        durationMs: 4,
        bytesReceived: 154,
        bytesSent: 48,
        pod: { key: 'bookinfo/reviews-v2-7d7c9c8f5b-5lmnp', labelled: true },
      },
    ],
  },
  { file: 'fluent-bit-envoy-warning.json', requests: [], ignored: 1 },
  {
    // Vector: pod_labels app.kubernetes.io/name; TCP egress to a ServiceEntry host -> external peer.
    file: 'vector.json',
    requests: [
      {
        ts: utc('2025-03-14T09:27:10.250Z'),
        service: { namespace: 'shop', name: 'checkout' },
        direction: 'outbound',
        peer: { namespace: 'external', name: 'api.stripe.com' },
        protocol: 'tcp',
        status: 0,
        isError: false,
        durationMs: 1532,
        bytesReceived: 1836,
        bytesSent: 5210,
        pod: { key: 'shop/checkout-7d9f8b6c5d-q2w4e', labelled: true },
      },
    ],
  },
  {
    // OTLP/JSON batch: 2 resources, 4 records, one of them Envoy's own log line (ignored);
    // no labels in the resource -> pod name without hash; DC with status 0 is not an error.
    file: 'otlp-filelog.json',
    requests: [
      {
        ts: utc('2025-03-14T09:26:51.470Z'),
        service: { namespace: 'bookinfo', name: 'reviews-v1' },
        direction: 'inbound',
        protocol: 'HTTP/1.1',
        status: 200,
        isError: false,
        durationMs: 12,
        bytesReceived: 0,
        bytesSent: 358,
        pod: { key: 'bookinfo/reviews-v1-5b4d8f7c9-x2x7k', labelled: false },
      },
      {
        ts: utc('2025-03-14T09:26:51.474Z'),
        service: { namespace: 'bookinfo', name: 'reviews-v1' },
        direction: 'outbound',
        peer: { namespace: 'bookinfo', name: 'ratings' },
        protocol: 'HTTP/1.1',
        status: 0,
        isError: false,
        durationMs: 3,
        bytesReceived: 0,
        bytesSent: 0,
        pod: { key: 'bookinfo/reviews-v1-5b4d8f7c9-x2x7k', labelled: false },
      },
      {
        ts: utc('2025-03-14T09:26:51.480Z'),
        service: { namespace: 'bookinfo', name: 'productpage-v1' },
        direction: 'outbound',
        peer: { namespace: 'bookinfo', name: 'details' },
        protocol: 'HTTP/1.1',
        status: 503,
        isError: true,
        durationMs: 0,
        bytesReceived: 0,
        bytesSent: 19,
        pod: { key: 'bookinfo/productpage-v1-6b746f74dc-9stvs', labelled: false },
      },
    ],
    ignored: 1,
  },
  {
    // OTel raw encoding: a JSON string literal with Go's \u003c \u0026 escapes; SPIFFE peer from a custom field.
    file: 'otel-raw.json',
    requests: [
      {
        ts: utc('2025-03-14T09:28:00.125Z'),
        service: { namespace: 'shop', name: 'search' },
        direction: 'inbound',
        peer: { namespace: 'shop', name: 'frontend' },
        protocol: 'HTTP/2',
        status: 200,
        isError: false,
        durationMs: 87,
        bytesReceived: 0,
        bytesSent: 20480,
      },
    ],
  },
];

describe('envoy messages', () => {
  test.each(messages)('$file', ({ file, requests, ignored = 0 }) => {
    expect(decode(fixture(`envoy/${file}`), opts)).toStrictEqual({
      ok: true,
      value: { decoder: 'envoy', observations: requests.map((request) => ({ kind: 'request', request })), ignored },
    });
  });

  // The callee's inbound line counts the request; an outbound line without its pod cannot name its caller.
  test.each(['raw-typed-outbound.json', 'raw-legacy-outbound.json'])('%s without a shipper decodes, skipped by design', (file) => {
    expect(decode(fixture(`envoy/${file}`), opts)).toStrictEqual({ ok: true, value: { decoder: 'envoy', observations: [], ignored: 1 } });
  });

  test.each([
    [
      'OTel raw string literal of a text line',
      JSON.stringify('2025-03-14T09:26:52.001019Z\twarning\tenvoy upstream\tDNS resolution failed'),
    ],
    [
      'Vector record of a JSON app log',
      JSON.stringify({ message: '{"level":"info","msg":"started"}', kubernetes: { pod_name: 'a-0', pod_namespace: 'b' } }),
    ],
  ])('%s is ignored, not an error', (_name, text) => {
    expect(decode(text, opts)).toStrictEqual({ ok: true, value: { decoder: 'envoy', observations: [], ignored: 1 } });
  });

  test('the Go escapes decode to the real path (a string literal is parsed twice)', () => {
    const inner = JSON.parse(fixture('envoy/otel-raw.json')) as string;
    expect((JSON.parse(inner) as { path: string }).path).toBe('/search?q=<b>socks</b>&page=2');
  });

  test('opts.cluster is stamped on the emitter, not on the peer', () => {
    const r = decode(fixture('envoy/vector.json'), { ...opts, cluster: 'prod-eu1' });
    expect(r.ok && r.value.observations[0]).toMatchObject({
      request: {
        service: { namespace: 'shop', name: 'checkout', cluster: 'prod-eu1' },
        peer: { namespace: 'external', name: 'api.stripe.com' },
      },
    });
  });
});

// ---- direction, peer and error rules on single typed/legacy logs (emitting pod given) ----
const pod = { namespace: 'bookinfo', pod: 'productpage-v1-6b746f74dc-9stvs' };
const base = {
  start_time: '2025-03-14T09:26:51.457Z',
  response_flags: '-',
  protocol: 'HTTP/1.1',
  response_code: 200,
  duration: 5,
  bytes_received: 10,
  bytes_sent: 20,
};
type Expect = Partial<
  Pick<RequestRecord, 'direction' | 'peer' | 'status' | 'isError' | 'protocol' | 'durationMs' | 'bytesReceived' | 'bytesSent' | 'service'>
>;

const rules: { name: string; log: Record<string, unknown>; expected: Expect; pod?: typeof pod | undefined }[] = [
  {
    name: 'TCP upstream connect failure (0, UF) is an error',
    log: { upstream_cluster: 'outbound|3306||mysql.db.svc.cluster.local', protocol: '-', response_code: 0, response_flags: 'UF' },
    expected: { direction: 'outbound', peer: { namespace: 'db', name: 'mysql' }, protocol: 'tcp', status: 0, isError: true },
  },
  {
    name: 'retry limit after connect failures (0, UF,URX)',
    log: { upstream_cluster: 'outbound|9080||reviews.bookinfo.svc.cluster.local', response_code: 0, response_flags: 'UF,URX' },
    expected: { peer: { namespace: 'bookinfo', name: 'reviews' }, status: 0, isError: true },
  },
  {
    name: 'client disconnect (0, DC) is not an error',
    log: { upstream_cluster: 'outbound|9080||reviews.bookinfo.svc.cluster.local', response_code: 0, response_flags: 'DC' },
    expected: { peer: { namespace: 'bookinfo', name: 'reviews' }, isError: false },
  },
  {
    name: '404 NR is not an error; no cluster -> outbound, peer from authority',
    log: { upstream_cluster: null, response_code: 404, response_flags: 'NR', authority: 'reviews.bookinfo.svc.cluster.local:9080' },
    expected: { direction: 'outbound', peer: { namespace: 'bookinfo', name: 'reviews' }, status: 404, isError: false },
  },
  {
    name: '504 UT is an error',
    log: { upstream_cluster: 'outbound|9080||reviews.bookinfo.svc.cluster.local', response_code: 504, response_flags: 'UT' },
    expected: { peer: { namespace: 'bookinfo', name: 'reviews' }, status: 504, isError: true },
  },
  {
    name: 'PassthroughCluster TCP -> upstream IP as external',
    log: { upstream_cluster: 'PassthroughCluster', protocol: null, response_code: 0, authority: null, upstream_host: '142.250.74.46:443' },
    expected: { direction: 'outbound', peer: { namespace: 'external', name: '142.250.74.46' }, protocol: 'tcp' },
  },
  {
    name: 'PassthroughCluster IPv6 upstream',
    log: { upstream_cluster: 'PassthroughCluster', upstream_host: '[2001:db8::1]:443' },
    expected: { peer: { namespace: 'external', name: '2001:db8::1' } },
  },
  {
    name: 'PassthroughCluster HTTP -> authority host',
    log: { upstream_cluster: 'PassthroughCluster', authority: 'Example.COM:8080', upstream_host: '93.184.215.14:8080' },
    expected: { peer: { namespace: 'external', name: 'example.com' } },
  },
  {
    name: 'BlackHoleCluster 502 -> external authority, error',
    log: { upstream_cluster: 'BlackHoleCluster', response_code: 502, authority: 'evil.example.com', route_name: 'block_all' },
    expected: { direction: 'outbound', peer: { namespace: 'external', name: 'evil.example.com' }, isError: true },
  },
  {
    name: 'SRV-form cluster with subset',
    log: { upstream_cluster: 'outbound_.9080_.v2_.reviews.bookinfo.svc.cluster.local' },
    expected: { direction: 'outbound', peer: { namespace: 'bookinfo', name: 'reviews' } },
  },
  {
    name: 'plain Envoy cluster name -> external peer named after it',
    log: { upstream_cluster: 'service_google', authority: 'www.google.com' },
    expected: { direction: 'outbound', peer: { namespace: 'external', name: 'service_google' } },
  },
  {
    name: 'InboundPassthroughClusterIpv4 is inbound without peer',
    log: { upstream_cluster: 'InboundPassthroughClusterIpv4' },
    expected: { direction: 'inbound' },
  },
  {
    name: 'inbound with a SPIFFE source_principal',
    log: { upstream_cluster: 'inbound|9080||', source_principal: 'spiffe://cluster.local/ns/frontend/sa/web' },
    expected: { direction: 'inbound', peer: { namespace: 'frontend', name: 'web' } },
  },
  {
    name: 'inbound with several URI SANs',
    log: { upstream_cluster: 'inbound|9080||', downstream_peer_uri_san: 'https://example.org/x,spiffe://td.example/ns/ops/sa/cron' },
    expected: { peer: { namespace: 'ops', name: 'cron' } },
  },
  {
    name: 'waypoint inbound-vip names the local service without a shipper',
    log: { upstream_cluster: 'inbound-vip|9080|http|productpage.default.svc.cluster.local' },
    expected: { direction: 'inbound', service: { namespace: 'default', name: 'productpage' } },
    pod: undefined,
  },
  {
    name: 'no cluster but an Istio SNI -> inbound, SNI names the service',
    log: {
      upstream_cluster: null,
      response_code: 404,
      response_flags: 'NR',
      requested_server_name: 'outbound_.9080_._.reviews.bookinfo.svc.cluster.local',
    },
    expected: { direction: 'inbound', service: { namespace: 'bookinfo', name: 'reviews' } },
    pod: undefined,
  },
  {
    name: 'legacy "-" numbers are 0',
    log: {
      upstream_cluster: 'outbound|80||web.shop.svc.cluster.local',
      response_code: '0',
      duration: '-',
      bytes_received: '-',
      bytes_sent: '-',
      response_flags: 'UH',
    },
    expected: { peer: { namespace: 'shop', name: 'web' }, status: 0, durationMs: 0, bytesReceived: 0, bytesSent: 0, isError: true },
  },
  {
    name: 'legacy fractional string duration',
    log: { upstream_cluster: 'outbound|80||web.shop.svc.cluster.local', duration: '12.5' },
    expected: { peer: { namespace: 'shop', name: 'web' }, durationMs: 12.5 },
  },
];

describe('access-log rules', () => {
  test.each(rules)('$name', ({ log, expected, ...rest }) => {
    const r = decodeAccessLog({ ...base, ...log }, '', 'pod' in rest ? rest.pod : pod, undefined);
    expect(r.ok).toBe(true);
    if (!r.ok) return;
    expect(r.value).toMatchObject(expected);
    if (!('peer' in expected)) expect(r.value.peer).toBeUndefined();
  });
});

// ---- failures ----
const fluentBit = (log: string): string =>
  JSON.stringify({ '@timestamp': 1741944411.47, log, kubernetes: { pod_name: pod.pod, namespace_name: 'bookinfo' } });
const goodLine = JSON.stringify({ ...base, upstream_cluster: 'outbound|9080||reviews.bookinfo.svc.cluster.local' });
const otlp = (body: unknown): string =>
  JSON.stringify({
    resourceLogs: [
      {
        resource: {
          attributes: [
            { key: 'k8s.pod.name', value: { stringValue: pod.pod } },
            { key: 'k8s.namespace.name', value: { stringValue: 'bookinfo' } },
          ],
        },
        scopeLogs: [{ scope: {}, logRecords: [{ body: { stringValue: goodLine } }, { body }] }],
      },
    ],
  });

const failures: { name: string; text: string; code: string; reason: string }[] = [
  {
    name: 'response_code as boolean',
    text: fluentBit(JSON.stringify({ ...base, response_code: true })),
    code: 'MW_DECODE_SCHEMA',
    reason: 'log.response_code: expected number, got boolean',
  },
  {
    name: 'duration "NaN"',
    text: fluentBit(JSON.stringify({ ...base, duration: 'NaN' })),
    code: 'MW_DECODE_BAD_VALUE',
    reason: 'log.duration: not a finite number ("NaN")',
  },
  {
    name: 'negative bytes_sent',
    text: fluentBit(JSON.stringify({ ...base, bytes_sent: -1 })),
    code: 'MW_DECODE_BAD_VALUE',
    reason: 'log.bytes_sent: negative value -1 where only >= 0 is possible',
  },
  {
    name: 'legacy negative string',
    text: fluentBit(JSON.stringify({ ...base, bytes_received: '-5' })),
    code: 'MW_DECODE_BAD_VALUE',
    reason: 'log.bytes_received: negative value "-5" where only >= 0 is possible',
  },
  {
    name: 'duration with a unit',
    text: fluentBit(JSON.stringify({ ...base, duration: '12ms' })),
    code: 'MW_DECODE_SCHEMA',
    reason: 'log.duration: expected number, got string',
  },
  {
    name: 'cluster as a number',
    text: fluentBit(JSON.stringify({ ...base, upstream_cluster: 42 })),
    code: 'MW_DECODE_SCHEMA',
    reason: 'log.upstream_cluster: expected string, got number',
  },
  {
    name: 'start_time epoch seconds',
    text: fluentBit(JSON.stringify({ ...base, start_time: 1741944411 })),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    reason: 'log.start_time: expected an RFC 3339 string, got number',
  },
  {
    name: 'start_time month 13',
    text: fluentBit(JSON.stringify({ ...base, start_time: '2025-13-01T00:00:00.000Z' })),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    reason: 'log.start_time: not an RFC 3339 time: "2025-13-01T00:00:00.000Z"',
  },
  {
    name: 'start_time null',
    text: JSON.stringify({ ...base, start_time: null, kubernetes: { pod_name: pod.pod, namespace_name: 'bookinfo' } }),
    code: 'MW_DECODE_BAD_TIMESTAMP',
    reason: 'start_time: expected an RFC 3339 string, got null',
  },
  {
    name: 'pod label not a string',
    text: JSON.stringify({ log: goodLine, kubernetes: { pod_name: pod.pod, namespace_name: 'bookinfo', labels: { app: 1 } } }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'kubernetes.labels["app"]: expected string, got number',
  },
  {
    name: 'kubernetes block is a string',
    text: JSON.stringify({ message: goodLine, kubernetes: 'bookinfo' }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'kubernetes: expected object, got string',
  },
  { name: 'log cut off mid-line', text: fluentBit(goodLine.slice(0, 60)), code: 'MW_DECODE_TRUNCATED', reason: 'log:' },
  { name: 'log is broken JSON', text: fluentBit('{oops}'), code: 'MW_DECODE_INVALID_JSON', reason: 'log:' },
  { name: 'OTLP resourceLogs not an array', text: JSON.stringify({ resourceLogs: {} }), code: 'MW_DECODE_SCHEMA', reason: 'resourceLogs:' },
  {
    name: 'OTLP body.stringValue a number',
    text: otlp({ stringValue: 5 }),
    code: 'MW_DECODE_SCHEMA',
    reason: 'resourceLogs[0].scopeLogs[0].logRecords[1].body.stringValue:',
  },
  {
    name: 'OTLP second record bad value',
    text: otlp({ stringValue: JSON.stringify({ ...base, response_code: 'NaN' }) }),
    code: 'MW_DECODE_BAD_VALUE',
    reason: 'resourceLogs[0].scopeLogs[0].logRecords[1].body.stringValue.response_code:',
  },
];

describe('envoy failures', () => {
  test.each(failures)('$name -> $code', ({ text, code, reason }) => {
    const r = decode(text, opts);
    expect(r.ok ? undefined : { code: r.error.code, decoder: r.error.decoder }).toStrictEqual({ code, decoder: 'envoy' });
    expect(r.ok ? '' : r.error.reason).toContain(reason);
  });
});

describe('OTLP bodies moved to a map (json_parser) and empty batches', () => {
  test('kvlistValue body with int64 text values', () => {
    const kv = (key: string, value: unknown): unknown => ({ key, value });
    const body = {
      kvlistValue: {
        values: [
          kv('start_time', { stringValue: '2025-03-14T09:26:51.457Z' }),
          kv('upstream_cluster', { stringValue: 'outbound|9080||reviews.bookinfo.svc.cluster.local' }),
          kv('response_code', { intValue: '503' }),
          kv('response_flags', { stringValue: 'UH' }),
          kv('duration', { intValue: '0' }),
          kv('bytes_sent', { intValue: 19 }),
          kv('bytes_received', { doubleValue: 0 }),
          kv('protocol', { stringValue: 'HTTP/1.1' }),
          kv('upstream_host', {}),
        ],
      },
    };
    const r = decode(otlp(body), opts);
    expect(
      r.ok &&
        r.value.observations.map((o) =>
          o.kind === 'request' ? [o.request.peer?.name, o.request.status, o.request.isError, o.request.bytesSent] : [],
        ),
    ).toStrictEqual([
      ['reviews', 200, false, 20],
      ['reviews', 503, true, 19],
    ]);
  });

  test('a batch with no records decodes to nothing', () => {
    expect(decode('{"resourceLogs":[{"resource":{},"scopeLogs":[{"scope":{},"logRecords":[]}]}]}', opts)).toStrictEqual({
      ok: true,
      value: { decoder: 'envoy', observations: [], ignored: 0 },
    });
  });

  test('records without a body, or with a non-access-log JSON body, are ignored', () => {
    const r = decode(
      otlp({ stringValue: '{"level":"info","msg":"ready"}' }).replace('"logRecords":[', '"logRecords":[{"timeUnixNano":"1"},'),
      opts,
    );
    expect(r.ok && [r.value.observations.length, r.value.ignored]).toStrictEqual([1, 2]);
  });
});
