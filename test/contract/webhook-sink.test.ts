/**
 * The webhook sink passes the AlertSink contract against a local receiver that verifies the
 * HMAC-SHA256 signature on its own (test/fakes/webhook.ts), and keeps its promises: every
 * request signed over its exact body, a wrong secret refused, the idempotency key stable
 * across re-deliveries, 429 retriable with its Retry-After, 4xx permanent, no secret in any
 * message.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert, AlertSchema } from '../../src/core/alert/schema.js';
import { WebhookSink } from '../../src/sinks/webhook/index.js';
import { FakeWebhook } from '../fakes/webhook.js';
import { alertOf, alertSinkContract } from './alert-sink.js';

const SECRET = 'a-webhook-secret-of-some-length';

alertSinkContract('webhook', async () => {
  const hook = await new FakeWebhook(SECRET).start();
  return {
    sink: new WebhookSink({ url: hook.url, secret: SECRET, timeoutMs: 5000 }),
    readBack: async (n) => {
      const end = Date.now() + 10_000;
      while (hook.received.length < n && Date.now() < end) await new Promise((r) => setTimeout(r, 20));
      return hook.received.map((r) => AlertSchema.parse(r.body));
    },
    small: () => Promise.resolve(new WebhookSink({ url: hook.url, secret: SECRET, maxBodyBytes: 64 * 1024 })),
    close: () => hook.stop(),
  };
});

describe('webhook sink', () => {
  let hook: FakeWebhook;
  afterEach(() => hook.stop());

  it('signs every request so the receiver verifies it; the idempotency key is the alert id and status', async () => {
    hook = await new FakeWebhook(SECRET).start();
    const firing = alertOf('checkout', 'firing', 0);
    const resolved: Alert = { ...firing, status: 'resolved', endsAt: firing.window.end };
    const sink = new WebhookSink({ url: hook.url, secret: SECRET });
    expect(await sink.deliver([firing, firing, resolved])).toEqual({ ok: true });
    expect(hook.refused).toEqual([]);
    expect(hook.received.map((r) => r.headers['idempotency-key'])).toEqual([
      `${firing.id}:firing`,
      `${firing.id}:firing`,
      `${firing.id}:resolved`,
    ]);
    expect(hook.received.map((r) => r.body)).toEqual([firing, firing, resolved]);
    expect(hook.received[0]!.headers['x-meshwatch-signature']).toMatch(/^sha256=[0-9a-f]{64}$/);
  });

  it('a receiver with another secret refuses it (401: permanent), and the message shows neither secret', async () => {
    hook = await new FakeWebhook('the-receivers-own-secret-123').start();
    const d = await new WebhookSink({ url: hook.url, secret: SECRET }).deliver([alertOf('cart', 'firing', 1)]);
    expect(d).toMatchObject({ ok: false, retriable: false });
    if (!d.ok) {
      expect(d.error.code).toBe('MW_SINK_REJECTED');
      expect(d.error.message).toContain('401');
      expect(d.error.message).not.toContain(SECRET);
    }
    expect(hook.refused).toEqual(['bad signature']);
  });

  it('unsigned without a secret; 429 is retriable with the Retry-After asked for; 503 retriable', async () => {
    hook = await new FakeWebhook().start();
    hook.failNext(429, '7');
    hook.failNext(503);
    const sink = new WebhookSink({ url: hook.url });
    const a = alertOf('search', 'firing', 2);
    expect(await sink.deliver([a])).toMatchObject({ ok: false, retriable: true, retryAfterMs: 7000 });
    const d = await sink.deliver([a]);
    expect(d).toMatchObject({ ok: false, retriable: true });
    expect(d).not.toHaveProperty('retryAfterMs');
    expect(await sink.deliver([a])).toEqual({ ok: true });
    expect(hook.received[0]!.headers).not.toHaveProperty('x-meshwatch-signature');
  });
});
