/**
 * WindowPartial laws: merge is associative and commutative, and pre-aggregation is a
 * homomorphism (aggregate(xs ++ ys) = merge(aggregate(xs), aggregate(ys))), so any split of
 * a window's input across instances or batches closes to the same window. Plus the bounds.
 *
 * Values are integers so that sums are exact (float addition is not associative, and that
 * is not what these laws are about).
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { COUNTER_NAMES, CONTAINER_GAUGE_NAMES, type Observation, type ServiceId } from '../../../src/core/model.js';
import { type AggregatorOptions, WindowAggregator } from '../../../src/core/window/aggregator.js';
import { type WindowPartial, emptyPartial, mergePartials } from '../../../src/core/window/partial.js';
import { SERVICE, T0, WINDOW_MS, canonical, container, request, sample } from './canonical.js';

const ROOMY: AggregatorOptions = { windowMs: WINDOW_MS, maxOpenPartials: 100, maxEdges: 100, maxContainers: 100, maxMetrics: 100 };

/* ---------- generators: observations of SERVICE inside the window [T0, T0 + WINDOW_MS) ---------- */

const PEERS: ServiceId[] = [
  { namespace: 'shop', name: 'db' },
  { namespace: 'shop', name: 'payments', cluster: 'eu-1' },
  { namespace: 'external', name: 'api.stripe.com' },
];

const tsArb = fc.integer({ min: T0, max: T0 + WINDOW_MS - 1 });
const counterValue = fc.integer({ min: 0, max: 1e12 });
const gaugeValue = fc.integer({ min: 0, max: 1e10 });

const sampleArb: fc.Arbitrary<Observation> = fc
  .tuple(tsArb, fc.constantFrom('queue_depth', 'heap_used_bytes', 'gc_pause_ms'), fc.integer({ min: -1e6, max: 1e6 }))
  .map(([ts, metric, value]) => sample(ts, metric, value));

const containerArb: fc.Arbitrary<Observation> = fc
  .tuple(
    tsArb,
    fc.constantFrom('pod-a/app', 'pod-b/app', 'pod-a/istio-proxy'),
    fc.record(Object.fromEntries(COUNTER_NAMES.map((n) => [n, counterValue])), { requiredKeys: [] }),
    fc.record(Object.fromEntries(CONTAINER_GAUGE_NAMES.map((n) => [n, gaugeValue])), { requiredKeys: [] }),
  )
  .map(([ts, id, counters, gauges]) => container(ts, id, counters, gauges));

const requestArb: fc.Arbitrary<Observation> = fc
  .record({
    ts: tsArb,
    direction: fc.constantFrom('inbound' as const, 'outbound' as const),
    peer: fc.option(fc.constantFrom(...PEERS), { nil: undefined }),
    status: fc.constantFrom(200, 404, 503, 0),
    isError: fc.boolean(),
    durationMs: fc.double({ min: 0, max: 60_000, noNaN: true }),
    bytesReceived: fc.nat(1e6),
    bytesSent: fc.nat(1e6),
  })
  .map(({ ts, ...r }) => request(ts, r));

const obsArb = fc.oneof(sampleArb, containerArb, requestArb);
const obsListArb = fc.array(obsArb, { maxLength: 40 });

/** Pre-aggregates observations of one (service, window); undefined when there are none. */
function aggregate(xs: Observation[], opts: AggregatorOptions = ROOMY): WindowPartial | undefined {
  const agg = new WindowAggregator(opts);
  for (const x of xs) agg.add(x);
  const out = agg.drain();
  expect(out.length).toBeLessThanOrEqual(1);
  return out[0];
}

const mergeMaybe = (a: WindowPartial | undefined, b: WindowPartial | undefined): WindowPartial | undefined =>
  a && b ? mergePartials(a, b) : (a ?? b);

/** Arbitrary partials of the window, including empty ones and ones that carry overflow. */
const partialArb: fc.Arbitrary<WindowPartial> = fc.tuple(obsListArb, fc.nat(3)).map(([xs, overflow]) => {
  const p = aggregate(xs) ?? emptyPartial(SERVICE, T0, WINDOW_MS);
  p.overflow = overflow;
  return p;
});

