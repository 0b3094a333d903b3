/**
 * Wires one meshwatch process: Kafka client, topics, state store and the workers of its
 * role (`all` runs both stages in one process, through the same topics, and every enabled
 * sink's worker; `sink-pagerduty`, `sink-alertmanager`, `sink-webhook` run only that worker).
 *
 * Start-up creates missing topics and checks meshwatch's own (src/sources/kafka/topics.ts):
 * a setting it cannot work with fails the start with MW_KAFKA_TOPIC_CONFIG; one that works
 * but is not what meshwatch would choose is a warning. At run time a worker whose consumer
 * stops for good reports a fatal MeshwatchError here: everything is stopped, `fatal`
 * resolves with it (and `onFatal` is called) so the caller exits non-zero.
 *
 * A process that runs stage 2 also returns `query`, the read-only StateQuery over its detect
 * worker's engines and its state store (runtime/state-query.ts), for an API or page.
 */
import { engineParamsOf, stormParamsOf, topicDecodersOf } from '../config/derive.js';
import { type Config } from '../config/schema.js';
import { type Alert } from '../core/alert/schema.js';
import { type MeshwatchError } from '../errors.js';
import { KafkaAlertSink, KafkaIncidentSink } from '../sinks/kafka/alerts.js';
import { MemoryStormLedger } from '../core/incident/ledger.js';
import { RedisStormLedger } from '../stores/redis/storm.js';
import { BoundedProducer } from '../sinks/kafka/produce.js';
import { kafkaOf } from '../sources/kafka/client.js';
import { KafkaRecordSource } from '../sources/kafka/source.js';
import { type TopicCheck, prepareTopics } from '../sources/kafka/topics.js';
import { RedisStateStore, type RedisStoreOptions, redisStoreOptionsOf } from '../stores/redis/store.js';
import { RedisPodTable } from '../stores/redis/pod-table.js';
import { type StateStore } from '../stores/types.js';
import { Counters, type Stage } from '../telemetry/counters.js';
import { ConsumeLoop } from './consume-loop.js';
import { DetectWorker } from './detect.js';
import { IngestWorker } from './ingest.js';
import { type AlertSink, type StateQuery, type StormLedger } from './ports.js';
import { buildSink, enabledSinks, roleOf, startSinkWorker } from './sinks.js';
import { EngineStateQuery } from './state-query.js';
import { RecentAlerts, RecentWindows } from './recent.js';
import { RedisConnection } from '../stores/redis/connection.js';
import { RedisProfileStore } from '../stores/redis/profiles.js';
import { type ProfilesRunning, startProfiles } from './profiles.js';
import { KafkaChangelogReader, prepareChangelogTopic } from '../sources/kafka/changelog.js';
import { RedisRestoreTarget } from '../stores/redis/restore.js';
import { withChangelog } from './changelog.js';
import { log } from '../log.js';

/** Alerts a stage-2 process remembers for the API and the page. */
const RECENT_ALERTS = 1000;

export interface Running {
  counters: Counters;
  /** Resolves once, with the error that stopped the process (never resolves on a clean stop). */
  fatal: Promise<MeshwatchError>;
  /** What start-up found on the broker (record limits, windows partitions, warnings). */
  topics: TopicCheck;
  /** Read-only view of stage 2's state (runtime/state-query.ts); absent when the process runs no stage 2. */
  query?: StateQuery;
  /** The declared profiles stage 2 enforces (runtime/profiles.ts); absent when the process runs no stage 2. */
  profiles?: ProfilesRunning;
  stop(): Promise<void>;
}

export interface StartOptions {
  onAlert?: (a: Alert) => void;
  /** Called once when a worker stops for good; the process has been stopped by then. */
  onFatal?: (e: MeshwatchError) => void;
  /** Start-up warnings (default: standard error). */
  onWarning?: (message: string) => void;
  /** Silence kafkajs's own logging (interactive demo). */
  quietClient?: boolean;
  /** Hears the state store's connection events and its outage past redis.maxOutageMs. */
  redis?: Pick<RedisStoreOptions, 'onEvent' | 'onOutage'>;
  /** Stage 2's state store (default: Redis from the config). Tests inject failing wrappers here. */
  store?: StateStore;
  /** meshwatch's version, reported by the SIEM renderings. */
  productVersion?: string;
  /** Stage 2's alert sink (default: the alerts topic). Tests inject failing sinks here. */
  alertSink?: AlertSink;
}

