/**
 * Builds alert documents from episode state changes. Pure: times are passed in.
 */
import { type ServiceId, serviceKey } from '../model.js';
import { ALERT_SCHEMA_ID, type Alert, type AlertKind, type Severity } from './schema.js';
import { bandFor, formatRange, formatValue, roundFor, unitOf } from './units.js';

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

/**
 * One line a person can act on: the service, the metric, what it did, with units, and the
 * band it left (`shop/checkout error_ratio spiked to 4.2 % (expected 0.1 %, band 0..0.35 %)`).
 * `e.observed` and `e.expected` are already rounded and inside the metric's domain.
 */
function summaryOf(status: 'firing' | 'resolved', svc: string, e: Episode): string {
  if (e.kind === 'new_peer') {
    const peer = e.peer ? serviceKey(e.peer) : 'unknown';
    if (status === 'resolved') return `${svc}: no more calls to new peer ${peer}`;
    return e.basis === 'declared'
      ? `${svc} called ${peer}, a peer its declared profile does not allow (possible lateral movement)`
      : `${svc} called ${peer}, a peer it never talked to before (possible lateral movement)`;
  }
  if (e.kind === 'limit_breach' || e.kind === 'profile_drift') return profileSummary(status, svc, e);
  const m = e.metric;
  const band = e.expected
    ? ` (expected ${formatValue(m, e.expected.value)}, band ${formatRange(m, e.expected.lower, e.expected.upper)})`
    : '';
  return status === 'firing'
    ? `${svc} ${m} ${e.kind === 'drop' ? 'dropped' : 'spiked'} to ${formatValue(m, e.observed)}${band}`
    : `${svc} ${m} back to normal at ${formatValue(m, e.observed)}${band}`;
}

/** limit_breach: the value against the declared amount; profile_drift: which way the profile is off. */
function profileSummary(status: 'firing' | 'resolved', svc: string, e: Episode): string {
  const x = e.expected;
  if (e.kind === 'limit_breach') {
    const share =
      x && x.value > 0 ? ` (${Math.round((100 * e.observed) / x.value)} % of the declared ${formatValue(e.metric, x.value)})` : '';
    return status === 'firing'
      ? `${svc} ${e.metric} at ${formatValue(e.metric, e.observed)}${share}: over the bar of ${formatValue(e.metric, x?.upper ?? 0)} its declared profile sets`
      : `${svc} ${e.metric} back under its declared bar at ${formatValue(e.metric, e.observed)}${share}`;
  }
  if (e.metric === 'edge') {
    const example = e.peer ? ` (e.g. ${serviceKey(e.peer)})` : '';
    return status === 'firing'
      ? `${svc} declares ${formatValue(e.metric, e.observed)} outbound peer(s) it does not call${example}: the profile allows more than it needs`
      : `${svc} calls every outbound peer its profile declares, or the profile changed`;
  }
  if (status === 'resolved') return `${svc} ${e.metric} back in line with its declared profile at ${formatValue(e.metric, e.observed)}`;
  const side =
    x && e.observed < x.lower
      ? `over-provisioned: declares ${formatValue(e.metric, x.value)} per pod, ${Number((x.value / Math.max(e.observed, Number.MIN_VALUE)).toPrecision(4))}× the learned usage of ${formatValue(e.metric, e.observed)}`
      : `under-provisioned: learned usage of ${formatValue(e.metric, e.observed)} per pod is above the declared ${formatValue(e.metric, x?.value ?? 0)}`;
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

export function buildAlert(status: 'firing' | 'resolved', raw: Episode, ctx: AlertContext): Alert {
  const svc = serviceKey(ctx.service);
  // Numbers rounded to what they mean, the band inside the metric's domain (units.ts).
  const e: Episode = {
    ...raw,
    observed: roundFor(raw.metric, raw.observed),
    expected: raw.expected ? bandFor(raw.metric, raw.expected) : null,
  };
  const unit = unitOf(e.metric);
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
    score: Math.round(Math.min(1, Math.max(0, e.score)) * 1000) / 1000,
    window: { start: iso(ctx.windowStart), end: iso(ctx.windowStart + ctx.windowMs) },
    startsAt: iso(e.startsAt),
    endsAt: status === 'resolved' ? iso(ctx.endsAt ?? ctx.windowStart + ctx.windowMs) : null,
    summary: summaryOf(status, svc, e).slice(0, 1024),
    details: ctx.details ?? {},
  };
  if (unit !== undefined) alert.unit = unit;
  if (e.peer) {
    const peer: NonNullable<Alert['peer']> = { namespace: e.peer.namespace, name: e.peer.name };
    if (e.peer.cluster) peer.cluster = e.peer.cluster;
    alert.peer = peer;
  }
  return alert;
}
