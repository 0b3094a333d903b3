/**
 * Splunk HTTP Event Collector as an AlertSink and an IncidentSink (`incidents`, see
 * hecEventOfIncident) (integrations.md §3.4): each alert one HEC event
 * POSTed to `<url>/services/collector/event` with `Authorization: Splunk <token>` and
 * `X-Splunk-Request-Channel` (one channel per sink), the event body the alert (or its OCSF or
 * ECS rendering), `time` the window end in epoch seconds, `host` the service key, and indexed
 * `fields` (service, namespace, cluster, severity, kind, metric, status, alert_id).
 *
 * Outcomes, by HTTP status and HEC code ({"text", "code"}):
 * - 200 code 0: accepted. With `ack` (indexer acknowledgement), the answer carries an `ackId`
 *   and the alert counts as delivered only once `POST /services/collector/ack` says it is
 *   indexed; no confirmation within `ackTimeoutMs` is a retriable failure (the event is sent
 *   again: at least once, deduplicated downstream by `fields.alert_id`).
 * - 400 with codes 5, 6, 12, 13, 15 (no data, invalid format, event missing or blank, indexed
 *   fields): the event can never be taken, a permanent failure (MW_SINK_REJECTED, parked).
 * - 401/403 (token), 400 codes 7, 10, 11, 14 (index, channel, ack disabled): the collector's
 *   configuration refuses everything; retried (MW_SINK_DELIVERY) so nothing is lost while it
 *   is fixed. 429, 5xx (503 code 9: busy), timeouts and network errors: retried.
 * An event larger than `maxEventBytes` is refused before sending, permanently. The token is
 * in the Authorization header only: no message, error or value this sink returns contains it.
 */
import { randomUUID } from 'node:crypto';
import { type Alert } from '../../core/alert/schema.js';
import { serviceKey } from '../../core/model.js';
import { type Incident } from '../../core/incident/schema.js';
import { ecsAlertOf, ecsAlertOfIncident, ocsfFindingOf, ocsfFindingOfIncident, subjectOf } from '../../core/siem/index.js';
import { MeshwatchError } from '../../errors.js';
import { type AlertSink, type Delivery, type IncidentSink } from '../../runtime/ports.js';
import { serviceLabelsOf } from '../template.js';

export interface SplunkHecSinkOptions {
  /** Base URL of the collector, e.g. https://splunk.example.com:8088. */
  url: string;
  token: string;
  index?: string;
  source?: string;
  sourcetype?: string;
  /** The sourcetype of incident events (default `meshwatch:incident`). */
  incidentSourcetype?: string;
  format?: 'alert' | 'ocsf' | 'ecs';
  productVersion?: string;
  ack?: boolean;
  ackTimeoutMs?: number;
  ackPollMs?: number;
  timeoutMs?: number;
  maxEventBytes?: number;
}

/** HEC codes that mean this event can never be taken. */
const PERMANENT_CODES = new Set([5, 6, 12, 13, 15]);
const MAX_REASON_CHARS = 2000;

export interface HecEvent {
  time: number;
  host: string;
  source: string;
  sourcetype: string;
  index?: string;
  event: unknown;
  /** Indexed fields; a list is a multi-valued field. */
  fields: Record<string, string | string[]>;
}

export function hecEventOf(
  a: Alert,
  o: Pick<SplunkHecSinkOptions, 'index' | 'source' | 'sourcetype' | 'format' | 'productVersion'>,
): HecEvent {
  const v = { productVersion: o.productVersion ?? 'unknown' };
  const event = o.format === 'ocsf' ? ocsfFindingOf(a, v) : o.format === 'ecs' ? ecsAlertOf(a, v) : a;
  const fields: Record<string, string> = {
    alert_id: a.id,
    status: a.status,
    severity: a.severity,
    kind: a.kind,
    metric: a.metric,
    service: a.service.name,
    namespace: a.service.namespace,
  };
  if (a.service.cluster !== undefined) fields.cluster = a.service.cluster;
  return {
    time: Date.parse(a.window.end) / 1000,
    host: serviceKey(a.service),
    source: o.source ?? 'meshwatch',
    sourcetype: o.sourcetype ?? 'meshwatch:alert',
    ...(o.index === undefined ? {} : { index: o.index }),
    event,
    fields,
  };
}

/**
 * An incident as a HEC event: the incident document (or its OCSF or ECS rendering), sourcetype
 * `incidentSourcetype`, `host` the service key (`mesh` for a storm), indexed `fields`
 * incident_id, revision, scope, status, severity, service, namespace, cluster, and `metric` /
 * `member` (multi-valued: every contributing metric; a storm's services).
 */
export function hecEventOfIncident(
  i: Incident,
  o: Pick<SplunkHecSinkOptions, 'index' | 'source' | 'incidentSourcetype' | 'format' | 'productVersion'>,
): HecEvent {
  const v = { productVersion: o.productVersion ?? 'unknown' };
  const event = o.format === 'ocsf' ? ocsfFindingOfIncident(i, v) : o.format === 'ecs' ? ecsAlertOfIncident(i, v) : i;
  const fields: HecEvent['fields'] = {
    incident_id: i.id,
    revision: String(i.revision),
    scope: i.scope,
    status: i.status,
    severity: i.severity,
    ...(i.service ? serviceLabelsOf(i.service) : {}),
  };
  if (i.metrics.length) fields.metric = i.metrics.map((m) => m.metric);
  if (i.services.length) fields.member = i.services.map((m) => serviceKey(m.service));
  return {
    time: Date.parse(i.window.end) / 1000,
    host: subjectOf(i),
    source: o.source ?? 'meshwatch',
    sourcetype: o.incidentSourcetype ?? 'meshwatch:incident',
    ...(o.index === undefined ? {} : { index: o.index }),
    event,
    fields,
  };
}

