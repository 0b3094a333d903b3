/**
 * Secure connections, against servers this file starts (test/secure-stack.ts; a CA made here
 * with openssl): a Kafka broker with SASL/SCRAM-SHA-512 over TLS, a redis-server with TLS only
 * and an ACL user (default user off), and a Redis Cluster of three such masters.
 * - a full pipeline run (Envoy and cAdvisor records in → alerts out on the alerts topic, state
 *   in Redis) over SASL_SSL Kafka with the TLS + ACL Redis, and again with the Cluster;
 * - `meshwatch run` with a wrong Kafka or Redis password exits 3 well within its start-up bound
 *   with one redacted MW_KAFKA_AUTH / MW_REDIS_AUTH line; a run with the right ones starts; no
 *   password appears in any output line.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { type Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { parseConfig } from '../../src/config/load.js';
import { type Config } from '../../src/config/schema.js';
import { SyntheticMesh } from '../../src/demo/mesh.js';
import { type MeshwatchError } from '../../src/errors.js';
import { KafkaWatch } from '../../src/runtime/dependencies.js';
import { startMeshwatch } from '../../src/runtime/app.js';
import { kafkaOf } from '../../src/sources/kafka/client.js';
import { probeKafka } from '../../src/sources/kafka/probe.js';
import { RedisStateStore, redisStoreOptionsOf } from '../../src/stores/redis/store.js';
import { linesOf, runCli, STACK_FRAME, startCli } from '../cli-process.js';
import { Collector, createTopics, produceMeshWindows, sleep, testConfig, uniqueId } from '../helpers.js';
import {
  type Certs,
  makeCerts,
  redissUrl,
  type SecureKafka,
  startSecureKafka,
  startTlsRedis,
  startTlsRedisCluster,
  type TlsRedis,
} from '../secure-stack.js';

const WINDOW_MS = 10_000;
const KAFKA_USER = 'meshwatch';
const KAFKA_PASSWORD = 'kafka-Pw-5e1f9c';
const REDIS_USER = 'mw-state';
const REDIS_PASSWORD = 'redis-Pw-8a27d0';
const WRONG_PASSWORD = 'not-the-Pw-3b6c';
/** The start-up bound of the CLI runs; a refused password must end the run well before it. */
const CONNECT_TIMEOUT_MS = 30_000;

let dir = '';
let certs: Certs;
let kafka: SecureKafka;
let redis: TlsRedis;
let cluster: TlsRedis;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mw-secure-'));
  certs = makeCerts(join(dir, 'certs'));
  [kafka, redis, cluster] = await Promise.all([
    startSecureKafka(join(dir, 'kafka'), certs, KAFKA_USER, KAFKA_PASSWORD),
    startTlsRedis(join(dir, 'redis'), certs, REDIS_USER, REDIS_PASSWORD),
    startTlsRedisCluster(join(dir, 'cluster'), certs, REDIS_USER, REDIS_PASSWORD),
  ]);
}, 180_000);

afterAll(async () => {
  await Promise.all([kafka?.stop(), redis?.stop(), cluster?.stop()]);
  if (dir) rmSync(dir, { recursive: true, force: true });
});

const cleanups: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

type RedisSetup = 'standalone' | 'cluster';

const redisUrl = (setup: RedisSetup, password = REDIS_PASSWORD): string =>
  redissUrl((setup === 'cluster' ? cluster : redis).ports[0]!, REDIS_USER, password);

/** A run's config against the secured servers. */
function secureConfig(run: string, setup: RedisSetup): Readonly<Config> {
  return testConfig(run, {
    kafka: {
      brokers: kafka.brokers,
      ssl: { ca: certs.ca },
      sasl: { mechanism: 'scram-sha-512', username: KAFKA_USER, password: KAFKA_PASSWORD },
    },
    redis: { url: redisUrl(setup), tls: { ca: certs.ca }, mode: setup },
  });
}

/** Per master, how many of the store's state keys it holds (SCAN on each node). */
async function stateKeysPerMaster(store: RedisStateStore, prefix: string): Promise<number[]> {
  const counts = new Map<Redis, number>();
  await store.connection.scan(`${prefix}:{*}:state`, (keys, node) => void counts.set(node, (counts.get(node) ?? 0) + keys.length));
  return [...counts.values()];
}