describe('mergePartials', () => {
  it('is commutative', () => {
    fc.assert(
      fc.property(partialArb, partialArb, (a, b) => {
        expect(canonical(mergePartials(a, b))).toStrictEqual(canonical(mergePartials(b, a)));
      }),
    );
  });

  it('is associative', () => {
    fc.assert(
      fc.property(partialArb, partialArb, partialArb, (a, b, c) => {
        expect(canonical(mergePartials(mergePartials(a, b), c))).toStrictEqual(canonical(mergePartials(a, mergePartials(b, c))));
      }),
    );
  });

  it('has the empty partial as identity', () => {
    fc.assert(
      fc.property(partialArb, (a) => {
        const empty = emptyPartial(SERVICE, T0, WINDOW_MS);
        expect(canonical(mergePartials(a, empty))).toStrictEqual(canonical(a));
        expect(canonical(mergePartials(empty, a))).toStrictEqual(canonical(a));
      }),
    );
  });

  // Bug: a peer (or the service) named once with its cluster and once without shares one key
  // (`namespace/name`), and mergeEdge/mergePartials keep the left side's object, so which
  // cluster survives depends on the order partials arrive in.
  test.each([
    {
      what: 'the same peer with and without its cluster',
      a: [request(T0, { direction: 'outbound', peer: { namespace: 'shop', name: 'db', cluster: 'eu-1' } })],
      b: [request(T0 + 1, { direction: 'outbound', peer: { namespace: 'shop', name: 'db' } })],
    },
    {
      what: 'the same service with and without its cluster',
      a: [sample(T0, 'queue_depth', 1, { ...SERVICE, cluster: 'eu-1' })],
      b: [sample(T0 + 1, 'queue_depth', 2)],
    },
  ])('is commutative for $what', ({ a, b }) => {
    const pa = aggregate(a)!;
    const pb = aggregate(b)!;
    expect(canonical(mergePartials(pa, pb))).toStrictEqual(canonical(mergePartials(pb, pa)));
  });

  it('changes neither input', () => {
    fc.assert(
      fc.property(partialArb, partialArb, (a, b) => {
        const before = [structuredClone(a), structuredClone(b)];
        mergePartials(a, b);
        expect([a, b]).toStrictEqual(before);
      }),
    );
  });
});

describe('WindowAggregator', () => {
  it('aggregate(xs ++ ys) = merge(aggregate(xs), aggregate(ys))', () => {
    fc.assert(
      fc.property(obsListArb, obsListArb, (xs, ys) => {
        expect(canonical(aggregate([...xs, ...ys]))).toStrictEqual(canonical(mergeMaybe(aggregate(xs), aggregate(ys))));
      }),
    );
  });

  it('gives the same window whatever the order of its observations', () => {
    fc.assert(
      fc.property(
        obsListArb.chain((xs) => fc.tuple(fc.constant(xs), fc.shuffledSubarray(xs, { minLength: xs.length, maxLength: xs.length }))),
        ([xs, shuffled]) => {
          expect(canonical(aggregate(shuffled))).toStrictEqual(canonical(aggregate(xs)));
        },
      ),
    );
  });

  it('keeps one partial per (service, window), drained in window order, and starts afresh', () => {
    const other: ServiceId = { namespace: 'shop', name: 'db' };
    const agg = new WindowAggregator(ROOMY);
    agg.add(sample(T0 + WINDOW_MS + 1, 'm', 1));
    agg.add(sample(T0 + 5, 'm', 2));
    agg.add(sample(T0 + 9_999, 'm', 3));
    agg.add(sample(T0 + 7, 'm', 4, other));
    expect(agg.size).toBe(3);

    const out = agg.drain();
    expect(out.map((p) => [`${p.service.namespace}/${p.service.name}`, p.windowStart - T0])).toEqual([
      ['shop/cart', 0],
      ['shop/db', 0],
      ['shop/cart', WINDOW_MS],
    ]);
    expect(out[0]?.gauges.m).toEqual({ n: 2, sum: 5, min: 2, max: 3 });
    expect(agg.size).toBe(0);
    expect(agg.drain()).toEqual([]);
  });

  it('counts requests the service served, and edges in both directions', () => {
    const db: ServiceId = { namespace: 'shop', name: 'db' };
    const web: ServiceId = { namespace: 'shop', name: 'web' };
    const p = aggregate([
      request(T0, { direction: 'inbound', peer: web, isError: true, bytesReceived: 10, bytesSent: 20, durationMs: 5 }),
      request(T0 + 1, { direction: 'inbound', bytesReceived: 1, bytesSent: 2, durationMs: 7 }),
      request(T0 + 2, { direction: 'outbound', peer: db, bytesReceived: 300, bytesSent: 400 }),
      request(T0 + 3, { direction: 'outbound', peer: db, isError: true, bytesReceived: 1, bytesSent: 1 }),
    ]);
    expect(p?.requests).toMatchObject({ n: 2, errors: 1, bytesIn: 11, bytesOut: 22 });
    expect(p?.requests?.latencyMs.n).toBe(2);
    expect(p?.edges).toStrictEqual({
      'in:shop/web': { direction: 'inbound', peer: web, requests: 1, errors: 1, bytes: 30 },
      'out:shop/db': { direction: 'outbound', peer: db, requests: 2, errors: 1, bytes: 702 },
    });
  });

  it('keeps the first and the last point of each counter, and each gauge as n/sum/min/max', () => {
    const p = aggregate([
      container(T0 + 5_000, 'c', { cpu_usage_ns: 50 }, { memory_working_set_bytes: 300 }),
      container(T0 + 1_000, 'c', { cpu_usage_ns: 10 }, { memory_working_set_bytes: 100 }),
      container(T0 + 9_000, 'c', { cpu_usage_ns: 90 }),
    ]);
    expect(p?.containers.c).toStrictEqual({
      gauges: { memory_working_set_bytes: { n: 2, sum: 400, min: 100, max: 300 } },
      counters: { cpu_usage_ns: { first: { ts: T0 + 1_000, v: 10 }, last: { ts: T0 + 9_000, v: 90 } } },
    });
  });
});

