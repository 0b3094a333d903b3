/**
 * Alert → OCSF 1.8.0 Detection Finding (class_uid 2004, category Findings 2). Pure.
 *
 * - activity: a firing alert Creates the finding, a resolved one Closes it (`activity_id` 1
 *   and 3); a firing alert re-published for an open finding (an update of an incident) is an
 *   Update (2) when the caller says so. `type_uid` = 200400 + activity_id.
 * - `finding_info.uid` = the alert id, so every document of one episode is one finding.
 * - `time` (ms): when this document was generated, the end of the alert's window;
 *   `start_time` the episode start, `end_time` its end (resolved) or the window end.
 * - `status_id`: 1 New while firing, 4 Resolved once resolved.
 * - `resources[0]` the service (uid = its key `[cluster:]namespace/name`), `observables` the
 *   service key (type_id 10 Resource UID) and, for new_peer, the peer's.
 * - `anomaly_analyses`: the metric observed (anomalies) against its baseline band (baselines).
 * - `raw_data`: the meshwatch alert itself as JSON, so nothing is lost in the mapping.
 */
import { type Alert } from '../alert/schema.js';
import { type ServiceId, serviceKey } from '../model.js';
import { OCSF_SEVERITY, PRODUCT, type SiemOptions } from './common.js';

export const OCSF_VERSION = '1.8.0';
export const DETECTION_FINDING = { class_uid: 2004, category_uid: 2 } as const;
export type OcsfActivity = 'create' | 'update' | 'close';
const ACTIVITY: Record<OcsfActivity, { id: 1 | 2 | 3; name: string }> = {
  create: { id: 1, name: 'Create' },
  update: { id: 2, name: 'Update' },
  close: { id: 3, name: 'Close' },
};

interface Observation {
  value: string;
  timespan?: { start_time: number; end_time: number; duration: number };
}

export interface OcsfDetectionFinding {
  activity_id: 1 | 2 | 3;
  activity_name: string;
  category_uid: 2;
  category_name: 'Findings';
  class_uid: 2004;
  class_name: 'Detection Finding';
  type_uid: number;
  type_name: string;
  severity_id: 1 | 3 | 4 | 5;
  severity: string;
  status_id: 1 | 4;
  status: 'New' | 'Resolved';
  time: number;
  start_time: number;
  end_time: number;
  timezone_offset: 0;
  message: string;
  is_alert: boolean;
  metadata: {
    version: string;
    product: { name: string; vendor_name: string; version: string };
    log_name: string;
    uid: string;
    original_time: string;
  };
  finding_info: {
    uid: string;
    title: string;
    desc: string;
    types: string[];
    analytic: { name: string; type_id: 3; type: 'Statistical' };
    first_seen_time: number;
    last_seen_time: number;
    src_url?: string;
  };
  resources: { uid: string; name: string; type: string; labels: string[] }[];
  observables: { name: string; type_id: 10 | 99; type: 'Resource UID' | 'Other'; value: string }[];
  anomaly_analyses: {
    analysis_targets: { name: string; type: string }[];
    anomalies: { observation_parameter: string; observation_type: string; observed_pattern: string; observations: Observation[] }[];
    baselines: { observation_parameter: string; observation_type: string; observed_pattern: string; observations: Observation[] }[];
  }[];
  raw_data: string;
}

const ms = (iso: string): number => Date.parse(iso);

/** The activity a document stands for: resolved closes; firing creates unless told it updates. */
export const activityOf = (a: Alert, update = false): OcsfActivity => (a.status === 'resolved' ? 'close' : update ? 'update' : 'create');

/** activity_id, its name, type_uid and type_name of an activity. */
export function activityFields(a: OcsfActivity): Pick<OcsfDetectionFinding, 'activity_id' | 'activity_name' | 'type_uid' | 'type_name'> {
  const x = ACTIVITY[a];
  return {
    activity_id: x.id,
    activity_name: x.name,
    type_uid: DETECTION_FINDING.class_uid * 100 + x.id,
    type_name: `Detection Finding: ${x.name}`,
  };
}

