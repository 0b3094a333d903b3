/**
 * Starts the PagerDuty sink worker of one process (`--role sink-pagerduty`, or `--role all`
 * with sinks.pagerduty.enabled): reads the routing keys (config, env or files, per routing
 * rule) and runs the generic sink worker (./sinks.ts) over its own consumer group on the
 * alerts topic. A group that has no committed offset yet starts at the end of the alerts
 * topic (`fromBeginning` false): a new PagerDuty sink does not page for history. Tests pass
 * their own group and parking topic.
 */
import { type Config } from '../config/schema.js';
import { type MeshwatchError } from '../errors.js';
import { type kafkaOf } from '../sources/kafka/client.js';
import { type Counters } from '../telemetry/counters.js';
import { type RunningSink, type SinkWorkerStartOptions, buildSink, startSinkWorker } from './sinks.js';

export type { RunningSink } from './sinks.js';
export type PagerDutyWorkerOptions = SinkWorkerStartOptions;

export async function startPagerDutyWorker(
  kafka: ReturnType<typeof kafkaOf>,
  config: Readonly<Config>,
  counters: Counters,
  onFatal: (e: MeshwatchError) => void,
  opts: PagerDutyWorkerOptions = {},
): Promise<RunningSink> {
  const built = await buildSink('pagerduty', config, { counters, ...(opts.log ? { log: opts.log } : {}) });
  return startSinkWorker(kafka, config, built, counters, onFatal, opts);
}
