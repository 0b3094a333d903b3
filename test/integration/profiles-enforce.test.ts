/**
 * Declared profiles enforced end to end, through the real broker and the real Redis: checkout's
 * profile comes from the profile directory, payments' is declared on the command line while
 * meshwatch runs (both reach detection through Redis). Then, on the synthetic mesh:
 *  - checkout's working set climbs past 90 % of its declared 256 MiB → one limit_breach;
 *  - checkout calls ads, which its declared (enforce) peer set does not list → new_peer;
 *  - payments declares a 1-core CPU limit and uses ~0.1 cores → profile_drift after the period;
 * and every alert validates against the published schemas/alert.schema.json.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import Ajv from 'ajv';
import { afterEach, describe, expect, it } from 'vitest';
import { profilesDeclareCommand } from '../../src/cli/profiles-declare.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert, AlertSchema } from '../../src/core/alert/schema.js';
import { SyntheticMesh } from '../../src/demo/mesh.js';
import { type Running, startMeshwatch } from '../../src/runtime/app.js';
import { RedisConnection } from '../../src/stores/redis/connection.js';
import { RedisProfileStore } from '../../src/stores/redis/profiles.js';
import { Collector, createTopics, produceMeshWindows, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const MIB = 1024 * 1024;
const FIXTURES = fileURLToPath(new URL('../fixtures/profiles/enforce/', import.meta.url));
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/**
 * schemas/alert.schema.json as published. Its keywords (type, properties, required, pattern,
 * enum, const, format date-time, anyOf, additionalProperties, min/max) all mean the same in
 * draft-07, which the Ajv at hand implements; its draft-2020-12 `$schema` is the only line Ajv 6
 * does not know, so it is left out.
 */
function publishedAlertValidator(): (a: unknown) => string | undefined {
  const schema = JSON.parse(readFileSync(new URL('../../schemas/alert.schema.json', import.meta.url), 'utf8')) as Record<string, unknown>;
  delete schema.$schema;
  const validate = new Ajv({ allErrors: true }).compile(schema);
  return (a) => (validate(a) ? undefined : JSON.stringify(validate.errors));
}

const recentBase = (windows: number): number => Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (windows + 2) * WINDOW_MS;

describe('declared profiles enforced through real Kafka and Redis', { timeout: 240_000 }, () => {
  it('raises limit_breach once, new_peer for an undeclared callee and profile_drift for a 10× CPU limit', async () => {
    const run = uniqueId('profiles');
    const config: Readonly<Config> = testConfig(run, {
      profiles: { dir: FIXTURES, refreshMs: 200, driftPeriodMs: 6 * WINDOW_MS },
    });
    await redisStoreFor(config, cleanups);
    const connection = new RedisConnection({ url: config.redis.url });
    await connection.connect();
    const profiles = new RedisProfileStore(connection, config.redis.keyPrefix);
    cleanups.push(async () => {
      await profiles.clear();
      await connection.close();
    });
    await createTopics(config);
    const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
    cleanups.push(() => alerts.stop());

    const noDir: Config['profiles'] = { ...config.profiles };
    delete noDir.dir;
    const app: Running = await startMeshwatch({ ...config, profiles: noDir });
    cleanups.push(() => app.stop());
    // The directory's profiles: published by the process that watches the directory.
    const watcher = await startMeshwatch({
      ...config,
      role: 'detect',
      kafka: { ...config.kafka, groups: { ...config.kafka.groups, detect: `${run}-watch` } },
    });
    cleanups.push(() => watcher.stop());
    // payments: declared on the command line while both run; the running processes read it from Redis.
    const out: string[] = [];
    const code = await profilesDeclareCommand(config, [`${FIXTURES}payments.yaml`], { out: (l) => out.push(l), err: (l) => out.push(l) });
    expect(code).toBe(0);
    expect(out[0]).toBe('declared shop/payments (learn)');
    for (let t = 0; t < 100 && !(app.profiles?.lookup.get('shop/payments') && app.profiles.lookup.get('shop/checkout')); t++)
      await sleep(100);
    expect(app.profiles?.lookup.get('shop/checkout')?.mode).toBe('enforce');
    expect(app.profiles?.lookup.get('shop/payments')?.pod.cpuLimitCores).toBe(1);
    await watcher.stop();

    const mesh = new SyntheticMesh(
      WINDOW_MS,
      [
        { kind: 'memory', service: 'checkout', bytes: 245 * MIB, from: 16, to: 22 },
        { kind: 'new_edge', source: 'checkout', destination: 'ads', from: 18, to: 21 },
      ],
      5,
    );
    const baseMs = recentBase(28);
    await produceMeshWindows(run, config, mesh, baseMs, 0, 28);

    const is = (a: Alert, name: string, kind: Alert['kind']): boolean =>
      a.service.name === name && a.kind === kind && a.status === 'firing';
    await alerts.waitFor(
      (as) =>
        as.some((a) => is(a, 'checkout', 'limit_breach')) &&
        as.some((a) => is(a, 'checkout', 'new_peer')) &&
        as.some((a) => is(a, 'payments', 'profile_drift')),
      120_000,
      'limit_breach, new_peer and profile_drift',
    );
    await sleep(3000);
    const all = alerts.values();

    const breaches = all.filter((a) => is(a, 'checkout', 'limit_breach'));
    expect(breaches).toHaveLength(1);
    expect(breaches[0]).toMatchObject({
      metric: 'memory_working_set_bytes',
      severity: 'error',
      expected: { value: 256 * MIB, upper: Math.round(0.9 * 256 * MIB) },
      window: { start: new Date(baseMs + 16 * WINDOW_MS).toISOString() },
    });
    expect(breaches[0]!.observed / (256 * MIB)).toBeGreaterThan(0.9);

    const peers = all.filter((a) => is(a, 'checkout', 'new_peer'));
    expect(peers.map((a) => a.peer)).toEqual([{ namespace: 'shop', name: 'ads' }]);
    expect(peers[0]!.summary).toContain('a peer its declared profile does not allow');
    expect(peers[0]!.window.start).toBe(new Date(baseMs + 18 * WINDOW_MS).toISOString());

    const drift = all.filter((a) => is(a, 'payments', 'profile_drift'));
    expect(drift).toHaveLength(1);
    expect(drift[0]).toMatchObject({ metric: 'cpu_cores', severity: 'warning', expected: { value: 1 } });
    expect(drift[0]!.observed).toBeLessThan(0.15);
    expect(drift[0]!.details).toMatchObject({ drift: 'over-provisioned', pods: 1 });

    const invalid = publishedAlertValidator();
    for (const a of [...breaches, ...peers, ...drift]) {
      expect(invalid(a)).toBeUndefined();
      expect(AlertSchema.parse(a)).toEqual(a);
    }
    // The validator does reject what the schema forbids.
    expect(invalid({ ...drift[0], kind: 'unknown' })).toBeDefined();
  });
});
