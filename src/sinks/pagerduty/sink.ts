/**
 * PagerDuty Events API v2 as an AlertSink. One POST per alert, in order (the API takes one
 * event per request), with Node's fetch bounded by `timeoutMs` (AbortSignal.timeout).
 *
 * Outcomes (integrations.md §1.1): 2xx (202) delivered; 400 and other 4xx a permanent
 * failure (MW_SINK_REJECTED, carrying PagerDuty's `message` and `errors`); 408, 429, 5xx,
 * a timeout and network errors retriable (MW_SINK_DELIVERY). An event larger than
 * `maxEventBytes` (PagerDuty: 512 KB) is refused before sending, permanently. `deliver`
 * stops at the first failure: the alerts before it were delivered, and re-delivering them is
 * harmless (same dedup_key). The routing key is in the request body only: no message,
 * error or value this sink returns contains it (`scrubbed`).
 */
import { type Alert } from '../../core/alert/schema.js';
import { type Incident } from '../../core/incident/schema.js';
import { MeshwatchError } from '../../errors.js';
import { type AlertSink, type Delivery, type IncidentSink } from '../../runtime/ports.js';
import { retryAfterMs } from '../http/post.js';
import { renderUrl } from '../template.js';
import { DEFAULT_PAGERDUTY_URL, MAX_EVENT_BYTES, type PagerDutyEvent, eventOf, eventOfIncident } from './events.js';
import { type Router } from './routes.js';

export interface PagerDutySinkOptions {
  /** The one key for every alert, or … */
  routingKey?: string;
  /** … a key per alert (routing rules); an alert without one is refused (parked). */
  router?: Router;
  url?: string;
  timeoutMs?: number;
  maxEventBytes?: number;
  /** Links on every event: text and a URL template over the alert. */
  links?: readonly { text: string; url: string }[];
  now?: () => number;
}

/** Longest part of PagerDuty’s answer kept in an error (characters). */
const MAX_REASON_CHARS = 2000;

export class PagerDutySink implements AlertSink {
  private readonly url: string;
  private readonly timeoutMs: number;
  private readonly maxEventBytes: number;

  constructor(private readonly opts: PagerDutySinkOptions) {
    this.url = opts.url ?? DEFAULT_PAGERDUTY_URL;
    this.timeoutMs = opts.timeoutMs ?? 10_000;
    this.maxEventBytes = opts.maxEventBytes ?? MAX_EVENT_BYTES;
  }

  async deliver(alerts: readonly Alert[]): Promise<Delivery> {
    for (const alert of alerts) {
      const d = await this.send(alert);
      if (!d.ok) return d;
    }
    return { ok: true };
  }

  close(): Promise<void> {
    return Promise.resolve();
  }

  /** The incidents as an IncidentSink: one event per change (none for a storm's members: the storm pages for them). */
  readonly incidents: IncidentSink = {
    deliver: async (incidents: readonly Incident[]): Promise<Delivery> => {
      for (const i of incidents) {
        const key = this.keyFor({ service: i.service ?? { namespace: '', name: '' }, severity: i.severity });
        if (key === undefined) return this.unrouted(`incident ${i.id}`);
        const e = eventOfIncident(i, key);
        if (!e) continue;
        const d = await this.post(`incident ${i.id}`, e);
        if (!d.ok) return d;
      }
      return { ok: true };
    },
    close: () => Promise.resolve(),
  };

  private keyFor(doc: Pick<Alert, 'service' | 'severity'>): string | undefined {
    return this.opts.router ? this.opts.router.keyFor(doc) : this.opts.routingKey;
  }

  private unrouted(what: string): Delivery {
    return this.failure('MW_SINK_REJECTED', `${what}: no PagerDuty routing rule matches and no default routing key is set`);
  }

  private send(alert: Alert): Promise<Delivery> {
    const key = this.keyFor(alert);
    if (key === undefined) return Promise.resolve(this.unrouted(`alert ${alert.id}`));
    const links = (this.opts.links ?? []).map((l) => ({ href: renderUrl(l.url, alert), text: l.text }));
    return this.post(`alert ${alert.id}`, eventOf(alert, key, links));
  }

  private async post(what: string, event: PagerDutyEvent): Promise<Delivery> {
    const body = JSON.stringify(event);
    const bytes = Buffer.byteLength(body, 'utf8');
    if (bytes > this.maxEventBytes) {
      return this.failure('MW_SINK_REJECTED', `${what}: event of ${bytes} bytes exceeds PagerDuty's ${this.maxEventBytes}`);
    }
    let res: Response;
    let text: string;
    try {
      res = await fetch(this.url, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        signal: AbortSignal.timeout(this.timeoutMs),
      });
      text = await res.text();
    } catch (cause) {
      const timedOut = cause instanceof Error && (cause.name === 'TimeoutError' || cause.name === 'AbortError');
      const why = timedOut ? `no answer within ${this.timeoutMs} ms` : describe(cause);
      return this.failure('MW_SINK_DELIVERY', `${what}: PagerDuty ${this.where()}: ${why}`);
    }
    if (res.status >= 200 && res.status < 300) return { ok: true };
    const why = `${what}: PagerDuty answered ${res.status}${reasonOf(text)}`;
    const retriable = res.status === 408 || res.status === 429 || res.status >= 500;
    const d = this.failure(retriable ? 'MW_SINK_DELIVERY' : 'MW_SINK_REJECTED', why);
    // PagerDuty's throttle may say how long to wait: the worker waits at least that.
    const after = retriable ? retryAfterMs(res.headers.get('retry-after'), (this.opts.now ?? Date.now)()) : undefined;
    return after === undefined || d.ok ? d : { ...d, retryAfterMs: after };
  }

  private failure(code: 'MW_SINK_DELIVERY' | 'MW_SINK_REJECTED', message: string): Delivery {
    const retriable = code === 'MW_SINK_DELIVERY';
    return { ok: false, retriable, error: new MeshwatchError(code, this.scrubbed(message), { retriable }) };
  }

  /** Host and path of the endpoint (never its query or userinfo). */
  private where(): string {
    try {
      const u = new URL(this.url);
      return `${u.protocol}//${u.host}${u.pathname}`;
    } catch {
      return 'endpoint';
    }
  }

  private scrubbed(text: string): string {
    const keys = [...(this.opts.routingKey ? [this.opts.routingKey] : []), ...(this.opts.router?.secrets ?? [])];
    return keys.filter((k) => k.length > 0).reduce((t, k) => t.split(k).join('***'), text);
  }
}

const describe = (e: unknown): string => {
  if (!(e instanceof Error)) return String(e);
  const cause = e.cause instanceof Error ? ` (${e.cause.message})` : '';
  return `${e.message}${cause}`;
};

/** `: message (errors)` from PagerDuty's JSON answer, else the start of the text. */
function reasonOf(text: string): string {
  if (text.trim() === '') return '';
  try {
    const j = JSON.parse(text) as { message?: unknown; errors?: unknown };
    const parts: string[] = [];
    if (typeof j.message === 'string') parts.push(j.message);
    if (Array.isArray(j.errors) && j.errors.length > 0) parts.push(`(${j.errors.map(String).join('; ')})`);
    if (parts.length > 0) return `: ${parts.join(' ').slice(0, MAX_REASON_CHARS)}`;
  } catch {
    // not JSON: keep the text
  }
  return `: ${text.slice(0, MAX_REASON_CHARS)}`;
}
