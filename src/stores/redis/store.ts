/**
 * Redis state store (ioredis, RESP2). One hash per service; loads are one pipelined
 * HGETALL batch, saves one pipelined HSET (+ EXPIRE) batch. Errors surface as
 * MW_STORE_UNAVAILABLE (retriable) so the runtime does not commit offsets past them.
 * Connection behaviour (start-up deadline, reconnect backoff, outage bound, no hang) is
 * RedisConnection's contract (./connection.ts).
 */
import { type Config } from '../../config/schema.js';
import { readSecretFile } from '../../config/tls.js';
import { serviceKey } from '../../core/model.js';
import { type ServiceState } from '../../core/pipeline/service-state.js';
import { MeshwatchError } from '../../errors.js';
import { decodeState, encodeState } from '../codec.js';
import { type StateStore } from '../types.js';
import { type RedisClient } from './client.js';
import { RedisConnection, type RedisConnectionOptions } from './connection.js';
import { type Keys, keysFor } from './keys.js';

export interface RedisStoreOptions extends RedisConnectionOptions {
  keyPrefix: string;
  /** State of a service unseen this long expires (seconds). */
  ttlSeconds?: number;
}

/**
 * The store options the configuration sets (address, TLS, cluster seeds, prefix, start-up and
 * outage bounds); `redis.passwordFile`'s secret goes into the URL, where every message redacts it.
 */
export const redisStoreOptionsOf = (c: Pick<Config, 'redis'>): RedisStoreOptions => ({
  url:
    c.redis.passwordFile === undefined
      ? c.redis.url
      : withPassword(c.redis.url, readSecretFile('redis.passwordFile', c.redis.passwordFile)),
  tls: c.redis.tls,
  mode: c.redis.mode,
  clusterNodes: c.redis.clusterNodes,
  keyPrefix: c.redis.keyPrefix,
  connectTimeoutMs: c.redis.connectTimeoutMs,
  maxOutageMs: c.redis.maxOutageMs,
});

function withPassword(url: string, password: string): string {
  const u = new URL(url);
  u.password = encodeURIComponent(password);
  return u.toString();
}

export class RedisStateStore implements StateStore {
  readonly connection: RedisConnection;
  private readonly keys: Keys;
  private readonly prefix: string;
  private readonly ttlSeconds: number;
  /** Round trips and commands issued, for the per-1,000-events figure. */
  readonly stats = { roundTrips: 0, commands: 0 };

  constructor(opts: RedisStoreOptions) {
    this.connection = new RedisConnection(opts);
    this.keys = keysFor(opts.keyPrefix);
    this.prefix = opts.keyPrefix;
    this.ttlSeconds = opts.ttlSeconds ?? 30 * 24 * 3600;
  }

  /** Resolves once Redis answers; MW_STORE_UNAVAILABLE within the configured start-up bound. */
  connect(): Promise<void> {
    return this.connection.connect();
  }

  async load(serviceKeys: readonly string[]): Promise<Map<string, ServiceState>> {
    const out = new Map<string, ServiceState>();
    if (serviceKeys.length === 0) return out;
    const replies = await this.exec(
      serviceKeys.length,
      1,
      (pipe, i) => pipe.hgetall(this.keys.state(serviceKeys[i]!)),
      (err, i) =>
        // A key that is not a hash holds no state meshwatch wrote: its record cannot be read.
        err.message.startsWith('WRONGTYPE')
          ? new MeshwatchError('MW_STORE_CODEC', `state of ${serviceKeys[i] ?? '?'} cannot be read`, { cause: err })
          : undefined,
    );
    serviceKeys.forEach((k, i) => {
      const fields = replies[i] as Record<string, string> | undefined;
      const s = fields ? decodeState(k, fields) : undefined;
      if (s) out.set(k, s);
    });
    return out;
  }

  async save(states: readonly ServiceState[]): Promise<void> {
    if (states.length === 0) return;
    await this.exec(states.length, 2, (pipe, i) => {
      const s = states[i]!;
      const key = this.keys.state(serviceKey(s.service));
      pipe.hset(key, encodeState(s));
      pipe.expire(key, this.ttlSeconds);
    });
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  /**
   * The service keys stored under this store's prefix, in key order, at most `max` (SCAN: never
   * blocks Redis; a listing is a snapshot that may miss services written meanwhile).
   */
  async serviceKeys(max = 100_000): Promise<string[]> {
    const pattern = this.keys.state('*');
    const head = this.keys.state('');
    const before = head.indexOf('{') + 1;
    const out: string[] = [];
    await this.connection.scan(pattern, (keys) => {
      for (const k of keys) if (out.length < max) out.push(k.slice(before, k.length - (head.length - before)));
      return out.length >= max;
    });
    return out.sort();
  }

  /**
   * Removes every key under this store's prefix (default) or the given one (tests and the demo's
   * reset); keys of other prefixes, even ones that start with this one, stay.
   */
  async clear(prefix = this.prefix): Promise<number> {
    if (/[*?[\]\\{}]/.test(prefix)) throw new Error(`not a key prefix: ${prefix}`);
    return this.connection.deleteMatching(keysFor(prefix).state('*'));
  }

  /**
   * `n` items' commands (`perItem` each) in pipelines (RedisConnection.pipeline);
   * `replyError` turns one command's reply error into its own error (else MW_STORE_UNAVAILABLE).
   */
  private async exec(
    n: number,
    perItem: number,
    add: (pipe: ReturnType<RedisClient['pipeline']>, i: number) => void,
    replyError: (err: Error, i: number) => MeshwatchError | undefined = () => undefined,
  ): Promise<unknown[]> {
    this.stats.roundTrips++;
    this.stats.commands += n * perItem;
    const res = await this.connection.pipeline(n, add);
    return res.map(([err, v], i) => {
      if (err)
        throw (
          replyError(err, i) ??
          new MeshwatchError('MW_STORE_UNAVAILABLE', `redis at ${this.connection.address}: command failed`, { cause: err })
        );
      return v;
    });
  }
}