describe('secure connections: Kafka SASL/SCRAM over TLS, Redis TLS with an ACL user', { timeout: 240_000 }, () => {
  it.each(['standalone', 'cluster'] as const)(
    'carries a full pipeline run with Redis %s: records in, alerts out, state in Redis',
    async (setup) => {
      const run = uniqueId(`secure-${setup}`);
      const config = secureConfig(run, setup);
      const client = kafkaOf(config, '-test');
      await createTopics(config, client);
      const store = new RedisStateStore(redisStoreOptionsOf(config));
      await store.connect();
      cleanups.push(async () => {
        await store.clear();
        await store.close();
      });
      const alerts = await new Collector<Alert>(client, config.kafka.topics.alerts).start();
      cleanups.push(() => alerts.stop());
      const app = await startMeshwatch(config, { onWarning: () => undefined });
      cleanups.push(() => app.stop());

      const mesh = new SyntheticMesh(
        WINDOW_MS,
        [
          { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 16, to: 22 },
          { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 17, to: 22 },
        ],
        7,
      );
      const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - 30 * WINDOW_MS;
      await produceMeshWindows(run, config, mesh, baseMs, 0, 28, client);

      const got = await alerts.waitFor(
        (as) =>
          as.some((a) => a.status === 'firing' && a.kind === 'spike' && a.service.name === 'checkout' && a.metric === 'cpu_cores') &&
          as.some((a) => a.kind === 'new_peer' && a.peer?.name === 'payments'),
        120_000,
        'the CPU spike and the new peer',
      );
      const spike = got.find((a) => a.kind === 'spike' && a.service.name === 'checkout')!;
      // A lone CPU spike (uncorroborated) fires on its second window (detect/corroboration.ts).
      expect(spike.window.start).toBe(new Date(baseMs + 17 * WINDOW_MS).toISOString());

      // The windows close (the last ones by idle close) and each service's state is saved in Redis.
      const windowsOf = async (k: string): Promise<number> => (await store.load([k])).get(k)?.windows ?? 0;
      const least = async (): Promise<number> => Math.min(await windowsOf('shop/checkout'), await windowsOf('shop/frontend'));
      for (let t = 0; t < 300 && (await least()) < 26; t++) await sleep(200);
      expect(await windowsOf('shop/checkout')).toBeGreaterThanOrEqual(16);
      expect(await windowsOf('shop/frontend')).toBeGreaterThanOrEqual(22);
      const services = await store.serviceKeys();
      expect(services).toEqual(expect.arrayContaining(['shop/checkout', 'shop/frontend', 'shop/payments']));
      const perMaster = await stateKeysPerMaster(store, config.redis.keyPrefix);
      expect(perMaster.reduce((a, b) => a + b, 0)).toBe(services.length);
      // In the cluster the services' keys spread over the masters (each service's key in its own slot).
      if (setup === 'cluster') expect(perMaster.length).toBeGreaterThan(1);
    },
  );

  /** A config file for `meshwatch run`; the passwords come from the environment. */
  function cliEnv(setup: RedisSetup, kafkaPassword: string, redisPassword: string): Record<string, string> {
    const file = join(dir, `${uniqueId('config')}.json`);
    const c = { kafka: { brokers: kafka.brokers, ssl: { ca: certs.ca }, sasl: { mechanism: 'scram-sha-512', username: KAFKA_USER } } };
    writeFileSync(file, JSON.stringify({ ...c, redis: { tls: { ca: certs.ca }, mode: setup, keyPrefix: uniqueId('mwsec') } }));
    return {
      MESHWATCH_CONFIG: file,
      MESHWATCH_KAFKA_SASL_PASSWORD: kafkaPassword,
      MESHWATCH_REDIS_URL: redisUrl(setup, redisPassword),
      MESHWATCH_KAFKA_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      MESHWATCH_REDIS_CONNECT_TIMEOUT_MS: String(CONNECT_TIMEOUT_MS),
      // What is asserted here is the connection and the secrets; the drain's timing is
      // test/integration/shutdown.test.ts's, and a loaded machine may stretch it.
      MESHWATCH_SHUTDOWN_TIMEOUT_MS: '30000',
    };
  }

  const secrets = [KAFKA_PASSWORD, REDIS_PASSWORD, WRONG_PASSWORD];

  it('a wrong Kafka password: exit 3 at once, one MW_KAFKA_AUTH line, no password anywhere', async () => {
    const r = await runCli(['run'], cliEnv('standalone', WRONG_PASSWORD, REDIS_PASSWORD));
    expect(r.code).toBe(3);
    expect(r.elapsedMs).toBeLessThan(CONNECT_TIMEOUT_MS);
    expect(linesOf(r.stderr)).toEqual([
      `meshwatch: MW_KAFKA_AUTH: kafka at ${kafka.brokers[0]} refused the credentials (SASL SCRAM-SHA-512, user ${KAFKA_USER})`,
    ]);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(s);
  });

  it.each(['standalone', 'cluster'] as const)(
    'a wrong Redis password (%s): exit 3 at once, one redacted MW_REDIS_AUTH line',
    async (setup) => {
      const r = await runCli(['run'], cliEnv(setup, KAFKA_PASSWORD, WRONG_PASSWORD));
      expect(r.code).toBe(3);
      expect(r.elapsedMs).toBeLessThan(CONNECT_TIMEOUT_MS);
      const port = (setup === 'cluster' ? cluster : redis).ports[0]!;
      expect(linesOf(r.stderr)).toEqual([
        `meshwatch: MW_REDIS_AUTH: redis at rediss://${REDIS_USER}:***@127.0.0.1:${port} refused the credentials of user ${REDIS_USER} (WRONGPASS)`,
      ]);
      expect(r.stderr).not.toMatch(STACK_FRAME);
      for (const s of secrets) expect(r.stdout + r.stderr).not.toContain(s);
    },
  );

  it('credentials refused while running end the watch at once with MW_KAFKA_AUTH', async () => {
    const base = secureConfig(uniqueId('watch'), 'standalone');
    const config = parseConfig({ ...base, kafka: { ...base.kafka, sasl: { ...base.kafka.sasl, password: WRONG_PASSWORD } } });
    const outage = new Promise<MeshwatchError>((resolve) => {
      const watch = new KafkaWatch(config, { onOutage: resolve, intervalMs: 1000 });
      cleanups.push(() => watch.stop());
      watch.start();
    });
    const e = await outage;
    expect(e.code).toBe('MW_KAFKA_AUTH');
    expect(e.message).not.toContain(WRONG_PASSWORD);
  });

  it('a CA the client does not trust is no refusal: retried until the start-up bound, the cause named', async () => {
    const run = uniqueId('untrusted');
    const base = secureConfig(run, 'standalone');
    const config = parseConfig({
      ...base,
      kafka: { ...base.kafka, ssl: { rejectUnauthorized: true } },
      redis: { ...base.redis, tls: { rejectUnauthorized: true }, connectTimeoutMs: 2000 },
    });
    const kafkaError = await probeKafka(config, 2000).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(kafkaError).toMatchObject({ code: 'MW_KAFKA_UNAVAILABLE' });
    expect((kafkaError as Error).message).toMatch(/^kafka at 127\.0\.0\.1:\d+ did not answer within 2 s \(.*certificate.*\)$/);
    const store = new RedisStateStore(redisStoreOptionsOf(config));
    const redisError = await store.connect().then(
      () => undefined,
      (e: unknown) => e,
    );
    await store.close();
    expect(redisError).toMatchObject({ code: 'MW_STORE_UNAVAILABLE' });
    expect((redisError as Error).message).toMatch(
      /^redis at rediss:\/\/mw-state:\*\*\*@127\.0\.0\.1:\d+ did not answer within 2 s \(.*certificate.*\)$/,
    );
  });

  it('the right passwords: meshwatch run starts, and says no secret', async () => {
    const r = startCli(['run'], cliEnv('cluster', KAFKA_PASSWORD, REDIS_PASSWORD));
    cleanups.push(async () => {
      r.child.kill('SIGKILL');
      await r.exited;
    });
    await r.waitForStderr('running role=all', 90_000);
    r.child.kill('SIGTERM');
    const { code } = await r.exited;
    expect(code).toBe(0);
    expect(r.stderr()).toContain(`redis=rediss://${REDIS_USER}:***@127.0.0.1:${cluster.ports[0]!}`);
    for (const s of secrets) expect(r.stdout() + r.stderr()).not.toContain(s);
  });
});
