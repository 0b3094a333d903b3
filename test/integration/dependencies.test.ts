/**
 * Dependencies that are down fail clearly. `meshwatch run` (a child process) against a Redis
 * or Kafka port where nothing listens exits 3 within its start-up bound (+ a margin for the
 * process's own start), with one stderr line naming the dependency, its address with the
 * password redacted, and an MW code: no stack trace, no client log noise, the password
 * nowhere. While running, a Redis of the test's own is killed: the run logs the loss, the
 * recovery when it returns, and exits 3 with one line once an outage outlasts its bound.
 * The store and the Kafka watch are also checked directly.
 */
import { type ChildProcess } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { MeshwatchError } from '../../src/errors.js';
import { KafkaWatch } from '../../src/runtime/dependencies.js';
import { probeKafka } from '../../src/sources/kafka/probe.js';
import { type RedisEvent } from '../../src/stores/redis/connection.js';
import { RedisStateStore } from '../../src/stores/redis/store.js';
import { freePort, linesOf, runCli, STACK_FRAME, startCli, startRedis } from '../cli-process.js';
import { BROKERS, REDIS_URL, testConfig, testKafka, uniqueId } from '../helpers.js';

/** Time a child process needs to start (tsx, imports) on a busy machine, on top of the bound under test. */
const MARGIN_MS = 15_000;
const PASSWORD = 'pw-s3cret-7f2b';

const cleanups: (() => Promise<unknown> | void)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await Promise.resolve(c()).catch(() => undefined);
});

const killed = (p: ChildProcess): Promise<void> =>
  new Promise((resolve) => {
    if (p.exitCode !== null || p.signalCode !== null) return resolve();
    p.once('close', () => resolve());
    p.kill('SIGKILL');
  });

describe('meshwatch run with a dependency down at start-up', { timeout: 60_000 }, () => {
  it('Redis: exits 3 within redis.connectTimeoutMs with one redacted MW_STORE_UNAVAILABLE line', async () => {
    const port = await freePort();
    const url = `redis://:${PASSWORD}@127.0.0.1:${port}/0`;
    const r = await runCli(['run', '--role', 'detect', '--redis-url', url, '--set', 'redis.connectTimeoutMs=3000']);
    expect(r.code).toBe(3);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(3000);
    expect(r.elapsedMs).toBeLessThan(3000 + MARGIN_MS);
    expect(linesOf(r.stderr)).toEqual([
      `meshwatch: MW_STORE_UNAVAILABLE: redis at redis://:***@127.0.0.1:${port}/0 did not answer within 3 s (ECONNREFUSED)`,
    ]);
    expect(r.stderr).not.toMatch(STACK_FRAME);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stdout).toBe('');
  });

  it('Kafka: exits 3 within kafka.connectTimeoutMs with one MW_KAFKA_UNAVAILABLE line and no client log', async () => {
    const port = await freePort();
    const r = await runCli(['run', '--brokers', `127.0.0.1:${port}`, '--redis-url', REDIS_URL], {
      MESHWATCH_KAFKA_CONNECT_TIMEOUT_MS: '3000',
    });
    expect(r.code).toBe(3);
    expect(r.elapsedMs).toBeGreaterThanOrEqual(3000);
    expect(r.elapsedMs).toBeLessThan(3000 + MARGIN_MS);
    expect(linesOf(r.stderr)).toEqual([
      `meshwatch: MW_KAFKA_UNAVAILABLE: kafka at 127.0.0.1:${port} did not answer within 3 s (ECONNREFUSED)`,
    ]);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('both: one line naming both, each within its own bound, the password redacted', async () => {
    const [kp, rp] = [await freePort(), await freePort()];
    const r = await runCli([
      'run',
      '--brokers',
      `127.0.0.1:${kp}`,
      '--redis-url',
      `redis://user:${PASSWORD}@127.0.0.1:${rp}`,
      '--set',
      'kafka.connectTimeoutMs=2000',
      '--set',
      'redis.connectTimeoutMs=2000',
    ]);
    expect(r.code).toBe(3);
    expect(r.elapsedMs).toBeLessThan(2000 + MARGIN_MS);
    const lines = linesOf(r.stderr);
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(
      /^meshwatch: MW_KAFKA_UNAVAILABLE: kafka at 127\.0\.0\.1:\d+ did not answer within 2 s \(ECONNREFUSED\); also redis at /,
    );
    expect(lines[0]).toContain(`redis at redis://user:***@127.0.0.1:${rp} did not answer within 2 s (ECONNREFUSED)`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    expect(r.stderr).not.toMatch(STACK_FRAME);
  });

  it('a debug log level shows the cause but still never the password', async () => {
    const port = await freePort();
    const url = `redis://:${PASSWORD}@127.0.0.1:${port}`;
    const r = await runCli(['run', '--role', 'detect', '--redis-url', url, '--set', 'redis.connectTimeoutMs=1000', '--log-level', 'debug']);
    expect(r.code).toBe(3);
    expect(r.stderr).toContain(`meshwatch: MW_STORE_UNAVAILABLE: redis at redis://:***@127.0.0.1:${port} did not answer within 1 s`);
    expect(r.stdout + r.stderr).not.toContain(PASSWORD);
  });
});

describe('meshwatch run losing Redis while running', { timeout: 90_000 }, () => {
  it('logs the loss and the recovery, then exits 3 with one line once an outage outlasts redis.maxOutageMs', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    cleanups.push(() => killed(redis));
    const run = uniqueId('deps');
    const base = testConfig(run, { role: 'detect' });
    const dir = mkdtempSync(join(tmpdir(), 'mw-deps-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        role: 'detect',
        kafka: { ...base.kafka, partitions: 1 },
        redis: { url: `redis://127.0.0.1:${port}`, keyPrefix: base.redis.keyPrefix, maxOutageMs: 3000 },
      }),
    );
    const t = base.kafka.topics;
    cleanups.push(async () => {
      const admin = testKafka(run).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [...t.envoy, ...t.cadvisor, ...t.samples, t.windows, t.alerts, t.dlq] }).catch(() => undefined);
      await admin.disconnect();
    });

    const cli = startCli(['run', '--config', file]);
    cleanups.push(() => killed(cli.child));
    await cli.waitForStderr('meshwatch: running role=detect', 45_000);

    // A short outage: lost, then back before the bound; the run goes on.
    await killed(redis);
    await cli.waitForStderr(`MW_STORE_UNAVAILABLE: redis at redis://127.0.0.1:${port} lost (`, 10_000);
    redis = await startRedis(port);
    await cli.waitForStderr(`redis at redis://127.0.0.1:${port} answers again after`, 10_000);
    expect(cli.child.exitCode).toBeNull();

    // An outage past the bound ends the run.
    const downAt = Date.now();
    await killed(redis);
    const { code } = await cli.exited;
    const tookMs = Date.now() - downAt;
    expect(code).toBe(3);
    expect(tookMs).toBeGreaterThanOrEqual(3000);
    expect(tookMs).toBeLessThan(3000 + 5000 + MARGIN_MS); // the bound, the bounded stop, a margin
    const lines = linesOf(cli.stderr());
    expect(lines.filter((l) => l.includes('giving up'))).toEqual([
      expect.stringMatching(
        new RegExp(`^meshwatch: MW_STORE_UNAVAILABLE: redis at redis://127\\.0\\.0\\.1:${port} unreachable for 3 s \\(.+\\); giving up$`),
      ),
    ]);
    expect(lines.at(-1)).toContain('giving up');
    expect(cli.stderr()).not.toMatch(STACK_FRAME);
  });
});

