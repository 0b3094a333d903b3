import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadConfig, parseConfig } from '../../../src/config/load.js';
import { redactConfig, redactUrl } from '../../../src/config/redact.js';
import { redisStoreOptionsOf } from '../../../src/stores/redis/store.js';
import { kafkaSecretsOf, kafkaSecurityOf } from '../../../src/sources/kafka/client.js';
import { MeshwatchError } from '../../../src/errors.js';

const dir = mkdtempSync(join(tmpdir(), 'mw-conn-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const problemOf = (raw: unknown): string => {
  try {
    parseConfig(raw);
    return '';
  } catch (e) {
    return (e as Error).message;
  }
};

describe('connection security settings', () => {
  it('defaults: no TLS, no SASL, one Redis server', () => {
    const c = parseConfig({});
    expect(c.kafka.ssl).toBeUndefined();
    expect(c.kafka.sasl).toBeUndefined();
    expect(c.redis.tls).toBeUndefined();
    expect(c.redis.mode).toBe('standalone');
    expect(kafkaSecurityOf(c.kafka)).toEqual({});
  });

  it.each([
    [{ kafka: { sasl: { username: 'u' } } }, 'kafka.sasl.password: give one of password'],
    [{ kafka: { sasl: { username: 'u', password: 'p', passwordFile: '/f' } } }, 'kafka.sasl.password: give one of password'],
    [{ kafka: { sasl: { username: 'u', password: 'p', mechanism: 'gssapi' } } }, 'kafka.sasl.mechanism'],
    [{ kafka: { ssl: { cert: '/c' } } }, 'kafka.ssl.key: give cert and key together'],
    [{ redis: { tls: { ca: '/ca' } } }, 'redis.tls: redis.tls needs a rediss:// URL'],
    [{ redis: { url: 'redis://h:1/2', mode: 'cluster' } }, 'redis.url: a Redis Cluster has only database 0'],
    [{ redis: { clusterNodes: ['h'] } }, 'redis.clusterNodes.0: host:port'],
  ])('%j is refused naming the field', (raw, problem) => {
    expect(problemOf(raw)).toContain(problem);
  });

  it('environment variables set them; the SASL password from the environment or a file', () => {
    const [file, ca] = [join(dir, 'sasl'), join(dir, 'ca.pem')];
    writeFileSync(file, 'from-file-pw\n');
    writeFileSync(ca, '-----BEGIN CERTIFICATE-----\n');
    const env = {
      MESHWATCH_KAFKA_SSL_CA: ca,
      MESHWATCH_KAFKA_SASL_MECHANISM: 'scram-sha-256',
      MESHWATCH_KAFKA_SASL_USERNAME: 'mw',
      MESHWATCH_KAFKA_SASL_PASSWORD_FILE: file,
      MESHWATCH_REDIS_URL: 'rediss://mw:pw@10.0.0.1:6380',
      MESHWATCH_REDIS_TLS_CA: '/etc/redis-ca.pem',
      MESHWATCH_REDIS_MODE: 'cluster',
      MESHWATCH_REDIS_CLUSTER_NODES: '10.0.0.2:6380,10.0.0.3:6380',
    };
    const c = loadConfig({ env });
    expect(c.kafka.ssl).toEqual({ ca, rejectUnauthorized: true });
    expect(kafkaSecurityOf(c.kafka).ssl).toEqual({ ca: '-----BEGIN CERTIFICATE-----\n', rejectUnauthorized: true });
    expect(c.kafka.sasl).toEqual({ mechanism: 'scram-sha-256', username: 'mw', passwordFile: file });
    expect(kafkaSecurityOf(c.kafka).sasl).toEqual({ mechanism: 'scram-sha-256', username: 'mw', password: 'from-file-pw' });
    expect(kafkaSecretsOf(c.kafka)).toEqual(['from-file-pw']);
    expect(c.redis).toMatchObject({ tls: { ca: '/etc/redis-ca.pem' }, mode: 'cluster', clusterNodes: ['10.0.0.2:6380', '10.0.0.3:6380'] });
    const inline = loadConfig({ env: { MESHWATCH_KAFKA_SASL_USERNAME: 'mw', MESHWATCH_KAFKA_SASL_PASSWORD: 'env-pw' } });
    expect(kafkaSecretsOf(inline.kafka)).toEqual(['env-pw']);
  });

  it('redis.passwordFile puts its secret into the URL, which every message redacts', () => {
    const file = join(dir, 'redis-pw');
    writeFileSync(file, 'p@ss/w:rd\n');
    const c = loadConfig({ env: { MESHWATCH_REDIS_URL: 'rediss://mw@10.0.0.1:6380', MESHWATCH_REDIS_PASSWORD_FILE: file } });
    const url = redisStoreOptionsOf(c).url;
    expect(decodeURIComponent(new URL(url).password)).toBe('p@ss/w:rd');
    expect(redactUrl(url)).toBe('rediss://mw:***@10.0.0.1:6380');
  });

  it('a config dump shows no password', () => {
    const c = parseConfig({
      kafka: { sasl: { username: 'mw', password: 'sasl-secret' } },
      redis: { url: 'rediss://mw:redis-secret@h:6380' },
    });
    const text = JSON.stringify(redactConfig(c));
    expect(text).not.toContain('sasl-secret');
    expect(text).not.toContain('redis-secret');
    expect(text).toContain('"username":"mw"');
  });

  it('a file that cannot be read is MW_CONFIG_INVALID naming the field, not its content', () => {
    const missing = join(dir, 'missing.pem');
    const c = parseConfig({ kafka: { ssl: { ca: missing } } });
    let err: unknown;
    try {
      kafkaSecurityOf(c.kafka);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(MeshwatchError);
    expect((err as MeshwatchError).code).toBe('MW_CONFIG_INVALID');
    expect((err as Error).message).toBe(`kafka.ssl.ca ${missing}: cannot be read (ENOENT)`);
  });
});