export async function startMeshwatch(config: Readonly<Config>, opts: StartOptions = {}): Promise<Running> {
  const counters = new Counters();
  const kafka = kafkaOf(config, '', opts.quietClient ?? false);
  const admin = kafka.admin();
  await admin.connect();
  let topics: TopicCheck;
  try {
    topics = await prepareTopics(admin, config);
    topics.warnings.push(
      ...(await prepareChangelogTopic(admin, config.kafka.topics.changelog, topics.windowsPartitions, config.kafka.replicationFactor)),
    );
  } finally {
    await admin.disconnect();
  }
  const warn = opts.onWarning ?? ((m: string) => log().warn(m));
  for (const w of topics.warnings) warn(w);

  // Stopping drains: every worker at once (each stops fetching, finishes its batch, saves and
  // commits: nothing is left for a restart to repeat), then the clients they used, in order.
  const workers: (() => Promise<void>)[] = [];
  const stoppers: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stop = (): Promise<void> =>
    (stopping ??= (async () => {
      await Promise.all(workers.map((w) => w().catch(() => undefined)));
      for (const s of stoppers) await s().catch(() => undefined);
    })());
  let resolveFatal: (e: MeshwatchError) => void = () => undefined;
  const fatal = new Promise<MeshwatchError>((r) => (resolveFatal = r));
  let failed = false;
  const onFatal = (e: MeshwatchError): void => {
    if (failed) return;
    failed = true;
    counters.add('errors', 1, { stage: 'runtime', code: e.code });
    void stop().then(() => {
      opts.onFatal?.(e);
      resolveFatal(e);
    });
  };

  const t = config.kafka.topics;
  /** One idempotent producer per stage, its requests split to each topic's record limit. */
  const producerFor = async (stage: Stage): Promise<BoundedProducer> => {
    const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    stoppers.push(() => producer.disconnect());
    const role = (topic: string): string =>
      topic === t.dlq
        ? 'dlq'
        : topic === t.alerts
          ? 'alerts'
          : topic === t.incidents
            ? 'incidents'
            : topic === t.changelog
              ? 'changelog'
              : 'windows';
    return new BoundedProducer(
      producer,
      {
        topicBytes: topics.topicBytes,
        defaultTopicBytes: topics.topicBytes.get(t.windows) ?? 1024 * 1024,
        maxRequestBytes: config.kafka.maxRequestBytes,
      },
      (topic) => counters.add('produce_requests', 1, { stage, topic: role(topic) }),
    );
  };

  let query: StateQuery | undefined;
  let profiles: ProfilesRunning | undefined;
  try {
    if (config.role === 'all' || config.role === 'detect') {
      let store = opts.store;
      let ledger: StormLedger | undefined;
      let restoreTarget: RedisRestoreTarget | undefined;
      if (!store) {
        const redis = new RedisStateStore({ ...redisStoreOptionsOf(config), ...opts.redis });
        await redis.connect();
        stoppers.push(() => redis.close());
        store = redis;
        restoreTarget = new RedisRestoreTarget(redis.connection, config.redis.keyPrefix);
        ledger = new RedisStormLedger(redis.connection, config.redis.keyPrefix, stormParamsOf(config));
      }
      const profileRedis = new RedisConnection({ ...redisStoreOptionsOf(config), ...opts.redis });
      await profileRedis.connect();
      stoppers.push(() => profileRedis.close());
      const running = await startProfiles(new RedisProfileStore(profileRedis, config.redis.keyPrefix), config, warn);
      workers.push(() => Promise.resolve(running.stop()));
      profiles = running;
      // An injected store (tests) has no shared view: the storm guard sees this process only.
      const memory = new MemoryStormLedger(stormParamsOf(config));
      ledger ??= { step: (closed, incidents) => Promise.resolve(memory.step(closed, incidents, Date.now())) };
      const producer = await producerFor('detect');
      if (restoreTarget) {
        const reader = new KafkaChangelogReader(kafka, t.changelog, config.kafka.groups.detect);
        store = await withChangelog(config, store, producer, reader, restoreTarget, warn);
      }
      const source = new KafkaRecordSource(kafka, {
        groupId: config.kafka.groups.detect,
        topics: [t.windows],
        fromBeginning: true,
        stage: 'detect',
        counters,
        onFatal,
      });
      const loop = new ConsumeLoop({ stage: 'detect', source, sink: producer, dlqTopic: t.dlq, onReject: 'dlq', counters });
      const sink = opts.alertSink ?? new KafkaAlertSink(producer, t.alerts);
      const viewParams = { detection: engineParamsOf(config).detection, windowMs: config.window.ms };
      const recent = {
        windows: new RecentWindows(config.http.recentWindows, config.bounds.maxServices, viewParams),
        alerts: new RecentAlerts(RECENT_ALERTS),
      };
      const detect = new DetectWorker(loop, sink, store, config, counters, topics.rawPartitions, onFatal, {
        onAlert: (a) => {
          recent.alerts.add(a);
          opts.onAlert?.(a);
        },
        onWindows: (states) => recent.windows.record(states),
        onWarning: warn,
        profiles: running.lookup,
        incidents: { sink: new KafkaIncidentSink(producer, t.incidents), ledger },
        onClosed: logClosed,
      });
      await detect.start();
      workers.push(() => detect.stop());
      query = new EngineStateQuery(detect, store, viewParams, recent);
    }
    if (config.role === 'all' || config.role === 'ingest') {
      const producer = await producerFor('ingest');
      const raw = [...topicDecodersOf(config).keys()];
      const source = new KafkaRecordSource(kafka, {
        groupId: config.kafka.groups.ingest,
        topics: raw,
        fromBeginning: config.kafka.fromBeginning,
        stage: 'ingest',
        counters,
        onFatal,
      });
      const loop = new ConsumeLoop({
        stage: 'ingest',
        source,
        sink: producer,
        dlqTopic: t.dlq,
        onReject: config.ingest.onDecodeError,
        counters,
      });
      // Stage 1's shared pod table (identity.*): every ingest instance reads what any of them learned.
      const podTable = new RedisPodTable({ ...redisStoreOptionsOf(config), ...opts.redis, ttlMs: config.identity.podTtlMs });
      await podTable.connect();
      stoppers.push(() => podTable.close());
      const ingest = new IngestWorker(loop, producer, config, counters, topics.windowsPartitions, podTable);
      await ingest.start();
      workers.push(() => ingest.stop());
    }
    for (const name of enabledSinks(config)) {
      if (config.role !== 'all' && config.role !== roleOf(name)) continue;
      const built = await buildSink(name, config, {
        counters,
        log: warn,
        kafka,
        ...(opts.productVersion ? { productVersion: opts.productVersion } : {}),
      });
      const worker = await startSinkWorker(kafka, config, built, counters, onFatal, { log: warn });
      workers.push(() => worker.stop());
    }
  } catch (e) {
    await stop();
    throw e;
  }
  return { counters, fatal, topics, stop, ...(query ? { query } : {}), ...(profiles ? { profiles } : {}) };
}

/** Debug log: each window stage 2 closed and saved, by service and window start. */
function logClosed(closed: readonly (readonly [string, number])[]): void {
  const l = log();
  if (!l.enabled('debug')) return;
  const windows = closed.map(([service, startMs]) => ({ service, start: new Date(startMs).toISOString() }));
  if (l.format === 'json') l.debug(`windows closed: ${windows.length}`, { windows });
  else l.debug(`windows closed: ${windows.map((w) => `${w.service}@${w.start}`).join(', ')}`);
}
