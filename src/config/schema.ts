/**
 * The configuration, as one zod schema: defaults live here, every field is validated once
 * at start-up and the result is frozen. A bad value fails fast naming its field path.
 */
import { z } from 'zod';
import { compileTextFormat } from '../core/decode/text-format.js';
import { DECODER_NAMES } from '../core/decode/types.js';
import { clusterName, positiveInt, topicName, urlTemplate } from './schema-common.js';
import { KafkaSaslSchema, KafkaSslSchema, RedisSchema } from './schema-connections.js';
import { DetectionSchema } from './schema-detection.js';
import { SinksSchema } from './schema-sinks.js';

/** An Envoy access-log format string (`%START_TIME% …`), compiled once here so a bad one fails at start-up. */
const textFormat = z.string().superRefine((f, ctx) => {
  const r = compileTextFormat(f);
  if (!r.ok) ctx.addIssue({ code: 'custom', message: `not a usable access-log format: ${r.error.reason}` });
});

export const ConfigSchema = z
  .object({
    /**
     * `sink-<name>`: only that sink's worker (pagerduty, alertmanager, webhook, splunk); `sink-siem`: only the
     * enabled SIEM topic workers (ocsf, ecs, cef). `all` also runs every enabled sink.
     */
    role: z
      .enum(['all', 'ingest', 'detect', 'sink-pagerduty', 'sink-alertmanager', 'sink-webhook', 'sink-siem', 'sink-splunk'])
      .default('all'),
    /**
     * meshwatch's log on stderr (src/log.ts): events up to `level` (debug adds client libraries'
     * own lines, each window closed and stack traces of unexpected errors), as `text` lines or
     * one JSON object per line.
     */
    log: z
      .object({
        level: z.enum(['error', 'warn', 'info', 'debug']).default('info'),
        format: z.enum(['text', 'json']).default('text'),
      })
      .strict()
      .prefault({}),
    /** `meshwatch run` on SIGTERM/SIGINT: how long the drain (finish the batch, save, commit, close) may take before it exits 1. */
    shutdownTimeoutMs: z.number().int().min(1000).default(8000),
    /** `meshwatch run` logs one progress line this often (0: never). */
    progressIntervalMs: z.number().int().min(0).default(60_000),
    kafka: z
      .object({
        brokers: z
          .array(z.string().regex(/^[^:\s]+:\d+$/, 'host:port'))
          .min(1)
          .default(['127.0.0.1:9092']),
        clientId: z.string().min(1).default('meshwatch'),
        topics: z
          .object({
            envoy: z.array(topicName).default(['istio-access-logs']),
            cadvisor: z.array(topicName).default(['stats']),
            samples: z.array(topicName).default(['meshwatch.samples']),
            windows: topicName.default('meshwatch.windows'),
            alerts: topicName.default('meshwatch.alerts'),
            /** Incident documents (meshwatch.incident/v1): what paging sinks read. */
            incidents: topicName.default('meshwatch.incidents'),
            dlq: topicName.default('meshwatch.dlq'),
            /** Compacted changelog of each service's state (key: service key): restores Redis after a loss. */
            changelog: topicName.default('meshwatch.state-changelog'),
            /** Envoy gRPC access-log service entries bridged to Kafka as proto3 JSON. */
            als: z.array(topicName).default([]),
            /** prometheus-kafka-adapter samples (istio_*, container_* series). */
            prometheus: z.array(topicName).default([]),
          })
          .strict()
          .prefault({}),
        groups: z
          .object({
            ingest: z.string().min(1).default('meshwatch-ingest'),
            detect: z.string().min(1).default('meshwatch-detect'),
            /** Sink workers' groups: `<sinks>-<name>` (meshwatch-sink-pagerduty), replays `<sinks>-<name>-replay`. */
            sinks: z.string().min(1).default('meshwatch-sink'),
          })
          .strict()
          .prefault({}),
        /** Partitions for topics meshwatch creates itself (windows, alerts, dlq). */
        partitions: positiveInt.default(6),
        replicationFactor: positiveInt.default(1),
        fromBeginning: z.boolean().default(false),
        /** Largest produce request meshwatch sends (bytes); a topic's own max.message.bytes bounds it further. */
        maxRequestBytes: positiveInt.min(64 * 1024).default(1024 * 1024),
        /** Start-up bound: the brokers must answer within this, else exit non-zero (MW_KAFKA_UNAVAILABLE). */
        connectTimeoutMs: positiveInt.default(30_000),
        /** Running: the brokers may stay unreachable this long (retried with backoff) before the process exits non-zero. */
        maxOutageMs: positiveInt.default(120_000),
        /** TLS to the brokers (src/config/schema-connections.ts); SASL authentication (PLAIN, SCRAM). */
        ssl: KafkaSslSchema.optional(),
        sasl: KafkaSaslSchema.optional(),
      })
      .strict()
      .prefault({}),
    redis: RedisSchema,
    window: z
      .object({
        ms: positiveInt.default(10_000),
        allowedLatenessWindows: z.number().int().nonnegative().default(2),
        /** Processing-time timeout that closes open windows when no new data arrives. */
        idleCloseMs: positiveInt.default(30_000),
        /**
         * Unset (the default): a source (a raw topic partition) holds windows open however far behind
         * the newest it is, so nothing it sends is late. Set: one this many windows behind stops holding
         * them, and its data for the windows that closed meanwhile is dropped (counted, `data_loss` alert).
         */
        maxSourceLagWindows: positiveInt.optional(),
        /** A caught-up source whose event time has not advanced for this long stops holding windows open (processing time). */
        sourceIdleMs: positiveInt.default(5000),
        /**
         * A caught-up source ingest has not reported for this long stops holding windows open
         * (processing time). One that had a backlog at its last report holds them however long it
         * is silent: its ingest instance is gone, and the partition's next owner sends that data.
         */
        sourceSilenceMs: positiveInt.default(30_000),
      })
      .strict()
      .prefault({}),
    ingest: z
      .object({
        /** Bytes of one message (UTF-8), checked before it is converted or parsed. */
        maxMessageBytes: positiveInt.default(1024 * 1024),
        /** Deepest JSON nesting of a message or an embedded log line (MW_DECODE_TOO_DEEP beyond). */
        maxJsonDepth: positiveInt.max(1000).default(32),
        /** Most members of one JSON object or array (MW_DECODE_TOO_WIDE beyond). */
        maxJsonWidth: positiveInt.default(10_000),
        /** Event-time plausibility (MW_EVENT_TIME_SKEW): records outside go to the DLQ and never move the clock. */
        eventTime: z
          .object({
            /** Furthest ahead of processing time an event may be (host clock skew). */
            maxFutureMs: positiveInt.default(15 * 60_000),
            /** Furthest behind processing time; Kafka's default retention. Raise it for a backfill. */
            maxAgeMs: positiveInt.default(7 * 86_400_000),
            /** Furthest a record may be from its source partition's recent event time; keep it above the sampling interval. */
            maxJumpMs: positiveInt.default(3_600_000),
            /** Consecutive records that agree with each other and not with the reference re-anchor it (a real gap). */
            reanchorRecords: positiveInt.default(16),
          })
          .strict()
          .prefault({}),
        flushIntervalMs: positiveInt.default(1000),
        /**
         * Input alignment: a raw source partition runs at most this many windows of event time
         * ahead of the slowest other one this instance reads that has a backlog; further ahead it
         * is paused. Bounds stage 2's open windows during a catch-up.
         */
        alignWindows: positiveInt.default(30),
        /** dlq: bad records go to the dead-letter topic and the stream goes on; fail: stop. */
        onDecodeError: z.enum(['dlq', 'fail']).default('dlq'),
        /**
         * Per raw topic: its decoder (`auto` recognises each record) and, for text access logs, the
         * Envoy format strings tried in order (default: Istio's, then Envoy's). A topic named here is
         * read even when no `kafka.topics` list names it.
         */
        formats: z
          .record(
            topicName,
            z
              .object({
                decoder: z.enum(['auto', ...DECODER_NAMES]).default('auto'),
                textFormats: z.array(textFormat).min(1).max(8).optional(),
              })
              .strict(),
          )
          .default({}),
        /** Prometheus series whose last point one ingest worker keeps (counters -> increases); least recently seen go first. */
        maxSeries: positiveInt.default(100_000),
      })
      .strict()
      .prefault({}),
    detection: DetectionSchema,
    bounds: z
      .object({
        /**
         * Services one detect process holds (all its partitions together); past it new services are
         * refused (counted, a `cardinality` alert), never given state nor written to Redis. Services
         * whose state is in Redis are always served. Measured (bench/heap-per-service.ts): ~114 KiB of
         * heap per held service with 15 days of baselines and 3 open windows, so the default 2,000 hold
         * ~225 MiB; with maxOpenPartials' ~130 MiB the process stays under 512 MiB of heap. Raise
         * both with the heap (node --max-old-space-size), or spread services over more detect processes.
         */
        maxServices: positiveInt.default(2000),
        /** New services admitted per minute of event time, after the burst: a spray cannot fill the cap in seconds. */
        newServicesPerMinute: positiveInt.default(1000),
        /** New services admitted at once (a cold start on a mesh of that many services). */
        newServicesBurst: positiveInt.default(5000),
        /** The `cardinality` alert updates at most this often and resolves after this long without refusals (event time). */
        cardinalityIntervalMs: positiveInt.default(60_000),
        maxEdgesPerService: positiveInt.default(512),
        maxContainersPerService: positiveInt.default(256),
        maxMetricsPerService: positiveInt.default(64),
        maxPeersPerService: positiveInt.default(1024),
        maxPendingWindows: positiveInt.default(90),
        /** Open (service, window) partials in stage 1 between flushes; ~2.6 KiB each when a spray fills them (50,000: ~130 MiB). */
        maxOpenPartials: positiveInt.default(50_000),
        counterIdleWindows: positiveInt.default(30),
      })
      .strict()
      .prefault({}),
    /** The HTTP server of `meshwatch run` and `meshwatch demo` (src/http): probes, /metrics, the read-only API and the page. */
    http: z
      .object({
        enabled: z.boolean().default(true),
        /** Loopback by default: the API shows service names and values; open it up deliberately. */
        host: z.string().min(1).default('127.0.0.1'),
        /** 0: a port the system chooses (tests; two instances on one host). */
        port: z.number().int().min(0).max(65_535).default(9464),
        /** Bearer token the API (not the probes, not /metrics) requires; never logged. */
        token: z.string().min(16, 'at least 16 characters').optional(),
        /** Recent windows per service a stage-2 process keeps in memory for the page and `/series` (0: none). */
        recentWindows: z.number().int().min(0).max(1440).default(60),
      })
      .strict()
      .prefault({}),
    /** Who a record belongs to: the cluster of each input topic, and stage 1's pod join (core/identity). */
    identity: z
      .object({
        /** Cluster name per input topic (topic → cluster), stamped on every service its records name. */
        clusters: z.record(topicName, clusterName).default({}),
        /** Cluster of input topics not in `clusters` (unset: no cluster). Shipper metadata (OTel `k8s.cluster.name`) wins. */
        cluster: clusterName.optional(),
        /** Longest a record of a pod not yet named by a labelled source waits for that name (ms); then its fallback name. */
        holdMs: positiveInt.default(90_000),
        /** Observations held at once per ingest process; past it the oldest pod's are released under their fallback name. */
        maxHeld: positiveInt.default(20_000),
        /** Pods one ingest process remembers (least recently used forgotten). */
        maxPods: positiveInt.default(100_000),
        /** A pod entry in the shared table expires this long after its last write (ms); live pods are re-written every ttl/2. */
        podTtlMs: positiveInt.min(60_000).default(3_600_000),
      })
      .strict()
      .prefault({}),
    sinks: SinksSchema,
    /** What every alert carries beyond detection (core/alert/links.ts). */
    alerts: z
      .object({
        /** The cluster name for alerts whose input named none. */
        cluster: z.string().min(1).max(253).optional(),
        /** Runbook and dashboard URL templates per namespace and/or service; the most specific wins. */
        links: z
          .array(
            z
              .object({
                namespace: z.string().min(1).optional(),
                service: z.string().min(1).optional(),
                runbook: urlTemplate.optional(),
                dashboard: urlTemplate.optional(),
              })
              .strict()
              .refine((r) => r.runbook !== undefined || r.dashboard !== undefined, {
                message: 'give runbook or dashboard',
                path: ['runbook'],
              }),
          )
          .max(1000)
          .default([]),
      })
      .strict()
      .prefault({}),
    /** Declared resource profiles (src/profiles, src/stores/redis/profiles.ts) and how detection enforces them. */
    profiles: z
      .object({
        /** Directory of profile files (*.yaml, *.yml, *.json), watched; each good load replaces the directory's set in Redis. */
        dir: z.string().min(1).optional(),
        /** A reload starts this long after the last change in the directory. */
        reloadDebounceMs: positiveInt.default(500),
        /** Detect processes read the set in force from Redis this often (one GET when nothing changed). */
        refreshMs: positiveInt.default(5000),
        /** Largest profile file read (bytes); a larger one fails its load. */
        maxFileBytes: positiveInt.default(1024 * 1024),
        /** limit_breach: a container's working set at this share of its declared memory limit. */
        memoryLimitRatio: z.number().gt(0).max(1).default(0.9),
        /** limit_breach: throttled in this share of CFS periods under a declared CPU limit. */
        cpuThrottledRatio: z.number().gt(0).max(1).default(0.25),
        /** profile_drift: the declared amount at least this many times the learned per-pod usage. */
        overProvisionedRatio: z.number().gt(1).default(4),
        /** profile_drift: the learned per-pod usage above the declared request times this. */
        underProvisionedRatio: z.number().positive().default(1),
        /** profile_drift: how long a profile must stay off (event time). */
        driftPeriodMs: positiveInt.default(24 * 3600_000),
      })
      .strict()
      .prefault({}),
    /** Learned resource profiles (src/core/profile/learn.ts): what each service's profile may hold. */
    learnedProfiles: z
      .object({
        /** Container names per service; more are refused and counted. */
        maxContainers: positiveInt.max(64).default(16),
        /** Instances (pods) remembered per container name; the one seen longest ago is forgotten first. */
        maxInstancesPerContainer: positiveInt.max(1024).default(64),
        /** Edges per service in the peer graph; the least recently seen is evicted. */
        maxPeers: positiveInt.max(4096).default(256),
      })
      .strict()
      .prefault({}),
    /** Incidents (src/core/incident): a service's metrics that break together are one incident; the storm guard. */
    incidents: z
      .object({
        storm: z
          .object({
            enabled: z.boolean().default(true),
            /** Share of the services seen within windowMs whose incidents must open within it (0 < share ≤ 1) … */
            share: z.number().gt(0).max(1).default(0.5),
            /** … and at least this many, for one storm incident instead of a page per service. */
            minServices: positiveInt.default(10),
            /** Span in which those incidents open (ms, event time). */
            windowMs: positiveInt.default(30_000),
            /**
             * Longest hold (ms, processing time) of a service incident opened while other partitions
             * have not closed its window yet (they may tip a storm); 0 (default): publish at once.
             */
            holdMs: z.number().int().min(0).default(0),
          })
          .strict()
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((c) => c.role !== 'sink-alertmanager' || c.sinks.alertmanager.enabled, {
    message: "role 'sink-alertmanager' needs sinks.alertmanager.enabled",
    path: ['role'],
  })
  .refine((c) => c.role !== 'sink-webhook' || c.sinks.webhook.enabled, {
    message: "role 'sink-webhook' needs sinks.webhook.enabled",
    path: ['role'],
  })
  .refine((c) => c.role !== 'sink-pagerduty' || c.sinks.pagerduty.enabled, {
    message: "role 'sink-pagerduty' needs sinks.pagerduty.enabled",
    path: ['role'],
  })
  .refine((c) => c.role !== 'sink-siem' || c.sinks.ocsf.enabled || c.sinks.ecs.enabled || c.sinks.cef.enabled, {
    message: "role 'sink-siem' needs sinks.ocsf, sinks.ecs or sinks.cef enabled",
    path: ['role'],
  })
  .refine((c) => c.role !== 'sink-splunk' || c.sinks.splunk.enabled, {
    message: "role 'sink-splunk' needs sinks.splunk.enabled",
    path: ['role'],
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