export class SplunkHecSink implements AlertSink {
  /** One channel per sink: Splunk tracks acknowledgements per channel. */
  readonly channel = randomUUID();
  private readonly base: string;

  constructor(private readonly o: SplunkHecSinkOptions) {
    this.base = o.url.replace(/\/+$/, '');
  }

  async deliver(alerts: readonly Alert[]): Promise<Delivery> {
    for (const a of alerts) {
      const d = await this.send(a);
      if (!d.ok) return d;
    }
    return { ok: true };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** Incidents as an IncidentSink: one HEC event per incident document (hecEventOfIncident). */
  readonly incidents: IncidentSink = {
    deliver: async (incidents: readonly Incident[]): Promise<Delivery> => {
      for (const i of incidents) {
        const d = await this.sendEvent(`incident ${i.id}`, JSON.stringify(hecEventOfIncident(i, this.o)));
        if (!d.ok) return d;
      }
      return { ok: true };
    },
    close: () => Promise.resolve(),
  };

  private send(a: Alert): Promise<Delivery> {
    return this.sendEvent(`alert ${a.id}`, JSON.stringify(hecEventOf(a, this.o)));
  }

  /** `what` names the document in messages (`alert mw-…`, `incident mw-…`). */
  private async sendEvent(what: string, body: string): Promise<Delivery> {
    const bytes = Buffer.byteLength(body, 'utf8');
    const max = this.o.maxEventBytes ?? 1024 * 1024;
    if (bytes > max) return this.failure('MW_SINK_REJECTED', `${what}: event of ${bytes} bytes exceeds ${max}`);
    const r = await this.post('/services/collector/event', body, what);
    if ('failure' in r) return r.failure;
    if (!this.o.ack) return { ok: true };
    const ackId = (r.json as { ackId?: unknown } | null)?.ackId;
    if (typeof ackId !== 'number')
      return this.failure(
        'MW_SINK_DELIVERY',
        `${what}: Splunk HEC answered without an ackId (is indexer acknowledgement on for this token?)`,
      );
    return this.awaitAck(what, ackId);
  }

  /** Polls the ack endpoint until the event is indexed, or fails retriably after ackTimeoutMs. */
  private async awaitAck(what: string, ackId: number): Promise<Delivery> {
    const until = Date.now() + (this.o.ackTimeoutMs ?? 60_000);
    for (;;) {
      const r = await this.post(`/services/collector/ack?channel=${this.channel}`, JSON.stringify({ acks: [ackId] }), what);
      if ('failure' in r) return r.failure;
      const acks = (r.json as { acks?: Record<string, unknown> } | null)?.acks;
      if (acks?.[String(ackId)] === true) return { ok: true };
      if (Date.now() >= until) {
        return this.failure(
          'MW_SINK_DELIVERY',
          `${what}: Splunk did not confirm indexing of ack ${ackId} within ${this.o.ackTimeoutMs ?? 60_000} ms`,
        );
      }
      await new Promise((res) => setTimeout(res, this.o.ackPollMs ?? 1000));
    }
  }

  private async post(path: string, body: string, what: string): Promise<{ json: unknown } | { failure: Delivery }> {
    let res: Response;
    let text: string;
    try {
      res = await fetch(`${this.base}${path}`, {
        method: 'POST',
        headers: { authorization: `Splunk ${this.o.token}`, 'x-splunk-request-channel': this.channel, 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs ?? 10_000),
      });
      text = await res.text();
    } catch (cause) {
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      const why = timedOut ? `no answer within ${this.o.timeoutMs ?? 10_000} ms` : cause instanceof Error ? cause.message : String(cause);
      return { failure: this.failure('MW_SINK_DELIVERY', `${what}: Splunk HEC ${this.where(path)}: ${why}`) };
    }
    let json: unknown = null;
    try {
      json = JSON.parse(text);
    } catch {
      // not JSON: keep the text for the reason
    }
    const hec = json as { text?: unknown; code?: unknown } | null;
    const code = typeof hec?.code === 'number' ? hec.code : undefined;
    if (res.status >= 200 && res.status < 300 && (code === undefined || code === 0)) return { json };
    const reason =
      typeof hec?.text === 'string' ? `${hec.text}${code === undefined ? '' : ` (code ${code})`}` : text.slice(0, MAX_REASON_CHARS);
    const why = `${what}: Splunk HEC answered ${res.status}: ${reason}`;
    const permanent = res.status === 400 && code !== undefined && PERMANENT_CODES.has(code);
    return { failure: this.failure(permanent ? 'MW_SINK_REJECTED' : 'MW_SINK_DELIVERY', why) };
  }

  private failure(code: 'MW_SINK_DELIVERY' | 'MW_SINK_REJECTED', message: string): Delivery {
    const retriable = code === 'MW_SINK_DELIVERY';
    return { ok: false, retriable, error: new MeshwatchError(code, this.scrubbed(message), { retriable }) };
  }

  private where(path: string): string {
    try {
      const u = new URL(`${this.base}${path}`);
      return `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      return 'endpoint';
    }
  }

  private scrubbed(text: string): string {
    return this.o.token.length > 0 ? text.split(this.o.token).join('***') : text;
  }
}
