/**
 * A cardinality explosion through the real broker and Redis: one meshwatch process (role all,
 * default bounds) reads a synthetic mesh (Istio access logs + cAdvisor, a CPU spike on
 * checkout) and, in the middle, `--spray` canonical samples each from a new random service.
 * The same mesh runs first without the spray. Reports the peak and post-GC heap, the Redis
 * keys each run added, the cardinality alerts, and whether the mesh's own alerts are the same.
 *
 *   node --expose-gc --import tsx bench/spray-broker.ts [--spray N]
 *
 * Needs Kafka on 127.0.0.1:9092 and Redis on 127.0.0.1:6379 (bash scripts/stack.sh up).
 */
import { randomBytes } from 'node:crypto';
import { parseArgs } from 'node:util';
import { Redis } from 'ioredis';
import { type Kafka } from 'kafkajs';
import { parseConfig } from '../src/config/load.js';
import { type Config } from '../src/config/schema.js';
import { type Alert } from '../src/core/alert/schema.js';
import { SyntheticMesh } from '../src/demo/mesh.js';
import { startMeshwatch } from '../src/runtime/app.js';
import { kafkaOf } from '../src/sources/kafka/client.js';
import { RedisStateStore } from '../src/stores/redis/store.js';

const { values } = parseArgs({ options: { spray: { type: 'string' } } });
const SPRAY = Number(values.spray ?? 1_000_000);
const WINDOW_MS = 10_000;
const WINDOWS = 48;
const SPRAY_FROM = 18;
const SPRAY_TO = 29;
const BASE_MS = Date.UTC(2026, 0, 5, 9, 0, 0);

const maybeGc = (globalThis as { gc?: () => void }).gc;
if (!maybeGc) throw new Error('run with node --expose-gc');
const gc: () => void = maybeGc;
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));
const mib = (b: number): number => Math.round(b / 2 ** 20);

function configOf(run: string): Readonly<Config> {
  return parseConfig({
    kafka: {
      brokers: ['127.0.0.1:9092'],
      clientId: `mw-${run}`,
      topics: {
        envoy: [`${run}.envoy`],
        cadvisor: [`${run}.stats`],
        samples: [`${run}.samples`],
        windows: `${run}.windows`,
        alerts: `${run}.alerts`,
        dlq: `${run}.dlq`,
      },
      groups: { ingest: `${run}-ingest`, detect: `${run}-detect` },
      partitions: 6,
      fromBeginning: true,
    },
    redis: { url: 'redis://127.0.0.1:6379', keyPrefix: `mwbench-${run}`.toLowerCase() },
    window: { ms: WINDOW_MS, allowedLatenessWindows: 1, idleCloseMs: 1500 },
    detection: { warmupWindows: 12 },
  });
}

async function countKeys(redis: Redis, prefix: string): Promise<number> {
  let n = 0;
  let cursor = '0';
  do {
    const [next, keys] = await redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 10_000);
    cursor = next;
    n += keys.length;
  } while (cursor !== '0');
  return n;
}

async function produce(kafka: Kafka, config: Readonly<Config>, spray: number): Promise<number> {
  const mesh = new SyntheticMesh(WINDOW_MS, [{ kind: 'cpu_spike', service: 'checkout', factor: 6, from: 34, to: 40 }], 7);
  const producer = kafka.producer();
  await producer.connect();
  const t = config.kafka.topics;
  const perWindow = Math.ceil(spray / (SPRAY_TO - SPRAY_FROM));
  let sent = 0;
  for (let w = 0; w < WINDOWS; w++) {
    const m = mesh.window(BASE_MS, w);
    await producer.sendBatch({
      topicMessages: [
        { topic: t.envoy[0]!, messages: m.envoy.map((value) => ({ value })) },
        { topic: t.cadvisor[0]!, messages: m.cadvisor.map((value) => ({ value })) },
      ],
    });
    sent += m.envoy.length + m.cadvisor.length;
    if (w < SPRAY_FROM || w >= SPRAY_TO) continue;
    for (let done = 0; done < perWindow; done += 10_000) {
      const messages = Array.from({ length: Math.min(10_000, perWindow - done) }, (_, k) => ({
        value: JSON.stringify({
          ts: BASE_MS + w * WINDOW_MS + ((done + k) % WINDOW_MS),
          service: `spray/${randomBytes(6).toString('hex')}`,
          metric: 'requests',
          value: 1,
        }),
      }));
      await producer.send({ topic: t.samples[0]!, messages });
      sent += messages.length;
    }
  }
  await producer.disconnect();
  return sent;
}

