/**
 * `meshwatch demo`: a live run through the real topics. Starts meshwatch (both stages) on
 * run-scoped topics, groups and Redis keys, streams a synthetic 12-service mesh in the
 * real formats with event time running ~60× faster than the clock, injects a CPU spike,
 * a latency spike and a new lateral edge after warm-up, and prints every alert as it
 * arrives off the alerts topic; with `http.enabled` (the default) it serves the page and the
 * API (src/http) while it runs. Exits 0 once the three injected anomalies were alerted
 * and nothing fired for a service that was left untouched; 1 otherwise.
 */
import { randomBytes } from 'node:crypto';
import { type Config } from '../config/schema.js';
import { parseConfig } from '../config/load.js';
import { type Alert } from '../core/alert/schema.js';
import { serviceKey } from '../core/model.js';
import { DEMO_SERVICES, type Injection, NAMESPACE, SyntheticMesh } from '../demo/mesh.js';
import { type HttpServer, startHttpServer } from '../http/server.js';
import { startMeshwatch } from '../runtime/app.js';
import { probeDependencies } from '../runtime/dependencies.js';
import { ensureTopics, kafkaOf } from '../sources/kafka/client.js';
import { RedisStateStore, redisStoreOptionsOf } from '../stores/redis/store.js';

const WINDOW_MS = 10_000;
const WARM_WINDOWS = 45;
const INJECT_FROM = WARM_WINDOWS;
const INJECT_TO = WARM_WINDOWS + 6;
const TOTAL_WINDOWS = INJECT_TO + 10;
const WALL_MS_PER_WINDOW = 150;
const TIMEOUT_MS = 120_000;

export const DEMO_INJECTIONS: Injection[] = [
  { kind: 'cpu_spike', service: 'checkout', factor: 6, from: INJECT_FROM, to: INJECT_TO },
  { kind: 'latency_spike', service: 'catalog', factor: 8, from: INJECT_FROM + 1, to: INJECT_TO + 1 },
  { kind: 'new_edge', source: 'frontend', destination: 'payments', from: INJECT_FROM + 2, to: INJECT_TO + 2 },
];

interface Expectation {
  label: string;
  matches: (a: Alert) => boolean;
}

const EXPECTED: Expectation[] = [
  { label: 'CPU spike on shop/checkout', matches: (a) => a.service.name === 'checkout' && a.kind === 'spike' && a.metric === 'cpu_cores' },
  {
    label: 'latency spike on shop/catalog',
    matches: (a) => a.service.name === 'catalog' && a.kind === 'spike' && a.metric.startsWith('latency_'),
  },
  {
    label: 'new peer shop/frontend → shop/payments',
    matches: (a) => a.service.name === 'frontend' && a.kind === 'new_peer' && a.peer?.name === 'payments',
  },
];

/** Services the injections touch (directly, or as the callee of the new edge). */
const TOUCHED = new Set(['checkout', 'catalog', 'frontend', 'payments']);

export interface DemoRun {
  run: string;
  /** The run-scoped configuration (topics, groups, Redis prefix). */
  config: Readonly<Config>;
  /** The page and the API (when `http.enabled` and the port was free). */
  http?: HttpServer;
  /** Every alert read off the alerts topic so far. */
  alerts: Alert[];
  /** The expected alerts seen firing so far (their labels). */
  seen: Set<string>;
  /** Resolves once every message of the mesh is produced (with their number). */
  produced: Promise<number>;
  /** Resolves true once every expected alert fired, false after TIMEOUT_MS. */
  caught: Promise<boolean>;
  /** Stops everything, deletes the run's topics and Redis keys; returns the counters. */
  stop(): Promise<Record<string, number>>;
}

/**
 * Starts the demo's pipeline: run-scoped topics, groups and Redis keys, meshwatch (both
 * stages), the page when `http.enabled`, a reader of the alerts topic, and the mesh's producer.
 */
