/**
 * URL templates for links in alerts (runbooks, dashboards, the generator URL): `{namespace}`,
 * `{service}`, `{cluster}`, `{kind}`, `{metric}`, `{id}` and `{status}` are replaced by the
 * alert's values, percent-encoded (a hostile service name cannot change the URL's shape);
 * unknown placeholders stay as written. Pure: no I/O.
 */
import { type Alert } from '../core/alert/schema.js';
import { type Incident } from '../core/incident/schema.js';

export const TEMPLATE_FIELDS = ['namespace', 'service', 'cluster', 'kind', 'metric', 'id', 'status'] as const;

/** What a template reads: an alert, or an incident as `templateSubjectOf` presents it. */
export type TemplateSubject = Pick<Alert, 'service' | 'kind' | 'metric' | 'id' | 'status'> | TemplateIncident;
interface TemplateIncident {
  service: { namespace: string; name: string; cluster?: string | undefined };
  kind: 'incident' | 'storm';
  metric: string;
  id: string;
  status: Incident['status'];
}

/**
 * An incident for URL templates: its service (a storm: namespace and service `mesh`), kind
 * `incident` (`storm`), metric its first firing metric (or first metric), its id and status.
 */
export function templateSubjectOf(i: Incident): TemplateIncident {
  const m = i.metrics.find((x) => x.status === 'firing') ?? i.metrics[0];
  return {
    service: i.service ?? { namespace: 'mesh', name: 'mesh' },
    kind: i.scope === 'storm' ? 'storm' : 'incident',
    metric: m?.metric ?? '',
    id: i.id,
    status: i.status,
  };
}

export function renderUrl(template: string, alert: TemplateSubject): string {
  const values: Record<(typeof TEMPLATE_FIELDS)[number], string> = {
    namespace: alert.service.namespace,
    service: alert.service.name,
    cluster: alert.service.cluster ?? '',
    kind: alert.kind,
    metric: alert.metric,
    id: alert.id,
    status: alert.status,
  };
  return template.replace(/\{([a-z]+)\}/g, (whole, name: string) =>
    name in values ? encodeURIComponent(values[name as keyof typeof values]) : whole,
  );
}

/** A service as labels or indexed fields: `namespace`, `service` (its name) and `cluster` when known. */
export function serviceLabelsOf(s: { namespace: string; name: string; cluster?: string | undefined }): Record<string, string> {
  return { namespace: s.namespace, service: s.name, ...(s.cluster === undefined ? {} : { cluster: s.cluster }) };
}
