/**
 * Redis PodTable: one string per pod, `<prefix>:pod:{<podKey>}` = the workload name, written with
 * SET PX (expiry `ttlMs` after the last write, so the table is bounded by the pods alive within
 * it), read with pipelined GETs (one round trip per call; a Redis Cluster routes each key by its
 * own hash tag). A value that is not a plausible name (empty, longer than an identity part, control
 * characters) is treated as absent: the table is shared, and its content is input like any other.
 * Errors: MW_STORE_UNAVAILABLE (retriable); the connection contract is RedisConnection's.
 */
import { type Redis } from 'ioredis';
import { type PodEntry } from '../../core/identity/attribution.js';
import { validateServiceId } from '../../core/decode/identity.js';
import { MeshwatchError } from '../../errors.js';
import { type PodTable } from '../types.js';
import { RedisConnection, type RedisConnectionOptions } from './connection.js';
import { keysFor } from './keys.js';

export interface RedisPodTableOptions extends RedisConnectionOptions {
  keyPrefix: string;
  ttlMs: number;
}

export class RedisPodTable implements PodTable {
  readonly connection: RedisConnection;
  private readonly redis: Redis;
  private readonly key: (podKey: string) => string;

  constructor(private readonly opts: RedisPodTableOptions) {
    this.connection = new RedisConnection(opts);
    this.redis = this.connection.redis;
    this.key = keysFor(opts.keyPrefix).pod;
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }

  async get(podKeys: readonly string[]): Promise<PodEntry[]> {
    if (podKeys.length === 0) return [];
    const pipe = this.redis.pipeline();
    for (const k of podKeys) pipe.get(this.key(k));
    const replies = await this.exec(pipe);
    const out: PodEntry[] = [];
    podKeys.forEach((key, i) => {
      const [err, name] = replies[i] ?? [null, null];
      if (err === null && typeof name === 'string' && validateServiceId({ namespace: '-', name }, 'pod').ok) out.push({ key, name });
    });
    return out;
  }

  async put(entries: readonly PodEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const pipe = this.redis.pipeline();
    for (const { key, name } of entries) pipe.set(this.key(key), name, 'PX', this.opts.ttlMs);
    const replies = await this.exec(pipe);
    const failed = replies.find(([err]) => err !== null)?.[0];
    if (failed)
      throw new MeshwatchError('MW_STORE_UNAVAILABLE', `redis at ${this.connection.address}: pod table write failed`, { cause: failed });
  }

  close(): Promise<void> {
    return this.connection.close();
  }

  /** Removes every pod entry under this table's prefix (tests); other keys stay. */
  async clear(): Promise<number> {
    if (/[*?[\]\\{}]/.test(this.opts.keyPrefix)) throw new Error(`not a key prefix: ${this.opts.keyPrefix}`);
    const pattern = this.key('*');
    let cursor = '0';
    let n = 0;
    do {
      const [next, keys] = await this.connection.roundTrip('scan', () => this.redis.scan(cursor, 'MATCH', pattern, 'COUNT', 500));
      cursor = next;
      if (keys.length) n += await this.connection.roundTrip('del', () => this.redis.del(...keys));
    } while (cursor !== '0');
    return n;
  }

  private async exec(pipe: ReturnType<Redis['pipeline']>): Promise<[Error | null, unknown][]> {
    const res = await this.connection.roundTrip('pipeline', async () => {
      const replies = await pipe.exec();
      const down = replies?.find(([err]) => err !== null && err.name !== 'ReplyError')?.[0];
      if (down) throw down;
      return replies;
    });
    if (!res) throw new MeshwatchError('MW_STORE_UNAVAILABLE', `redis at ${this.connection.address}: pipeline aborted`);
    return res;
  }
}
