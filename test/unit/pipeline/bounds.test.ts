/**
 * The engine's bounds with a shared admission: known states are always held, fresh ones are
 * admitted (or not) when their first partial comes, engines of one process share the cap and
 * release it, each cardinality state change comes out of exactly one engine, and the
 * per-service bounds (metrics, pending windows) are enforced and counted.
 */
import { describe, expect, it } from 'vitest';
import { type Alert } from '../../../src/core/alert/schema.js';
import { type ServiceId, serviceKey } from '../../../src/core/model.js';
import { ServiceAdmission } from '../../../src/core/pipeline/admission.js';
import { DetectEngine, type EngineParams, admissionParamsOf } from '../../../src/core/pipeline/engine.js';
import { type ServiceState, emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { WindowAggregator } from '../../../src/core/window/aggregator.js';
import { emptyPartial } from '../../../src/core/window/partial.js';
import { PARAMS, T0, WINDOW_MS, feed, quiet, story, windowAt } from './story.js';

const svc = (name: string): ServiceId => ({ namespace: 'shop', name });
const knownState = (name: string): ServiceState => ({ ...emptyServiceState(svc(name)), lastWindowStart: windowAt(0), windows: 1 });
const partialOf = (name: string, w: number) => story([{ cores: 0.5, service: svc(name) }], w)[0]!;

describe('adopting states from the store', () => {
  it('a known state is held even past the cap; a fresh one waits for its first partial', () => {
    const engine = new DetectEngine({ ...PARAMS, maxServices: 1 });
    engine.adopt(knownState('a'));
    engine.adopt(knownState('b'));
    engine.adopt(emptyServiceState(svc('c')));
    expect(engine.keys()).toEqual(['shop/a', 'shop/b']);
    expect(engine.admission.held).toBe(2);
    expect(engine.missing([partialOf('c', 1)])).toEqual(['shop/c']);
    expect(feed(engine, partialOf('c', 1))).toBe('refused');
    expect(feed(engine, partialOf('a', 1))).toBe('accepted');
    expect(engine.stats.services_refused).toBe(1);
  });

  it('adopting the same service twice holds it once', () => {
    const engine = new DetectEngine(PARAMS);
    engine.adopt(knownState('a'));
    engine.adopt(knownState('a'));
    expect(engine.admission.held).toBe(1);
  });
});

describe('engines sharing one admission', () => {
  const params: EngineParams = { ...PARAMS, maxServices: 3, cardinalityIntervalMs: 60_000 };

  it('share the cap, and get it back when one releases its services', () => {
    const shared = new ServiceAdmission(admissionParamsOf(params));
    const [e1, e2] = [new DetectEngine(params, shared), new DetectEngine(params, shared)];
    expect(['a', 'b'].map((n) => feed(e1, partialOf(n, 0)))).toEqual(['accepted', 'accepted']);
    expect(['c', 'd'].map((n) => feed(e2, partialOf(n, 0)))).toEqual(['accepted', 'refused']);
    expect(shared.held).toBe(3);
    e1.release(['shop/a', 'shop/unknown']);
    expect(shared.held).toBe(2);
    expect(feed(e2, partialOf('d', 0))).toBe('accepted');
    e2.releaseAll();
    expect(e2.size).toBe(0);
    expect(shared.held).toBe(1);
  });

  it('each cardinality state change comes out of exactly one engine', () => {
    const shared = new ServiceAdmission(admissionParamsOf(params));
    const engines = [new DetectEngine(params, shared), new DetectEngine(params, shared)];
    const out: Alert[][] = [[], []];
    for (let w = 0; w < 20; w++) {
      for (const [i, e] of engines.entries()) {
        // both spray new names for three windows; then only the services held go on
        if (w < 3) for (let k = 0; k < 5; k++) feed(e, partialOf(`s${i}-${w}-${k}`, w));
        else if (i === 0) feed(e, partialOf('s0-0-0', w));
        out[i]!.push(...e.advance().alerts);
      }
    }
    const card = [...out[0]!, ...out[1]!].filter((a) => a.kind === 'cardinality');
    // fired, updated a minute later with the refusals since, resolved a minute after the last
    expect(card.map((a) => a.status).sort()).toEqual(['firing', 'firing', 'resolved']);
    expect(card.filter((a) => a.status === 'firing').reduce((n, a) => n + a.observed, 0)).toBe(30 - 3);
    expect(new Set(card.map((a) => a.id)).size).toBe(1);
  });
});

describe('per-service bounds', () => {
  it('a spray of metric names keeps maxMetricsPerService baselines, counts the rest and raises a cardinality alert', () => {
    const engine = new DetectEngine({ ...PARAMS, maxMetricsPerService: 8, allowedLatenessMs: 0, cardinalityIntervalMs: 60_000 });
    const alerts: Alert[] = [];
    let state: ServiceState | undefined;
    for (let w = 0; w < 12; w++) {
      const p = emptyPartial(svc('a'), windowAt(w), WINDOW_MS);
      // two windows spray 20 names each; later windows carry a metric that is held
      if (w < 2) for (let m = 0; m < 20; m++) p.gauges[`sprayed_${w}_${m}`] = { n: 1, sum: 1, min: 1, max: 1 };
      else p.gauges.sprayed_0_0 = { n: 1, sum: 1, min: 1, max: 1 };
      feed(engine, p);
      const r = engine.advance();
      alerts.push(...r.alerts);
      state = r.dirty[0] ?? state;
    }
    expect(Object.keys(state!.baselines)).toHaveLength(8);
    expect(engine.stats.metrics_refused).toBe(40 - 8);
    expect(alerts.map((a) => [a.status, a.metric])).toEqual([
      ['firing', 'metrics'],
      ['firing', 'metrics'],
      ['resolved', 'metrics'],
    ]);
  });

  it('windows closed early past maxPendingWindows are counted', () => {
    const engine = new DetectEngine({ ...PARAMS, allowedLatenessMs: 100 * WINDOW_MS, maxPendingWindows: 3 });
    for (const p of story(quiet(6))) feed(engine, p);
    engine.advance();
    expect(engine.stats.windows_closed_early).toBe(3);
    expect(engine.stats.windows_closed).toBe(3);
  });
});

describe('stage 1 bounds, by bound', () => {
  it('counts what each bound refused', () => {
    const agg = new WindowAggregator({ windowMs: WINDOW_MS, maxOpenPartials: 2, maxEdges: 1, maxContainers: 1, maxMetrics: 1 });
    const sample = (service: string, metric: string) => ({
      kind: 'sample' as const,
      sample: { ts: T0, service: svc(service), metric, value: 1 },
    });
    const request = (peer: string) => ({
      kind: 'request' as const,
      request: {
        ts: T0,
        service: svc('a'),
        direction: 'outbound' as const,
        peer: svc(peer),
        isError: false,
        bytesReceived: 1,
        bytesSent: 1,
        durationMs: 1,
      },
    });
    const container = (name: string) => ({
      kind: 'container' as const,
      stats: { ts: T0, service: svc('a'), container: name, counters: {}, gauges: { processes: 1 } },
    });
    const results = [
      sample('a', 'm1'),
      sample('a', 'm2'),
      sample('b', 'm1'),
      sample('c', 'm1'),
      request('p1'),
      request('p2'),
      container('c1'),
      container('c2'),
    ].map((o) => agg.add(o as Parameters<WindowAggregator['add']>[0]));
    expect(results).toEqual([true, false, true, false, true, false, true, false]);
    expect(agg.refused).toEqual({ partials: 1, edges: 1, containers: 1, metrics: 1 });
    expect(agg.overflow).toBe(4);
    expect(serviceKey(agg.drain()[0]!.service)).toBe('shop/a');
  });
});
