/**
 * Fuzz of every decoder (and the windows topic's parser) with malformed records made by mutating
 * valid fixtures: truncated, deep (up to 50,000), wide, huge, binary and invalid UTF-8, wrong
 * types, non-finite and absurd numbers, extreme timestamps, hostile names, `__proto__` keys.
 * Claim: no record throws; each is decoded (with finite, plausible numbers) or rejected with a
 * catalogued code and a non-empty, bounded reason; Object.prototype is untouched afterwards.
 * Deterministic (fixed seed); 15 targets × 1,200 runs = 18,000 records, each through both the
 * text and the bytes entry point.
 */
import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { ErrorCodes } from '../../../src/errors.js';
import { type DecodeOptions, type DecodeResult, type DecoderHint, decode, decodeBytes } from '../../../src/core/decode/index.js';
import { type Observation } from '../../../src/core/model.js';
import { SeriesState } from '../../../src/core/decode/series-state.js';
import { parseWindowsMessage } from '../../../src/core/window/partial-codec.js';
import { WindowAggregator } from '../../../src/core/window/aggregator.js';
import { fixture } from './fixtures.js';
import { type Json, type Target, applyTextOp, asText, build, isRec, mutationArb, parse, pathsOf, textOpArb } from './mutations.js';

const SEED = 20_261_206;
const RUNS_PER_TARGET = 1200;
const MAX_REASON_CHARS = 600;
const lenient = new TextDecoder();

function windowsFixture(): Json {
  const agg = new WindowAggregator({ windowMs: 10_000, maxOpenPartials: 10, maxEdges: 10, maxContainers: 10, maxMetrics: 10 });
  const service = { namespace: 'shop', name: 'cart' };
  const ts = Date.UTC(2026, 0, 1);
  agg.add({
    kind: 'request',
    request: {
      ts,
      service,
      direction: 'inbound',
      protocol: 'HTTP/1.1',
      status: 200,
      isError: false,
      durationMs: 12,
      bytesReceived: 1,
      bytesSent: 2,
      peer: { namespace: 'shop', name: 'web' },
    },
  });
  agg.add({
    kind: 'container',
    stats: { ts, service, container: 'shop/cart-1/app', counters: { cpu_usage_ns: 5 }, gauges: { processes: 3 } },
  });
  agg.add({ kind: 'sample', sample: { ts, service, metric: 'queue_depth', value: 2 } });
  return parse(JSON.stringify(agg.drain()[0]));
}

/** Shipper envelopes with their embedded line as the mutated value. */
function embedded(file: string, key: 'log' | 'message'): { envelope: Json; line: Json; render: (v: Json) => string } {
  const envelope = parse(fixture(file)) as Record<string, Json>;
  const line = parse(envelope[key] as string);
  return { envelope, line, render: (v) => asText({ ...envelope, [key]: asText(v) }) };
}

const fluent = embedded('envoy/fluent-bit-cri.json', 'log');
const vector = embedded('envoy/vector.json', 'message');
const otelRaw = parse(parse(fixture('envoy/otel-raw.json')) as string);

const TARGETS: Target[] = [
  { name: 'envoy raw typed', base: parse(fixture('envoy/raw-typed-inbound.json')), render: asText, hint: 'envoy' },
  { name: 'envoy legacy all-string', base: parse(fixture('envoy/raw-legacy-inbound.json')), render: asText, hint: 'auto' },
  {
    name: 'Fluent Bit (envelope and line)',
    base: { envelope: fluent.envelope, line: fluent.line },
    render: (v) => (isRec(v) ? fluent.render(v['line'] ?? null) : asText(v)),
    hint: 'auto',
  },
  { name: 'Vector (line)', base: vector.line, render: vector.render, hint: 'envoy' },
  { name: 'OTLP JSON', base: parse(fixture('envoy/otlp-filelog.json')), render: asText, hint: 'auto' },
  { name: 'OTel raw string literal', base: otelRaw, render: (v) => asText(asText(v)), hint: 'auto' },
  { name: 'cAdvisor', base: parse(fixture('cadvisor/containerd-app.json')), render: asText, hint: 'cadvisor' },
  { name: 'canonical sample', base: parse(fixture('sample/canonical.ndjson').split('\n')[0]!), render: asText, hint: 'auto' },
  { name: 'windows topic message', base: windowsFixture(), render: asText, hint: 'windows' },
  {
    name: 'Istio text line',
    base: fixture('text/istio-inbound.txt'),
    render: (v) => (typeof v === 'string' ? v : asText(v)),
    hint: 'auto',
  },
  { name: 'Fluent Bit text line', base: parse(fixture('text/fluent-bit-istio-text.json')), render: asText, hint: 'envoy' },
  { name: 'ALS stream (camelCase)', base: parse(fixture('als/stream-http-camel.json')), render: asText, hint: 'auto' },
  { name: 'ALS TCP (snake_case)', base: parse(fixture('als/stream-tcp-snake.json')), render: asText, hint: 'als' },
  {
    name: 'adapter Istio bucket',
    base: parse(fixture('prometheus/istio-duration-buckets.ndjson').split('\n')[5]!),
    render: asText,
    hint: 'auto',
  },
  {
    name: 'adapter cAdvisor counter',
    base: parse(fixture('prometheus/cadvisor-kubelet.ndjson').split('\n')[0]!),
    render: asText,
    hint: 'prometheus',
  },
];

