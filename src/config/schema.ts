/**
 * The configuration, as one zod schema: defaults live here, every field is validated once
 * at start-up and the result is frozen. A bad value fails fast naming its field path.
 */
import { z } from 'zod';
import { DEFAULT_DETECTION, DEFAULT_METRIC_POLICIES } from '../core/params.js';

const positiveInt = z.number().int().positive();
const topicName = z.string().regex(/^[a-zA-Z0-9._-]{1,249}$/, 'a Kafka topic name ([a-zA-Z0-9._-], at most 249)');

const metricPolicy = z
  .object({
    direction: z.enum(['up', 'down', 'both']),
    absFloor: z.number().nonnegative(),
    relFloor: z.number().nonnegative(),
    drift: z.number().nonnegative().optional(),
    scale: z.enum(['linear', 'log']).optional(),
  })
  .strict()
  .refine((m) => m.scale !== 'log' || m.absFloor > 0, {
    message: "scale 'log' needs absFloor > 0 (the resolution that keeps a 0 finite on the log scale)",
    path: ['absFloor'],
  });

const d = DEFAULT_DETECTION;

export const ConfigSchema = z
  .object({
    /** `sink-pagerduty`: only the PagerDuty sink worker; `all` also runs it when sinks.pagerduty.enabled. */
    role: z.enum(['all', 'ingest', 'detect', 'sink-pagerduty']).default('all'),
    /** debug: client libraries' own log lines and stack traces of unexpected errors go to stderr. */
    logLevel: z.enum(['info', 'debug']).default('info'),
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
            dlq: topicName.default('meshwatch.dlq'),
          })
          .strict()
          .prefault({}),
        groups: z
          .object({
            ingest: z.string().min(1).default('meshwatch-ingest'),
            detect: z.string().min(1).default('meshwatch-detect'),
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
      })
      .strict()
      .prefault({}),
    redis: z
      .object({
        url: z
          .string()
          .regex(/^rediss?:\/\//, 'a redis:// or rediss:// URL')
          .default('redis://127.0.0.1:6379'),
        keyPrefix: z
          .string()
          .regex(/^[a-z0-9-]+$/)
          .default('mw'),
        /** Start-up bound: Redis must answer within this, else exit non-zero (MW_STORE_UNAVAILABLE). */
        connectTimeoutMs: positiveInt.default(30_000),
        /** Running: Redis may stay unreachable this long (reconnects with backoff) before the process exits non-zero. */
        maxOutageMs: positiveInt.default(120_000),
      })
      .strict()
      .prefault({}),
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
      })
      .strict()
      .prefault({}),
    detection: z
      .object({
        threshold: z.number().positive().default(d.threshold),
        strongThreshold: z.number().positive().default(d.strongThreshold),
        persistWindows: positiveInt.default(d.persistWindows),
        resolveWindows: positiveInt.default(d.resolveWindows),
        warmupWindows: z.number().int().nonnegative().default(d.warmupWindows),
        halfLifeWindows: z.number().positive().default(d.halfLifeWindows),
        levelShiftWindows: positiveInt.default(d.levelShiftWindows),
        slowHalfLifeWindows: z.number().positive().default(d.slowHalfLifeWindows),
        seasonality: z.enum(['auto', 'off']).default(d.seasonality),
        seasonMinDays: positiveInt.default(d.seasonMinDays),
        tailQuantile: z.number().gt(0.5).lt(1).default(d.tailQuantile),
        surpriseThreshold: z.number().nonnegative().default(d.surpriseThreshold),
        cooldownWindows: z.number().int().nonnegative().default(d.cooldownWindows),
        staleAfterWindows: positiveInt.default(d.staleAfterWindows),
        /** Per-metric policies; the ones given replace those metrics' defaults, the rest keep theirs. */
        metrics: z
          .record(z.string(), metricPolicy)
          .default({})
          .transform((m) => ({ ...structuredClone(DEFAULT_METRIC_POLICIES), ...m })),
        defaultPolicy: metricPolicy.default(() => ({ ...d.defaultPolicy })),
        /** Per-service sensitivity: service key (`[cluster:]namespace/name`, see serviceKey) → overrides. */
        services: z
          .record(
            z.string().regex(/^[^/\s]+\/[^/\s]+$/, 'a service key, [cluster:]namespace/name'),
            z
              .object({
                threshold: z.number().positive().optional(),
                strongThreshold: z.number().positive().optional(),
                persistWindows: positiveInt.optional(),
                resolveWindows: positiveInt.optional(),
                surpriseThreshold: z.number().nonnegative().optional(),
                metrics: z.record(z.string(), metricPolicy).optional(),
              })
              .strict(),
          )
          .default({}),
      })
      .strict()
      .refine((x) => x.strongThreshold >= x.threshold, { message: 'strongThreshold must be ≥ threshold', path: ['strongThreshold'] })
      .prefault({}),
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
    sinks: z
      .object({
        /** PagerDuty Events API v2 (src/sinks/pagerduty): consumer group `meshwatch-sink-pagerduty` on the alerts topic. */
        pagerduty: z
          .object({
            enabled: z.boolean().default(false),
            url: z
              .string()
              .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http:// or https:// URL')
              .default('https://events.pagerduty.com/v2/enqueue'),
            /** The Events API v2 integration key (or MESHWATCH_PAGERDUTY_ROUTING_KEY); never logged. */
            routingKey: z
              .string()
              .regex(/^[A-Za-z0-9]{32}$/, 'a PagerDuty integration key: 32 letters and digits')
              .optional(),
            /** A file holding the routing key (a mounted secret), read at start-up. */
            routingKeyFile: z.string().min(1).optional(),
            /** One request's bound (fetch with AbortSignal.timeout); no answer within it is retried. */
            timeoutMs: positiveInt.default(10_000),
            /** Backoff of a retriable failure (429, 5xx, network): doubles from this, with jitter … */
            retryInitialMs: positiveInt.default(1000),
            /** … up to this (PagerDuty asks for minutes after a 429). */
            retryMaxMs: positiveInt.default(120_000),
          })
          .strict()
          .refine((p) => !(p.routingKey !== undefined && p.routingKeyFile !== undefined), {
            message: 'give routingKey or routingKeyFile, not both',
            path: ['routingKeyFile'],
          })
          .refine((p) => !p.enabled || p.routingKey !== undefined || p.routingKeyFile !== undefined, {
            message: 'an enabled PagerDuty sink needs routingKey, routingKeyFile or MESHWATCH_PAGERDUTY_ROUTING_KEY',
            path: ['routingKey'],
          })
          .refine((p) => p.retryMaxMs >= p.retryInitialMs, { message: 'retryMaxMs must be ≥ retryInitialMs', path: ['retryMaxMs'] })
          .prefault({}),
      })
      .strict()
      .prefault({}),
  })
  .strict()
  .refine((c) => c.role !== 'sink-pagerduty' || c.sinks.pagerduty.enabled, {
    message: "role 'sink-pagerduty' needs sinks.pagerduty.enabled",
    path: ['role'],
  });

export type Config = z.infer<typeof ConfigSchema>;
export type ConfigInput = z.input<typeof ConfigSchema>;
