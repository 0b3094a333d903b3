/**
 * Builds alert documents from episode state changes. Pure: times are passed in.
 */
import { type ServiceId, serviceKey } from '../model.js';
import { ALERT_SCHEMA_ID, type Alert, type AlertKind, type Severity } from './schema.js';

/** An open (or just closed) episode of one (service, kind, subject), as kept in service state. */
export interface Episode {
  id: string;
  kind: AlertKind;
  /** Metric name, or `edge` for peer alerts. */
  metric: string;
  peer?: ServiceId;
  startsAt: number;
  /** Consecutive windows back inside the band (or without the edge). */
  calm: number;
  severity: Severity;
  score: number;
  observed: number;
  expected: { value: number; lower: number; upper: number } | null;
  /** What the episode was judged against when not the learned baseline: `declared`, the profile in force. */
  basis?: 'declared';
}

const iso = (ms: number): string => new Date(ms).toISOString();

export function severityOf(kind: AlertKind, metric: string, score: number): Severity {
  if (kind === 'new_peer') return 'error';
  const userFacing = metric === 'error_ratio' || metric === 'requests_per_s' || metric.startsWith('latency_');
  if (score >= 0.85) return 'critical';
  if (score >= 0.7 || (userFacing && score >= 0.6)) return 'error';
  return 'warning';
}

const fmt = (x: number): string => {
  const a = Math.abs(x);
  if (a !== 0 && (a >= 1e6 || a < 1e-3)) return x.toExponential(3);
  return Number(x.toPrecision(4)).toString();
};

function summaryOf(status: 'firing' | 'resolved', svc: string, e: Episode): string {
  if (e.kind === 'new_peer') {
    const peer = e.peer ? serviceKey(e.peer) : 'unknown';
    if (status === 'resolved') return `${svc}: no more calls to new peer ${peer}`;
    return e.basis === 'declared'
      ? `${svc} called ${peer}, a peer its declared profile does not allow (possible lateral movement)`
      : `${svc} called ${peer}, a peer it never talked to before (possible lateral movement)`;
  }
  if (e.kind === 'limit_breach' || e.kind === 'profile_drift') return profileSummary(status, svc, e);
  const band = e.expected ? ` (expected ${fmt(e.expected.value)}, band ${fmt(e.expected.lower)}..${fmt(e.expected.upper)})` : '';
  return status === 'firing'
    ? `${svc} ${e.metric} ${e.kind === 'drop' ? 'dropped' : 'spiked'} to ${fmt(e.observed)}${band}`
    : `${svc} ${e.metric} back to normal at ${fmt(e.observed)}${band}`;
}

/** limit_breach: the value against the declared amount; profile_drift: which way the profile is off. */
function profileSummary(status: 'firing' | 'resolved', svc: string, e: Episode): string {
  const x = e.expected;
  if (e.kind === 'limit_breach') {
    const share = x && x.value > 0 ? ` (${Math.round((100 * e.observed) / x.value)} % of the declared ${fmt(x.value)})` : '';
    return status === 'firing'
      ? `${svc} ${e.metric} at ${fmt(e.observed)}${share}: over the bar of ${fmt(x?.upper ?? 0)} its declared profile sets`
      : `${svc} ${e.metric} back under its declared bar at ${fmt(e.observed)}${share}`;
  }
  if (e.metric === 'edge') {
    const example = e.peer ? ` (e.g. ${serviceKey(e.peer)})` : '';
    return status === 'firing'
      ? `${svc} declares ${fmt(e.observed)} outbound peer(s) it does not call${example}: the profile allows more than it needs`
      : `${svc} calls every outbound peer its profile declares, or the profile changed`;
  }
  if (status === 'resolved') return `${svc} ${e.metric} back in line with its declared profile at ${fmt(e.observed)}`;
  const side =
    x && e.observed < x.lower
      ? `over-provisioned: declares ${fmt(x.value)} per pod, ${fmt(x.value / Math.max(e.observed, Number.MIN_VALUE))}× the learned usage of ${fmt(e.observed)}`
      : `under-provisioned: learned usage of ${fmt(e.observed)} per pod is above the declared ${fmt(x?.value ?? 0)}`;
  return `${svc} ${e.metric} ${side}`;
}

export interface AlertContext {
  service: ServiceId;
  windowStart: number;
  windowMs: number;
  /** For resolved alerts: the end of the episode. */
  endsAt?: number;
  details?: Record<string, string | number | boolean | null>;
}

export function buildAlert(status: 'firing' | 'resolved', e: Episode, ctx: AlertContext): Alert {
  const svc = serviceKey(ctx.service);
  const service: Alert['service'] = { namespace: ctx.service.namespace, name: ctx.service.name };
  if (ctx.service.cluster) service.cluster = ctx.service.cluster;
  const alert: Alert = {
    schema: ALERT_SCHEMA_ID,
    id: e.id,
    status,
    kind: e.kind,
    severity: e.severity,
    service,
    metric: e.metric,
    observed: e.observed,
    expected: e.expected,
    score: Math.min(1, Math.max(0, e.score)),
    window: { start: iso(ctx.windowStart), end: iso(ctx.windowStart + ctx.windowMs) },
    startsAt: iso(e.startsAt),
    endsAt: status === 'resolved' ? iso(ctx.endsAt ?? ctx.windowStart + ctx.windowMs) : null,
    summary: summaryOf(status, svc, e).slice(0, 1024),
    details: ctx.details ?? {},
  };
  if (e.peer) {
    const peer: NonNullable<Alert['peer']> = { namespace: e.peer.namespace, name: e.peer.name };
    if (e.peer.cluster) peer.cluster = e.peer.cluster;
    alert.peer = peer;
  }
  return alert;
}
