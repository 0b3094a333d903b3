/**
 * Configuration: defaults ← file ← MESHWATCH_* env ← overrides, parsed once by zod, frozen.
 * A bad value fails with MW_CONFIG_INVALID naming every bad field by its path.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it, test } from 'vitest';
import { engineParamsOf } from '../../../src/config/derive.js';
import { decodeOptionsOf, timeGuardParamsOf } from '../../../src/config/derive.js';
import { coerce, loadConfig, parseConfig } from '../../../src/config/load.js';
import { DEFAULT_DETECTION } from '../../../src/core/params.js';
import { MeshwatchError } from '../../../src/errors.js';

/** Runs fn, expecting a MeshwatchError; returns it. */
function configError(fn: () => unknown): MeshwatchError {
  try {
    fn();
  } catch (e) {
    expect(e).toBeInstanceOf(MeshwatchError);
    const err = e as MeshwatchError;
    expect(err.code).toBe('MW_CONFIG_INVALID');
    expect(err.retriable).toBe(false);
    return err;
  }
  throw new Error('expected a configuration error');
}

describe('defaults', () => {
  const c = parseConfig({});

  it('parse from nothing', () => {
    expect(c).toMatchObject({
      role: 'all',
      kafka: {
        brokers: ['127.0.0.1:9092'],
        clientId: 'meshwatch',
        topics: {
          envoy: ['istio-access-logs'],
          cadvisor: ['stats'],
          windows: 'meshwatch.windows',
          alerts: 'meshwatch.alerts',
          dlq: 'meshwatch.dlq',
        },
        partitions: 6,
        fromBeginning: false,
      },
      redis: { url: 'redis://127.0.0.1:6379', keyPrefix: 'mw' },
      window: { ms: 10_000, allowedLatenessWindows: 2, idleCloseMs: 30_000 },
      ingest: { onDecodeError: 'dlq' },
      bounds: { maxServices: 2000, newServicesPerMinute: 1000, newServicesBurst: 5000, maxOpenPartials: 50_000, counterIdleWindows: 30 },
    });
  });

  it('detection defaults are the core’s DEFAULT_DETECTION', () => {
    expect(c.detection).toStrictEqual({ ...DEFAULT_DETECTION, services: {} });
  });

  it('loadConfig with an empty environment gives the same', () => {
    expect(loadConfig({ env: {} })).toStrictEqual(c);
  });

  it('a partial section keeps the defaults of its other fields', () => {
    expect(parseConfig({ window: { ms: 5000 } }).window).toStrictEqual({
      ms: 5000,
      allowedLatenessWindows: 2,
      idleCloseMs: 30_000,
      sourceIdleMs: 5000,
      sourceSilenceMs: 30_000,
    });
  });
});

describe('a bad value fails naming its field path', () => {
  test.each([
    { raw: { window: { ms: -1 } }, path: 'window.ms' },
    { raw: { window: { ms: 1.5 } }, path: 'window.ms' },
    { raw: { window: { ms: '10s' } }, path: 'window.ms' },
    { raw: { kafka: { brokers: ['kafka-0'] } }, path: 'kafka.brokers.0' },
    { raw: { kafka: { brokers: ['kafka-0:9092', 'kafka 1:9092'] } }, path: 'kafka.brokers.1' },
    { raw: { kafka: { brokers: [] } }, path: 'kafka.brokers' },
    { raw: { kafka: { topics: { alerts: 'alerts topic!' } } }, path: 'kafka.topics.alerts' },
    { raw: { kafka: { topics: { envoy: ['ok', ''] } } }, path: 'kafka.topics.envoy.1' },
    { raw: { redis: { url: 'http://127.0.0.1:6379' } }, path: 'redis.url' },
    { raw: { role: 'boss' }, path: 'role' },
    { raw: { detection: { threshold: 0 } }, path: 'detection.threshold' },
    {
      raw: { detection: { metrics: { cpu_cores: { direction: 'sideways', absFloor: 0, relFloor: 0 } } } },
      path: 'detection.metrics.cpu_cores.direction',
    },
    { raw: { detection: { defaultPolicy: { direction: 'up', absFloor: -1, relFloor: 0 } } }, path: 'detection.defaultPolicy.absFloor' },
    {
      raw: { detection: { metrics: { latency_p99_ms: { direction: 'up', absFloor: 0, relFloor: 0.05, scale: 'log' } } } },
      path: 'detection.metrics.latency_p99_ms.absFloor',
    },
    {
      raw: { detection: { metrics: { latency_p99_ms: { direction: 'up', absFloor: 1, relFloor: 0.05, scale: 'sqrt' } } } },
      path: 'detection.metrics.latency_p99_ms.scale',
    },
    { raw: { bounds: { maxServices: 0 } }, path: 'bounds.maxServices' },
    { raw: { ingest: { onDecodeError: 'ignore' } }, path: 'ingest.onDecodeError' },
  ])('$path ← $raw', ({ raw, path }) => {
    const err = configError(() => parseConfig(raw));
    expect(err.message).toContain(`  ${path}: `);
  });

  it('an unknown key is refused, named', () => {
    expect(configError(() => parseConfig({ windw: { ms: 5 } })).message).toContain('windw');
    expect(configError(() => parseConfig({ window: { millis: 5 } })).message).toContain('millis');
  });

  it('lists every problem, one line each', () => {
    const err = configError(() => parseConfig({ window: { ms: 0 }, kafka: { brokers: ['x'] }, bounds: { maxEdgesPerService: -3 } }));
    const lines = err.message.split('\n').slice(1);
    expect(lines.map((l) => l.trim().split(':')[0]).sort()).toEqual(['bounds.maxEdgesPerService', 'kafka.brokers.0', 'window.ms']);
  });
});

