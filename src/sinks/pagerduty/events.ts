/**
 * Alert → PagerDuty Events API v2 event (integrations.md §1.1). Pure: no I/O, no clock.
 *
 * - `event_action`: `trigger` for a firing alert, `resolve` for a resolved one.
 * - `dedup_key`: the alert id (`mw-` + 16 hex, far below PagerDuty's 255), so an episode's
 *   trigger and resolve address one PagerDuty alert and a re-delivered event is deduplicated.
 * - `payload`: summary (≤ 1024 characters, truncated with `…`), source (the service key,
 *   `[cluster:]namespace/name`), severity (meshwatch uses PagerDuty's enum), timestamp (the
 *   end of the alert's window), component (service name), group (namespace), class
 *   (`kind/metric`), and custom_details carrying every other field of the alert (observed,
 *   expected, score, window, details …) so the event says all the alert says. The resolve
 *   repeats the payload (PagerDuty ignores it; a reader of the event log sees it whole).
 * - The routing key travels only in the body; callers never log the event.
 */
import { type Alert } from '../../core/alert/schema.js';
import { type Incident } from '../../core/incident/schema.js';
import { serviceKey } from '../../core/model.js';

export const DEFAULT_PAGERDUTY_URL = 'https://events.pagerduty.com/v2/enqueue';
/** PagerDuty's limits (integrations.md §1.1). */
export const MAX_SUMMARY_CHARS = 1024;
export const MAX_DEDUP_KEY_CHARS = 255;
export const MAX_EVENT_BYTES = 512 * 1024;

export interface PagerDutyEvent {
  routing_key: string;
  event_action: 'trigger' | 'resolve';
  dedup_key: string;
  payload: {
    summary: string;
    source: string;
    severity: Alert['severity'];
    timestamp: string;
    component: string;
    group: string;
    class: string;
    custom_details: CustomDetails | IncidentDetails;
  };
  client: 'meshwatch';
  links?: EventLink[];
}

export interface EventLink {
  href: string;
  text: string;
}

/** The alert's fields that have no place of their own in the payload. */
export interface CustomDetails {
  schema: Alert['schema'];
  alert_id: string;
  status: Alert['status'];
  kind: Alert['kind'];
  metric: string;
  observed: number;
  expected: Alert['expected'];
  score: number;
  window: Alert['window'];
  starts_at: string;
  ends_at: string | null;
  details: Alert['details'];
  cluster?: string;
  peer?: NonNullable<Alert['peer']>;
  /** One line: the observed value against the expected value and band. */
  observed_vs_expected?: string;
  links?: EventLink[];
}

const num = (x: number): string => String(Number(x.toPrecision(6)));

/** `observed 6 vs expected 1 (band 0.8..1.2)`, or `observed 6 (no band)`. */
export function observedVsExpected(alert: Alert): string {
  const e = alert.expected;
  return e
    ? `observed ${num(alert.observed)} vs expected ${num(e.value)} (band ${num(e.lower)}..${num(e.upper)})`
    : `observed ${num(alert.observed)} (no band)`;
}

/** Cuts a text to `max` characters (code points, never a broken surrogate pair), ending in `…` when cut. */
export function truncateChars(text: string, max: number): string {
  const chars = [...text];
  return chars.length <= max ? text : chars.slice(0, max - 1).join('') + '…';
}