type FindingHead = Pick<
  OcsfDetectionFinding,
  | 'activity_id'
  | 'activity_name'
  | 'type_uid'
  | 'type_name'
  | 'category_uid'
  | 'category_name'
  | 'class_uid'
  | 'message'
  | 'is_alert'
  | 'class_name'
  | 'severity_id'
  | 'severity'
  | 'status_id'
  | 'status'
  | 'time'
  | 'start_time'
  | 'end_time'
  | 'timezone_offset'
>;

/** The class, activity, severity, status, times (ms) and message of a finding, for an alert or an incident. */
export function findingHead(
  activity: OcsfActivity,
  doc: { severity: Alert['severity']; status: Alert['status']; summary: string },
  time: number,
  start: number,
  end: number,
): FindingHead {
  const sev = OCSF_SEVERITY[doc.severity];
  return {
    ...activityFields(activity),
    ...DETECTION_FINDING,
    category_name: 'Findings',
    class_name: 'Detection Finding',
    severity_id: sev.id,
    severity: sev.name,
    status_id: doc.status === 'firing' ? 1 : 4,
    status: doc.status === 'firing' ? 'New' : 'Resolved',
    time,
    start_time: start,
    end_time: end,
    timezone_offset: 0,
    message: doc.summary,
    is_alert: doc.status === 'firing',
  };
}

/** A service as an OCSF resource: uid its key, labels its namespace and cluster. */
export function resourceOf(s: ServiceId | NonNullable<Alert['peer']>): OcsfDetectionFinding['resources'][number] {
  const labels = [`namespace:${s.namespace}`, ...(s.cluster === undefined || s.cluster === '' ? [] : [`cluster:${s.cluster}`])];
  return { uid: serviceKey(s), name: s.name, type: 'Kubernetes Workload', labels };
}

export function ocsfFindingOf(a: Alert, o: SiemOptions & { activity?: OcsfActivity }): OcsfDetectionFinding {
  const key = serviceKey(a.service);
  const windowStart = ms(a.window.start);
  const windowEnd = ms(a.window.end);
  const start = ms(a.startsAt);
  const end = a.endsAt === null ? windowEnd : ms(a.endsAt);
  const unit = a.unit === undefined ? '' : ` ${a.unit}`;
  const observables: OcsfDetectionFinding['observables'] = [{ name: 'resources[0].uid', type_id: 10, type: 'Resource UID', value: key }];
  if (a.peer) observables.push({ name: 'resources[1].uid', type_id: 10, type: 'Resource UID', value: serviceKey(a.peer) });
  const resources = [resourceOf(a.service), ...(a.peer ? [resourceOf(a.peer)] : [])];
  const window = { start_time: windowStart, end_time: windowEnd, duration: windowEnd - windowStart };
  const finding: OcsfDetectionFinding = {
    ...findingHead(o.activity ?? activityOf(a), a, windowEnd, start, end),
    metadata: {
      version: OCSF_VERSION,
      product: { name: PRODUCT.name, vendor_name: PRODUCT.vendor, version: o.productVersion },
      log_name: 'meshwatch.alerts',
      uid: `${a.id}/${a.status}/${windowStart}`,
      original_time: a.window.end,
    },
    finding_info: {
      uid: a.id,
      title: `${a.kind} of ${a.metric} on ${key}`,
      desc: a.summary,
      types: [a.kind],
      analytic: { name: `meshwatch ${a.kind}/${a.metric}`, type_id: 3, type: 'Statistical' },
      first_seen_time: start,
      last_seen_time: windowEnd,
      ...(a.links?.dashboard === undefined ? {} : { src_url: a.links.dashboard }),
    },
    resources,
    observables,
    anomaly_analyses: [
      {
        analysis_targets: [{ name: key, type: 'Kubernetes Workload' }],
        anomalies: [
          {
            observation_parameter: a.metric,
            observation_type: 'Deviation Analysis',
            observed_pattern: a.kind.toUpperCase(),
            observations: [{ value: `${a.observed}${unit}`, timespan: window }],
          },
        ],
        baselines: a.expected
          ? [
              {
                observation_parameter: a.metric,
                observation_type: 'Deviation Analysis',
                observed_pattern: `NORMAL_RANGE ${a.expected.lower}..${a.expected.upper}${unit}`,
                observations: [{ value: `${a.expected.value}${unit}` }],
              },
            ]
          : [],
      },
    ],
    raw_data: JSON.stringify(a),
  };
  return finding;
}
