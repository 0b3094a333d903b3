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
 * Restores: Redis holds a marker (src/stores/redis/restore.ts) that vanishes with everything
 * else on a FLUSHALL or a restart without persistence. When it is gone — checked at start-up
 * (`restoreIfLost`) and whenever a load misses a service — the changelog is read from the
 * beginning to its end into Redis (last value per key, one partition at a time), writing only
 * states whose keys are absent, then the marker is set and the missed services are loaded again.
 * A fresh deployment restores an empty changelog once.
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

/** Reads the changelog (these partitions, or all) into the target, then sets its marker. */
export async function restoreFromChangelog(
  reader: ChangelogReader,
  target: RestoreTarget,
  partitions: readonly number[] | undefined,
  now: () => number = Date.now,
): Promise<RestoreReport> {
  const started = now();
  let services = 0;
  let written = 0;
  let unreadable = 0;
  const r = await reader.read(partitions, async (_p, latest) => {
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
  await target.markRestored(now());
  return { records: r.records, partitions: r.partitions, services, written, unreadable, ms: now() - started };
}

export interface ChangelogStoreOptions {
  topic: string;
  /** Told of every restore that ran (start-up, or a load that found Redis had lost the states). */
  onRestore?: (r: RestoreReport) => void;
  now?: () => number;
}

export class ChangelogStateStore implements StateStore {
  private restoring: Promise<RestoreReport | undefined> | undefined;

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
    const restored = await this.restoreIfLost();
    if (!restored || restored.written === 0) return got;
    const missing = serviceKeys.filter((k) => !got.has(k));
    for (const [k, s] of await this.inner.load(missing)) got.set(k, s);
    return got;
  }

  async save(states: readonly ServiceState[]): Promise<void> {
    if (states.length === 0) return;
    await this.inner.save(states);
    await this.sink.send(this.opts.topic, states.map(changelogRecord));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  /** Restores from the changelog when the store lost its states; undefined when it had not. One restore at a time. */
  restoreIfLost(): Promise<RestoreReport | undefined> {
    this.restoring ??= (async () => {
      try {
        if (!(await this.target.lost())) return undefined;
        const r = await restoreFromChangelog(this.reader, this.target, undefined, this.opts.now);
        this.opts.onRestore?.(r);
        return r;
      } finally {
        this.restoring = undefined;
      }
    })();
    return this.restoring;
  }
}
