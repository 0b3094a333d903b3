/**
 * `meshwatch state rebuild [--partitions 0,2,…]`: refills Redis from the state changelog
 * (src/stores/changelog/) and exits. Reads the changelog partitions (all by default) from the
 * beginning to their end, writes each service's latest state whose key Redis does not have
 * (a state a running detect instance saved meanwhile is newer and stays), sets the marker that
 * Redis holds the states, and prints the counts. Running detect instances do the same by
 * themselves when they find the marker gone; this command does it ahead of them.
 */
import { type Config } from '../config/schema.js';
import { MeshwatchError } from '../errors.js';
import { kafkaOf } from '../sources/kafka/client.js';
import { KafkaChangelogReader } from '../sources/kafka/changelog.js';
import { restoreFromChangelog } from '../stores/changelog/store.js';
import { RedisConnection } from '../stores/redis/connection.js';
import { RedisRestoreTarget } from '../stores/redis/restore.js';
import { redisStoreOptionsOf } from '../stores/redis/store.js';

export const STATE_FLAGS = { partitions: { type: 'string' } } as const;

/** `0,2,5` → [0, 2, 5]; MW_USAGE for anything else. */
export function parsePartitions(text: string | undefined): number[] | undefined {
  if (text === undefined) return undefined;
  const parts = text.split(',').map((p) => p.trim());
  if (parts.some((p) => !/^\d+$/.test(p)))
    throw new MeshwatchError('MW_USAGE', `state rebuild: --partitions takes partition numbers like 0,2,5, got '${text}'`);
  return [...new Set(parts.map(Number))].sort((a, b) => a - b);
}

export async function stateCommand(
  config: Readonly<Config>,
  sub: string | undefined,
  partitionsFlag: string | undefined,
  out: (line: string) => void = (l) => void process.stdout.write(`${l}\n`),
): Promise<number> {
  if (sub !== 'rebuild') throw new MeshwatchError('MW_USAGE', "state: the subcommand is 'rebuild'");
  const partitions = parsePartitions(partitionsFlag);
  const connection = new RedisConnection(redisStoreOptionsOf(config));
  await connection.connect();
  try {
    const topic = config.kafka.topics.changelog;
    const reader = new KafkaChangelogReader(kafkaOf(config, '-state'), topic, config.kafka.groups.detect);
    const r = await restoreFromChangelog(reader, new RedisRestoreTarget(connection, config.redis.keyPrefix), partitions);
    out(
      `state rebuild: ${topic}${partitions ? ` partitions ${partitions.join(',')}` : ''}: ${r.records} records in ${r.partitions} partitions, ` +
        `${r.services} services, ${r.written} written, ${r.services - r.written} already in redis, ${r.unreadable} unreadable, ${r.ms} ms`,
    );
    return 0;
  } finally {
    await connection.close();
  }
}
