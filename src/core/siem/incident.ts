/**
 * Incident (meshwatch.incident/v1) → the SIEM formats. Pure. What the alert renderings do for
 * one metric, these do for an incident: one finding per incident id, updated as metrics (or,
 * for a storm, services) join and leave, listing every contributor.
 *
 * - OCSF Detection Finding: `finding_info.uid` the incident id; activity Create (opened),
 *   Update (updated), Close (resolved); one `anomaly_analyses[]` entry per contributing metric
 *   (observed vs its baseline band), each metric also an observable (type Other, name
 *   `anomaly_analyses[i].anomalies[0].observation_parameter`) and a `finding_info.related_events`
 *   entry (its per-metric alert, the finding that alert made); `resources[]` the service, or
 *   every service of a storm, each an observable (Resource UID); `raw_data` the incident.
 * - ECS: `event.kind: alert`, `event.code` `incident/<scope>`, the category of its first firing metric,
 *   `meshwatch.incident.*` the incident's own fields (metrics, services), `event.original` it.
 * - CEF: event class `incident/<scope>`, `cs2` the metrics (`name observed (band lower..upper)`,
 *   `;`-separated), `cs3` the storm's services, `cn1` the revision, `cs6` the storm it is part of.
 */
import { type Contributor, type Incident } from '../incident/schema.js';
import { serviceKey } from '../model.js';
import { CEF_SEVERITY, OCSF_SEVERITY, PRODUCT, type SiemOptions } from './common.js';
import { cefLine, cut } from './cef.js';
import { ECS_VERSION, type EcsDocument, categoryOfMetric } from './ecs.js';
import { OCSF_VERSION, type OcsfActivity, type OcsfDetectionFinding, findingHead, resourceOf } from './ocsf.js';

const ms = (iso: string): number => Date.parse(iso);
const STORM = 'mesh';

/** The incident's subject: the service key, or `mesh` for a storm. */
export const subjectOf = (i: Incident): string => (i.service ? serviceKey(i.service) : STORM);

export const incidentActivityOf = (i: Incident): OcsfActivity =>
  i.change === 'resolved' ? 'close' : i.change === 'updated' ? 'update' : 'create';

const bandOf = (m: Contributor): string =>
  m.expected ? ` (expected ${m.expected.value}, band ${m.expected.lower}..${m.expected.upper})` : '';
/** `latency_p99_ms spike 960 (expected 120, band 100..140)`: one contributing metric on one line. */
export const contributorLine = (m: Contributor): string =>
  `${m.kind === 'new_peer' && m.peer ? `new peer ${serviceKey(m.peer)}` : `${m.metric} ${m.kind}`} ${m.observed}${bandOf(m)} ${m.status}`;

export interface OcsfIncidentFinding extends OcsfDetectionFinding {
  finding_info: OcsfDetectionFinding['finding_info'] & { related_events: { uid: string; type_uid: number; title: string }[] };
}

export function ocsfFindingOfIncident(i: Incident, o: SiemOptions): OcsfIncidentFinding {
  const key = subjectOf(i);
  const windowStart = ms(i.window.start);
  const windowEnd = ms(i.window.end);
  const start = ms(i.startsAt);
  const services = i.service ? [i.service] : i.services.map((m) => m.service);
  const resources = services.map(resourceOf);
  const observables: OcsfDetectionFinding['observables'] = resources.map((r, n) => ({
    name: `resources[${n}].uid`,
    type_id: 10,
    type: 'Resource UID',
    value: r.uid,
  }));
  const window = { start_time: windowStart, end_time: windowEnd, duration: windowEnd - windowStart };
  const analyses = i.metrics.map((m) => ({
    analysis_targets: [{ name: key, type: 'Kubernetes Workload' }],
    anomalies: [
      {
        observation_parameter: m.metric,
        observation_type: 'Deviation Analysis',
        observed_pattern: m.kind.toUpperCase(),
        observations: [{ value: String(m.observed), timespan: window }],
      },
    ],
    baselines: m.expected
      ? [
          {
            observation_parameter: m.metric,
            observation_type: 'Deviation Analysis',
            observed_pattern: `NORMAL_RANGE ${m.expected.lower}..${m.expected.upper}`,
            observations: [{ value: String(m.expected.value) }],
          },
        ]
      : [],
  }));
  const metricObservables: OcsfDetectionFinding['observables'] = i.metrics.map((m, n) => ({
    name: `anomaly_analyses[${n}].anomalies[0].observation_parameter`,
    type_id: 99,
    type: 'Other',
    value: m.metric,
  }));
  const title = i.service
    ? `incident on ${key}: ${i.metrics.length + i.metricsOmitted} metric(s)`
    : `mesh-wide storm: ${i.services.length + i.servicesOmitted} service(s)`;
  return {
    ...findingHead(incidentActivityOf(i), i, windowEnd, start, i.endsAt === null ? windowEnd : ms(i.endsAt)),
    metadata: {
      version: OCSF_VERSION,
      product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor, version: o.productVersion },
      log_name: 'meshwatch.incidents',
      uid: `${i.id}/r${i.revision}`,
      original_time: i.window.end,
    },
    finding_info: {
      uid: i.id,
      title,
      desc: i.summary,
      types: ['incident', i.scope],
      analytic: { name: `meshwatch incident/${i.scope}`, type_id: 3, type: 'Statistical' },
      first_seen_time: start,
      last_seen_time: windowEnd,
      related_events: i.metrics.map((m) => ({ uid: m.alertId, type_uid: 200401, title: `${m.kind} of ${m.metric} on ${key}` })),
    },
    resources,
    observables: [...observables, ...metricObservables],
    anomaly_analyses: analyses,
    raw_data: JSON.stringify(i),
  };
}

