/**
 * Baseline durability beyond Redis, as a Kafka Streams state store keeps a changelog: every
 * save of a service's state to the store also produces that state to a compacted changelog
 * topic (key: service key), so the latest state of every service survives Redis losing them.
 *
 * Writes: `save` writes Redis first, then the changelog (one produce per save, acks=all, split
 * to the topic's record limit), and resolves only when both are durable. Stage 2 commits its
 * offsets after the save resolves (runtime/detect.ts), so the changelog is never behind what the
 * committed offsets need; a failed produce fails the save, which has the partition re-read.
 *
 * Records go to the partition the windows topic's partitioner gives their key, so changelog
 * partition p holds the services of windows partition p.
 *
 * Restores: Redis holds a marker per changelog partition (src/stores/redis/restore.ts) that
 * vanishes with everything else on a FLUSHALL or a restart without persistence. When markers are
 * gone — checked for every partition at start-up (`restoreIfLost`), and for the partitions of the
 * missed services whenever a load misses one — those partitions are read from the beginning to
 * their end into Redis (last value per key, one partition at a time), writing only states whose
 * keys are absent; then their markers are set and the missed services are loaded again. A fresh
 * deployment restores an empty changelog once. One restore runs at a time.
 */
import { serviceKey } from '../../core/model.js';
import { type ServiceState } from '../../core/pipeline/service-state.js';
import { type OutRecord, type RecordSink } from '../../runtime/ports.js';
import { decodeState, encodeState } from '../codec.js';
import { type StateStore } from '../types.js';
import { type ChangelogReader, type RestoreTarget } from './types.js';

/** Version of the changelog record's value (`{"v":1,"fields":{…}}`: the state's Redis hash fields). */
const VALUE_VERSION = 1;

export const changelogRecord = (s: ServiceState): OutRecord => ({
  key: serviceKey(s.service),
  value: JSON.stringify({ v: VALUE_VERSION, fields: encodeState(s) }),
});

/** The state fields of a changelog value, or undefined when it is not a state meshwatch can read. */
export function changelogFields(key: string, value: string): Record<string, string> | undefined {
  try {
    const parsed = JSON.parse(value) as { v?: unknown; fields?: unknown };
    if (parsed.v !== VALUE_VERSION || !parsed.fields || typeof parsed.fields !== 'object') return undefined;
    const fields = parsed.fields as Record<string, string>;
    if (Object.values(fields).some((f) => typeof f !== 'string')) return undefined;
    return decodeState(key, fields) ? fields : undefined;
  } catch {
    return undefined;
  }
}

export interface RestoreReport {
  /** Changelog records read (all versions). */
  records: number;
  partitions: number;
  /** Services whose latest record is a state (not a tombstone). */
  services: number;
  /** … written to Redis (the others were there already). */
  written: number;
  /** Records that are not a readable state (skipped). */
  unreadable: number;
  ms: number;
}

/** Reads the changelog (these partitions, or all) into the target, then sets their markers. */
export async function restoreFromChangelog(
  reader: ChangelogReader,
  target: RestoreTarget,
  partitions: readonly number[] | undefined,
  now: () => number = Date.now,
): Promise<RestoreReport> {
  const started = now();
  const asked = partitions ?? range(await reader.partitions());
  let services = 0;
  let written = 0;
  let unreadable = 0;
  const r = await reader.read(asked, async (_p, latest) => {
    const states: [string, Record<string, string>][] = [];
    for (const [key, value] of latest) {
      if (value === null) continue;
      const fields = changelogFields(key, value);
      if (fields) states.push([key, fields]);
      else unreadable++;
    }
    services += states.length;
    written += await target.writeAbsent(states);
  });
  await target.markRestored(asked, now());
  return { records: r.records, partitions: r.partitions, services, written, unreadable, ms: now() - started };
}

const range = (n: number): number[] => Array.from({ length: n }, (_, i) => i);

export interface ChangelogStoreOptions {
  topic: string;
  /** Told of every restore that ran (start-up, or a load that found Redis had lost the states). */
  onRestore?: (r: RestoreReport) => void;
  now?: () => number;
}

export class ChangelogStateStore implements StateStore {
  /** The restore running or last run: restores run one after the other. */
  private restoring: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly inner: StateStore,
    private readonly sink: RecordSink,
    private readonly reader: ChangelogReader,
    private readonly target: RestoreTarget,
    private readonly opts: ChangelogStoreOptions,
  ) {}

  async load(serviceKeys: readonly string[]): Promise<Map<string, ServiceState>> {
    const got = await this.inner.load(serviceKeys);
    if (got.size === serviceKeys.length) return got;
    const missing = serviceKeys.filter((k) => !got.has(k));
    const n = await this.reader.partitions();
    const restored = await this.restoreIfLost([...new Set(missing.map((k) => this.reader.partitionOf(k, n)))]);
    if (!restored || restored.written === 0) return got;
    for (const [k, s] of await this.inner.load(missing)) got.set(k, s);
    return got;
  }

  async save(states: readonly ServiceState[]): Promise<void> {
    if (states.length === 0) return;
    await this.inner.save(states);
    const n = await this.reader.partitions();
    await this.sink.send(
      this.opts.topic,
      states.map((s) => {
        const r = changelogRecord(s);
        return { ...r, partition: this.reader.partitionOf(r.key ?? '', n) };
      }),
    );
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /**
   * Restores those of these changelog partitions (default: all) whose states the store lost;
   * undefined when it had lost none.
   */
  restoreIfLost(partitions?: readonly number[]): Promise<RestoreReport | undefined> {
    const run = async (): Promise<RestoreReport | undefined> => {
      const lost = await this.target.lost(partitions ?? range(await this.reader.partitions()));
      if (lost.length === 0) return undefined;
      const r = await restoreFromChangelog(this.reader, this.target, lost, this.opts.now);
      this.opts.onRestore?.(r);
      return r;
    };
    const next = this.restoring.then(run, run);
    this.restoring = next.catch(() => undefined);
    return next;
  }
}
