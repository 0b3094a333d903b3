/**
 * Incidents through the real broker and the real Redis: canonical samples on the samples topic
 * → both stages → per-metric alerts on the alerts topic, incidents on the incidents topic → the
 * PagerDuty sink worker (its own consumer group on the incidents topic) → a local Events API v2,
 * and every other sink (a real Alertmanager, a webhook, Splunk HEC, the OCSF / ECS / CEF topics).
 * Four metrics of one service breaking together are one incident at every sink, listing all four;
 * 60 % of 50 services breaking in the same window are one storm incident, paged once.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { type Incident, IncidentSchema } from '../../src/core/incident/schema.js';
import { type Config } from '../../src/config/schema.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { type EcsIncident, type OcsfIncidentFinding } from '../../src/core/siem/index.js';
import { startPagerDutyWorker } from '../../src/runtime/sink-pagerduty.js';
import { buildSink, startSinkWorker } from '../../src/runtime/sinks.js';
import { type IncidentDetails } from '../../src/sinks/pagerduty/events.js';
import { Counters } from '../../src/telemetry/counters.js';
import { TestAlertmanager } from '../alertmanager.js';
import { FakePagerDuty } from '../fakes/pagerduty.js';
import { FakeSplunkHec } from '../fakes/splunk-hec.js';
import { FakeWebhook } from '../fakes/webhook.js';
import { Collector, createTopics, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const ROUTING_KEY = 'PDINTEGRATIONKEY0123456789abcdef';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Deterministic noise of ±2 % around a level. */
const noisy = (level: number, i: number): number => level * (1 + 0.02 * ((((i * 7919) % 11) - 5) / 5));

/** A window-aligned start that puts `windows` windows of data just behind now (the event-time guard refuses old data). */
const recentBase = (windows: number): number => Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (windows + 2) * WINDOW_MS;

async function produceSamples(run: string, config: Readonly<Config>, lines: string[]): Promise<void> {
  const producer = testKafka(run).producer();
  await producer.connect();
  for (let i = 0; i < lines.length; i += 500) {
    // Keyed by service: each service's samples in order on one partition, as a shipper keyed by workload sends them.
    const messages = lines.slice(i, i + 500).map((value) => ({ key: (JSON.parse(value) as { service: string }).service, value }));
    await producer.send({ topic: config.kafka.topics.samples[0]!, messages });
  }
  await producer.disconnect();
}

const HEC_TOKEN = 'hec-token-0123456789';

/**
 * Every other sink as its worker, reading from the start with its default input: a real
 * Alertmanager, a webhook receiver, a Splunk HEC, and the OCSF / ECS / CEF topics with collectors.
 */
async function everySink(run: string, config: Readonly<Config>, fatal: unknown[]) {
  const kafka = testKafka(run);
  const am = await new TestAlertmanager().start({ resolveTimeout: '5s' });
  cleanups.push(() => am.stop());
  const hook = await new FakeWebhook().start();
  cleanups.push(() => hook.stop());
  const hec = await new FakeSplunkHec(HEC_TOKEN).start();
  cleanups.push(() => hec.stop());
  const s = config.sinks;
  const siem = (f: 'ocsf' | 'ecs' | 'cef') => ({ ...s[f], enabled: true, topic: `${run}.incidents.${f}` });
  const all: Config = {
    ...config,
    sinks: {
      ...s,
      alertmanager: { ...s.alertmanager, enabled: true, urls: [am.url], resendIntervalMs: 1000, retryInitialMs: 50, retryMaxMs: 400 },
      webhook: { ...s.webhook, enabled: true, url: hook.url, retryInitialMs: 50, retryMaxMs: 400 },
      splunk: { ...s.splunk, enabled: true, url: hec.url, token: HEC_TOKEN, retryInitialMs: 50, retryMaxMs: 400 },
      ocsf: siem('ocsf'),
      ecs: siem('ecs'),
      cef: siem('cef'),
    },
  };
  for (const name of ['alertmanager', 'webhook', 'splunk', 'ocsf', 'ecs', 'cef'] as const) {
    const built = await buildSink(name, all, { kafka, productVersion: '0.1.0' });
    const w = await startSinkWorker(kafka, all, built, new Counters(), (e) => fatal.push(e), {
      groupId: `${run}-sink-${name}`,
      parkingTopic: `${run}.incidents.parked.${name}`,
      fromBeginning: true,
    });
    cleanups.push(() => w.stop());
  }
  const collect = async <T>(f: 'ocsf' | 'ecs' | 'cef', parse?: (x: string) => T) => {
    const c = await new Collector<T>(kafka, all.sinks[f].topic, parse).start();
    cleanups.push(() => c.stop());
    return c;
  };
  return {
    am,
    hook,
    hec,
    ocsf: await collect<OcsfIncidentFinding>('ocsf'),
    ecs: await collect<EcsIncident>('ecs'),
    cef: await collect<string>('cef', (x) => x),
  };
}

