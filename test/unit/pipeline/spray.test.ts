/**
 * A cardinality explosion through the engine: 100,000 random service names (or peers of one
 * known service) arrive beside 5 known services, one of which spikes. The known services are
 * judged exactly as without the spray; what the bounds refuse gets no state (so is never
 * persisted), the state held stays under the caps, and one `cardinality` alert fires, then
 * resolves once the spray has stopped for an interval.
 */
import { describe, expect, it, test } from 'vitest';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { type ServiceId, serviceKey } from '../../../src/core/model.js';
import { DetectEngine, type EngineParams } from '../../../src/core/pipeline/engine.js';
import { type ServiceState } from '../../../src/core/pipeline/service-state.js';
import { type WindowPartial, emptyPartial } from '../../../src/core/window/partial.js';
import { emptySketch, sketchAdd } from '../../../src/core/window/sketch.js';
import { PARAMS, WINDOW_MS, calm, quiet, spike, story, windowAt } from './story.js';

const KNOWN: ServiceId[] = Array.from({ length: 5 }, (_, i) => ({ namespace: 'shop', name: `svc-${i}` }));
const WINDOWS = 50;
/** The spray covers windows 30..35 (one minute of event time, the alert's interval). */
const SPRAY_FROM = 30;
const SPRAY_WINDOWS = 6;
const SPRAY_SIZE = 100_000;
const INTERVAL_MS = 60_000;

/** svc-0 spikes to 3 cores in windows 30..32; the others stay quiet. */
const knownStories = KNOWN.map((service, i) =>
  story([...quiet(30), ...(i === 0 ? spike(3, 3) : calm(3, 30)), ...calm(WINDOWS - 33, 33)].map((s) => ({ ...s, service }))),
);

/** Deterministic random-looking names (xorshift). */
function names(n: number, seed: number): string[] {
  let x = seed;
  return Array.from({ length: n }, () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return `r${(x >>> 0).toString(36)}${n.toString(36)}`;
  });
}

/** One request from a sprayed service name. */
function sprayPartial(name: string, w: number): WindowPartial {
  const p = emptyPartial({ namespace: 'spray', name }, windowAt(w), WINDOW_MS);
  const latencyMs = emptySketch();
  sketchAdd(latencyMs, 3);
  p.requests = { n: 1, errors: 0, bytesIn: 100, bytesOut: 100, latencyMs };
  return p;
}

interface Run {
  engine: DetectEngine;
  alerts: Alert[];
  /** Every state the engine reported dirty (what the store would be given). */
  persisted: Map<string, ServiceState>;
  refused: Set<string>;
}

/** Feeds the known services window by window, with `extra(w)` partials beside them. */
function run(params: EngineParams, extra: (w: number) => WindowPartial[] = () => []): Run {
  const engine = new DetectEngine(params);
  const r: Run = { engine, alerts: [], persisted: new Map(), refused: new Set() };
  const keep = ({ alerts, dirty }: { alerts: Alert[]; dirty: ServiceState[] }): void => {
    r.alerts.push(...alerts);
    for (const s of dirty) r.persisted.set(serviceKey(s.service), s);
  };
  for (let w = 0; w < WINDOWS; w++) {
    for (const p of [...knownStories.map((s) => s[w]!), ...extra(w)]) {
      if (engine.offer(p) === 'refused') r.refused.add(serviceKey(p.service));
    }
    engine.observeSource('story', windowAt(w) + WINDOW_MS, false);
    keep(engine.advance());
  }
  keep(engine.flush());
  return r;
}

const about = (alerts: Alert[], namespace: string): Alert[] => alerts.filter((a) => a.service.namespace === namespace);

/**
 * One cardinality episode about `metric`: it fires, may update (same id, at most once per
 * interval), and resolves once; its firings count every refusal.
 */
function expectOneEpisode(card: Alert[], metric: string, refused: number): void {
  for (const a of card) expect(AlertSchema.parse(a)).toStrictEqual(a);
  expect(card.map((a) => `${a.status}:${a.kind}:${a.metric}`).join(' ')).toMatch(
    new RegExp(`^firing:cardinality:${metric}( firing:cardinality:${metric})* resolved:cardinality:${metric}$`),
  );
  expect(new Set(card.map((a) => a.id)).size).toBe(1);
  const firings = card.filter((a) => a.status === 'firing');
  for (let i = 1; i < firings.length; i++) {
    expect(Date.parse(firings[i]!.window.end) - Date.parse(firings[i - 1]!.window.end)).toBeGreaterThanOrEqual(INTERVAL_MS);
  }
  expect(firings.reduce((n, a) => n + a.observed, 0)).toBe(refused);
}
const judged = (alerts: Alert[]): Alert[] => about(alerts, 'shop').filter((a) => a.kind !== 'new_peer');

const BASE: EngineParams = { ...PARAMS, cardinalityIntervalMs: INTERVAL_MS };
const without = run(BASE);

