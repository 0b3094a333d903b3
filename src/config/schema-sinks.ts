/** The `sinks` subtree of the configuration: every delivery sink's settings (src/sinks, src/runtime/sinks.ts). */
import { z } from 'zod';
import { httpUrl, positiveInt, topicName } from './schema-common.js';

/**
 * What a sink worker reads: `incidents` (meshwatch.incidents: one document per change of a
 * service's or a storm's incident), per-metric `alerts` (meshwatch.alerts), or `both` (one
 * consumer group over the two topics).
 */
const sinkInput = (d: 'incidents' | 'alerts' | 'both') => z.enum(['incidents', 'alerts', 'both']).default(d);

/** A SIEM topic sink (sinks/kafka/formatted.ts): one consumer group, one output topic. */
const siemTopicSink = (defaultTopic: string) =>
  z
    .object({
      enabled: z.boolean().default(false),
      /** SIEM pipelines correlate the per-metric findings and track the incident as a case: both by default. */
      input: sinkInput('both'),
      topic: topicName.default(defaultTopic),
      retryInitialMs: positiveInt.default(1000),
      retryMaxMs: positiveInt.default(60_000),
    })
    .strict()
    .refine((p) => p.retryMaxMs >= p.retryInitialMs, { message: 'retryMaxMs must be ≥ retryInitialMs', path: ['retryMaxMs'] })
    .prefault({});

const routingKey = z.string().regex(/^[A-Za-z0-9]{32}$/, 'a PagerDuty integration key: 32 letters and digits');

/** A PagerDuty routing rule: the alerts it matches (every given field must match) and where their key comes from. */
const pagerDutyRoute = z
  .object({
    namespace: z.string().min(1).optional(),
    service: z.string().min(1).optional(),
    severity: z
      .array(z.enum(['critical', 'error', 'warning', 'info']))
      .min(1)
      .optional(),
    routingKey: routingKey.optional(),
    routingKeyFile: z.string().min(1).optional(),
    /** The name of an environment variable holding the key (read by the config loader). */
    routingKeyEnv: z
      .string()
      .regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'an environment variable name')
      .optional(),
  })
  .strict()
  .refine((r) => [r.routingKey, r.routingKeyFile].filter((x) => x !== undefined).length === 1, {
    message: 'give one of routingKey, routingKeyFile, routingKeyEnv',
    path: ['routingKey'],
  });

const linkTemplate = z.object({ text: z.string().min(1).max(200), url: httpUrl }).strict();

