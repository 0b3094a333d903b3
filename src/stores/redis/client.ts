/**
 * The ioredis client for the configured Redis: one server (`redis://`, `rediss://` for TLS) or a
 * Redis Cluster (`redis.mode: cluster`: the URL's node and `redis.clusterNodes` are the seeds; the
 * URL's user, password and scheme apply to every node). TLS certificates come from `redis.tls`.
 * Every client fails rather than queues while disconnected; the caller's `retryDelay` paces
 * reconnects. Nothing here logs or throws a secret.
 */
import { Cluster, Redis, type RedisOptions } from 'ioredis';
import { type RedisTls } from '../../config/schema-connections.js';
import { tlsOptionsOf } from '../../config/tls.js';

export type RedisClient = Redis | Cluster;

export interface RedisClientOptions {
  url: string;
  /** Certificates for a `rediss://` URL. */
  tls?: RedisTls | undefined;
  /** `cluster`: talk to a Redis Cluster seeded by the URL's node and `clusterNodes`. */
  mode?: 'standalone' | 'cluster' | undefined;
  /** More seed nodes (`host:port`) of the cluster. */
  clusterNodes?: readonly string[] | undefined;
}

/** The user a URL authenticates as (`default` when it names none), for messages. */
export function userOf(url: string): string {
  try {
    return decodeURIComponent(new URL(url).username) || 'default';
  } catch {
    return 'default';
  }
}

export function createRedisClient(o: RedisClientOptions, connectTimeoutMs: number, retryDelay: (attempt: number) => number): RedisClient {
  const tls = o.url.startsWith('rediss://') ? { tls: tlsOptionsOf('redis.tls', o.tls) } : {};
  const common: RedisOptions = {
    lazyConnect: true,
    // Each attempt's TCP connect; the whole start-up is bounded by connectTimeoutMs.
    connectTimeout: Math.min(connectTimeoutMs, 10_000),
    // A command in flight when the connection drops is retried once after reconnecting.
    maxRetriesPerRequest: 1,
    enableAutoPipelining: false,
    ...tls,
  };
  if (o.mode !== 'cluster') {
    return new Redis(o.url, {
      ...common,
      // Fail, do not queue, while disconnected: the caller (a Kafka batch) retries with its
      // own backoff and never commits past a failed save; a queue would only hide the outage.
      enableOfflineQueue: false,
      retryStrategy: retryDelay,
    });
  }
  const u = new URL(o.url);
  const seeds = [`${u.hostname}:${u.port || '6379'}`, ...(o.clusterNodes ?? [])].map((hp) => {
    const i = hp.lastIndexOf(':');
    return { host: hp.slice(0, i), port: Number(hp.slice(i + 1)) };
  });
  const auth = {
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
  };
  return new Cluster(seeds, {
    lazyConnect: true,
    enableOfflineQueue: false,
    clusterRetryStrategy: retryDelay,
    slotsRefreshTimeout: Math.min(connectTimeoutMs, 10_000),
    redisOptions: { ...common, ...auth },
  });
}