/** Both stages, a PagerDuty worker reading the incidents topic from its start, collectors on both output topics. */
async function stack(run: string, overrides: Record<string, unknown> = {}) {
  const pd = await new FakePagerDuty().start();
  cleanups.push(() => pd.stop());
  const config = testConfig(run, {
    sinks: { pagerduty: { enabled: false, routingKey: ROUTING_KEY, url: pd.url, retryInitialMs: 50, retryMaxMs: 400 } },
    ...overrides,
  });
  await createTopics(config);
  await redisStoreFor(config, cleanups);
  const kafka = testKafka(run);
  const app = await startMeshwatch(config, { onWarning: () => undefined });
  cleanups.push(() => app.stop());
  const fatal: unknown[] = [];
  const worker = await startPagerDutyWorker(
    kafka,
    { ...config, sinks: { ...config.sinks, pagerduty: { ...config.sinks.pagerduty, enabled: true } } },
    new Counters(),
    (e) => fatal.push(e),
    {
      groupId: `${run}-sink-pagerduty`,
      parkingTopic: `${run}.incidents.parked.pagerduty`,
      fromBeginning: true,
    },
  );
  cleanups.push(() => worker.stop());
  const alerts = await new Collector<Alert>(kafka, config.kafka.topics.alerts).start();
  cleanups.push(() => alerts.stop());
  const incidents = await new Collector<Incident>(kafka, config.kafka.topics.incidents).start();
  cleanups.push(() => incidents.stop());
  return { pd, config, alerts, incidents, fatal };
}

const FOUR = ['error_ratio', 'latency_p50_ms', 'latency_p99_ms', 'bytes_out_per_s'];
const LEVEL: Record<string, number> = { error_ratio: 0.01, latency_p50_ms: 20, latency_p99_ms: 120, bytes_out_per_s: 50_000 };

