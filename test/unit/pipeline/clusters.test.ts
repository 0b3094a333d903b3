/**
 * Story: the same `shop/cart` runs in two clusters (and once without a cluster). Each keeps its
 * own state end to end — canonical samples → partials → engine → store → alerts — and an alert
 * names the cluster it is about. Also: `shop/cart/x` and namespace `shop/cart` name `x` are two
 * services.
 */
import { describe, expect, it } from 'vitest';
import { type Alert } from '../../../src/core/alert/schema.js';
import { type ServiceId, parseServiceKey, serviceKey } from '../../../src/core/model.js';
import { DetectEngine } from '../../../src/core/pipeline/engine.js';
import { LocalPipeline } from '../../../src/core/pipeline/local.js';
import { emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { MemoryStateStore } from '../../../src/stores/memory/store.js';
import { PARAMS, SVC, T0, WINDOW_MS, feed, quiet, spike, story, windowAt } from './story.js';

const EU: ServiceId = { namespace: 'shop', name: 'cart', cluster: 'eu-1' };
const US: ServiceId = { namespace: 'shop', name: 'cart', cluster: 'us-2' };
const NONE: ServiceId = { namespace: 'shop', name: 'cart' };

/** Deterministic noise of ±2 % around a level. */
const noisy = (level: number, i: number): number => level * (1 + 0.02 * ((((i * 7919) % 11) - 5) / 5));

function pipeline(): LocalPipeline {
  return new LocalPipeline({
    aggregator: { windowMs: WINDOW_MS, maxOpenPartials: 10_000, maxEdges: 64, maxContainers: 64, maxMetrics: 64 },
    engine: PARAMS,
    decode: { maxBytes: 1_000_000 },
    batchRecords: 50,
  });
}

function run(p: LocalPipeline, lines: string[]): Alert[] {
  const alerts: Alert[] = [];
  for (const l of lines) alerts.push(...p.push(l));
  alerts.push(...p.end());
  return alerts;
}

const line = (i: number, service: ServiceId | string, value: number): string =>
  JSON.stringify({ ts: windowAt(i) + 1000, service, metric: 'queue_depth', value });

describe('two clusters, one namespace/name', () => {
  it('keep separate state, and each alert carries its cluster', () => {
    // eu-1 sits at 10, us-2 at 1000, the cluster-less one at 500; from window 30 both clusters
    // spike tenfold, the cluster-less one stays put. Merged, they would be one series.
    const lines: string[] = [];
    for (let i = 0; i < 36; i++) {
      const up = i >= 30 ? 10 : 1;
      lines.push(line(i, EU, noisy(10, i) * up), line(i, US, noisy(1000, i + 3) * up), line(i, NONE, noisy(500, i + 5)));
    }
    const p = pipeline();
    const alerts = run(p, lines);

    expect(p.engine.keys().sort()).toStrictEqual(['eu-1:shop/cart', 'shop/cart', 'us-2:shop/cart']);
    const firing = alerts.filter((a) => a.status === 'firing');
    expect(firing.map((a) => [a.service, a.kind, a.metric])).toStrictEqual(
      expect.arrayContaining([
        [EU, 'spike', 'queue_depth'],
        [US, 'spike', 'queue_depth'],
      ]),
    );
    expect(firing).toHaveLength(2);
    expect(new Set(firing.map((a) => a.id)).size).toBe(2);
    // Each alert's observed value is its own cluster's, not a mix.
    const eu = firing.find((a) => a.service.cluster === 'eu-1');
    const us = firing.find((a) => a.service.cluster === 'us-2');
    expect(eu?.observed).toBeLessThan(150);
    expect(us?.observed).toBeGreaterThan(5000);
    expect(eu?.summary).toContain('eu-1:shop/cart');
  });

  it('keeps a cluster-less identity apart from cluster "default"', () => {
    const lines: string[] = [];
    for (let i = 0; i < 36; i++) {
      lines.push(line(i, { ...NONE, cluster: 'default' }, noisy(10, i) * (i >= 30 ? 10 : 1)), line(i, NONE, noisy(10, i)));
    }
    const p = pipeline();
    const firing = run(p, lines).filter((a) => a.status === 'firing');
    expect(p.engine.keys().sort()).toStrictEqual(['default:shop/cart', 'shop/cart']);
    expect(firing.map((a) => a.service)).toStrictEqual([{ ...NONE, cluster: 'default' }]);
  });

  it('keeps shop/cart/x and namespace shop/cart, name x apart', () => {
    const lines: string[] = [];
    for (let i = 0; i < 36; i++) {
      lines.push(line(i, 'shop/cart/x', noisy(10, i) * (i >= 30 ? 10 : 1)), line(i, { namespace: 'shop/cart', name: 'x' }, noisy(10, i)));
    }
    const p = pipeline();
    const firing = run(p, lines).filter((a) => a.status === 'firing');
    expect(p.engine.keys().sort()).toStrictEqual(['shop%2Fcart/x', 'shop/cart%2Fx']);
    expect(firing.map((a) => a.service)).toStrictEqual([{ namespace: 'shop', name: 'cart/x' }]);
  });
});

describe('two clusters across a restart (engine + store, as stage 2 runs it)', () => {
  it('reloads each cluster its own warm state, so a spike after the restart fires for its cluster only', async () => {
    const eu = story([...quiet(25), ...spike(4, 2)].map((s) => ({ ...s, service: { ...SVC, cluster: 'eu-1' } })));
    const us = story(quiet(29).map((s) => ({ ...s, service: { ...SVC, cluster: 'us-2' } })));
    const store = new MemoryStateStore();

    // Before the restart: the 25 quiet windows of both clusters (20 warm up).
    const before = new DetectEngine(PARAMS);
    const alertsBefore: Alert[] = [];
    for (let i = 0; i < 25; i++) {
      feed(before, eu[i]!);
      feed(before, us[i]!);
      const r = before.advance();
      alertsBefore.push(...r.alerts);
      await store.save(r.dirty);
    }
    const r = before.flush();
    await store.save(r.dirty);
    expect([...alertsBefore, ...r.alerts]).toStrictEqual([]);

    // After: a new engine loads what it is missing by key, as the detect runtime does.
    const after = new DetectEngine(PARAMS);
    const rest = [...eu.slice(25), ...us.slice(25)];
    const missing = after.missing(rest);
    expect(missing.sort()).toStrictEqual(['eu-1:shop/checkout', 'us-2:shop/checkout']);
    const loaded = await store.load(missing);
    expect(loaded.size).toBe(2);
    for (const k of missing) after.adopt(loaded.get(k) ?? emptyServiceState(parseServiceKey(k)));
    for (const k of missing) expect(serviceKey(loaded.get(k)!.service)).toBe(k);

    const alerts: Alert[] = [];
    for (let i = 25; i < 29; i++) {
      feed(after, eu[i]!);
      feed(after, us[i]!);
      alerts.push(...after.advance().alerts);
    }
    alerts.push(...after.flush().alerts);
    const firing = alerts.filter((a) => a.status === 'firing' && a.metric === 'cpu_cores');
    expect(firing.length).toBeGreaterThan(0);
    expect(firing.every((a) => a.service.cluster === 'eu-1')).toBe(true);
    expect(firing[0]!.window.start >= new Date(T0 + 25 * WINDOW_MS).toISOString()).toBe(true);
  });
});
