/**
 * A service's incident: the metrics of one service that break together, as one thing to page.
 * Pure, O(open episodes + this window's alerts) per window.
 *
 * Claim: a service's incident is open exactly while the service has an open episode (any kind,
 * any metric or peer). It opens in the window the first episode fires, lists each episode's
 * alert as it fires (a metric joins), marks it resolved when its episode resolves (a metric
 * leaves), and resolves in the window the last open episode resolves. Each change is one
 * document (`opened`, `updated`, `resolved`) with the next revision. The id is deterministic
 * (service, opening window), so a re-read of the same windows re-emits the same documents.
 */
import { type Alert, type Severity } from '../alert/schema.js';
import { fnv1a64 } from '../alert/id.js';
import { type ServiceId, serviceKey } from '../model.js';
import { type Contributor, INCIDENT_SCHEMA_ID, type Incident, MAX_INCIDENT_METRICS } from './schema.js';

/** Kept in the service's state between windows. */
export interface IncidentState {
  id: string;
  /** Start of the window it opened in (ms). */
  startsAt: number;
  revision: number;
  /** Contributing metrics in the order they joined (at most MAX_INCIDENT_METRICS). */
  metrics: Contributor[];
  metricsOmitted: number;
}

export const incidentId = (svc: string, startsAtMs: number): string => `mw-${fnv1a64(`${svc}\u0000incident\u0000${startsAtMs}`)}`;

const SEVERITY_RANK: Record<Severity, number> = { info: 0, warning: 1, error: 2, critical: 3 };

export const maxSeverity = (xs: readonly Severity[]): Severity =>
  xs.reduce<Severity>((a, b) => (SEVERITY_RANK[b] > SEVERITY_RANK[a] ? b : a), 'info');

/** An alert as one of its incident's contributing metrics. */
export const contributorOf = (a: Alert): Contributor => ({
  alertId: a.id,
  kind: a.kind,
  metric: a.metric,
  status: a.status,
  severity: a.severity,
  observed: a.observed,
  expected: a.expected,
  score: a.score,
  since: a.startsAt,
  until: a.endsAt,
  ...(a.peer ? { peer: a.peer } : {}),
});

const fmt = (x: number): string => {
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(3);
  return Number(x.toPrecision(4)).toString();
};

function summaryOf(svc: string, status: Incident['status'], metrics: readonly Contributor[], omitted: number): string {
  const firing = metrics.filter((m) => m.status === 'firing');
  if (status === 'resolved') return `${svc}: back to normal (${metrics.length + omitted} metric(s) recovered)`.slice(0, 1024);
  const parts = firing.map((m) => {
    if (m.kind === 'new_peer') return `new peer ${m.peer ? serviceKey(m.peer) : 'unknown'}`;
    const band = m.expected ? ` (expected ${fmt(m.expected.value)})` : '';
    return `${m.metric} ${m.kind === 'drop' ? 'down' : 'up'} at ${fmt(m.observed)}${band}`;
  });
  return `${svc}: ${firing.length} metric(s) anomalous: ${parts.join('; ')}`.slice(0, 1024);
}

export interface IncidentContext {
  service: ServiceId;
  windowStart: number;
  windowMs: number;
}

export interface IncidentStep {
  state: IncidentState | undefined;
  /** The change this window made, if any. */
  incident: Incident | undefined;
}

const iso = (ms: number): string => new Date(ms).toISOString();

/** The service as documents name it (an empty cluster is no cluster, as in alerts). */
export const serviceRefOf = (s: ServiceId): NonNullable<Incident['service']> =>
  s.cluster ? { namespace: s.namespace, name: s.name, cluster: s.cluster } : { namespace: s.namespace, name: s.name };

/**
 * One window of a service's incident: `alerts` are the service's alerts of this window (in
 * order), `openEpisodes` how many episodes are open after it. Alerts of other services
 * (`cardinality`) are not this service's and are ignored.
 */
export function incidentStep(
  prev: IncidentState | undefined,
  alerts: readonly Alert[],
  openEpisodes: number,
  ctx: IncidentContext,
): IncidentStep {
  if (!prev && !alerts.some((a) => a.status === 'firing')) return { state: undefined, incident: undefined };
  const svc = serviceKey(ctx.service);
  const own = alerts.filter((a) => serviceKey(a.service) === svc);
  if (!prev && !own.some((a) => a.status === 'firing')) return { state: undefined, incident: undefined };
  const state: IncidentState = prev
    ? { ...prev, metrics: [...prev.metrics] }
    : { id: incidentId(svc, ctx.windowStart), startsAt: ctx.windowStart, revision: 0, metrics: [], metricsOmitted: 0 };
  let changed = !prev;
  for (const a of own) {
    const i = state.metrics.findIndex((m) => m.alertId === a.id);
    if (i >= 0) {
      state.metrics[i] = contributorOf(a);
      changed = true;
    } else if (a.status === 'firing') {
      if (state.metrics.length < MAX_INCIDENT_METRICS) state.metrics.push(contributorOf(a));
      else state.metricsOmitted++;
      changed = true;
    }
  }
  const resolved = openEpisodes === 0;
  if (!changed && !resolved) return { state: prev, incident: undefined };
  state.revision++;
  const status: Incident['status'] = resolved ? 'resolved' : 'firing';
  const firing = state.metrics.filter((m) => m.status === 'firing');
  const incident: Incident = {
    schema: INCIDENT_SCHEMA_ID,
    id: state.id,
    revision: state.revision,
    scope: 'service',
    status,
    change: resolved ? 'resolved' : state.revision === 1 ? 'opened' : 'updated',
    severity: maxSeverity((firing.length ? firing : state.metrics).map((m) => m.severity)),
    service: serviceRefOf(ctx.service),
    summary: summaryOf(svc, status, state.metrics, state.metricsOmitted),
    startsAt: iso(state.startsAt),
    endsAt: resolved ? iso(ctx.windowStart + ctx.windowMs) : null,
    window: { start: iso(ctx.windowStart), end: iso(ctx.windowStart + ctx.windowMs) },
    metrics: state.metrics,
    metricsOmitted: state.metricsOmitted,
    storm: null,
    services: [],
    servicesOmitted: 0,
    servicesSeen: 0,
  };
  return { state: resolved ? undefined : state, incident };
}