export async function startDemo(base: Readonly<Config>, say: (line: string) => void = () => undefined): Promise<DemoRun> {
  const run = randomBytes(4).toString('hex');
  const started = Date.now();
  const config = parseConfig({
    ...structuredClone(base),
    kafka: {
      ...structuredClone(base.kafka),
      topics: {
        envoy: [`demo-${run}.istio-access-logs`],
        cadvisor: [`demo-${run}.stats`],
        samples: [`demo-${run}.samples`],
        windows: `demo-${run}.windows`,
        alerts: `demo-${run}.alerts`,
        incidents: `demo-${run}.incidents`,
        dlq: `demo-${run}.dlq`,
        changelog: `demo-${run}.state-changelog`,
      },
      groups: { ingest: `meshwatch-demo-${run}-ingest`, detect: `meshwatch-demo-${run}-detect` },
      partitions: 3,
      fromBeginning: true,
    },
    redis: { ...base.redis, keyPrefix: `mw-demo-${run}` },
    window: { ...base.window, ms: WINDOW_MS, idleCloseMs: 2000 },
    detection: { ...structuredClone(base.detection), warmupWindows: 30 },
  });
  const t = config.kafka.topics;
  const topics = [...t.envoy, ...t.cadvisor, ...t.samples, t.windows, t.alerts, t.incidents, t.dlq, t.changelog];

  await probeDependencies(config);
  const kafka = kafkaOf(config, '-demo', true);
  const admin = kafka.admin();
  await admin.connect();
  await ensureTopics(admin, topics, 3, 1);

  const alerts: Alert[] = [];
  const seen = new Set<string>();
  let resolveDone: () => void = () => undefined;
  const done = new Promise<void>((r) => (resolveDone = r));
  const consumer = kafka.consumer({ groupId: `meshwatch-demo-${run}-printer` });
  await consumer.connect();
  await consumer.subscribe({ topic: t.alerts, fromBeginning: true });
  await consumer.run({
    eachMessage: async ({ message }) => {
      const a = JSON.parse(message.value?.toString('utf8') ?? '{}') as Alert;
      alerts.push(a);
      const secs = ((Date.now() - started) / 1000).toFixed(1);
      say(
        `  [${secs.padStart(5)} s] ${a.status.toUpperCase().padEnd(8)} ${a.severity.padEnd(8)} ${a.kind.padEnd(9)} ${a.summary}  (id ${a.id})`,
      );
      for (const e of EXPECTED) if (a.status === 'firing' && e.matches(a)) seen.add(e.label);
      if (seen.size === EXPECTED.length) resolveDone();
      return Promise.resolve();
    },
  });

  const running = await startMeshwatch(config, { quietClient: true });
  let http: HttpServer | undefined;
  if (config.http.enabled) {
    http = await startHttpServer({
      host: config.http.host,
      port: config.http.port,
      token: config.http.token,
      query: running.query,
      metrics: (_req, res) => void res.writeHead(404, { 'content-type': 'text/plain' }).end('the demo exports no metrics\n'),
      readiness: [],
    }).catch((e: unknown) => {
      say(`  no page: ${e instanceof Error ? e.message : String(e)}`);
      return undefined;
    });
  }
  const producer = kafka.producer();
  await producer.connect();
  const mesh = new SyntheticMesh(WINDOW_MS, DEMO_INJECTIONS);
  const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - TOTAL_WINDOWS * WINDOW_MS;
  const produce = async (): Promise<number> => {
    let messages = 0;
    for (let i = 0; i < TOTAL_WINDOWS; i++) {
      const w = mesh.window(baseMs, i);
      await producer.sendBatch({
        topicMessages: [
          { topic: t.envoy[0] as string, messages: w.envoy.map((value) => ({ value })) },
          { topic: t.cadvisor[0] as string, messages: w.cadvisor.map((value) => ({ value })) },
        ],
      });
      messages += w.envoy.length + w.cadvisor.length;
      if (i === WARM_WINDOWS) say(`  … ${messages} messages of warm-up produced; anomalies start now`);
      await sleep(WALL_MS_PER_WINDOW);
    }
    return messages;
  };
  const produced = produce();
  const caught = produced.then(() => Promise.race([done.then(() => true), sleep(TIMEOUT_MS).then(() => false)]));

  const stop = async (): Promise<Record<string, number>> => {
    await produced.catch(() => undefined);
    await producer.disconnect();
    await consumer.disconnect();
    await http?.close();
    await running.stop();
    const counters = running.counters.snapshot();
    await admin.deleteTopics({ topics }).catch(() => undefined);
    await admin.disconnect();
    const store = new RedisStateStore(redisStoreOptionsOf(config));
    await store.connect();
    await store.clear(config.redis.keyPrefix);
    await store.close();
    return counters;
  };
  return { run, config, ...(http ? { http } : {}), alerts, seen, produced, caught, stop };
}

export async function demoCommand(base: Readonly<Config>): Promise<number> {
  const started = Date.now();
  const say = (s: string): void => void process.stdout.write(s + '\n');
  say(`meshwatch demo: ${DEMO_SERVICES.length} services in namespace '${NAMESPACE}', window ${WINDOW_MS / 1000} s of event time`);
  say(`  injecting after ${WARM_WINDOWS} windows of warm-up: ${DEMO_INJECTIONS.map(describe).join('; ')}`);
  const demo = await startDemo(base, say);
  if (demo.http) say(`  watch it on the page: ${demo.http.url}/ (run ${demo.run})`);
  const messages = await demo.produced;
  say(`  all ${messages} messages produced in ${((Date.now() - started) / 1000).toFixed(1)} s; waiting for alerts`);
  const timedOut = !(await demo.caught);
  await sleep(4000); // let resolutions and any stray alert arrive
  const counters = await demo.stop();
  const { alerts, seen } = demo;

  const untouched = alerts.filter((a) => a.status === 'firing' && !TOUCHED.has(a.service.name));
  say('');
  for (const e of EXPECTED) say(`  ${seen.has(e.label) ? 'caught ' : 'MISSED '} ${e.label}`);
  const untouchedNames = DEMO_SERVICES.map((s) => s.name).filter((n) => !TOUCHED.has(n));
  say(
    `  ${untouched.length === 0 ? 'quiet  ' : 'NOISY  '} ${untouchedNames.length} untouched services (${untouchedNames.join(', ')}): ${untouched.length} alerts`,
  );
  if (untouched.length) for (const a of untouched) say(`           ${serviceKey(a.service)} ${a.kind} ${a.metric}`);
  say(
    `  records received: ingest ${counters['received{stage=ingest}'] ?? 0}, detect ${counters['received{stage=detect}'] ?? 0}; alerts ${alerts.length}; ${((Date.now() - started) / 1000).toFixed(1)} s`,
  );
  const ok = !timedOut && seen.size === EXPECTED.length && untouched.length === 0;
  say(ok ? 'demo: OK' : 'demo: FAILED');
  return ok ? 0 : 1;
}

function describe(j: Injection): string {
  switch (j.kind) {
    case 'cpu_spike':
      return `CPU ×${j.factor} on ${j.service}`;
    case 'latency_spike':
      return `latency ×${j.factor} on ${j.service}`;
    case 'new_edge':
      return `new call ${j.source} → ${j.destination}`;
    case 'memory':
      return `working set ${j.bytes} bytes on ${j.service}`;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