describe('environment', () => {
  test.each([
    { env: { MESHWATCH_WINDOW_MS: 'abc' }, path: 'window.ms' },
    { env: { MESHWATCH_WINDOW_MS: '-10' }, path: 'window.ms' },
    { env: { MESHWATCH_WINDOW_MS: 'Infinity' }, path: 'window.ms' },
    { env: { MESHWATCH_KAFKA_FROM_BEGINNING: 'yes' }, path: 'kafka.fromBeginning' },
    { env: { MESHWATCH_KAFKA_BROKERS: 'kafka-0:9092,kafka-1' }, path: 'kafka.brokers.1' },
    { env: { MESHWATCH_ROLE: 'both' }, path: 'role' },
  ])('$env fails naming $path', ({ env, path }) => {
    expect(configError(() => loadConfig({ env })).message).toContain(`  ${path}: `);
  });

  test.each([
    { env: { MESHWATCH_WINDOW_MS: '5000' }, pick: (c: ReturnType<typeof loadConfig>) => c.window.ms, expected: 5000 },
    { env: { MESHWATCH_WINDOW_MS: ' 5000 ' }, pick: (c: ReturnType<typeof loadConfig>) => c.window.ms, expected: 5000 },
    {
      env: { MESHWATCH_KAFKA_BROKERS: ' a:1, b:2 ,' },
      pick: (c: ReturnType<typeof loadConfig>) => c.kafka.brokers,
      expected: ['a:1', 'b:2'],
    },
    { env: { MESHWATCH_KAFKA_FROM_BEGINNING: '1' }, pick: (c: ReturnType<typeof loadConfig>) => c.kafka.fromBeginning, expected: true },
    {
      env: { MESHWATCH_KAFKA_FROM_BEGINNING: 'false' },
      pick: (c: ReturnType<typeof loadConfig>) => c.kafka.fromBeginning,
      expected: false,
    },
    { env: { MESHWATCH_THRESHOLD: '3.5' }, pick: (c: ReturnType<typeof loadConfig>) => c.detection.threshold, expected: 3.5 },
    { env: { MESHWATCH_WINDOW_MS: '' }, pick: (c: ReturnType<typeof loadConfig>) => c.window.ms, expected: 10_000 },
    // The stack's settings (scripts/stack.sh, tests, demo) name the local services; MESHWATCH_* wins.
    { env: { KAFKA_PORT: '19092' }, pick: (c: ReturnType<typeof loadConfig>) => c.kafka.brokers, expected: ['127.0.0.1:19092'] },
    {
      env: { KAFKA_PORT: '19092', MESHWATCH_KAFKA_BROKERS: 'k:1' },
      pick: (c: ReturnType<typeof loadConfig>) => c.kafka.brokers,
      expected: ['k:1'],
    },
    {
      env: { REDIS_URL: 'redis://127.0.0.1:6390' },
      pick: (c: ReturnType<typeof loadConfig>) => c.redis.url,
      expected: 'redis://127.0.0.1:6390',
    },
    {
      env: { REDIS_URL: 'redis://127.0.0.1:6390', MESHWATCH_REDIS_URL: 'redis://r:1' },
      pick: (c: ReturnType<typeof loadConfig>) => c.redis.url,
      expected: 'redis://r:1',
    },
    {
      env: { MESHWATCH_EVENT_TIME_MAX_AGE_MS: '2592000000' },
      pick: (c: ReturnType<typeof loadConfig>) => c.ingest.eventTime.maxAgeMs,
      expected: 2_592_000_000,
    },
  ])('$env sets the value', ({ env, pick, expected }) => {
    expect(pick(loadConfig({ env }))).toStrictEqual(expected);
  });

  test.each([
    ['12', 'number', 12],
    ['12abc', 'number', '12abc'],
    ['', 'number', ''],
    ['0', 'boolean', false],
    ['TRUE', 'boolean', 'TRUE'],
    ['x', 'string', 'x'],
    [',,', 'list', []],
  ] as const)('coerce(%j, %s) = %j (what does not parse is left for zod to name)', (text, type, expected) => {
    expect(coerce(text, type)).toStrictEqual(expected);
  });
});

