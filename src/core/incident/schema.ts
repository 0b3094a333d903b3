/**
 * The incident document published on `meshwatch.incidents`: one per change of an incident.
 * What people are paged for: the metrics of one service that break together are ONE incident
 * (scope `service`), and a mesh-wide event where a large share of services fire at once is ONE
 * storm incident listing them (scope `storm`). Per-metric alerts (`meshwatch.alert/v1` on
 * `meshwatch.alerts`) stay the detection record; every alert of a service incident is one of
 * its `metrics`.
 *
 * Sinks key on `id` (PagerDuty's dedup_key, Alertmanager's identity, OCSF finding_info.uid) and
 * use `(id, revision)` as the idempotency key of one change. This zod schema is the source of
 * truth; schemas/incident.schema.json is generated from it (npm run schemas). Additive changes
 * keep v1; anything else is a new `schema` value. Decision record: docs/adr/incidents.md.
 */
import { z } from 'zod';
import { ALERT_KINDS, SEVERITIES } from '../alert/schema.js';

export const INCIDENT_SCHEMA_ID = 'meshwatch.incident/v1';
/** Contributing metrics listed per incident; more are counted in `metricsOmitted`. */
export const MAX_INCIDENT_METRICS = 64;
/** Services listed per storm incident; more are counted in `servicesOmitted`. */
export const MAX_STORM_SERVICES = 500;

const isoTime = z.iso.datetime({ offset: true }).describe('RFC 3339 time (UTC, milliseconds)');
const mwId = z.string().regex(/^mw-[0-9a-f]{16}$/);

const serviceRef = z
  .object({
    namespace: z.string().min(1),
    name: z.string().min(1),
    cluster: z.string().min(1).optional(),
  })
  .strict();

export const ContributorSchema = z
  .object({
    alertId: mwId.describe('The per-metric alert (meshwatch.alert/v1 id) this metric fired as.'),
    kind: z.enum(ALERT_KINDS),
    metric: z.string().min(1).describe('Window metric name (e.g. latency_p99_ms), or "edge" for peer alerts.'),
    status: z.enum(['firing', 'resolved']).describe('firing while the metric is out of its band; resolved once it left the incident.'),
    severity: z.enum(SEVERITIES),
    observed: z.number().describe('Value that triggered it (when resolved: the value it recovered at).'),
    expected: z
      .object({ value: z.number(), lower: z.number(), upper: z.number() })
      .strict()
      .nullable()
      .describe('The baseline band it was judged against; null where no band applies (new_peer).'),
    score: z.number().min(0).max(1).describe('Anomaly strength in [0, 1]; 0.5 at the detection threshold.'),
    since: isoTime.describe("Start of the metric's episode."),
    until: isoTime.nullable().describe("End of the metric's episode; null while firing."),
    peer: serviceRef.optional().describe('The other side of the edge, for new_peer.'),
  })
  .strict();

export const StormMemberSchema = z
  .object({
    service: serviceRef,
    incidentId: mwId.describe("The service's own incident, folded into the storm."),
    since: isoTime.describe('Start of that service incident.'),
  })
  .strict();

export const IncidentSchema = z
  .object({
    schema: z.literal(INCIDENT_SCHEMA_ID),
    id: mwId.describe(
      'Deterministic per incident (service and opening window; storm: storm window): a replay re-emits the same id. PagerDuty dedup_key.',
    ),
    revision: z.number().int().min(1).describe('1 when opened, +1 per change; (id, revision) identifies one change.'),
    scope: z.enum(['service', 'storm']).describe('service: the metrics of one service; storm: many services at once.'),
    status: z.enum(['firing', 'resolved']),
    change: z
      .enum(['opened', 'updated', 'resolved'])
      .describe('What this document reports: opened, a metric or service joined or left, or resolved.'),
    severity: z.enum(SEVERITIES).describe("The highest severity among its firing metrics (PagerDuty's enum)."),
    service: serviceRef.nullable().describe('The service (scope service); null for a storm.'),
    summary: z.string().min(1).max(1024).describe('One line a human can act on.'),
    startsAt: isoTime.describe('Start of the incident (start of the window it opened in).'),
    endsAt: isoTime.nullable().describe('End of the incident; null while firing.'),
    window: z.object({ start: isoTime, end: isoTime }).strict().describe('The window whose close made this change.'),
    metrics: z
      .array(ContributorSchema)
      .max(MAX_INCIDENT_METRICS)
      .describe('Every metric that contributed (firing and recovered), in the order they joined. Empty for a storm.'),
    metricsOmitted: z.number().int().min(0).describe('Contributing metrics beyond the listed ones.'),
    storm: mwId
      .nullable()
      .describe('Scope service: the storm incident this one is part of (paging sinks page the storm instead); null when none.'),
    services: z.array(StormMemberSchema).max(MAX_STORM_SERVICES).describe('Scope storm: the services firing in it. Empty for a service.'),
    servicesOmitted: z.number().int().min(0).describe('Storm services beyond the listed ones.'),
    servicesSeen: z
      .number()
      .int()
      .min(0)
      .describe(
        'Scope storm: services that closed a window within the storm window when it was judged (the share is against them); 0 for a service.',
      ),
  })
  .strict();

export type Incident = z.infer<typeof IncidentSchema>;
export type Contributor = z.infer<typeof ContributorSchema>;
export type StormMember = z.infer<typeof StormMemberSchema>;