describe('incidents through real Kafka and Redis', { timeout: 240_000 }, () => {
  it('four metrics of one service breaking together are one incident at every sink, listing all four', async () => {
    const run = uniqueId('inc4');
    const { pd, config, alerts, incidents, fatal } = await stack(run);
    const sinks = await everySink(run, config, fatal);
    const base = recentBase(34);
    const lines: string[] = [];
    for (let i = 0; i < 34; i++) {
      FOUR.forEach((metric, j) => {
        const v = noisy(LEVEL[metric]!, i + j);
        const value = i >= 20 && i < 24 ? (metric === 'error_ratio' ? 0.3 : v * 8) : v;
        lines.push(JSON.stringify({ ts: base + i * WINDOW_MS + 1000, service: 'shop/checkout', metric, value }));
      });
    }
    await produceSamples(run, config, lines);

    const got = await incidents.waitFor((xs) => xs.some((x) => x.status === 'resolved'), 120_000, 'the incident to resolve');
    for (const x of got) expect(IncidentSchema.parse(x)).toEqual(x);
    expect(new Set(got.map((x) => x.id)).size).toBe(1);
    for (const item of incidents.items) expect(item.key).toBe('shop/checkout');
    const opened = got.filter((x) => x.change === 'opened');
    expect(opened).toHaveLength(1);
    const id = opened[0]!.id;
    const four = [...FOUR].sort();
    // Metrics join as they fire (the opening window may hold only some); the incident lists every one that joined.
    const last = got.at(-1)!;
    expect(last.change).toBe('resolved');
    expect(last.metrics.map((m) => m.metric).sort()).toStrictEqual(four);
    expect(opened[0]!.window.start).toBe(new Date(base + 20 * WINDOW_MS).toISOString());

    // The alerts topic keeps the per-metric record: four alerts, each one of the incident's metrics.
    const firing = alerts.values().filter((a) => a.status === 'firing');
    expect(firing.map((a) => a.id).sort()).toStrictEqual(last.metrics.map((m) => m.alertId).sort());
    for (const m of opened[0]!.metrics) {
      const a = firing.find((x) => x.id === m.alertId)!;
      expect([m.observed, m.expected, m.score]).toStrictEqual([a.observed, a.expected, a.score]);
    }

    // PagerDuty: one dedup_key, the incident's: triggered listing all four, resolved once.
    const until = async (what: string, done: () => boolean): Promise<void> => {
      const end = Date.now() + 60_000;
      while (!done()) {
        if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
        await sleep(100);
      }
    };
    await until('PagerDuty resolve', () => pd.events.some((e) => e.event_action === 'resolve'));
    expect(new Set(pd.events.map((e) => e.dedup_key))).toStrictEqual(new Set([id]));
    expect(pd.events[0]!.event_action).toBe('trigger');
    expect((pd.events.at(-1)!.payload.custom_details as IncidentDetails).metrics.map((m) => m.metric).sort()).toStrictEqual(four);
    expect(pd.events.filter((e) => e.event_action === 'resolve')).toHaveLength(1);
    expect(pd.events.at(-1)?.event_action).toBe('resolve');

    // Alertmanager (real): one alert, MeshwatchIncident for the service, listing the four metrics; firing, then resolved.
    const notified = () => sinks.am.notifications.flatMap((n) => n.body.alerts);
    await until('Alertmanager resolved', () => notified().some((a) => a.status === 'resolved'));
    const amAlerts = notified();
    expect(new Set(amAlerts.map((a) => a.fingerprint)).size).toBe(1);
    expect(amAlerts[0]!.labels).toMatchObject({ alertname: 'MeshwatchIncident', namespace: 'shop', service: 'checkout', scope: 'service' });
    expect(amAlerts[0]!.status).toBe('firing');
    expect(amAlerts[0]!.annotations.incident_id).toBe(id);
    for (const m of FOUR) expect(amAlerts.at(-1)!.annotations.description).toContain(m);

    // Webhook: the incident documents, one id, the first listing all four.
    await until('the webhook resolve', () => sinks.hook.received.some((r) => (r.body as Incident).status === 'resolved'));
    const hooked = sinks.hook.received.map((r) => IncidentSchema.parse(r.body));
    expect(new Set(hooked.map((x) => x.id))).toStrictEqual(new Set([id]));
    expect(
      hooked
        .at(-1)!
        .metrics.map((m) => m.metric)
        .sort(),
    ).toStrictEqual(four);

    // Splunk HEC: incident events (beside the per-metric alerts), one incident id, every metric an indexed value.
    const hecIncidents = () => sinks.hec.events.filter((e) => e.sourcetype === 'meshwatch:incident');
    await until('the HEC resolve', () => hecIncidents().some((e) => e.fields?.status === 'resolved'));
    expect(new Set(hecIncidents().map((e) => e.fields?.incident_id))).toStrictEqual(new Set([id]));
    expect([...(hecIncidents().at(-1)!.fields?.metric as unknown as string[])].sort()).toStrictEqual(four);

    // SIEM topics: one finding per incident id, listing all four; the per-metric findings beside it.
    const incidentRecords = <T>(c: { items: { headers: Record<string, string>; value: T }[] }) =>
      c.items.filter((x) => x.headers['meshwatch-incident-id'] !== undefined);
    await until('the SIEM topics', () => [sinks.ocsf, sinks.ecs, sinks.cef].every((c) => incidentRecords<unknown>(c).length >= got.length));
    const ocsf = incidentRecords(sinks.ocsf).map((x) => x.value);
    expect(new Set(ocsf.map((f) => f.finding_info.uid))).toStrictEqual(new Set([id]));
    expect(
      ocsf
        .at(-1)!
        .anomaly_analyses.map((a) => a.anomalies[0]!.observation_parameter)
        .sort(),
    ).toStrictEqual(four);
    expect(ocsf.at(-1)!.activity_id).toBe(3);
    const ecs = incidentRecords(sinks.ecs).map((x) => x.value);
    expect(new Set(ecs.map((d) => d.meshwatch.incident.id))).toStrictEqual(new Set([id]));
    expect(
      ecs
        .at(-1)!
        .meshwatch.incident.metrics.map((m) => m.metric)
        .sort(),
    ).toStrictEqual(four);
    const cef = incidentRecords(sinks.cef);
    expect(new Set(cef.map((x) => x.headers['meshwatch-incident-id']))).toStrictEqual(new Set([id]));
    for (const m of FOUR) expect(cef.at(-1)!.value).toContain(m);
    expect(sinks.ocsf.items.length).toBeGreaterThan(ocsf.length);
    expect(fatal).toStrictEqual([]);
  });

  it('60 % of 50 services breaking in the same window are one storm incident, paged once', async () => {
    const run = uniqueId('storm');
    // One windows partition: one engine closes each window for every service (see docs/adr/incidents.md).
    const { pd, config, incidents, fatal } = await stack(run, { kafka: { partitions: 1 } });
    const base = recentBase(30);
    const lines: string[] = [];
    for (let i = 0; i < 30; i++) {
      for (let s = 0; s < 50; s++) {
        const v = noisy(1, i + s);
        lines.push(
          JSON.stringify({
            ts: base + i * WINDOW_MS + 1000,
            service: `mesh/svc-${s}`,
            metric: 'cpu_cores',
            value: s < 30 && i >= 20 && i < 23 ? v * 8 : v,
          }),
        );
      }
    }
    await produceSamples(run, config, lines);

    const got = await incidents.waitFor(
      (xs) => xs.some((x) => x.scope === 'storm' && x.status === 'resolved'),
      120_000,
      'the storm to resolve',
    );
    const storms = got.filter((x) => x.scope === 'storm');
    expect(new Set(storms.map((x) => x.id)).size).toBe(1);
    const opened = storms.find((x) => x.change === 'opened')!;
    expect(opened.services).toHaveLength(30);
    expect(opened.servicesSeen).toBe(50);
    for (const item of incidents.items) if (item.value.scope === 'storm') expect(item.key).toBe('mesh');
    const services = got.filter((x) => x.scope === 'service');
    expect(new Set(services.map((x) => x.id)).size).toBe(30);
    expect(services.every((x) => x.storm === opened.id)).toBe(true);

    const end = Date.now() + 60_000;
    while (!pd.events.some((e) => e.event_action === 'resolve') && Date.now() < end) await sleep(100);
    expect(new Set(pd.events.map((e) => e.dedup_key))).toStrictEqual(new Set([opened.id]));
    expect(pd.events.filter((e) => e.event_action === 'trigger')[0]?.payload.source).toBe('mesh');
    expect(fatal).toStrictEqual([]);
  });
});
