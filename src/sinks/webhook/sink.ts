/**
 * A generic webhook as an AlertSink (and an IncidentSink: `incidents`): one POST per alert, in
 * order, whose body is the alert document itself (`meshwatch.alert/v1`, schemas/alert.schema.json), with
 * `idempotency-key: <alert id>:<status>` (a re-delivery carries the same key) and, when a
 * secret is configured, the HMAC-SHA256 signature headers (./sign.ts). 2xx delivered; 408,
 * 429 (with Retry-After), 5xx, timeouts and network errors retriable; other 4xx permanent
 * (parked). The secret and the configured headers' values never appear in a message.
 */
import { type Alert } from '../../core/alert/schema.js';
import { type Incident } from '../../core/incident/schema.js';
import { type AlertSink, type Delivery, type IncidentSink } from '../../runtime/ports.js';
import { failure, postJson } from '../http/post.js';
import { SIGNATURE_HEADER, TIMESTAMP_HEADER, signatureOf } from './sign.js';

export interface WebhookSinkOptions {
  url: string;
  secret?: string | undefined;
  /** Extra request headers (e.g. an Authorization); their values are treated as secrets. */
  headers?: Record<string, string>;
  timeoutMs?: number;
  maxBodyBytes?: number;
  now?: () => number;
}

export class WebhookSink implements AlertSink {
  private readonly secrets: string[];

  constructor(private readonly o: WebhookSinkOptions) {
    this.secrets = [...(o.secret ? [o.secret] : []), ...Object.values(o.headers ?? {})];
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

  /**
   * Incidents as an IncidentSink: the body is the incident document (`meshwatch.incident/v1`,
   * schemas/incident.schema.json), `idempotency-key: <incident id>:r<revision>`. A storm's
   * members are not sent: the storm document lists them.
   */
  readonly incidents: IncidentSink = {
    deliver: async (incidents: readonly Incident[]): Promise<Delivery> => {
      for (const i of incidents) {
        if (i.storm !== null) continue;
        const d = await this.post(`incident ${i.id}`, JSON.stringify(i), `${i.id}:r${i.revision}`);
        if (!d.ok) return d;
      }
      return { ok: true };
    },
    close: () => Promise.resolve(),
  };

  private send(alert: Alert): Promise<Delivery> {
    return this.post(`alert ${alert.id}`, JSON.stringify(alert), `${alert.id}:${alert.status}`);
  }

  private async post(what: string, body: string, idempotencyKey: string): Promise<Delivery> {
    const bytes = Buffer.byteLength(body, 'utf8');
    const max = this.o.maxBodyBytes ?? 1024 * 1024;
    if (bytes > max) return failure('MW_SINK_REJECTED', `${what}: ${bytes} bytes exceed the webhook's ${max}`);
    const headers: Record<string, string> = { ...this.o.headers, 'idempotency-key': idempotencyKey };
    if (this.o.secret) {
      const ts = Math.floor((this.o.now ?? Date.now)() / 1000);
      headers[TIMESTAMP_HEADER] = String(ts);
      headers[SIGNATURE_HEADER] = signatureOf(this.o.secret, ts, body);
    }
    const d = await postJson({
      url: this.o.url,
      body,
      headers,
      timeoutMs: this.o.timeoutMs ?? 10_000,
      service: 'webhook',
      secrets: this.secrets,
    });
    return d.ok ? d : { ...d, error: Object.assign(d.error, { message: `${what}: ${d.error.message}` }) };
  }
}
