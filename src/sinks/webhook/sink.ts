/**
 * A generic webhook as an AlertSink: one POST per alert, in order, whose body is the alert
 * document itself (`meshwatch.alert/v1`, schemas/alert.schema.json), with
 * `idempotency-key: <alert id>:<status>` (a re-delivery carries the same key) and, when a
 * secret is configured, the HMAC-SHA256 signature headers (./sign.ts). 2xx delivered; 408,
 * 429 (with Retry-After), 5xx, timeouts and network errors retriable; other 4xx permanent
 * (parked). The secret and the configured headers' values never appear in a message.
 */
import { type Alert } from '../../core/alert/schema.js';
import { type AlertSink, type Delivery } from '../../runtime/ports.js';
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

  private async send(alert: Alert): Promise<Delivery> {
    const body = JSON.stringify(alert);
    const bytes = Buffer.byteLength(body, 'utf8');
    const max = this.o.maxBodyBytes ?? 1024 * 1024;
    if (bytes > max) return failure('MW_SINK_REJECTED', `alert ${alert.id}: ${bytes} bytes exceed the webhook's ${max}`);
    const headers: Record<string, string> = { ...this.o.headers, 'idempotency-key': `${alert.id}:${alert.status}` };
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
    return d.ok ? d : { ...d, error: Object.assign(d.error, { message: `alert ${alert.id}: ${d.error.message}` }) };
  }
}