const KNOWN = new Set(Object.keys(ErrorCodes));
const MAX_TS = 253_402_300_799_999;
const series = new SeriesState(1000);
const opts = (hint: DecoderHint): DecodeOptions => ({ hint, maxBytes: 1024 * 1024, series });

/** Numbers an accepted observation carries are finite; event times are 1970..9999. */
function checkObservation(o: Observation): void {
  const ts = o.kind === 'request' ? o.request.ts : o.kind === 'container' ? o.stats.ts : o.sample.ts;
  expect(ts >= 0 && ts <= MAX_TS).toBe(true);
  const nums =
    o.kind === 'request'
      ? [
          o.request.status,
          o.request.durationMs,
          o.request.bytesReceived,
          o.request.bytesSent,
          o.request.count ?? 0,
          o.request.latencyCount ?? 0,
        ]
      : o.kind === 'container'
        ? [...Object.values(o.stats.counters), ...Object.values(o.stats.gauges)]
        : [o.sample.value];
  for (const n of nums) expect(Number.isFinite(n)).toBe(true);
  expect(Object.getPrototypeOf(o)).toBe(Object.prototype);
}

function checkResult(r: DecodeResult | ReturnType<typeof parseWindowsMessage>): void {
  if (r.ok) {
    if ('observations' in r.value) r.value.observations.forEach(checkObservation);
    return;
  }
  expect(KNOWN.has(r.error.code)).toBe(true);
  expect(r.error.code, r.error.reason).not.toBe('MW_DECODE_INTERNAL');
  expect(typeof r.error.reason).toBe('string');
  expect(r.error.reason.length).toBeGreaterThan(0);
  expect(r.error.reason.length).toBeLessThanOrEqual(MAX_REASON_CHARS);
}

const prototypeBefore = Object.getOwnPropertyNames(Object.prototype).sort();
const stats = { runs: 0, ok: 0, rejected: new Map<string, number>() };

describe('decoder fuzz', () => {
  afterAll(() => {
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toStrictEqual(prototypeBefore);
    expect(({} as Record<string, unknown>)['polluted']).toBeUndefined();
    expect(stats.runs).toBeGreaterThanOrEqual(10_000);
  });

  test.each(TARGETS)('$name: $hint', (t) => {
    expect(() => pathsOf(t.base)).not.toThrow();
    fc.assert(
      fc.property(fc.array(mutationArb, { minLength: 0, maxLength: 3 }), textOpArb, (muts, op) => {
        stats.runs++;
        const bytes = applyTextOp(build(t, muts), op);
        if (t.hint === 'windows') {
          const r = parseWindowsMessage(lenient.decode(bytes));
          checkResult(r);
          if (r.ok) stats.ok++;
          else stats.rejected.set(r.error.code, (stats.rejected.get(r.error.code) ?? 0) + 1);
          return;
        }
        const r = decodeBytes(bytes, opts(t.hint));
        checkResult(r);
        checkResult(decode(lenient.decode(bytes), opts(t.hint)));
        if (r.ok) stats.ok++;
        else stats.rejected.set(r.error.code, (stats.rejected.get(r.error.code) ?? 0) + 1);
      }),
      { seed: SEED, numRuns: RUNS_PER_TARGET },
    );
    expect(Object.getOwnPropertyNames(Object.prototype).sort()).toStrictEqual(prototypeBefore);
  });

  test('the fuzz exercised rejections of every hardening code', () => {
    console.log(`fuzz: ${stats.runs} records, ${stats.ok} decoded, rejected ${JSON.stringify(Object.fromEntries(stats.rejected))}`);
    for (const code of [
      'MW_DECODE_TOO_DEEP',
      'MW_DECODE_TOO_WIDE',
      'MW_DECODE_NOT_TEXT',
      'MW_DECODE_TRUNCATED',
      'MW_DECODE_BAD_VALUE',
      'MW_DECODE_BAD_TIMESTAMP',
      'MW_DECODE_TOO_LARGE',
    ])
      expect(stats.rejected.get(code) ?? 0, code).toBeGreaterThan(0);
    expect(stats.ok).toBeGreaterThan(0);
  });
});
