/**
 * The Redis side of a restore from the state changelog (src/stores/changelog/): which changelog
 * partitions' states Redis lost (their `restored` markers are gone: a FLUSHALL, a restart
 * without persistence), and writing restored states without ever replacing one that is there.
 *
 * A state is written only where its key is absent (one Lua script per key, pipelined; per slot in a Redis Cluster): a detect
 * instance that saved a newer state meanwhile keeps it, and two instances restoring at once
 * write the same values. Written states get the store's TTL, as a save would.
 */
import { type RedisConnection } from './connection.js';
import { keysFor, type Keys } from './keys.js';

/** KEYS[1] the state hash; ARGV[1] the TTL (s), then field, value, … Returns 1 when written. */
const WRITE_ABSENT = `
if redis.call('exists', KEYS[1]) == 1 then return 0 end
redis.call('hset', KEYS[1], unpack(ARGV, 2))
redis.call('expire', KEYS[1], ARGV[1])
return 1`;

/** States written per pipelined round trip. */
const CHUNK = 500;

export class RedisRestoreTarget {
  private readonly keys: Keys;

  constructor(
    private readonly connection: RedisConnection,
    keyPrefix: string,
    private readonly ttlSeconds = 30 * 24 * 3600,
  ) {
    this.keys = keysFor(keyPrefix);
  }

  /** Those of these partitions whose marker is absent: Redis holds none of what they may have. */
  async lost(partitions: readonly number[]): Promise<number[]> {
    if (partitions.length === 0) return [];
    const keys = partitions.map((p) => this.keys.restored(p));
    // One round trip; the markers of a Redis Cluster live in one slot (hash tag `changelog`).
    const values = await this.connection.roundTrip('mget', () => this.connection.redis.mget(...keys));
    return partitions.filter((_, i) => values[i] === null);
  }

  /** Sets the partitions' markers once their states are back (or there was nothing to restore). */
  async markRestored(partitions: readonly number[], at: number): Promise<void> {
    if (partitions.length === 0) return;
    const pairs = partitions.flatMap((p) => [this.keys.restored(p), String(at)]);
    await this.connection.roundTrip('mset', () => this.connection.redis.mset(...pairs));
  }

  /** Writes each (service key, state fields) whose key is absent; returns how many were written. */
  async writeAbsent(states: readonly (readonly [string, Record<string, string>])[]): Promise<number> {
    let written = 0;
    for (let i = 0; i < states.length; i += CHUNK) {
      const chunk = states.slice(i, i + CHUNK);
      // connection.pipeline: one pipeline in standalone mode, one per key (slot) in a Cluster.
      const replies = await this.connection.pipeline(chunk.length, (pipe, j) => {
        const [key, fields] = chunk[j]!;
        pipe.eval(WRITE_ABSENT, 1, this.keys.state(key), String(this.ttlSeconds), ...Object.entries(fields).flat());
      });
      const failed = replies.find(([err]) => err !== null)?.[0];
      if (failed) throw failed;
      for (const [, v] of replies) if (v === 1) written++;
    }
    return written;
  }
}
