/**
 * Alert enrichment from the configuration (`alerts.*`), applied to every alert before it is
 * published. Pure.
 *
 * - `cluster`: the cluster name for alerts whose service carries none (inputs that do not name
 *   their cluster); a service that names its own keeps it. The alert id is not touched.
 * - `links`: runbook and dashboard URL templates per namespace and/or service. For each of
 *   the two links, the most specific rule that defines it wins (namespace and service, then
 *   service, then namespace, then a rule naming neither; the first such rule on a tie).
 *   Placeholders `{cluster}`, `{namespace}`, `{service}`, `{metric}`, `{kind}`, `{severity}`,
 *   `{id}` are replaced by the alert's values, URL-encoded; a filled URL longer than 2048
 *   characters is left out.
 */
import { type Alert } from './schema.js';

export interface LinkRule {
  namespace?: string;
  service?: string;
  runbook?: string;
  dashboard?: string;
}

export interface AlertEnrichment {
  cluster?: string;
  links: readonly LinkRule[];
}

export const LINK_PLACEHOLDERS = ['cluster', 'namespace', 'service', 'metric', 'kind', 'severity', 'id'] as const;
const MAX_URL_CHARS = 2048;

/** The placeholders a template names that meshwatch does not know (config validation). */
export function unknownPlaceholders(template: string): string[] {
  const known = new Set<string>(LINK_PLACEHOLDERS);
  return [...template.matchAll(/\{([^{}]*)\}/g)].map((m) => m[1] ?? '').filter((p) => !known.has(p));
}

export function fillTemplate(template: string, a: Alert): string {
  const values: Record<(typeof LINK_PLACEHOLDERS)[number], string> = {
    cluster: a.service.cluster ?? '',
    namespace: a.service.namespace,
    service: a.service.name,
    metric: a.metric,
    kind: a.kind,
    severity: a.severity,
    id: a.id,
  };
  return template.replace(/\{([a-z]+)\}/g, (whole, name: string) =>
    Object.hasOwn(values, name) ? encodeURIComponent(values[name as keyof typeof values]) : whole,
  );
}

const specificity = (r: LinkRule): number => (r.service !== undefined ? 2 : 0) + (r.namespace !== undefined ? 1 : 0);

function ruleFor(rules: readonly LinkRule[], a: Alert, field: 'runbook' | 'dashboard'): LinkRule | undefined {
  let best: LinkRule | undefined;
  for (const r of rules) {
    if (r[field] === undefined) continue;
    if (r.namespace !== undefined && r.namespace !== a.service.namespace) continue;
    if (r.service !== undefined && r.service !== a.service.name) continue;
    if (!best || specificity(r) > specificity(best)) best = r;
  }
  return best;
}

/** The alert with the configured cluster and links; the same object when nothing applies. */
export function enrichAlert(a: Alert, e: AlertEnrichment): Alert {
  let out = a;
  if (e.cluster !== undefined && a.service.cluster === undefined) out = { ...out, service: { ...out.service, cluster: e.cluster } };
  const links: NonNullable<Alert['links']> = { ...out.links };
  for (const field of ['runbook', 'dashboard'] as const) {
    const template = ruleFor(e.links, out, field)?.[field];
    if (template === undefined) continue;
    const url = fillTemplate(template, out);
    if (url.length <= MAX_URL_CHARS) links[field] = url;
  }
  if (links.runbook !== undefined || links.dashboard !== undefined) out = { ...out, links };
  return out;
}
