/**
 * The Alertmanager sink against a real Alertmanager (Debian's prometheus-alertmanager on
 * loopback, resolve_timeout 2 s, a webhook receiver recording what it notifies), through
 * the real broker and Redis: an incident produced to the alerts topic arrives as firing
 * with meshwatch's labels, stays firing for several resolve_timeouts because the sink
 * re-sends it (also across a restart of the sink, from the active set kept in Redis), and
 * arrives resolved once its resolve is on the topic.
 */
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { buildSink, startSinkWorker } from '../../src/runtime/sinks.js';
import { sinkKey } from '../../src/stores/redis/keys.js';
import { Counters } from '../../src/telemetry/counters.js';
import { TestAlertmanager } from '../alertmanager.js';
import { alertOf } from '../contract/alert-sink.js';
import { REDIS_URL, alertsWriter, createTopics, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const RESOLVE_TIMEOUT_MS = 2000;

describe('Alertmanager sink against a real Alertmanager', { timeout: 120_000 }, () => {
  it('an incident arrives firing, stays firing past resolve_timeout (resent, also after a restart), then arrives resolved', async () => {
    const am = await new TestAlertmanager().start({ resolveTimeout: `${RESOLVE_TIMEOUT_MS / 1000}s` });
    cleanups.push(() => am.stop());
    const run = uniqueId('am');
    const config = testConfig(run, {
      sinks: {
        alertmanager: {
          enabled: true,
          input: 'alerts',
          urls: [am.url],
          // Valid for 4 × 500 ms = resolve_timeout: without the resends it would resolve.
          resendIntervalMs: 500,
          generatorUrl: 'http://meshwatch.example/alerts/{id}',
          runbookUrl: 'https://runbooks.example/{namespace}/{service}/{metric}',
          retryInitialMs: 50,
          retryMaxMs: 400,
        },
      },
    });
    await createTopics(config);
    const redis = new Redis(REDIS_URL);
    cleanups.push(async () => {
      await redis.del(sinkKey(config.redis.keyPrefix, 'alertmanager', 'active'));
      redis.disconnect();
    });
    const kafka = testKafka(run);
    const counters = new Counters();
    const fatal: unknown[] = [];
    const lines: string[] = [];
    const start = async (): Promise<() => Promise<void>> => {
      const built = await buildSink('alertmanager', config, { counters, log: (l) => lines.push(l) });
      const w = await startSinkWorker(kafka, config, built, counters, (e) => fatal.push(e), {
        groupId: `${run}-sink-alertmanager`,
        parkingTopic: `${run}.alerts.parked.alertmanager`,
        fromBeginning: true,
      });
      return () => w.stop();
    };
    let stopWorker = await start();
    cleanups.push(() => stopWorker());

    const out = await alertsWriter(kafka, config, cleanups);
    const base = alertOf('checkout', 'firing', 0);
    const firing: Alert = { ...base, service: { namespace: 'shop', name: 'checkout', cluster: 'prod-eu' } };
    const resolved: Alert = { ...firing, status: 'resolved', endsAt: firing.window.end, observed: 1 };
    const expectedLabels = {
      alertname: 'MeshwatchSpike',
      namespace: 'shop',
      service: 'checkout',
      cluster: 'prod-eu',
      severity: 'error',
      kind: 'spike',
      metric: 'cpu_cores',
    };

    expect(await out.deliver([firing])).toEqual({ ok: true });
    const seen = async (status: 'firing' | 'resolved', timeoutMs: number): Promise<void> => {
      const end = Date.now() + timeoutMs;
      while (!am.notifications.some((n) => n.body.status === status)) {
        if (Date.now() > end) throw new Error(`no ${status} notification within ${timeoutMs} ms: ${JSON.stringify(am.notifications)}`);
        await sleep(100);
      }
    };
    await seen('firing', 30_000);
    const first = am.notifications.find((n) => n.body.status === 'firing')!.body;
    expect(first.alerts).toHaveLength(1);
    const a = first.alerts[0]!;
    expect(a.labels).toEqual(expectedLabels);
    expect(a.annotations).toMatchObject({
      summary: firing.summary,
      observed: '6',
      expected: '1 (0.8..1.2)',
      runbook: 'https://runbooks.example/shop/checkout/cpu_cores',
      alert_id: firing.id,
    });
    expect(Date.parse(a.startsAt)).toBe(Date.parse(firing.startsAt));
    expect(a.generatorURL).toBe(`http://meshwatch.example/alerts/${firing.id}`);

    // Three resolve_timeouts, with a restart of the sink in the middle: still firing.
    await sleep(RESOLVE_TIMEOUT_MS * 1.5);
    await stopWorker();
    stopWorker = await start();
    await sleep(RESOLVE_TIMEOUT_MS * 1.5);
    expect(am.notifications.filter((n) => n.body.status === 'resolved')).toEqual([]);
    const live = (await am.alerts()).filter((x) => x.labels.service === 'checkout');
    expect(live.map((x) => x.status.state)).toEqual(['active']);
    // Resent: valid until at least a resend interval from now.
    expect(Date.parse(live[0]!.endsAt)).toBeGreaterThan(Date.now());

    expect(await out.deliver([resolved])).toEqual({ ok: true });
    await seen('resolved', 30_000);
    const last = am.notifications.find((n) => n.body.status === 'resolved')!.body;
    expect(last.alerts.map((x) => [x.status, x.labels])).toEqual([['resolved', expectedLabels]]);
    expect(Date.parse(last.alerts[0]!.endsAt)).toBe(Date.parse(resolved.endsAt!));
    expect(counters.get('sent', { stage: 'sink', sink: 'alertmanager' })).toBe(2);
    expect(fatal).toEqual([]);
  });
});
