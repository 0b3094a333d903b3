/**
 * Redis state store (ioredis, RESP2). One hash per service; loads are one pipelined
 * HGETALL batch, saves one pipelined HSET (+ EXPIRE) batch. Errors surface as
 * MW_STORE_UNAVAILABLE (retriable) so the runtime does not commit offsets past them.
 */
import { Redis } from 'ioredis';
import { serviceKey } from '../../core/model.js';
import { type ServiceState } from '../../core/pipeline/service-state.js';
import { MeshwatchError } from '../../errors.js';
import { decodeState, encodeState } from '../codec.js';
import { type StateStore } from '../types.js';
import { type Keys, keysFor } from './keys.js';

export interface RedisStoreOptions {
  url: string;
  keyPrefix: string;
  /** State of a service unseen this long expires (seconds). */
  ttlSeconds?: number;
}

export class RedisStateStore implements StateStore {
  private readonly redis: Redis;
  private readonly keys: Keys;
  private readonly ttlSeconds: number;
  /** Round trips and commands issued, for the per-1,000-events figure. */
  readonly stats = { roundTrips: 0, commands: 0 };

  constructor(opts: RedisStoreOptions) {
    this.redis = new Redis(opts.url, { lazyConnect: true, maxRetriesPerRequest: 3, enableAutoPipelining: false });
    this.keys = keysFor(opts.keyPrefix);
    this.ttlSeconds = opts.ttlSeconds ?? 30 * 24 * 3600;
  }

  async connect(): Promise<void> {
    try {
      await this.redis.connect();
    } catch (cause) {
      throw new MeshwatchError('MW_STORE_UNAVAILABLE', 'redis: cannot connect', { cause });
    }
  }

  async load(serviceKeys: readonly string[]): Promise<Map<string, ServiceState>> {
    const out = new Map<string, ServiceState>();
    if (serviceKeys.length === 0) return out;
    const pipe = this.redis.pipeline();
    for (const k of serviceKeys) pipe.hgetall(this.keys.state(k));
    const replies = await this.exec(pipe, serviceKeys.length);
    serviceKeys.forEach((k, i) => {
      const fields = replies[i] as Record<string, string> | undefined;
      const s = fields ? decodeState(k, fields) : undefined;
      if (s) out.set(k, s);
    });
    return out;
  }

  async save(states: readonly ServiceState[]): Promise<void> {
    if (states.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const s of states) {
      const key = this.keys.state(serviceKey(s.service));
      pipe.hset(key, encodeState(s));
      pipe.expire(key, this.ttlSeconds);
    }
    await this.exec(pipe, states.length * 2);
  }

  async close(): Promise<void> {
    await this.redis.quit().catch(() => this.redis.disconnect());
  }

  /** Removes every key under this store's prefix (tests and `meshwatch reset`). */
  async clear(prefix: string): Promise<number> {
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.redis.scan(cursor, 'MATCH', `${prefix}:*`, 'COUNT', 500);
      cursor = next;
      if (keys.length) n += await this.redis.del(...keys);
    } while (cursor !== '0');
    return n;
  }

  private async exec(pipe: ReturnType<Redis['pipeline']>, commands: number): Promise<unknown[]> {
    this.stats.roundTrips++;
    this.stats.commands += commands;
    let res: [Error | null, unknown][] | null;
    try {
      res = await pipe.exec();
    } catch (cause) {
      throw new MeshwatchError('MW_STORE_UNAVAILABLE', 'redis: pipeline failed', { cause });
    }
    if (!res) throw new MeshwatchError('MW_STORE_UNAVAILABLE', 'redis: pipeline aborted');
    return res.map(([err, v]) => {
      if (err) throw new MeshwatchError('MW_STORE_UNAVAILABLE', 'redis: command failed', { cause: err });
      return v;
    });
  }
}
