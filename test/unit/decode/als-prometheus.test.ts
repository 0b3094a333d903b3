import { describe, expect, test } from 'vitest';
import { protoDurationMs } from '../../../src/core/decode/als.js';
import { decode } from '../../../src/core/decode/index.js';
import { SeriesState } from '../../../src/core/decode/series-state.js';
import { type DecodeOptions } from '../../../src/core/decode/types.js';
import { type Observation } from '../../../src/core/model.js';
import { fixture, fixtureLines } from './fixtures.js';

const opts: DecodeOptions = { hint: 'auto', maxBytes: 1024 * 1024 };

describe('Envoy ALS entries (proto3 JSON)', () => {
  test.each([
    [
      'stream message, camelCase, with Istio node metadata',
      'als/stream-http-camel.json',
      [
        {
          service: { namespace: 'bookinfo', name: 'reviews' },
          direction: 'inbound',
          peer: { namespace: 'bookinfo', name: 'bookinfo-productpage' },
          protocol: 'HTTP/1.1',
          status: 200,
          isError: false,
          durationMs: 12.077,
          bytesSent: 358,
        },
        { service: { namespace: 'bookinfo', name: 'reviews' }, status: 503, isError: true, durationMs: 1, bytesSent: 91 },
      ],
    ],
    [
      'stream message, snake_case, TCP, pod from the node id',
      'als/stream-tcp-snake.json',
      [
        {
          service: { namespace: 'bookinfo', name: 'ratings-v1' },
          direction: 'outbound',
          peer: { namespace: 'bookinfo', name: 'mongodb' },
          protocol: 'tcp',
          durationMs: 60_500,
          bytesReceived: 1095,
          bytesSent: 4512,
        },
      ],
    ],
    [
      'one bare entry, snake_case: the SNI names the server',
      'als/entry-http-snake.json',
      [
        {
          service: { namespace: 'bookinfo', name: 'reviews' },
          direction: 'inbound',
          peer: { namespace: 'bookinfo', name: 'bookinfo-productpage' },
        },
      ],
    ],
  ])('%s', (_name, file, expected) => {
    const r = decode(fixture(file), opts);
    expect(r.ok && r.value.decoder).toBe('als');
    expect(r.ok ? r.value.observations.map((o) => (o.kind === 'request' ? o.request : o)) : r.error).toMatchObject(expected);
  });

  const entry = JSON.parse(fixture('als/entry-http-snake.json')) as Record<string, Record<string, unknown>>;
  test.each([
    [
      'a Duration without its unit',
      { ...entry, common_properties: { ...entry.common_properties, duration: '12' } },
      'MW_DECODE_BAD_VALUE',
      'commonProperties.duration',
    ],
    [
      'a number where the cluster goes',
      { ...entry, common_properties: { ...entry.common_properties, upstream_cluster: 7 } },
      'MW_DECODE_SCHEMA',
      'upstreamCluster',
    ],
    [
      'no start time',
      { ...entry, common_properties: { ...entry.common_properties, start_time: undefined } },
      'MW_DECODE_BAD_TIMESTAMP',
      'start_time',
    ],
    [
      'an outbound entry with no identifier',
      {
        ...entry,
        common_properties: {
          ...entry.common_properties,
          upstream_cluster: 'outbound|9080||ratings.bookinfo.svc.cluster.local',
          tls_properties: undefined,
        },
      },
      'MW_DECODE_NO_IDENTITY',
      'outbound',
    ],
    ['entries not an array', { httpLogs: { logEntry: {} } }, 'MW_DECODE_SCHEMA', 'httpLogs.logEntry'],
  ])('%s', (_name, msg, code, path) => {
    const r = decode(JSON.stringify(msg), opts);
    expect(r.ok ? undefined : [r.error.code, r.error.reason.includes(path), r.error.decoder]).toStrictEqual([code, true, 'als']);
  });

  test.each([
    ['0.012077s', 12.077],
    ['60s', 60_000],
    ['1.5s', 1500],
    ['-1s', undefined],
    ['1e3s', undefined],
    ['12', undefined],
  ])('proto Duration %s -> %s ms', (text, ms) => {
    const v = protoDurationMs(text);
    expect(v === undefined ? undefined : Math.round(v * 1000) / 1000).toBe(ms);
  });
});

const requestsOf = (obs: readonly Observation[]) => obs.flatMap((o) => (o.kind === 'request' ? [o.request] : []));

/** Decodes NDJSON lines in order with one series state, as one ingest worker would. */
function run(lines: readonly string[], state = new SeriesState(1000)): Observation[] {
  return lines.flatMap((l) => {
    const r = decode(l, { ...opts, series: state });
    if (!r.ok) throw new Error(`${r.error.code}: ${r.error.reason}`);
    return r.value.observations;
  });
}

const sample = (labels: Record<string, string>, timestamp: string, value: string): string =>
  JSON.stringify({ labels, name: labels.__name__, timestamp, value });

