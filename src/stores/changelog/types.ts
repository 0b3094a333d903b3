/**
 * Ports of the state changelog: a compacted topic keyed by service key whose latest record per
 * key is that service's state as last saved (null: a tombstone, the service forgotten).
 */

/** What one read of the changelog saw. */
export interface ChangelogReadResult {
  /** Records read (every version of every key, tombstones included). */
  records: number;
  /** Partitions read to their end. */
  partitions: number;
}

export interface ChangelogReader {
  /** The changelog's partition count (read once). */
  partitions(): Promise<number>;
  /** The partition a service key's records go to, of `count` (the windows topic's partitioner: the same p for both). */
  partitionOf(serviceKey: string, count: number): number;
  /**
   * Reads these partitions (every partition when undefined) from the beginning up to their end
   * offset at the call, and hands each partition's last value per key to `onPartition` once
   * that partition is read (memory: one partition's keys at a time). Rejects with
   * MW_KAFKA_UNAVAILABLE when the broker does not serve it.
   */
  read(
    partitions: readonly number[] | undefined,
    onPartition: (partition: number, latest: ReadonlyMap<string, string | null>) => Promise<void>,
  ): Promise<ChangelogReadResult>;
}

/** Where restored states go: the Redis side (src/stores/redis/restore.ts). */
export interface RestoreTarget {
  /** Those of these changelog partitions whose states the store lost (their markers are gone). */
  lost(partitions: readonly number[]): Promise<number[]>;
  markRestored(partitions: readonly number[], at: number): Promise<void>;
  /** Writes the states whose keys are absent; returns how many were written. */
  writeAbsent(states: readonly (readonly [string, Record<string, string>])[]): Promise<number>;
}
