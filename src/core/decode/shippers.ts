/**
 * Envoy access logs as log shippers put them on Kafka (formats.md §4, §6.5) -> RequestRecords.
 *
 * Recognised messages (already JSON-parsed once by `decode`):
 * - raw: the access-log object itself; a `kubernetes` key beside it (Fluent Bit `Merge_Log On`)
 *   names the pod;
 * - Fluent Bit: `{ log: "<line>", kubernetes?: { pod_name, namespace_name, labels } }`;
 * - Vector:     `{ message: "<line>", kubernetes?: { pod_name, pod_namespace, pod_labels, pod_owner } }`;
 * - OTel Collector `otlp_json`: `{ resourceLogs: [{ resource: { attributes }, scopeLogs: [{
 *   logRecords: [{ body: { stringValue | kvlistValue } }] }] }] }`, pod from the `k8s.pod.name` /
 *   `k8s.namespace.name` resource attributes (labels from `k8s.pod.label(s).<key>`, owners from
 *   `k8s.{deployment,replicaset,statefulset,daemonset,cronjob,job}.name`, the cluster from
 *   `k8s.cluster.name`, which wins over the topic's configured cluster); one message,
 *   many records, many observations;
 * - OTel Collector `raw`: the whole message is a JSON string literal holding the line.
 * A line that is not a JSON object is read as a TEXT access log (text-log.ts: the topic's
 * formats, Istio's and Envoy's defaults built in); a line no format reads past its first
 * operator (Envoy's own log lines), or an object that is not an access log, is `ignored`. A line that starts like a JSON object but does
 * not parse is MW_DECODE_INVALID_JSON / MW_DECODE_TRUNCATED with the path of the line.
 * One bad record fails the whole message (a DecodeResult is all or nothing), so the DLQ keeps it.
 * Embedded lines go through the same guarded parse as whole messages (`limits`: depth, width).
 * OTLP `kvlistValue` bodies are flattened one level only (an access log is flat): nested
 * kvlist/array values become empty placeholders, never a recursive walk; key maps have no
 * prototype, so a `__proto__` key is plain data.
 */
import { z } from 'zod';
import { type Problem, type Result, fail, ok } from '../result.js';
import { type RequestRecord } from '../model.js';
import { accessLogPart, looksLikeAccessLog } from './envoy.js';
import { type Obj, type Part, Fields, at, has, ignoredOne, isObj, own } from './fields.js';
import { type PodRef } from './identity.js';
import { ownerFromRef } from '../identity/resolve.js';
import { type JsonLimits, CLIP_CHARS, parseJson } from './json-text.js';
import { type TextFormat } from './text-format.js';
import { decodeTextLog } from './text-log.js';

export function isEnvoyMessage(v: unknown): boolean {
  if (typeof v === 'string') return true;
  if (!isObj(v)) return false;
  return has(v, 'resourceLogs') || looksLikeAccessLog(v) || typeof own(v, 'log') === 'string' || typeof own(v, 'message') === 'string';
}

export function decodeEnvoyMessage(
  v: unknown,
  cluster: string | undefined,
  limits: Readonly<JsonLimits>,
  formats: readonly TextFormat[],
): Result<Part> {
  if (typeof v === 'string') return fromLine(v, '(string literal)', undefined, cluster, limits, formats);
  if (!isObj(v)) return fail('MW_DECODE_UNKNOWN_FORMAT', '(message): not an access log, a log shipper record or an OTLP logs document');
  if (has(v, 'resourceLogs')) return fromOtlp(v, cluster, limits, formats);
  const f = new Fields();
  const pod = shipperPod(f, v);
  if (f.problem !== undefined) return { ok: false, error: f.problem };
  if (looksLikeAccessLog(v)) return accessLogPart(v, '', pod, cluster);
  const log = own(v, 'log');
  if (typeof log === 'string') return fromLine(log, 'log', pod, cluster, limits, formats);
  const message = own(v, 'message');
  if (typeof message === 'string') return fromLine(message, 'message', pod, cluster, limits, formats);
  return fail('MW_DECODE_UNKNOWN_FORMAT', '(message): no access log, `log` or `message` string, or `resourceLogs`');
}