interface Outcome {
  seconds: number;
  heapPeakMiB: number;
  heapAfterGcMiB: number;
  redisKeys: number;
  cardinality: string[];
  mesh: string[];
  counters: Record<string, number>;
  checkout: { windows: number; lastWindowStart: string } | null;
  doneAfterS: number | null;
}

async function runOnce(label: string, spray: number, redis: Redis): Promise<Outcome> {
  const run = `spray-${label}-${randomBytes(3).toString('hex')}`;
  const config = configOf(run);
  const alerts: Alert[] = [];
  gc();
  const started = Date.now();
  let heapPeak = 0;
  const sampler = setInterval(() => (heapPeak = Math.max(heapPeak, process.memoryUsage().heapUsed)), 100);
  const app = await startMeshwatch(config, { onAlert: (a) => alerts.push(a), quietClient: true });
  const kafka = kafkaOf(config, '-bench', true);
  const sent = await produce(kafka, config, spray);
  // Done: every record read by ingest, the mesh's spike resolved, and (with a spray) the cardinality alert resolved.
  const done = (): boolean =>
    app.counters.get('received', { stage: 'ingest' }) >= sent &&
    alerts.some((a) => a.kind === 'spike' && a.status === 'resolved' && a.service.name === 'checkout') &&
    (spray === 0 || alerts.some((a) => a.kind === 'cardinality' && a.status === 'resolved'));
  for (let i = 0; i < 6000 && !done(); i++) await sleep(100);
  const doneAt = done() ? Date.now() : null;
  await sleep(3000);
  gc();
  const heapAfterGc = process.memoryUsage().heapUsed;
  clearInterval(sampler);
  const redisKeys = await countKeys(redis, config.redis.keyPrefix);
  await app.stop();
  const store = new RedisStateStore({ url: config.redis.url, keyPrefix: config.redis.keyPrefix });
  await store.connect();
  const checkout = (await store.load(['shop/checkout'])).get('shop/checkout');
  await store.close();
  const text = (a: Alert): string => `${a.status} ${a.kind} ${a.service.namespace}/${a.service.name} ${a.metric} ${a.window.start} ${a.id}`;
  const out: Outcome = {
    seconds: Math.round((Date.now() - started) / 1000),
    heapPeakMiB: mib(heapPeak),
    heapAfterGcMiB: mib(heapAfterGc),
    redisKeys,
    cardinality: alerts.filter((a) => a.kind === 'cardinality').map((a) => `${text(a)} observed=${a.observed}: ${a.summary}`),
    mesh: alerts.filter((a) => a.kind !== 'cardinality').map(text),
    counters: app.counters.snapshot(),
    checkout: checkout ? { windows: checkout.windows, lastWindowStart: new Date(checkout.lastWindowStart).toISOString() } : null,
    doneAfterS: doneAt ? Math.round((doneAt - started) / 1000) : null,
  };
  const keys: string[] = [];
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${config.redis.keyPrefix}:*`, 'COUNT', 10_000);
    cursor = next;
    keys.push(...found);
  } while (cursor !== '0');
  for (let i = 0; i < keys.length; i += 1000) await redis.del(...keys.slice(i, i + 1000));
  return out;
}

const redis = new Redis('redis://127.0.0.1:6379');
const clean = await runOnce('clean', 0, redis);
const sprayed = await runOnce('spray', SPRAY, redis);
await redis.quit();
const same = JSON.stringify([...clean.mesh].sort()) === JSON.stringify([...sprayed.mesh].sort());
console.log(
  JSON.stringify({ node: process.version, spray: SPRAY, clean: { ...clean, counters: undefined }, sprayed, meshAlertsSame: same }, null, 2),
);
process.exit(0);
