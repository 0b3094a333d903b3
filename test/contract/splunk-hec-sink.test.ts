/**
 * The Splunk HEC sink passes the AlertSink contract against a local collector implementing
 * HEC's documented behaviour (test/fakes/splunk-hec.ts), and keeps HEC's promises: the token
 * in the Authorization header only, a request channel, indexer acknowledgement awaited before
 * an alert counts as delivered, busy/5xx retriable, malformed events permanent.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert, AlertSchema } from '../../src/core/alert/schema.js';
import { type OcsfDetectionFinding } from '../../src/core/siem/index.js';
import { SplunkHecSink } from '../../src/sinks/splunk/index.js';
import { FakeSplunkHec } from '../fakes/splunk-hec.js';
import { alertOf, alertSinkContract } from './alert-sink.js';

const TOKEN = '8c5d1f3e-0b6a-4e2f-9d7c-1a2b3c4d5e6f';

for (const ack of [false, true]) {
  alertSinkContract(`splunk hec (indexer acknowledgement ${ack ? 'on' : 'off'})`, async () => {
    const hec = await new FakeSplunkHec(TOKEN, ack).start();
    const sink = new SplunkHecSink({ url: hec.url, token: TOKEN, ack, ackPollMs: 20, ackTimeoutMs: 5000, timeoutMs: 5000 });
    return {
      sink,
      readBack: (n) => {
        expect(hec.indexed().length).toBeGreaterThanOrEqual(n);
        return Promise.resolve(hec.indexed().map((e) => AlertSchema.parse(e.event)));
      },
      small: () => Promise.resolve(new SplunkHecSink({ url: hec.url, token: TOKEN, ack, maxEventBytes: 64 * 1024 })),
      close: () => hec.stop(),
    };
  });
}

describe('Splunk HEC sink', () => {
  let hec: FakeSplunkHec;
  afterEach(() => hec.stop());

  it('sends the token as `Splunk <token>`, one request channel, the window end as time and indexed fields', async () => {
    hec = await new FakeSplunkHec(TOKEN).start();
    const sink = new SplunkHecSink({ url: `${hec.url}/`, token: TOKEN, index: 'mesh', sourcetype: 'meshwatch:alert' });
    const a: Alert = { ...alertOf('checkout', 'firing', 0), service: { namespace: 'shop', name: 'checkout', cluster: 'prod' } };
    expect(await sink.deliver([a, alertOf('cart', 'firing', 1)])).toEqual({ ok: true });
    expect(hec.authHeaders).toEqual([`Splunk ${TOKEN}`, `Splunk ${TOKEN}`]);
    expect(new Set(hec.events.map((e) => e.channel))).toEqual(new Set([sink.channel]));
    expect(hec.events[0]).toMatchObject({
      time: Date.parse(a.window.end) / 1000,
      host: 'prod:shop/checkout',
      index: 'mesh',
      sourcetype: 'meshwatch:alert',
      fields: {
        alert_id: a.id,
        status: 'firing',
        service: 'checkout',
        namespace: 'shop',
        cluster: 'prod',
        kind: 'spike',
        metric: 'cpu_cores',
      },
    });
  });

  it('with indexer acknowledgement, an alert counts only once Splunk says it is indexed; a lost ack is retried', async () => {
    hec = await new FakeSplunkHec(TOKEN, true).start();
    hec.ackAfterPolls = 3;
    const sink = new SplunkHecSink({ url: hec.url, token: TOKEN, ack: true, ackPollMs: 10, ackTimeoutMs: 2000 });
    expect(await sink.deliver([alertOf('a', 'firing', 0)])).toEqual({ ok: true });
    expect(hec.indexed()).toHaveLength(1);
    hec.loseAcks = true;
    const d = await new SplunkHecSink({ url: hec.url, token: TOKEN, ack: true, ackPollMs: 10, ackTimeoutMs: 200 }).deliver([
      alertOf('b', 'firing', 1),
    ]);
    expect(d).toMatchObject({ ok: false, retriable: true });
    if (!d.ok) expect(d.error.message).toContain('did not confirm indexing');
  });

  it('without a channel the collector refuses an ack token: the sink always sends one', async () => {
    hec = await new FakeSplunkHec(TOKEN, true).start();
    const res = await fetch(`${hec.url}/services/collector/event`, {
      method: 'POST',
      headers: { authorization: `Splunk ${TOKEN}` },
      body: '{"event":"x"}',
    });
    expect(await res.json()).toEqual({ text: 'Data channel is missing', code: 10 });
  });

  it.each([503, 500])('answers %i with a retriable failure, and the next attempt delivers', async (status) => {
    hec = await new FakeSplunkHec(TOKEN).start();
    hec.failNext(status);
    const sink = new SplunkHecSink({ url: hec.url, token: TOKEN });
    const d = await sink.deliver([alertOf('c', 'firing', 2)]);
    expect(d).toMatchObject({ ok: false, retriable: true });
    if (!d.ok) expect(d.error.code).toBe('MW_SINK_DELIVERY');
    expect(await sink.deliver([alertOf('c', 'firing', 2)])).toEqual({ ok: true });
  });

  it('a wrong token is retried (configuration, not the event) and never shown', async () => {
    hec = await new FakeSplunkHec(TOKEN).start();
    const wrong = 'ffffffff-0000-4000-8000-000000000000';
    const d = await new SplunkHecSink({ url: hec.url, token: wrong }).deliver([alertOf('d', 'firing', 3)]);
    expect(d).toMatchObject({ ok: false, retriable: true });
    if (!d.ok) {
      expect(d.error.message).toContain('Invalid token (code 4)');
      expect(d.error.message).not.toContain(wrong);
    }
  });

  it('an unreachable collector is retriable and the message names no token', async () => {
    hec = await new FakeSplunkHec(TOKEN).start();
    const url = hec.url;
    await hec.stop();
    const d = await new SplunkHecSink({ url, token: TOKEN, timeoutMs: 2000 }).deliver([alertOf('e', 'firing', 4)]);
    expect(d).toMatchObject({ ok: false, retriable: true });
    if (!d.ok) expect(d.error.message).not.toContain(TOKEN);
    hec = await new FakeSplunkHec(TOKEN).start();
  });

  it('renders the event body as OCSF when asked', async () => {
    hec = await new FakeSplunkHec(TOKEN).start();
    const a = alertOf('f', 'resolved', 5);
    expect(await new SplunkHecSink({ url: hec.url, token: TOKEN, format: 'ocsf' }).deliver([a])).toEqual({ ok: true });
    const f = hec.events[0]!.event as OcsfDetectionFinding;
    expect([f.class_uid, f.activity_id, f.finding_info.uid]).toEqual([2004, 3, a.id]);
  });
});