describe('file and overrides', () => {
  const dir = mkdtempSync(join(tmpdir(), 'meshwatch-config-'));
  afterAll(() => rmSync(dir, { recursive: true, force: true }));
  const file = (name: string, text: string): string => {
    const path = join(dir, name);
    writeFileSync(path, text);
    return path;
  };

  it('layers defaults ← file ← env ← overrides', () => {
    const path = file('layers.json', JSON.stringify({ window: { ms: 1000, idleCloseMs: 7000 }, redis: { keyPrefix: 'from-file' } }));
    const c = loadConfig({
      file: path,
      env: { MESHWATCH_WINDOW_MS: '2000', MESHWATCH_REDIS_KEY_PREFIX: 'from-env' },
      overrides: { 'window.ms': 3000 },
    });
    expect(c.window).toStrictEqual({
      ms: 3000,
      allowedLatenessWindows: 2,
      idleCloseMs: 7000,
      sourceIdleMs: 5000,
      sourceSilenceMs: 30_000,
    });
    expect(c.redis.keyPrefix).toBe('from-env');
  });

  it('MESHWATCH_CONFIG names the file', () => {
    const path = file('env.json', JSON.stringify({ role: 'detect' }));
    expect(loadConfig({ env: { MESHWATCH_CONFIG: path } }).role).toBe('detect');
  });

  test.each([
    { case: 'a file that cannot be read', make: () => join(dir, 'missing.json'), says: 'cannot be read' },
    { case: 'a file that is not JSON', make: () => file('bad.json', '{ window: '), says: 'not valid JSON' },
  ])('$case fails with MW_CONFIG_INVALID and the cause', ({ make, says }) => {
    const path = make();
    const err = configError(() => loadConfig({ file: path, env: {} }));
    expect(err.message).toContain(path);
    expect(err.message).toContain(says);
    expect(err.cause).toBeDefined();
  });

  it('a bad value in the file is named by its path', () => {
    const path = file('value.json', JSON.stringify({ kafka: { brokers: ['nohost'] } }));
    expect(configError(() => loadConfig({ file: path, env: {} })).message).toContain('  kafka.brokers.0: ');
  });
});

describe('the result is frozen', () => {
  const c = loadConfig({ env: { MESHWATCH_KAFKA_BROKERS: 'a:1' } });

  test.each([
    ['the root', c],
    ['a section', c.window],
    ['a nested section', c.kafka.topics],
    ['an array', c.kafka.brokers],
    ['a metric policy', c.detection.metrics.cpu_cores],
    ['the default policy', c.detection.defaultPolicy],
  ])('%s', (_, value) => {
    expect(Object.isFrozen(value)).toBe(true);
  });

  it('assignments throw (ES modules are strict)', () => {
    expect(() => {
      (c.window as { ms: number }).ms = 1;
    }).toThrow(TypeError);
    expect(() => {
      c.kafka.brokers.push('b:2');
    }).toThrow(TypeError);
    expect(c.window.ms).toBe(10_000);
  });
});

