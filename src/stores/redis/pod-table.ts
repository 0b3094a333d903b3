/**
 * Redis PodTable: one string per pod, `<prefix>:pod:{<podKey>}` = the workload name, written with
 * SET PX (expiry `ttlMs` after the last write, so the table is bounded by the pods alive within
 * it), read with pipelined GETs (one round trip per call; a Redis Cluster routes each key by its
 * own hash tag). A value that is not a plausible name (empty, longer than an identity part, control
 * characters) is treated as absent: the table is shared, and its content is input like any other.
 * Errors: MW_STORE_UNAVAILABLE (retriable); the connection contract is RedisConnection's.
 */
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
  private readonly key: (podKey: string) => string;

  constructor(private readonly opts: RedisPodTableOptions) {
    this.connection = new RedisConnection(opts);
    this.key = keysFor(opts.keyPrefix).pod;
  }

  connect(): Promise<void> {
    return this.connection.connect();
  }

  async get(podKeys: readonly string[]): Promise<PodEntry[]> {
    if (podKeys.length === 0) return [];
    const replies = await this.connection.pipeline(podKeys.length, (pipe, i) => pipe.get(this.key(podKeys[i]!)));
    const out: PodEntry[] = [];
    podKeys.forEach((key, i) => {
      const [err, name] = replies[i] ?? [null, null];
      if (err === null && typeof name === 'string' && validateServiceId({ namespace: '-', name }, 'pod').ok) out.push({ key, name });
    });
    return out;
  }

  async put(entries: readonly PodEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const replies = await this.connection.pipeline(entries.length, (pipe, i) =>
      pipe.set(this.key(entries[i]!.key), entries[i]!.name, 'PX', this.opts.ttlMs),
    );
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
    return this.connection.deleteMatching(this.key('*'));
  }
}
