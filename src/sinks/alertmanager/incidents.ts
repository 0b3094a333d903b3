/**
 * Incident → Alertmanager API v2 `postableAlert`. Pure: the time is a parameter.
 *
 * - Identity (labels): `alertname` `MeshwatchIncident` (a service's incident) or
 *   `MeshwatchStorm` (a mesh-wide storm), `scope`, `severity`, and for a service incident
 *   `namespace`, `service`, `cluster` (when known). One service is one Alertmanager alert while
 *   its incident is open, whatever metrics join or leave; a storm is one alert for the mesh.
 * - Annotations list the contributors: `summary`, `metrics` (the firing metrics' names, comma
 *   separated), `description` (one line per contributing metric: kind, observed, expected band,
 *   firing/resolved), for a storm `services` (its services' keys), and `incident_id`,
 *   `revision`, `runbook` (the configured template over the incident).
 * - Times as for alerts (./alerts.ts): `startsAt` the incident's start, a firing incident valid
 *   for `validForMs` from now, a resolved one ending at its end (never after now, never before
 *   its start).
 */
import { type Incident } from '../../core/incident/schema.js';
import { serviceKey } from '../../core/model.js';
import { contributorLine } from '../../core/siem/index.js';
import { renderUrl, serviceLabelsOf, templateSubjectOf } from '../template.js';
import { type MappingOptions, type PostableAlert } from './alerts.js';

/** Longest annotation meshwatch writes (characters): Alertmanager keeps annotations whole, receivers may not. */
const MAX_ANNOTATION_CHARS = 8192;
const cut = (s: string): string => (s.length <= MAX_ANNOTATION_CHARS ? s : `${s.slice(0, MAX_ANNOTATION_CHARS - 1)}…`);

export function incidentLabelsOf(i: Incident): Record<string, string> {
  return {
    alertname: i.scope === 'storm' ? 'MeshwatchStorm' : 'MeshwatchIncident',
    scope: i.scope,
    severity: i.severity,
    ...(i.service ? serviceLabelsOf(i.service) : {}),
  };
}

export function incidentAnnotationsOf(i: Incident, o: MappingOptions): Record<string, string> {
  const firing = i.metrics.filter((m) => m.status === 'firing');
  const out: Record<string, string> = {
    summary: i.summary,
    incident_id: i.id,
    revision: String(i.revision),
  };
  if (i.metrics.length) {
    out.metrics = (firing.length ? firing : i.metrics).map((m) => m.metric).join(', ');
    const more = i.metricsOmitted ? `\n… and ${i.metricsOmitted} more metric(s)` : '';
    out.description = cut(i.metrics.map(contributorLine).join('\n') + more);
  }
  if (i.services.length) {
    const more = i.servicesOmitted ? `, … and ${i.servicesOmitted} more` : '';
    out.services = cut(i.services.map((m) => serviceKey(m.service)).join(', ') + more);
  }
  if (o.runbookUrlTemplate) out.runbook = renderUrl(o.runbookUrlTemplate, templateSubjectOf(i));
  return out;
}

/** The postable alert of this incident document at `nowMs`. */
export function postableOfIncident(i: Incident, nowMs: number, validForMs: number, o: MappingOptions): PostableAlert {
  const startsMs = Math.min(Date.parse(i.startsAt), nowMs);
  const endsMs = i.status === 'firing' ? nowMs + validForMs : Math.max(startsMs, Math.min(Date.parse(i.endsAt ?? i.window.end), nowMs));
  const p: PostableAlert = {
    labels: incidentLabelsOf(i),
    annotations: incidentAnnotationsOf(i, o),
    startsAt: new Date(startsMs).toISOString(),
    endsAt: new Date(endsMs).toISOString(),
  };
  if (o.generatorUrlTemplate) p.generatorURL = renderUrl(o.generatorUrlTemplate, templateSubjectOf(i));
  return p;
}