describe('prometheus-kafka-adapter samples', () => {
  test('istio_requests_total: increases become requests of the destination, errors from status and flags', () => {
    const reqs = requestsOf(run(fixtureLines('prometheus/istio-requests.ndjson')));
    expect(reqs).toMatchObject([
      {
        service: { namespace: 'bookinfo', name: 'reviews' },
        direction: 'inbound',
        peer: { namespace: 'bookinfo', name: 'productpage' },
        count: 90,
        isError: false,
        ts: Date.parse('2025-03-14T09:27:05Z'),
      },
      { count: 3, status: 503, isError: true },
    ]);
  });

  test('duration buckets: each bucket counted once, at its midpoint, whatever the arrival order', () => {
    const lines = fixtureLines('prometheus/istio-duration-buckets.ndjson');
    const inOrder = requestsOf(run(lines));
    const shuffled = requestsOf(run([...lines.slice(0, 4), ...lines.slice(4).reverse()]));
    const counts = (rs: typeof inOrder) => rs.map((r) => [r.durationMs, r.latencyCount, r.count]).sort((a, b) => (a[0] ?? 0) - (b[0] ?? 0));
    expect(counts(inOrder)).toStrictEqual([
      [2.5, 10, 0],
      [7.5, 50, 0],
      [17.5, 25, 0],
      [25, 5, 0],
    ]);
    expect(counts(shuffled)).toStrictEqual(counts(inOrder));
  });

  test('kubelet cAdvisor series: counters stay cumulative, limits become gauges, the sandbox carries the network, NaN ends a series', () => {
    const r = fixtureLines('prometheus/cadvisor-kubelet.ndjson').map((l) => decode(l, { ...opts, series: new SeriesState(10) }));
    const obs = r.map((x) => (x.ok ? (x.value.observations[0] ?? `ignored ${x.value.ignored}`) : x.error.code));
    expect(obs).toMatchObject([
      {
        kind: 'container',
        stats: {
          service: { namespace: 'bookinfo', name: 'reviews-v1' },
          container: 'reviews-v1-5b7d8c9f4d-q2wzx/reviews',
          counters: { cpu_usage_ns: 1234.5e9 },
        },
      },
      { stats: { gauges: { memory_working_set_bytes: 268435456 } } },
      { stats: { gauges: { memory_limit_bytes: 536870912 } } },
      'ignored 1',
      { stats: { container: 'reviews-v1-5b7d8c9f4d-q2wzx/net/eth0', counters: { network_rx_bytes: 98765432 } } },
      'ignored 1',
    ]);
  });

  const base = {
    __name__: 'istio_requests_total',
    reporter: 'destination',
    destination_canonical_service: 'reviews',
    destination_workload_namespace: 'bookinfo',
    source_canonical_service: 'productpage',
    source_workload_namespace: 'bookinfo',
    response_code: '200',
  };
  test.each([
    ['a reset counts the new value', ['100', '130', '20'], [30, 20]],
    ['a duplicate timestamp adds nothing', ['100', '130', '130'], [30]],
    ['a stale marker restarts the series', ['100', 'NaN', '130', '150'], [20]],
  ])('counter: %s', (_name, values, counts) => {
    const lines = values.map((v, i) => sample(base, `2025-03-14T09:2${_name.includes('duplicate') && i === 2 ? 1 : i}:00Z`, v));
    expect(requestsOf(run(lines)).map((r) => r.count)).toStrictEqual(counts);
  });

  test('reporter dedup: the source side of a request is only an outbound edge', () => {
    const src = { ...base, reporter: 'source' };
    const reqs = requestsOf(run([sample(src, '2025-03-14T09:20:00Z', '5'), sample(src, '2025-03-14T09:20:15Z', '9')]));
    expect(reqs).toMatchObject([{ service: { name: 'productpage' }, direction: 'outbound', peer: { name: 'reviews' }, count: 4 }]);
  });

  test.each([
    ['+Inf value', sample(base, '2025-03-14T09:20:00Z', '+Inf'), 'MW_DECODE_BAD_VALUE'],
    ['negative value', sample(base, '2025-03-14T09:20:00Z', '-1'), 'MW_DECODE_BAD_VALUE'],
    ['not a number', sample(base, '2025-03-14T09:20:00Z', '12abc'), 'MW_DECODE_BAD_VALUE'],
    ['bad timestamp', sample(base, 'yesterday', '1'), 'MW_DECODE_BAD_TIMESTAMP'],
    [
      'no destination',
      sample(
        { ...base, destination_canonical_service: 'unknown', destination_app: 'unknown', destination_workload: 'unknown' },
        '2025-03-14T09:20:00Z',
        '1',
      ),
      'MW_DECODE_NO_IDENTITY',
    ],
    [
      'a non-string label',
      JSON.stringify({ labels: { __name__: 'istio_requests_total', reporter: 1 }, timestamp: '2025-03-14T09:20:00Z', value: '1' }),
      'MW_DECODE_SCHEMA',
    ],
    [
      'too many labels',
      sample({ ...base, ...Object.fromEntries(Array.from({ length: 130 }, (_, i) => [`l${i}`, 'x'])) }, '2025-03-14T09:20:00Z', '1'),
      'MW_DECODE_BAD_VALUE',
    ],
    [
      'bucket without le',
      sample({ ...base, __name__: 'istio_request_duration_milliseconds_bucket' }, '2025-03-14T09:20:00Z', '1'),
      'MW_DECODE_SCHEMA',
    ],
  ])('rejected: %s', (_name, line, code) => {
    const r = decode(line, { ...opts, series: new SeriesState(10) });
    expect(r.ok ? undefined : [r.error.code, r.error.decoder]).toStrictEqual([code, 'prometheus']);
  });

  test('series we do not map are ignored, and so is +Inf on them', () => {
    const r = decode(sample({ __name__: 'up', job: 'x' }, '2025-03-14T09:20:00Z', '+Inf'), opts);
    expect(r).toStrictEqual({ ok: true, value: { decoder: 'prometheus', observations: [], ignored: 1 } });
  });

  test('the series state is bounded: the least recently seen series is forgotten', () => {
    const state = new SeriesState(2);
    const at = (name: string, ts: number, v: number) => state.increase(name, ts, v);
    at('a', 1, 1);
    at('b', 1, 1);
    at('c', 1, 1);
    expect([state.size, state.evicted, at('a', 2, 5), at('c', 2, 5)]).toStrictEqual([2, 1, undefined, 4]);
  });
});
