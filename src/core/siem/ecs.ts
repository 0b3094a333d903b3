/**
 * Alert → Elastic Common Schema document (`event.kind: alert`: an alert raised by a detection
 * rule running outside the Elastic Stack; `signal` is Kibana's own and never set). Pure.
 *
 * - `@timestamp` the end of the alert's window; `event.start` the episode start, `event.end`
 *   its end once resolved; `event.created` the document's creation (the window end).
 * - `event.category`/`event.type` from ECS's allowed pairs: request metrics (rate, errors,
 *   latency) are `web` (`error` for the error ratio, else `info`), traffic volumes `network`
 *   `info`, a new peer `network` `connection`, container resources `host` `info`.
 * - `event.severity` is OCSF's severity_id (5 critical … 1 info); `event.risk_score` the
 *   score × 100; `event.id` is unique per document, the alert id is `rule`-independent in
 *   `labels.meshwatch_alert_id` and `event.code` names the rule (`kind/metric`).
 * - `service.name`, `orchestrator.*` (kubernetes, namespace, cluster, workload) name the
 *   service; links go to `event.url` (dashboard) and `event.reference` / `rule.reference`
 *   (runbook). Values ECS has no field for live under `meshwatch.*`; `event.original` is the
 *   meshwatch alert as JSON.
 */
import { type Alert } from '../alert/schema.js';
import { serviceKey } from '../model.js';
import { OCSF_SEVERITY, PRODUCT, type SiemOptions } from './common.js';

export const ECS_VERSION = '8.12.0';

/** What every meshwatch ECS document holds, alert or incident. */
export interface EcsDocument {
  '@timestamp': string;
  message: string;
  tags: string[];
  labels: Record<string, string>;
  ecs: { version: string };
  event: {
    kind: 'alert';
    category: string[];
    type: string[];
    action: string;
    id: string;
    code: string;
    dataset: string;
    module: string;
    provider: string;
    severity: number;
    risk_score: number;
    start: string;
    end?: string;
    created: string;
    reason: string;
    url?: string;
    reference?: string;
    original: string;
  };
  rule: { id: string; name: string; category: string; ruleset: string; description: string; reference?: string };
  service?: { name: string };
  orchestrator?: EcsOrchestrator;
  observer: { vendor: string; product: string; version: string; type: string };
}

export interface EcsOrchestrator {
  type: 'kubernetes';
  namespace: string;
  cluster?: { name: string };
  resource: { name: string; type: string };
}

export interface EcsAlert extends EcsDocument {
  service: { name: string };
  orchestrator: EcsOrchestrator;
  meshwatch: {
    alert_id: string;
    status: Alert['status'];
    metric: string;
    unit?: string;
    observed: number;
    expected: Alert['expected'];
    score: number;
    window: Alert['window'];
    details: Alert['details'];
    peer?: string;
  };
}

/** ECS's category/type pair for one metric's alert (an allowed pair). */
export function categoryOfMetric(kind: Alert['kind'], metric: string): { category: string; type: string } {
  if (kind === 'new_peer') return { category: 'network', type: 'connection' };
  if (metric === 'error_ratio') return { category: 'web', type: 'error' };
  if (metric === 'requests_per_s' || metric.startsWith('latency_')) return { category: 'web', type: 'info' };
  if (metric.startsWith('bytes_') || metric.startsWith('network_')) return { category: 'network', type: 'info' };
  return { category: 'host', type: 'info' };
}

export function ecsAlertOf(a: Alert, o: SiemOptions): EcsAlert {
  const { category, type } = categoryOfMetric(a.kind, a.metric);
  const key = serviceKey(a.service);
  const rule = `${a.kind}/${a.metric}`;
  const labels: Record<string, string> = { meshwatch_alert_id: a.id, meshwatch_service: key };
  const doc: EcsAlert = {
    '@timestamp': a.window.end,
    message: a.summary,
    tags: ['meshwatch', a.kind, a.status],
    labels,
    ecs: { version: ECS_VERSION },
    event: {
      kind: 'alert',
      category: [category],
      type: [type],
      action: `${a.kind}-${a.status}`,
      id: `${a.id}-${a.status}-${Date.parse(a.window.start)}`,
      code: rule,
      dataset: 'meshwatch.alerts',
      module: 'meshwatch',
      provider: 'meshwatch',
      severity: OCSF_SEVERITY[a.severity].id,
      risk_score: Math.round(a.score * 1000) / 10,
      start: a.startsAt,
      ...(a.endsAt === null ? {} : { end: a.endsAt }),
      created: a.window.end,
      reason: a.summary,
      ...(a.links?.dashboard === undefined ? {} : { url: a.links.dashboard }),
      ...(a.links?.runbook === undefined ? {} : { reference: a.links.runbook }),
      original: JSON.stringify(a),
    },
    rule: {
      id: rule,
      name: `meshwatch ${a.kind} of ${a.metric}`,
      category: a.kind,
      ruleset: 'meshwatch',
      description: `meshwatch raises ${a.kind} when ${a.metric} leaves its learned band`,
      ...(a.links?.runbook === undefined ? {} : { reference: a.links.runbook }),
    },
    service: { name: a.service.name },
    orchestrator: {
      type: 'kubernetes',
      namespace: a.service.namespace,
      ...(a.service.cluster === undefined ? {} : { cluster: { name: a.service.cluster } }),
      resource: { name: a.service.name, type: 'workload' },
    },
    observer: { vendor: PRODUCT.vendor, product: PRODUCT.name, version: o.productVersion, type: 'anomaly-detector' },
    meshwatch: {
      alert_id: a.id,
      status: a.status,
      metric: a.metric,
      ...(a.unit === undefined ? {} : { unit: a.unit }),
      observed: a.observed,
      expected: a.expected,
      score: a.score,
      window: a.window,
      details: a.details,
      ...(a.peer ? { peer: serviceKey(a.peer) } : {}),
    },
  };
  return doc;
}