/** A text line's request as a part (text lines name their pod through the shipper or their own fields). */
const one = (r: Result<RequestRecord>): Result<Part> =>
  r.ok ? ok({ observations: [{ kind: 'request', request: r.value }], ignored: 0 }) : r;

/** The pod a Fluent Bit or Vector `kubernetes` block names; undefined when it names none. */
function shipperPod(f: Fields, record: Obj): PodRef | undefined {
  const k = f.obj(record, 'kubernetes', '');
  if (k === undefined) return undefined;
  const pod = f.str(k, 'pod_name', 'kubernetes');
  const namespace = f.str(k, 'namespace_name', 'kubernetes') ?? f.str(k, 'pod_namespace', 'kubernetes');
  const labels = f.labels(k, 'labels', 'kubernetes') ?? f.labels(k, 'pod_labels', 'kubernetes');
  const ownerRef = f.str(k, 'pod_owner', 'kubernetes');
  const owner = ownerRef === undefined ? undefined : ownerFromRef(ownerRef);
  return pod && namespace ? { namespace, pod, labels, ...(owner ? { owners: [owner] } : {}) } : undefined;
}

/** A container log line that may hold a JSON access log. */
function fromLine(
  text: string,
  where: string,
  pod: PodRef | undefined,
  cluster: string | undefined,
  limits: Readonly<JsonLimits>,
  formats: readonly TextFormat[],
): Result<Part> {
  let i = 0;
  while (i < text.length && /\s/.test(text.charAt(i))) i++;
  if (text.charAt(i) !== '{') {
    const t = decodeTextLog(text, where, pod, cluster, formats);
    return t.notAccessLog ? ignoredOne() : one(t.result);
  }
  const parsed = parseJson(text, where, limits);
  if (!parsed.ok) return parsed;
  const log = parsed.value;
  if (!isObj(log) || !looksLikeAccessLog(log)) return ignoredOne();
  return accessLogPart(log, where, pod, cluster);
}

// ---- OTLP/JSON logs (opentelemetry-proto docs/specification.md "JSON Protobuf Encoding") ----

const KeyValue = z.object({ key: z.string(), value: z.looseObject({ stringValue: z.string().optional() }).nullish() });
const LogRecord = z.looseObject({
  body: z
    .looseObject({
      stringValue: z.string().optional(),
      kvlistValue: z.looseObject({ values: z.array(z.object({ key: z.string(), value: z.unknown() })).optional() }).optional(),
    })
    .nullish(),
});
const LogsDocument = z.looseObject({
  resourceLogs: z.array(
    z.looseObject({
      resource: z.looseObject({ attributes: z.array(KeyValue).optional() }).nullish(),
      scopeLogs: z.array(z.looseObject({ logRecords: z.array(LogRecord).optional() })).optional(),
    }),
  ),
});
type KeyValue = z.infer<typeof KeyValue>;

/** OTel semantic-convention owner attributes (k8sattributes processor), by owner kind. */
const OWNER_ATTRIBUTES = [
  ['Deployment', 'k8s.deployment.name'],
  ['ReplicaSet', 'k8s.replicaset.name'],
  ['StatefulSet', 'k8s.statefulset.name'],
  ['DaemonSet', 'k8s.daemonset.name'],
  ['CronJob', 'k8s.cronjob.name'],
  ['Job', 'k8s.job.name'],
] as const;
/** The cluster a resource names (OTel `k8s.cluster.name`); it wins over the topic's configured cluster. */
const CLUSTER_ATTRIBUTE = 'k8s.cluster.name';
const LABEL_PREFIXES = ['k8s.pod.labels.', 'k8s.pod.label.'];

function schemaProblem(error: z.ZodError): Problem {
  const issue = error.issues[0];
  const full = (issue?.path ?? []).reduce<string>((p, k) => at(p, typeof k === 'number' ? k : String(k)), '');
  const path = full.length > CLIP_CHARS ? `${full.slice(0, CLIP_CHARS)}…` : full;
  const said = issue?.message.slice(0, CLIP_CHARS) ?? 'invalid OTLP logs document';
  return { code: 'MW_DECODE_SCHEMA', reason: `${path === '' ? '(message)' : path}: ${said}` };
}

