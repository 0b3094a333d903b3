/** Alerts for the SIEM format tests: ordinary, resolved, with links and peer, and hostile. */
import { episodeId } from '../../../src/core/alert/id.js';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { INCIDENT_SCHEMA_ID, type Incident, IncidentSchema } from '../../../src/core/incident/schema.js';

const T0 = Date.UTC(2026, 11, 1, 12);
const iso = (ms: number): string => new Date(ms).toISOString();

export function sampleAlert(over: Partial<Alert> = {}): Alert {
  const service = over.service ?? { namespace: 'shop', name: 'checkout', cluster: 'prod-eu' };
  return AlertSchema.parse({
    schema: 'meshwatch.alert/v1',
    id: episodeId(`${service.namespace}/${service.name}`, 'spike', 'error_ratio', T0),
    status: 'firing',
    kind: 'spike',
    severity: 'critical',
    service,
    metric: 'error_ratio',
    observed: 0.0421,
    expected: { value: 0.0012, lower: 0, upper: 0.0047 },
    score: 0.93,
    window: { start: iso(T0 + 20_000), end: iso(T0 + 30_000) },
    startsAt: iso(T0),
    endsAt: null,
    summary: 'shop/checkout error_ratio spiked to 4.21 % (expected 0.12 %, band 0..0.47 %)',
    details: { z: 9.1, test: 'point' },
    unit: 'ratio',
    links: { runbook: 'https://runbooks.example/shop/checkout', dashboard: 'https://grafana.example/d/mesh?var-svc=checkout' },
    ...over,
  });
}

export const resolvedOf = (a: Alert): Alert => ({ ...a, status: 'resolved', endsAt: a.window.end });

export const newPeerAlert = (): Alert =>
  sampleAlert({
    kind: 'new_peer',
    metric: 'edge',
    severity: 'error',
    observed: 1,
    expected: null,
    peer: { namespace: 'kube-system', name: 'coredns' },
    summary: 'prod-eu:shop/checkout called kube-system/coredns, a peer it never talked to before (possible lateral movement)',
    unit: undefined,
    links: undefined,
  });

/** Names and texts an attacker controls (service names come from pod labels and logs). */
export const HOSTILE = [
  'a|b',
  'back\\slash',
  'key=value',
  'two\nlines',
  'crlf\r\nline',
  'cr\ronly',
  'ends with \\',
  '|=\\\n|',
  'pipe|and=equals\\and\nnewline',
];

export const hostileAlert = (text: string): Alert =>
  sampleAlert({ service: { namespace: 'shop', name: text, cluster: 'c|=\\' }, summary: `spike on ${text} = bad | really \\ ${text}` });

/** A service incident of four metrics (firing), and a storm of three services, for the incident renderings. */
export function sampleIncident(over: Partial<Incident> = {}): Incident {
  const metrics = ['error_ratio', 'latency_p50_ms', 'latency_p99_ms', 'bytes_out_per_s'].map((metric, i) => ({
    alertId: episodeId('prod-eu:shop/checkout', 'spike', metric, T0),
    kind: 'spike' as const,
    metric,
    status: i === 3 ? ('resolved' as const) : ('firing' as const),
    severity: 'critical' as const,
    observed: 9 + i,
    expected: { value: 1, lower: 0.5, upper: 1.5 },
    score: 0.9,
    since: iso(T0),
    until: i === 3 ? iso(T0 + 30_000) : null,
  }));
  return IncidentSchema.parse({
    schema: INCIDENT_SCHEMA_ID,
    id: 'mw-0123456789abcdef',
    revision: 2,
    scope: 'service',
    status: 'firing',
    change: 'updated',
    severity: 'critical',
    service: { namespace: 'shop', name: 'checkout', cluster: 'prod-eu' },
    summary: 'prod-eu:shop/checkout: 3 metric(s) anomalous',
    startsAt: iso(T0),
    endsAt: null,
    window: { start: iso(T0 + 20_000), end: iso(T0 + 30_000) },
    metrics,
    metricsOmitted: 0,
    storm: null,
    services: [],
    servicesOmitted: 0,
    servicesSeen: 0,
    ...over,
  });
}

export const stormIncident = (): Incident =>
  sampleIncident({
    id: 'mw-fedcba9876543210',
    scope: 'storm',
    change: 'opened',
    revision: 1,
    service: null,
    summary: 'Mesh-wide storm: 3 of 5 services anomalous at once',
    metrics: [],
    services: ['a', 'b|x=1', 'c'].map((name, i) => ({
      service: { namespace: 'mesh', name },
      incidentId: `mw-${String(i).repeat(16)}`,
      since: iso(T0),
    })),
    servicesSeen: 5,
  });
