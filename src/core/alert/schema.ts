/**
 * The alert document published on `meshwatch.alerts`: one per state change of an episode.
 * This zod schema is the source of truth; schemas/alert.schema.json is generated from it
 * (npm run schemas) and a test fails when the two differ. Additive changes keep v1;
 * anything else is a new `schema` value.
 */
import { z } from 'zod';
import { ALERT_UNITS } from './units.js';

export const ALERT_SCHEMA_ID = 'meshwatch.alert/v1';

export const ALERT_KINDS = ['spike', 'drop', 'leak', 'new_peer', 'limit_breach', 'profile_drift', 'cardinality', 'data_loss'] as const;
export const SEVERITIES = ['critical', 'error', 'warning', 'info'] as const;

const isoTime = z.iso.datetime({ offset: true }).describe('RFC 3339 time (UTC, milliseconds)');

const serviceRef = z
  .object({
    namespace: z.string().min(1),
    name: z.string().min(1),
    cluster: z.string().min(1).optional(),
  })
  .strict();

export const AlertSchema = z
  .object({
    schema: z.literal(ALERT_SCHEMA_ID),
    id: z
      .string()
      .regex(/^mw-[0-9a-f]{16}$/)
      .describe('Deterministic per episode (service, kind, metric or peer, episode start): a replay re-emits the same id.'),
    status: z.enum(['firing', 'resolved']),
    kind: z.enum(ALERT_KINDS),
    severity: z.enum(SEVERITIES).describe("PagerDuty's severity enum."),
    service: serviceRef,
    metric: z.string().min(1).describe('Window metric name (e.g. cpu_cores), or "edge" for peer alerts.'),
    observed: z.number().describe('Value of the metric in the triggering (or, when resolved, the last) window.'),
    expected: z
      .object({ value: z.number(), lower: z.number(), upper: z.number() })
      .strict()
      .nullable()
      .describe('The baseline band the value was judged against; null where no band applies (new_peer).'),
    score: z.number().min(0).max(1).describe('Anomaly strength in [0, 1]; 0.5 at the detection threshold.'),
    window: z
      .object({ start: isoTime, end: isoTime })
      .strict()
      .describe('The window whose data triggered this state change; never earlier than that data.'),
    startsAt: isoTime.describe('Start of the episode (first anomalous window).'),
    endsAt: isoTime.nullable().describe('End of the episode; null while firing.'),
    summary: z.string().min(1).max(1024),
    details: z.record(z.string(), z.union([z.string(), z.number(), z.boolean(), z.null()])),
    peer: serviceRef.optional().describe('The other side of the edge, for new_peer alerts.'),
    unit: z
      .enum(ALERT_UNITS)
      .optional()
      .describe(
        'Unit of observed and expected (ratio: 0..1, ms, 1/s, bytes, bytes/s, cores, count); absent for metrics meshwatch does not derive.',
      ),
    links: z
      .object({
        runbook: z.url().max(2048).optional(),
        dashboard: z.url().max(2048).optional(),
      })
      .strict()
      .optional()
      .describe("Where to look and what to do: the configured templates (alerts.links) filled in for this alert's service."),
  })
  .strict();

export type Alert = z.infer<typeof AlertSchema>;
export type AlertKind = (typeof ALERT_KINDS)[number];
export type Severity = (typeof SEVERITIES)[number];