function resourcePod(attributes: readonly KeyValue[] | undefined): (PodRef & { cluster?: string }) | undefined {
  if (attributes === undefined) return undefined;
  const attrs = new Map<string, string>();
  let labels: Record<string, string> | undefined;
  const newLabels = (): Record<string, string> => Object.create(null) as Record<string, string>;
  for (const { key, value } of attributes) {
    const s = value?.stringValue;
    if (s === undefined) continue;
    attrs.set(key, s);
    const prefix = LABEL_PREFIXES.find((p) => key.startsWith(p));
    if (prefix !== undefined) (labels ??= newLabels())[key.slice(prefix.length)] = s;
  }
  const pod = attrs.get('k8s.pod.name');
  const namespace = attrs.get('k8s.namespace.name');
  if (!pod || !namespace) return undefined;
  const owners = OWNER_ATTRIBUTES.flatMap(([kind, key]) => {
    const name = attrs.get(key);
    return name ? [{ kind, name }] : [];
  });
  const cluster = attrs.get(CLUSTER_ATTRIBUTE);
  return { namespace, pod, labels, owners, ...(cluster ? { cluster } : {}) };
}

/**
 * OTLP AnyValue -> plain JSON scalar (int64 text -> number), for `kvlistValue` bodies. Nested
 * kvlist/array values become `{}`/`[]` (an access log field is never one; its decoder then
 * reports the wrong type) so untrusted nesting is never walked.
 */
function anyValue(v: unknown): unknown {
  if (!isObj(v)) return null;
  if (has(v, 'stringValue')) return v['stringValue'];
  if (has(v, 'intValue')) return typeof v['intValue'] === 'string' ? Number(v['intValue']) : v['intValue'];
  if (has(v, 'doubleValue')) return v['doubleValue'];
  if (has(v, 'boolValue')) return v['boolValue'];
  if (isObj(own(v, 'kvlistValue'))) return Object.create(null) as Obj;
  if (isObj(own(v, 'arrayValue'))) return [];
  return null;
}

/** A kvlist's `values` as a key map without a prototype (a `__proto__` key is plain data). */
function kvlist(values: unknown): Obj {
  const out = Object.create(null) as Obj;
  if (!Array.isArray(values)) return out;
  for (const kv of values) if (isObj(kv) && typeof kv['key'] === 'string') out[kv['key']] = anyValue(own(kv, 'value'));
  return out;
}

function fromOtlp(doc: Obj, cluster: string | undefined, limits: Readonly<JsonLimits>, formats: readonly TextFormat[]): Result<Part> {
  const parsed = LogsDocument.safeParse(doc);
  if (!parsed.success) return { ok: false, error: schemaProblem(parsed.error) };
  const out: Part = { observations: [], ignored: 0 };
  for (const [ri, rl] of parsed.data.resourceLogs.entries()) {
    const pod = resourcePod(rl.resource?.attributes);
    const resourceCluster = pod?.cluster ?? cluster;
    for (const [si, sl] of (rl.scopeLogs ?? []).entries()) {
      for (const [li, rec] of (sl.logRecords ?? []).entries()) {
        const r = fromRecord(
          rec.body,
          `resourceLogs[${ri}].scopeLogs[${si}].logRecords[${li}].body`,
          pod,
          resourceCluster,
          limits,
          formats,
        );
        if (!r.ok) return r;
        out.observations.push(...r.value.observations);
        out.ignored += r.value.ignored;
      }
    }
  }
  return ok(out);
}

function fromRecord(
  body: z.infer<typeof LogRecord>['body'],
  base: string,
  pod: PodRef | undefined,
  cluster: string | undefined,
  limits: Readonly<JsonLimits>,
  formats: readonly TextFormat[],
): Result<Part> {
  if (body?.stringValue !== undefined) return fromLine(body.stringValue, `${base}.stringValue`, pod, cluster, limits, formats);
  if (body?.kvlistValue === undefined) return ignoredOne();
  const log = kvlist(body.kvlistValue.values);
  return looksLikeAccessLog(log) ? accessLogPart(log, `${base}.kvlistValue`, pod, cluster) : ignoredOne();
}
