/**
 * No single record can blind or stop meshwatch, through the real broker and Redis: a test mesh
 * with five incidents runs twice, once as it is and once with three hostile records
 * interleaved at 40 % (an access log stamped 2099, a container stat stamped 1970, a canonical
 * sample whose `service` is 20,000 objects deep). Each hostile record lands in the DLQ with
 * its reason and position, and the alerts equal the undisturbed run's. The same records
 * through `replay` give the same alerts as the undisturbed file, and replay finishes.
 */
import { Readable } from 'node:stream';
import { afterEach, describe, expect, it } from 'vitest';
import { replay } from '../../src/cli/replay.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { type Injection, SyntheticMesh } from '../../src/demo/mesh.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { type DeadLetter } from '../../src/sinks/kafka/dlq.js';
import { Collector, createTopics, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const WINDOWS = 40;
/** Window index (40 % of the run) after which the hostile records are produced. */
const HOSTILE_AT = 16;

const INJECTIONS: Injection[] = [
  { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 18, to: 24 },
  { kind: 'latency_spike', service: 'payments', factor: 8, from: 20, to: 26 },
  { kind: 'new_edge', source: 'frontend', destination: 'auth', from: 22, to: 28 },
  { kind: 'cpu_spike', service: 'catalog', factor: 6, from: 26, to: 32 },
  { kind: 'latency_spike', service: 'currency', factor: 8, from: 28, to: 34 },
];

interface Record_ {
  topic: 'envoy' | 'cadvisor' | 'samples';
  value: string;
}

/** The mesh's records in production order; event time ends at the current window, as live data would. */
function meshRecords(baseMs: number): Record_[][] {
  const mesh = new SyntheticMesh(WINDOW_MS, INJECTIONS, 5);
  const out: Record_[][] = [];
  for (let i = 0; i < WINDOWS; i++) {
    const w = mesh.window(baseMs, i);
    out.push([
      ...w.envoy.map((value) => ({ topic: 'envoy' as const, value })),
      ...w.cadvisor.map((value) => ({ topic: 'cadvisor' as const, value })),
    ]);
  }
  return out;
}

/** Re-stamps every RFC 3339 time in a shipped record with another year (escaped JSON inside `log` too). */
const restamp = (text: string, year: number): string => text.replace(/\d{4}-(\d\d-\d\dT\d\d:\d\d:\d\d)/g, `${year}-$1`);

function hostileRecords(windows: Record_[][]): Record_[] {
  const w = windows[HOSTILE_AT]!;
  const envoy = w.find((r) => r.topic === 'envoy')!;
  const cadvisor = w.find((r) => r.topic === 'cadvisor')!;
  let deep = '1';
  for (let i = 0; i < 20_000; i++) deep = `{"a":${deep}}`;
  const sample = `{"ts":${Date.now()},"service":${deep},"metric":"cpu_cores","value":1}`;
  return [
    { topic: 'envoy', value: restamp(envoy.value, 2099) },
    { topic: 'cadvisor', value: restamp(cadvisor.value, 1970) },
    { topic: 'samples', value: sample },
  ];
}

const digest = (as: Alert[]): string[] =>
  as
    .map((a) => [a.id, a.status, a.kind, a.service.namespace, a.service.name, a.metric ?? '', a.peer?.name ?? '', a.window.start].join(' '))
    .sort();

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

async function runThroughBroker(
  run: string,
  config: Readonly<Config>,
  windows: Record_[][],
  hostile: Record_[],
): Promise<{ alerts: Alert[]; dead: DeadLetter[] }> {
  await createTopics(config);
  const store = await redisStoreFor(config, cleanups);
  const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
  const dlq = await new Collector<DeadLetter>(testKafka(run), config.kafka.topics.dlq).start();
  cleanups.push(
    () => alerts.stop(),
    () => dlq.stop(),
  );
  const app = await startMeshwatch(config);
  cleanups.push(() => app.stop());

  const producer = testKafka(run).producer();
  await producer.connect();
  const topicOf = (r: Record_): string => config.kafka.topics[r.topic][0]!;
  for (let i = 0; i < windows.length; i++) {
    const batch = i === HOSTILE_AT ? [...windows[i]!.slice(0, 3), ...hostile, ...windows[i]!.slice(3)] : windows[i]!;
    const byTopic = new Map<string, { value: string }[]>();
    for (const r of batch) byTopic.set(topicOf(r), [...(byTopic.get(topicOf(r)) ?? []), { value: r.value }]);
    await producer.sendBatch({ topicMessages: [...byTopic].map(([topic, messages]) => ({ topic, messages })) });
  }
  await producer.disconnect();

  // Done when every window of the run has closed for every service (the last ones on idle).
  const closed = async (): Promise<number> => (await store.load(['shop/frontend'])).get('shop/frontend')?.windows ?? 0;
  for (let t = 0; t < 900 && (await closed()) < WINDOWS; t++) await sleep(100);
  expect(await closed()).toBe(WINDOWS);
  await sleep(2000);
  return { alerts: alerts.values(), dead: dlq.values() };
}

async function replayLines(lines: string[]): Promise<{ alerts: Alert[]; rejected: Record<string, number> }> {
  const alerts: Alert[] = [];
  const config = testConfig(uniqueId('replay'));
  const summary = await replay(config, Readable.from(lines.map((l) => l + '\n')), (a) => alerts.push(a));
  return { alerts, rejected: summary.stats.rejected };
}

describe('hostile records through the real broker', { timeout: 420_000 }, () => {
  it('a record stamped 2099, one stamped 1970 and a 20,000-deep one go to the DLQ; the alerts are unchanged', async () => {
    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - WINDOWS * WINDOW_MS;
    const windows = meshRecords(baseMs);
    const hostile = hostileRecords(windows);

    const calmRun = uniqueId('calm');
    const calm = await runThroughBroker(calmRun, testConfig(calmRun), windows, []);
    const firing = calm.alerts.filter((a) => a.status === 'firing');
    // The undisturbed run finds the five incidents (the reference the disturbed run must match);
    // the new edge also shows as a request spike on `auth`, which nobody called before.
    const found = new Set(firing.map((a) => `${a.service.name}:${a.kind}`));
    for (const incident of ['checkout:spike', 'payments:spike', 'frontend:new_peer', 'catalog:spike', 'currency:spike']) {
      expect(found).toContain(incident);
    }
    expect(calm.dead).toEqual([]);

    const run = uniqueId('hostile');
    const config = testConfig(run);
    const disturbed = await runThroughBroker(run, config, windows, hostile);
    expect(digest(disturbed.alerts)).toEqual(digest(calm.alerts));

    const letters = disturbed.dead.map((d) => ({ code: d.error.code, topic: d.source.topic, decoder: d.decoder }));
    expect(letters.sort((a, b) => a.topic.localeCompare(b.topic))).toEqual(
      [
        { code: 'MW_EVENT_TIME_SKEW', topic: config.kafka.topics.envoy[0], decoder: 'envoy' },
        { code: 'MW_EVENT_TIME_SKEW', topic: config.kafka.topics.cadvisor[0], decoder: 'cadvisor' },
        { code: 'MW_DECODE_TOO_DEEP', topic: config.kafka.topics.samples[0], decoder: 'sample' },
      ].sort((a, b) => a.topic!.localeCompare(b.topic!)),
    );
    for (const d of disturbed.dead) {
      expect(d.error.reason.length).toBeGreaterThan(10);
      expect(Number(d.source.offset)).toBeGreaterThanOrEqual(0);
      expect(d.payloadBytes).toBeGreaterThan(0);
    }
    expect(disturbed.dead.find((d) => d.source.topic === config.kafka.topics.envoy[0])!.error.reason).toMatch(/2099/);
    expect(disturbed.dead.find((d) => d.source.topic === config.kafka.topics.cadvisor[0])!.error.reason).toMatch(/1970/);

    // The same records through replay: it finishes, rejects the three, and alerts as the undisturbed file does.
    const flat = (ws: Record_[][], extra: Record_[]): string[] =>
      ws.flatMap((w, i) => (i === HOSTILE_AT ? [...w.slice(0, 3), ...extra, ...w.slice(3)] : w)).map((r) => r.value);
    const calmReplay = await replayLines(flat(windows, []));
    const hostileReplay = await replayLines(flat(windows, hostile));
    expect(digest(hostileReplay.alerts)).toEqual(digest(calmReplay.alerts));
    expect(hostileReplay.rejected).toEqual({ MW_EVENT_TIME_SKEW: 2, MW_DECODE_TOO_DEEP: 1 });
    expect(calmReplay.alerts.filter((a) => a.status === 'firing').length).toBeGreaterThanOrEqual(5);
  });
});
