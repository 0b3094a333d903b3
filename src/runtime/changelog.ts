/**
 * Stage 2's state store with the state changelog (src/stores/changelog/store.ts): saves also go
 * to the changelog topic, and a Redis that lost its states is refilled from it — here at
 * start-up, before the detect worker loads any service, and later whenever a load misses one.
 */
import { type Config } from '../config/schema.js';
import { ChangelogStateStore, type RestoreReport } from '../stores/changelog/store.js';
import { type ChangelogReader, type RestoreTarget } from '../stores/changelog/types.js';
import { type StateStore } from '../stores/types.js';
import { type RecordSink } from './ports.js';

/** The one line a restore that found something to restore logs. */
export const restoreLine = (topic: string, r: RestoreReport): string =>
  `redis had lost the service states: restored ${r.written} of ${r.services} services from ${topic} ` +
  `(${r.records} records, ${r.partitions} partitions${r.unreadable ? `, ${r.unreadable} unreadable skipped` : ''}) in ${r.ms} ms`;

export async function withChangelog(
  config: Readonly<Config>,
  store: StateStore,
  sink: RecordSink,
  reader: ChangelogReader,
  target: RestoreTarget,
  log: (line: string) => void,
): Promise<ChangelogStateStore> {
  const topic = config.kafka.topics.changelog;
  const changelog = new ChangelogStateStore(store, sink, reader, target, {
    topic,
    onRestore: (r) => {
      if (r.records > 0) log(restoreLine(topic, r));
    },
  });
  await changelog.restoreIfLost();
  return changelog;
}