describe('per-metric policy overrides', () => {
  it('replace only the metrics they name; the others keep their default policies', () => {
    const c = parseConfig({ detection: { metrics: { cpu_cores: { direction: 'both', absFloor: 0.1, relFloor: 0 } } } });
    expect(c.detection.metrics.cpu_cores).toEqual({ direction: 'both', absFloor: 0.1, relFloor: 0 });
    expect(c.detection.metrics.error_ratio).toEqual(DEFAULT_DETECTION.metrics.error_ratio);
    expect(Object.keys(c.detection.metrics).sort()).toEqual(Object.keys(DEFAULT_DETECTION.metrics).sort());
  });

  it('latency is judged on the log scale by default; a policy may say which scale', () => {
    expect(parseConfig({}).detection.metrics.latency_p99_ms).toMatchObject({ scale: 'log', absFloor: 1 });
    const c = parseConfig({
      detection: { metrics: { bytes_out_per_s: { direction: 'both', absFloor: 1024, relFloor: 0.05, scale: 'log' } } },
    });
    expect(c.detection.metrics.bytes_out_per_s!.scale).toBe('log');
  });

  it("the engine's parameters keep each policy's scale, globally and per service", () => {
    const c = parseConfig({
      detection: {
        metrics: { bytes_out_per_s: { direction: 'both', absFloor: 1024, relFloor: 0.05, scale: 'log' } },
        services: { 'shop/cart': { metrics: { latency_p50_ms: { direction: 'up', absFloor: 1, relFloor: 0.1, scale: 'log' } } } },
      },
    });
    const d = engineParamsOf(c).detection;
    expect(d.metrics.latency_p99_ms!.scale).toBe('log');
    expect(d.metrics.bytes_out_per_s!.scale).toBe('log');
    expect(d.metrics.cpu_cores!.scale).toBeUndefined();
    expect(d.services!['shop/cart']!.metrics!.latency_p50_ms).toEqual({ direction: 'up', absFloor: 1, relFloor: 0.1, scale: 'log' });
  });

  it("the engine's source timings are the window section's, not the idle close", () => {
    const e = engineParamsOf(parseConfig({ window: { ms: 10_000, idleCloseMs: 1500, sourceIdleMs: 4000, sourceSilenceMs: 45_000 } }));
    expect({ idle: e.sourceIdleMs, silence: e.sourceSilenceMs, lag: e.maxSourceLagMs }).toEqual({
      idle: 4000,
      silence: 45_000,
      lag: Infinity,
    });
  });

  it('a lagging source holds windows open unless maxSourceLagWindows is set', () => {
    expect(engineParamsOf(parseConfig({ window: { ms: 10_000, maxSourceLagWindows: 60 } })).maxSourceLagMs).toBe(600_000);
  });
});

describe('dependency bounds', () => {
  it('default to 30 s at start-up and 120 s of outage, for Kafka and Redis', () => {
    const c = parseConfig({});
    expect([c.kafka.connectTimeoutMs, c.kafka.maxOutageMs, c.redis.connectTimeoutMs, c.redis.maxOutageMs]).toEqual([
      30_000, 120_000, 30_000, 120_000,
    ]);
    expect(c.log).toEqual({ level: 'info', format: 'text' });
  });

  it('come from the environment, and must be positive', () => {
    const c = loadConfig({
      env: { MESHWATCH_REDIS_CONNECT_TIMEOUT_MS: '5000', MESHWATCH_KAFKA_MAX_OUTAGE_MS: '60000', MESHWATCH_LOG_LEVEL: 'debug' },
    });
    expect([c.redis.connectTimeoutMs, c.kafka.maxOutageMs, c.log.level]).toEqual([5000, 60_000, 'debug']);
    const err = configError(() => parseConfig({ redis: { maxOutageMs: 0 }, kafka: { connectTimeoutMs: -1 } }));
    expect(err.message).toContain('redis.maxOutageMs');
    expect(err.message).toContain('kafka.connectTimeoutMs');
  });
});

describe('decoder and event-time limits', () => {
  it('defaults: 32 levels, 10,000 members, 15 min ahead, 7 days behind, 1 h jumps, 16 records to re-anchor', () => {
    const c = parseConfig({});
    expect(decodeOptionsOf(c, 'envoy')).toStrictEqual({ hint: 'envoy', maxBytes: 1024 * 1024, maxJsonDepth: 32, maxJsonWidth: 10_000 });
    expect(timeGuardParamsOf(c)).toStrictEqual({ maxFutureMs: 900_000, maxAgeMs: 604_800_000, maxJumpMs: 3_600_000, reanchorRecords: 16 });
  });

  test.each([
    { raw: { ingest: { maxJsonDepth: 0 } }, path: 'ingest.maxJsonDepth' },
    { raw: { ingest: { maxJsonWidth: 1.5 } }, path: 'ingest.maxJsonWidth' },
    { raw: { ingest: { eventTime: { maxJumpMs: -1 } } }, path: 'ingest.eventTime.maxJumpMs' },
    { raw: { ingest: { eventTime: { maxSkewMs: 1 } } }, path: 'ingest.eventTime' },
  ])('$raw fails naming $path', ({ raw, path }) => {
    expect(configError(() => parseConfig(raw)).message).toContain(path);
  });
});