export function eventOf(alert: Alert, routingKey: string, links: readonly EventLink[] = []): PagerDutyEvent {
  const details: CustomDetails = {
    schema: alert.schema,
    alert_id: alert.id,
    status: alert.status,
    kind: alert.kind,
    metric: alert.metric,
    observed: alert.observed,
    expected: alert.expected,
    score: alert.score,
    window: alert.window,
    starts_at: alert.startsAt,
    ends_at: alert.endsAt,
    details: alert.details,
    ...(alert.service.cluster !== undefined ? { cluster: alert.service.cluster } : {}),
    ...(alert.peer ? { peer: alert.peer } : {}),
    observed_vs_expected: observedVsExpected(alert),
    ...(links.length > 0 ? { links: [...links] } : {}),
  };
  return {
    routing_key: routingKey,
    event_action: alert.status === 'firing' ? 'trigger' : 'resolve',
    dedup_key: alert.id,
    payload: {
      summary: truncateChars(alert.summary, MAX_SUMMARY_CHARS),
      source: serviceKey(alert.service),
      severity: alert.severity,
      timestamp: alert.window.end,
      component: alert.service.name,
      group: alert.service.namespace,
      class: `${alert.kind}/${alert.metric}`,
      custom_details: details,
    },
    client: 'meshwatch',
    ...(links.length > 0 ? { links: [...links] } : {}),
  };
}

/** The alert an event was made from (for readers of PagerDuty's event log and for tests). */
export function alertOfEvent(e: Pick<PagerDutyEvent, 'payload'>): Alert {
  const d = e.payload.custom_details as CustomDetails;
  return {
    schema: d.schema,
    id: d.alert_id,
    status: d.status,
    kind: d.kind,
    severity: e.payload.severity,
    service: {
      namespace: e.payload.group,
      name: e.payload.component,
      ...(d.cluster !== undefined ? { cluster: d.cluster } : {}),
    },
    metric: d.metric,
    observed: d.observed,
    expected: d.expected,
    score: d.score,
    window: d.window,
    startsAt: d.starts_at,
    endsAt: d.ends_at,
    summary: e.payload.summary,
    details: d.details,
    ...(d.peer ? { peer: d.peer } : {}),
  };
}

/** An incident's fields that have no place of their own in the payload. */
export interface IncidentDetails {
  schema: Incident['schema'];
  incident_id: string;
  revision: number;
  scope: Incident['scope'];
  status: Incident['status'];
  change: Incident['change'];
  starts_at: string;
  ends_at: string | null;
  window: Incident['window'];
  metrics: Incident['metrics'];
  metrics_omitted: number;
  services: Incident['services'];
  services_omitted: number;
  services_seen: number;
  cluster?: string;
}

/** Storm incidents' PagerDuty source, component and group: they are about the mesh, not one service. */
export const STORM_SOURCE = 'mesh';

/**
 * Incident → event: `dedup_key` = incident id, so the metrics of one service are one PagerDuty
 * alert that each change updates (`trigger` while firing) and the last resolves; a storm is one
 * alert for the whole mesh. A service incident that is part of a storm is paged through the storm:
 * null (nothing to send). custom_details carry every contributing metric (observed, expected, score).
 */
export function eventOfIncident(i: Incident, routingKey: string): PagerDutyEvent | null {
  if (i.storm !== null) return null;
  const details: IncidentDetails = {
    schema: i.schema,
    incident_id: i.id,
    revision: i.revision,
    scope: i.scope,
    status: i.status,
    change: i.change,
    starts_at: i.startsAt,
    ends_at: i.endsAt,
    window: i.window,
    metrics: i.metrics,
    metrics_omitted: i.metricsOmitted,
    services: i.services,
    services_omitted: i.servicesOmitted,
    services_seen: i.servicesSeen,
    ...(i.service?.cluster !== undefined ? { cluster: i.service.cluster } : {}),
  };
  return {
    routing_key: routingKey,
    event_action: i.status === 'firing' ? 'trigger' : 'resolve',
    dedup_key: i.id,
    payload: {
      summary: truncateChars(i.summary, MAX_SUMMARY_CHARS),
      source: i.service ? serviceKey(i.service) : STORM_SOURCE,
      severity: i.severity,
      timestamp: i.window.end,
      component: i.service ? i.service.name : STORM_SOURCE,
      group: i.service ? i.service.namespace : STORM_SOURCE,
      class: `incident/${i.scope}`,
      custom_details: details,
    },
    client: 'meshwatch',
  };
}