export interface EcsIncident extends EcsDocument {
  meshwatch: {
    incident: {
      id: string;
      revision: number;
      scope: Incident['scope'];
      status: Incident['status'];
      change: Incident['change'];
      storm: string | null;
      metrics: Incident['metrics'];
      metrics_omitted: number;
      services: string[];
      services_omitted: number;
      services_seen: number;
      window: Incident['window'];
    };
  };
}

export function ecsAlertOfIncident(i: Incident, o: SiemOptions): EcsIncident {
  // One allowed pair: the first firing metric's (ECS allows each type only with some categories).
  const lead = i.metrics.find((m) => m.status === 'firing') ?? i.metrics[0];
  const { category, type } = lead ? categoryOfMetric(lead.kind, lead.metric) : { category: 'network', type: 'info' };
  const key = subjectOf(i);
  const rule = `incident/${i.scope}`;
  const score = Math.max(0, ...i.metrics.filter((m) => m.status === 'firing').map((m) => m.score));
  const s = i.service;
  return {
    '@timestamp': i.window.end,
    message: i.summary,
    tags: ['meshwatch', 'incident', i.scope, i.status],
    labels: { meshwatch_incident_id: i.id, meshwatch_service: key },
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      category: [category],
      type: [type],
      action: `incident-${i.change}`,
      id: `${i.id}-r${i.revision}`,
      code: rule,
      dataset: 'meshwatch.incidents',
      module: 'meshwatch',
      provider: 'meshwatch',
      severity: OCSF_SEVERITY[i.severity].id,
      risk_score: Math.round(score * 1000) / 10,
      start: i.startsAt,
      ...(i.endsAt === null ? {} : { end: i.endsAt }),
      created: i.window.end,
      reason: i.summary,
      original: JSON.stringify(i),
    },
    rule: {
      id: rule,
      name: `meshwatch ${i.scope} incident`,
      category: 'incident',
      ruleset: 'meshwatch',
      description:
        i.scope === 'service'
          ? 'meshwatch groups the metrics of one service that break together into one incident'
          : 'meshwatch raises one storm incident when a large share of services break at once',
    },
    ...(s
      ? {
          service: { name: s.name },
          orchestrator: {
            type: 'kubernetes' as const,
            namespace: s.namespace,
            ...(s.cluster === undefined ? {} : { cluster: { name: s.cluster } }),
            resource: { name: s.name, type: 'workload' },
          },
        }
      : {}),
    observer: { vendor: PRODUCT.vendor, product: PRODUCT.name, version: o.productVersion, type: 'anomaly-detector' },
    meshwatch: {
      incident: {
        id: i.id,
        revision: i.revision,
        scope: i.scope,
        status: i.status,
        change: i.change,
        storm: i.storm,
        metrics: i.metrics,
        metrics_omitted: i.metricsOmitted,
        services: i.services.map((m) => serviceKey(m.service)),
        services_omitted: i.servicesOmitted,
        services_seen: i.servicesSeen,
        window: i.window,
      },
    },
  };
}

export function cefOfIncident(i: Incident, o: SiemOptions): string {
  const key = subjectOf(i);
  const ext: [string, string][] = [
    ['rt', String(ms(i.window.end))],
    ['start', String(ms(i.startsAt))],
    ...(i.endsAt === null ? [] : ([['end', String(ms(i.endsAt))]] as [string, string][])),
    ['act', i.status],
    ['cat', `incident/${i.scope}`],
    ['externalId', i.id],
    ['dvchost', key],
    ['msg', cut(i.summary, 1023)],
    ['cs1Label', 'service'],
    ['cs1', key],
  ];
  if (i.metrics.length) ext.push(['cs2Label', 'metrics'], ['cs2', cut(i.metrics.map(contributorLine).join('; '), 4000)]);
  if (i.services.length) ext.push(['cs3Label', 'services'], ['cs3', cut(i.services.map((m) => serviceKey(m.service)).join(', '), 4000)]);
  if (i.storm !== null) ext.push(['cs6Label', 'storm'], ['cs6', i.storm]);
  ext.push(['cn1Label', 'revision'], ['cn1', String(i.revision)]);
  return cefLine(o, `incident/${i.scope}`, i.summary, CEF_SEVERITY[i.severity], ext);
}