describe('the Redis store while Redis is down', { timeout: 30_000 }, () => {
  it('fails a call at once with a retriable MW_STORE_UNAVAILABLE, reports the outage, and works again after', async () => {
    const port = await freePort();
    let redis = await startRedis(port);
    cleanups.push(() => killed(redis));
    const events: RedisEvent[] = [];
    const outages: MeshwatchError[] = [];
    const plain = new RedisStateStore({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'mwtest-store-down',
      maxOutageMs: 1500,
      onEvent: (e) => events.push(e),
      onOutage: (e) => outages.push(e),
    });
    cleanups.push(() => plain.close());
    await plain.connect();
    expect((await plain.load(['shop/cart'])).size).toBe(0);

    await killed(redis);
    const t0 = Date.now();
    const err = await plain.load(['shop/cart']).then(
      () => undefined,
      (e: unknown) => e,
    );
    expect(Date.now() - t0).toBeLessThan(1000);
    expect(err).toBeInstanceOf(MeshwatchError);
    expect(err).toMatchObject({ code: 'MW_STORE_UNAVAILABLE', retriable: true });
    expect(events.some((e) => e.type === 'lost')).toBe(true);
    expect(events.some((e) => e.type === 'retry')).toBe(true);

    await new Promise((r) => setTimeout(r, 2000));
    expect(outages).toHaveLength(1);
    expect(outages[0]!.message).toMatch(
      new RegExp(`^redis at redis://127\\.0\\.0\\.1:${port} unreachable for 1\\.5 s \\(.+\\); giving up$`),
    );

    redis = await startRedis(port);
    const end = Date.now() + 10_000;
    while (!events.some((e) => e.type === 'recovered') && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    expect(events.some((e) => e.type === 'recovered')).toBe(true);
    expect((await plain.load(['shop/cart'])).size).toBe(0);
  });

  it('a Redis that accepts but never answers: calls fail after the command deadline; only a lasting silence is an outage', async () => {
    const port = await freePort();
    const redis = await startRedis(port);
    cleanups.push(() => {
      redis.kill('SIGCONT');
      return killed(redis);
    });
    const events: string[] = [];
    const outages: MeshwatchError[] = [];
    const store = new RedisStateStore({
      url: `redis://127.0.0.1:${port}`,
      keyPrefix: 'mwtest-store-hung',
      commandTimeoutMs: 500,
      maxOutageMs: 1500,
      onEvent: (e) => events.push(e.type),
      onOutage: (e) => outages.push(e),
    });
    cleanups.push(() => store.close());
    await store.connect();

    // Frozen for a moment: the call fails at its deadline; the PING at the bound finds it back.
    redis.kill('SIGSTOP');
    const t0 = Date.now();
    await expect(store.load(['shop/cart'])).rejects.toMatchObject({ code: 'MW_STORE_UNAVAILABLE', retriable: true });
    expect(Date.now() - t0).toBeLessThan(3000);
    redis.kill('SIGCONT');
    await new Promise((r) => setTimeout(r, 2500));
    expect(outages).toEqual([]);
    expect(events.filter((e) => e !== 'retry')).toEqual(['lost', 'recovered']);

    // Frozen for good: an outage once the bound has passed.
    redis.kill('SIGSTOP');
    await expect(store.load(['shop/cart'])).rejects.toMatchObject({ code: 'MW_STORE_UNAVAILABLE' });
    await new Promise((r) => setTimeout(r, 3000));
    expect(outages).toHaveLength(1);
    expect(outages[0]!.message).toMatch(/unreachable for 1\.5 s \(.*no reply within 500 ms.*\); giving up$/);
  });

  it('fails at once with MW_REDIS_AUTH naming the redacted address when AUTH is refused, never the password', async () => {
    const port = await freePort();
    const redis = await startRedis(port, ['--requirepass', 'another-password']);
    cleanups.push(() => killed(redis));
    const store = new RedisStateStore({ url: `redis://:${PASSWORD}@127.0.0.1:${port}`, keyPrefix: 'x', connectTimeoutMs: 10_000 });
    cleanups.push(() => store.close());
    const started = Date.now();
    const err = (await store.connect().catch((e: unknown) => e)) as MeshwatchError;
    // Refused credentials are not retried until the start-up bound.
    expect(Date.now() - started).toBeLessThan(10_000);
    expect(err.code).toBe('MW_REDIS_AUTH');
    expect(err.message).toBe(`redis at redis://:***@127.0.0.1:${port} refused the credentials of user default (WRONGPASS)`);
    expect(err.message).not.toContain(PASSWORD);
  });
});

describe('Kafka probe and watch', { timeout: 30_000 }, () => {
  it('the probe answers against the real broker', async () => {
    const r = await probeKafka(testConfig(uniqueId('probe')), 5000);
    expect(r.brokers).toBeGreaterThanOrEqual(1);
  });

  it('the watch reports a broker that stays away past kafka.maxOutageMs, once', async () => {
    const port = await freePort();
    const config = testConfig(uniqueId('watch'), { kafka: { brokers: [`127.0.0.1:${port}`], connectTimeoutMs: 1000, maxOutageMs: 2500 } });
    const events: string[] = [];
    const outages: MeshwatchError[] = [];
    const watch = new KafkaWatch(config, { onEvent: (e) => events.push(e.type), onOutage: (e) => outages.push(e), intervalMs: 500 });
    cleanups.push(() => watch.stop());
    watch.start();
    const end = Date.now() + 15_000;
    while (outages.length === 0 && Date.now() < end) await new Promise((r) => setTimeout(r, 100));
    await watch.stop();
    expect(events).toEqual(['lost']);
    expect(outages).toHaveLength(1);
    expect(outages[0]).toMatchObject({ code: 'MW_KAFKA_UNAVAILABLE' });
    expect(outages[0]!.message).toBe(`kafka at 127.0.0.1:${port} unreachable for 2.5 s (ECONNREFUSED); giving up`);
  });

  it('the watch stays quiet while the broker answers', async () => {
    const config = testConfig(uniqueId('watch'), { kafka: { brokers: BROKERS, maxOutageMs: 2000 } });
    const events: string[] = [];
    const watch = new KafkaWatch(config, { onEvent: (e) => events.push(e.type), onOutage: () => events.push('outage'), intervalMs: 300 });
    watch.start();
    await new Promise((r) => setTimeout(r, 2500));
    await watch.stop();
    expect(events).toEqual([]);
  });
});