it('without a spray, the known services give one spike episode and no cardinality alert', () => {
  expect(without.alerts.map((a) => [a.status, a.kind, serviceKey(a.service), a.metric])).toEqual([
    ['firing', 'spike', 'shop/svc-0', 'cpu_cores'],
    ['resolved', 'spike', 'shop/svc-0', 'cpu_cores'],
  ]);
});

describe('100,000 random service names beside 5 known services', () => {
  const sprayed = names(SPRAY_SIZE, 2463534242);
  const perWindow = Math.ceil(SPRAY_SIZE / SPRAY_WINDOWS);
  const spray = (w: number): WindowPartial[] =>
    w >= SPRAY_FROM && w < SPRAY_FROM + SPRAY_WINDOWS
      ? sprayed.slice((w - SPRAY_FROM) * perWindow, (w - SPRAY_FROM + 1) * perWindow).map((n) => sprayPartial(n, w))
      : [];

  test.each([
    { bound: 'the cap', params: { maxServices: 25 }, admitted: 20, reason: /the cap of 25 services is reached/ },
    {
      bound: 'the rate',
      params: { maxServices: 1_000_000, newServicesPerMinute: 60, newServicesBurst: 10 },
      // the bucket is full (10) when the spray starts and refills 60 a minute for its minute
      admitted: 10 + 60,
      reason: /more than 60 new services a minute/,
    },
  ])('bounded by $bound', ({ params, admitted, reason }) => {
    const r = run({ ...BASE, ...params }, spray);

    // the known services are judged exactly as without the spray
    expect(judged(r.alerts)).toStrictEqual(judged(without.alerts));
    // state held and persisted stays bounded; the refused never get any
    const admittedSpray = [...r.persisted.keys()].filter((k) => k.startsWith('spray/'));
    expect(admittedSpray.length).toBeLessThanOrEqual(admitted);
    expect(admittedSpray.length).toBeGreaterThan(0);
    expect(r.engine.size).toBe(KNOWN.length + admittedSpray.length);
    expect(r.refused.size).toBe(SPRAY_SIZE - admittedSpray.length);
    expect(r.engine.stats.services_refused).toBe(r.refused.size);
    for (const k of r.refused) expect(r.persisted.has(k)).toBe(false);
    expect(r.engine.keys().filter((k) => r.refused.has(k))).toEqual([]);

    // one cardinality episode: fires when the spray begins, resolves a minute after it stopped
    const card = about(r.alerts, 'meshwatch');
    expectOneEpisode(card, 'services', r.refused.size);
    expect(card[0]!.summary).toMatch(reason);
    // it fires with the spray's first window, and resolves an interval after its last
    expect(Date.parse(card[0]!.window.start)).toBeLessThanOrEqual(windowAt(SPRAY_FROM));
    expect(Date.parse(card.at(-1)!.endsAt!)).toBeGreaterThanOrEqual(windowAt(SPRAY_FROM + SPRAY_WINDOWS) + INTERVAL_MS);
    expect(card[0]!.details).toMatchObject({ bound: 'services' });
    expect(String(card[0]!.details.examples).split(', ')).toHaveLength(5);
  });
});

describe('random peers on one known service', () => {
  const PEER_SPRAY = 20_000;
  const peers = names(PEER_SPRAY, 88172645);
  const perWindow = Math.ceil(PEER_SPRAY / SPRAY_WINDOWS);
  const spray = (w: number): WindowPartial[] => {
    if (w < SPRAY_FROM || w >= SPRAY_FROM + SPRAY_WINDOWS) return [];
    // a partial of svc-3 that only carries calls (merged into its window)
    const p = emptyPartial(KNOWN[3]!, windowAt(w), WINDOW_MS);
    for (const name of peers.slice((w - SPRAY_FROM) * perWindow, (w - SPRAY_FROM + 1) * perWindow)) {
      const peer = { namespace: 'spray', name };
      p.edges[`out:${serviceKey(peer)}`] = { direction: 'outbound', peer, requests: 1, errors: 0, bytes: 10 };
    }
    return [p];
  };
  const r = run(BASE, spray);

  it('the state of the service keeps at most maxPeersPerService peers', () => {
    const state = r.persisted.get('shop/svc-3')!;
    expect(Object.keys(state.peers)).toHaveLength(PARAMS.maxPeersPerService);
    expect(r.engine.stats.peers_refused).toBe(PEER_SPRAY - PARAMS.maxPeersPerService);
  });

  it('the known services are judged as without the spray', () => {
    expect(judged(r.alerts)).toStrictEqual(judged(without.alerts));
  });

  it('raises one cardinality alert for peers, resolved after the spray', () => {
    const card = about(r.alerts, 'meshwatch');
    expectOneEpisode(card, 'peers', PEER_SPRAY - PARAMS.maxPeersPerService);
    expect(card[0]!.summary).toMatch(/^meshwatch refused [\d,]+ new peers in .*: the cap of 1,024 peers per service is reached/);
    expect(String(card[0]!.details.examples)).toContain('shop/svc-3 out:spray/');
  });
});