describe('bounds', () => {
  const db: ServiceId = { namespace: 'shop', name: 'db' };
  const cache: ServiceId = { namespace: 'shop', name: 'cache' };

  test.each([
    {
      bound: 'maxMetrics: 2',
      opts: { maxMetrics: 2 },
      xs: [sample(T0, 'a', 1), sample(T0, 'b', 1), sample(T0, 'c', 1), sample(T0, 'a', 2)],
      accepted: [true, true, false, true],
      kept: (p: WindowPartial) => Object.keys(p.gauges).sort(),
      expected: ['a', 'b'],
    },
    {
      bound: 'maxContainers: 1',
      opts: { maxContainers: 1 },
      xs: [container(T0, 'x', { cpu_usage_ns: 1 }), container(T0, 'y', { cpu_usage_ns: 1 }), container(T0 + 1, 'x', { cpu_usage_ns: 2 })],
      accepted: [true, false, true],
      kept: (p: WindowPartial) => Object.keys(p.containers),
      expected: ['x'],
    },
    {
      bound: 'maxEdges: 1',
      opts: { maxEdges: 1 },
      xs: [
        request(T0, { direction: 'outbound', peer: db }),
        request(T0, { direction: 'outbound', peer: cache }),
        request(T0, { direction: 'inbound', peer: cache }),
        request(T0, { direction: 'outbound', peer: db }),
      ],
      accepted: [true, false, false, true],
      kept: (p: WindowPartial) => Object.keys(p.edges),
      expected: ['out:shop/db'],
    },
  ])('$bound: refuses what is new past the bound, counts it, keeps adding to what exists', ({ opts, xs, accepted, kept, expected }) => {
    const agg = new WindowAggregator({ ...ROOMY, ...opts });
    expect(xs.map((x) => agg.add(x))).toEqual(accepted);
    const refused = accepted.filter((a) => !a).length;
    expect(agg.overflow).toBe(refused);
    const [p] = agg.drain();
    expect(p?.overflow).toBe(refused);
    expect(kept(p!)).toEqual(expected);
  });

  it('maxEdges: a refused inbound edge still counts the request the service served', () => {
    const agg = new WindowAggregator({ ...ROOMY, maxEdges: 1 });
    agg.add(request(T0, { direction: 'outbound', peer: db }));
    expect(agg.add(request(T0, { direction: 'inbound', peer: cache }))).toBe(false);
    expect(agg.drain()[0]?.requests?.n).toBe(1);
  });

  it('maxOpenPartials: refuses a new (service, window) until the next drain, counted on the aggregator', () => {
    const agg = new WindowAggregator({ ...ROOMY, maxOpenPartials: 1 });
    expect(agg.add(sample(T0, 'a', 1))).toBe(true);
    expect(agg.add(sample(T0 + WINDOW_MS, 'a', 1))).toBe(false);
    expect(agg.add(sample(T0, 'a', 1, db))).toBe(false);
    expect(agg.add(sample(T0 + 1, 'b', 1))).toBe(true);
    expect(agg.overflow).toBe(2);
    const out = agg.drain();
    expect(out).toHaveLength(1);
    expect(out[0]?.overflow).toBe(0);
    expect(agg.add(sample(T0 + WINDOW_MS, 'a', 1))).toBe(true);
  });

  it('merge adds the overflow of its inputs and applies no bound itself', () => {
    const small = { ...ROOMY, maxMetrics: 1 };
    const a = aggregate([sample(T0, 'a', 1), sample(T0, 'x', 1)], small)!;
    const b = aggregate([sample(T0, 'b', 1), sample(T0, 'y', 1), sample(T0, 'z', 1)], small)!;
    const m = mergePartials(a, b);
    expect(m.overflow).toBe(3);
    expect(Object.keys(m.gauges).sort()).toEqual(['a', 'b']);
  });
});
