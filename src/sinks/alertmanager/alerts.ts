/**
 * Alert → Alertmanager API v2 `postableAlert` (integrations.md §2.1). Pure: the time is a
 * parameter.
 *
 * - Identity is the label set (Alertmanager fingerprints it): `alertname`
 *   (`Meshwatch` + the kind in PascalCase, e.g. `MeshwatchSpike`), `namespace`, `service`,
 *   `cluster` (when known), `severity`, `kind`, `metric`, and `peer` for edge alerts. So
 *   one (service, kind, metric/peer) is one Alertmanager alert, episode after episode.
 * - Annotations: `summary`, `observed`, `expected` (`value (lower..upper)`, or `none`),
 *   `runbook` (the alert's `details.runbook_url` if it has one, else the configured
 *   template), `alert_id`, `score`.
 * - Times: `startsAt` is the episode start (never after now). A firing alert's `endsAt` is
 *   `now + validForMs` (Prometheus sends 4 × its resend interval: two lost sends do not
 *   resolve it); a resolved alert's `endsAt` is the episode end, never after now and never
 *   before `startsAt` (Alertmanager answers 400 to that).
 * - `generatorURL` from the configured template, when one is set.
 */
import { type Alert } from '../../core/alert/schema.js';
import { serviceKey } from '../../core/model.js';
import { renderUrl } from '../template.js';

export interface PostableAlert {
  labels: Record<string, string>;
  annotations: Record<string, string>;
  startsAt: string;
  endsAt: string;
  generatorURL?: string;
}

export interface MappingOptions {
  generatorUrlTemplate?: string | undefined;
  runbookUrlTemplate?: string | undefined;
}

export const alertnameOf = (kind: Alert['kind']): string =>
  'Meshwatch' +
  kind
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('');

/** The Alertmanager identity of an alert: its labels. */
export function labelsOf(alert: Alert): Record<string, string> {
  const labels: Record<string, string> = {
    alertname: alertnameOf(alert.kind),
    namespace: alert.service.namespace,
    service: alert.service.name,
    severity: alert.severity,
    kind: alert.kind,
    metric: alert.metric,
  };
  if (alert.service.cluster !== undefined) labels.cluster = alert.service.cluster;
  if (alert.peer) labels.peer = serviceKey(alert.peer);
  return labels;
}

/** A stable text key of a label set (sorted), for the set of active alerts. */
export function labelKeyOf(labels: Record<string, string>): string {
  return JSON.stringify(
    Object.keys(labels)
      .sort()
      .map((k) => [k, labels[k]]),
  );
}

const num = (x: number): string => String(Number(x.toPrecision(6)));

export function annotationsOf(alert: Alert, o: MappingOptions): Record<string, string> {
  const e = alert.expected;
  const out: Record<string, string> = {
    summary: alert.summary,
    observed: num(alert.observed),
    expected: e ? `${num(e.value)} (${num(e.lower)}..${num(e.upper)})` : 'none',
    alert_id: alert.id,
    score: num(alert.score),
  };
  const own = alert.details.runbook_url;
  const runbook = typeof own === 'string' && own !== '' ? own : o.runbookUrlTemplate ? renderUrl(o.runbookUrlTemplate, alert) : '';
  if (runbook !== '') out.runbook = runbook;
  return out;
}

/** The postable alert for this state change at `nowMs`. */
export function postableOf(alert: Alert, nowMs: number, validForMs: number, o: MappingOptions): PostableAlert {
  const startsMs = Math.min(Date.parse(alert.startsAt), nowMs);
  const endsMs =
    alert.status === 'firing' ? nowMs + validForMs : Math.max(startsMs, Math.min(Date.parse(alert.endsAt ?? alert.window.end), nowMs));
  const p: PostableAlert = {
    labels: labelsOf(alert),
    annotations: annotationsOf(alert, o),
    startsAt: new Date(startsMs).toISOString(),
    endsAt: new Date(endsMs).toISOString(),
  };
  if (o.generatorUrlTemplate) p.generatorURL = renderUrl(o.generatorUrlTemplate, alert);
  return p;
}

/** The same alert re-sent at `nowMs`: a firing one valid again for `validForMs`, a resolved one unchanged. */
export function refreshed(p: PostableAlert, resolved: boolean, nowMs: number, validForMs: number): PostableAlert {
  return resolved ? p : { ...p, endsAt: new Date(nowMs + validForMs).toISOString() };
}
