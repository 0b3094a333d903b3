/**
 * URL templates for links in alerts (runbooks, dashboards, the generator URL): `{namespace}`,
 * `{service}`, `{cluster}`, `{kind}`, `{metric}`, `{id}` and `{status}` are replaced by the
 * alert's values, percent-encoded (a hostile service name cannot change the URL's shape);
 * unknown placeholders stay as written. Pure: no I/O.
 */
import { type Alert } from '../core/alert/schema.js';

export const TEMPLATE_FIELDS = ['namespace', 'service', 'cluster', 'kind', 'metric', 'id', 'status'] as const;

export function renderUrl(template: string, alert: Alert): string {
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