export const SinksSchema = z
  .object({
    /** PagerDuty Events API v2 (src/sinks/pagerduty): consumer group `meshwatch-sink-pagerduty` on the alerts topic. */
    pagerduty: z
      .object({
        enabled: z.boolean().default(false),
        /** What it pages from: incidents (meshwatch.incidents; dedup_key = incident id) or per-metric alerts (meshwatch.alerts). */
        input: z.enum(['incidents', 'alerts']).default('incidents'),
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
        /** Routing rules, first match wins; an alert no rule matches goes to routingKey / routingKeyFile. */
        routes: z.array(pagerDutyRoute).max(100).default([]),
        /** Links on every event (`links[]` and custom_details.links): URL templates over the alert (src/sinks/template.ts). */
        links: z.array(linkTemplate).max(10).default([]),
      })
      .strict()
      .refine((p) => !(p.routingKey !== undefined && p.routingKeyFile !== undefined), {
        message: 'give routingKey or routingKeyFile, not both',
        path: ['routingKeyFile'],
      })
      .refine((p) => !p.enabled || p.routingKey !== undefined || p.routingKeyFile !== undefined || p.routes.length > 0, {
        message: 'an enabled PagerDuty sink needs routingKey, routingKeyFile or MESHWATCH_PAGERDUTY_ROUTING_KEY',
        path: ['routingKey'],
      })
      .refine((p) => p.retryMaxMs >= p.retryInitialMs, { message: 'retryMaxMs must be ≥ retryInitialMs', path: ['retryMaxMs'] })
      .prefault({}),
    /** SIEM formats, each written by its own sink worker to its own topic (src/core/siem). */
    ocsf: siemTopicSink('meshwatch.alerts.ocsf'),
    ecs: siemTopicSink('meshwatch.alerts.ecs'),
    cef: siemTopicSink('meshwatch.alerts.cef'),
    /** Splunk HTTP Event Collector (src/sinks/splunk): consumer group `meshwatch-sink-splunk`. */
    splunk: z
      .object({
        enabled: z.boolean().default(false),
        /** Per-metric alerts and incidents by default (the SIEM case: see README "SIEM formats and Splunk"). */
        input: sinkInput('both'),
        /** The collector's base URL, e.g. https://splunk.example.com:8088 (events go to /services/collector/event). */
        url: z
          .string()
          .regex(/^https?:\/\/[^\s/]+(\/\S*)?$/, 'an http:// or https:// URL')
          .optional(),
        /** The HEC token (or MESHWATCH_SPLUNK_TOKEN); never logged. */
        token: z
          .string()
          .regex(/^[A-Za-z0-9-]{1,128}$/, 'a HEC token (letters, digits, dashes)')
          .optional(),
        /** A file holding the token (a mounted secret), read at start-up. */
        tokenFile: z.string().min(1).optional(),
        index: z.string().min(1).max(80).optional(),
        sourcetype: z.string().min(1).max(256).default('meshwatch:alert'),
        /** The sourcetype of incident events. */
        incidentSourcetype: z.string().min(1).max(256).default('meshwatch:incident'),
        source: z.string().min(1).max(256).default('meshwatch'),
        /** The event body: the meshwatch document (alert or incident), or its OCSF or ECS rendering. */
        format: z.enum(['alert', 'ocsf', 'ecs']).default('alert'),
        /** Indexer acknowledgement: wait until Splunk says the events are indexed before committing. */
        ack: z.boolean().default(false),
        /** How long to poll /services/collector/ack before sending the events again. */
        ackTimeoutMs: positiveInt.default(60_000),
        ackPollMs: positiveInt.default(1000),
        timeoutMs: positiveInt.default(10_000),
        retryInitialMs: positiveInt.default(1000),
        retryMaxMs: positiveInt.default(60_000),
      })
      .strict()
      .refine((p) => !(p.token !== undefined && p.tokenFile !== undefined), {
        message: 'give token or tokenFile, not both',
        path: ['tokenFile'],
      })
      .refine((p) => !p.enabled || p.url !== undefined, { message: 'an enabled Splunk sink needs url', path: ['url'] })
      .refine((p) => !p.enabled || p.token !== undefined || p.tokenFile !== undefined, {
        message: 'an enabled Splunk sink needs token, tokenFile or MESHWATCH_SPLUNK_TOKEN',
        path: ['token'],
      })
      .refine((p) => p.retryMaxMs >= p.retryInitialMs, { message: 'retryMaxMs must be ≥ retryInitialMs', path: ['retryMaxMs'] })
      .prefault({}),
    /** Alertmanager API v2 (src/sinks/alertmanager): group `meshwatch-sink-alertmanager`; active alerts kept in Redis. */
    alertmanager: z
      .object({
        enabled: z.boolean().default(false),
        /** Incidents (one Alertmanager alert per service incident or storm) or per-metric alerts. */
        input: z.enum(['incidents', 'alerts']).default('incidents'),
        /** Every Alertmanager of the HA cluster (base URLs; /api/v2/alerts is appended): each gets every alert. */
        urls: z.array(httpUrl).min(1).max(16).default(['http://127.0.0.1:9093']),
        timeoutMs: positiveInt.default(10_000),
        /** Firing alerts are re-sent this often, valid for 4 × this (Prometheus: 1 min). */
        resendIntervalMs: positiveInt.min(100).default(60_000),
        /** Resolved alerts are re-sent this long after they resolved (Prometheus: 15 min). */
        resolvedRetentionMs: positiveInt.default(15 * 60_000),
        /** Label sets kept for resending (firing + recently resolved); past it a new one is sent once and counted. */
        maxActive: positiveInt.max(1_000_000).default(10_000),
        /** `generatorURL` of every alert: a URL template over the alert. */
        generatorUrl: httpUrl.optional(),
        /** The `runbook` annotation when the alert carries no details.runbook_url: a URL template over the alert. */
        runbookUrl: httpUrl.optional(),
        retryInitialMs: positiveInt.default(1000),
        retryMaxMs: positiveInt.default(60_000),
      })
      .strict()
      .refine((p) => p.retryMaxMs >= p.retryInitialMs, { message: 'retryMaxMs must be ≥ retryInitialMs', path: ['retryMaxMs'] })
      .prefault({}),
    /** A generic JSON webhook (src/sinks/webhook): group `meshwatch-sink-webhook`; optional HMAC-SHA256 signature. */
    webhook: z
      .object({
        enabled: z.boolean().default(false),
        /** Incident documents (a storm's members folded into the storm) or per-metric alerts. */
        input: z.enum(['incidents', 'alerts']).default('incidents'),
        url: httpUrl.optional(),
        /** HMAC-SHA256 secret (or MESHWATCH_WEBHOOK_SECRET); never logged. */
        secret: z.string().min(16, 'at least 16 characters').max(1024).optional(),
        /** A file holding the secret instead (a mounted secret), read at start-up. */
        secretFile: z.string().min(1).optional(),
        timeoutMs: positiveInt.default(10_000),
        maxBodyBytes: positiveInt.default(1024 * 1024),
        retryInitialMs: positiveInt.default(1000),
        retryMaxMs: positiveInt.default(60_000),
      })
      .strict()
      .refine((w) => !w.enabled || w.url !== undefined, { message: 'an enabled webhook sink needs url', path: ['url'] })
      .refine((w) => !(w.secret !== undefined && w.secretFile !== undefined), {
        message: 'give secret or secretFile, not both',
        path: ['secretFile'],
      })
      .refine((p) => p.retryMaxMs >= p.retryInitialMs, { message: 'retryMaxMs must be ≥ retryInitialMs', path: ['retryMaxMs'] })
      .prefault({}),
  })
  .strict()
  .prefault({});
