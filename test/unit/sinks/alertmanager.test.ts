/**
 * The Alertmanager mapping (labels, annotations, times) and the sink over a memory active
 * set against local Alertmanager stand-ins: HA (one of two down is delivered), refusals,
 * the resend of firing and recently resolved alerts, the bound on the active set.
 */
import { type Server, createServer } from 'node:http';
import { type AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../../src/core/alert/schema.js';
import {
  AlertmanagerSink,
  MemoryActiveSet,
  type PostableAlert,
  alertnameOf,
  labelsOf,
  postableOf,
} from '../../../src/sinks/alertmanager/index.js';
import { alertOf } from '../../contract/alert-sink.js';

const NOW = Date.UTC(2026, 11, 6, 12, 0, 0);

describe('Alertmanager mapping', () => {
  it.each([
    ['spike', 'MeshwatchSpike'],
    ['new_peer', 'MeshwatchNewPeer'],
    ['limit_breach', 'MeshwatchLimitBreach'],
  ] as const)('alertname of %s is %s', (kind, name) => expect(alertnameOf(kind)).toBe(name));

  it('labels name the series; cluster and peer only when known', () => {
    const a = alertOf('checkout', 'firing', 0);
    expect(labelsOf(a)).toEqual({
      alertname: 'MeshwatchSpike',
      namespace: 'shop',
      service: 'checkout',
      severity: 'error',
      kind: 'spike',
      metric: 'cpu_cores',
    });
    const edge: Alert = {
      ...a,
      kind: 'new_peer',
      metric: 'edge',
      service: { ...a.service, cluster: 'eu' },
      peer: { namespace: 'x', name: 'y/z' },
    };
    expect(labelsOf(edge)).toMatchObject({ cluster: 'eu', peer: 'x/y%2Fz', alertname: 'MeshwatchNewPeer' });
  });

  it('a firing alert is valid for validForMs from now; startsAt never after now', () => {
    const a = alertOf('checkout', 'firing', 0);
    const p = postableOf(a, NOW, 240_000, {});
    expect(p.startsAt).toBe(a.startsAt);
    expect(p.endsAt).toBe(new Date(NOW + 240_000).toISOString());
    expect(p).not.toHaveProperty('generatorURL');
    const future: Alert = { ...a, startsAt: new Date(NOW + 3_600_000).toISOString() };
    expect(postableOf(future, NOW, 1000, {}).startsAt).toBe(new Date(NOW).toISOString());
  });

  it('a resolved alert ends at its end, never after now nor before its start', () => {
    const a = alertOf('checkout', 'resolved', 0);
    expect(postableOf(a, NOW, 1000, {}).endsAt).toBe(a.endsAt);
    const ahead: Alert = { ...a, endsAt: new Date(NOW + 60_000).toISOString() };
    expect(postableOf(ahead, NOW, 1000, {}).endsAt).toBe(new Date(NOW).toISOString());
    const inverted: Alert = { ...a, endsAt: new Date(Date.parse(a.startsAt) - 5000).toISOString() };
    const p = postableOf(inverted, NOW, 1000, {});
    expect(Date.parse(p.endsAt)).toBeGreaterThanOrEqual(Date.parse(p.startsAt));
  });

  it('annotations: summary, observed, expected band, runbook from the alert or the template, URL-encoded', () => {
    const a: Alert = { ...alertOf('a b', 'firing', 0), observed: 0.011166666666666665 };
    const p = postableOf(a, NOW, 1000, {
      runbookUrlTemplate: 'https://rb.example/{namespace}/{service}',
      generatorUrlTemplate: 'https://mw.example/a/{id}?s={status}',
    });
    expect(p.annotations).toMatchObject({ observed: '0.0111667', expected: '1 (0.8..1.2)', runbook: 'https://rb.example/shop/a%20b' });
    expect(p.generatorURL).toBe(`https://mw.example/a/${a.id}?s=firing`);
    const own: Alert = { ...a, details: { runbook_url: 'https://own.example/rb' } };
    expect(postableOf(own, NOW, 1000, { runbookUrlTemplate: 'https://rb.example/x' }).annotations.runbook).toBe('https://own.example/rb');
    expect(postableOf({ ...a, expected: null }, NOW, 1000, {}).annotations.expected).toBe('none');
  });
});

/** A stand-in for POST /api/v2/alerts: records bodies, answers `status`. */
async function standIn(status = 200): Promise<{ url: string; bodies: PostableAlert[][]; server: Server }> {
  const bodies: PostableAlert[][] = [];
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (req.url === '/api/v2/alerts' && req.method === 'POST')
        bodies.push(JSON.parse(Buffer.concat(chunks).toString()) as PostableAlert[]);
      res.writeHead(status).end(status === 200 ? '' : '{"code":400,"message":"start time must be before end time"}');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, bodies, server };
}

describe('AlertmanagerSink', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });
  const up = async (status = 200): Promise<Awaited<ReturnType<typeof standIn>>> => {
    const s = await standIn(status);
    servers.push(s.server);
    return s;
  };

  it('posts to every Alertmanager; one down still delivers, and the next resend reaches both', async () => {
    const [a, b] = [await up(), await up()];
    let t = NOW;
    const active = new MemoryActiveSet();
    const lines: string[] = [];
    const sink = new AlertmanagerSink({
      urls: [a.url, 'http://127.0.0.1:9/', b.url],
      active,
      resendIntervalMs: 1000,
      now: () => t,
      log: (l) => lines.push(l),
    });
    const firing = alertOf('checkout', 'firing', 0);
    expect(await sink.deliver([firing])).toEqual({ ok: true });
    expect(a.bodies).toHaveLength(1);
    expect(b.bodies).toHaveLength(1);
    expect(lines.join('\n')).toContain('127.0.0.1:9');
    t += 1000;
    expect(await sink.resendNow()).toBe(1);
    expect(a.bodies[1]![0]!.endsAt).toBe(new Date(t + 4000).toISOString());
    expect(a.bodies[1]![0]!.labels).toEqual(labelsOf(firing));
  });

  it('all refusing is permanent; all unreachable is retriable', async () => {
    const bad = await up(400);
    const active = new MemoryActiveSet();
    const d = await new AlertmanagerSink({ urls: [bad.url], active }).deliver([alertOf('x', 'firing', 0)]);
    expect(d).toMatchObject({ ok: false, retriable: false });
    if (!d.ok) expect(d.error.message).toContain('start time must be before end time');
    expect(active.entries.size).toBe(0);
    const down = await new AlertmanagerSink({ urls: ['http://127.0.0.1:9'], active, timeoutMs: 2000 }).deliver([alertOf('x', 'firing', 0)]);
    expect(down).toMatchObject({ ok: false, retriable: true });
  });

  it('resends firing alerts and resolved ones within their retention, then forgets the resolved', async () => {
    const am = await up();
    let t = NOW;
    const active = new MemoryActiveSet();
    const sink = new AlertmanagerSink({ urls: [am.url], active, resendIntervalMs: 1000, resolvedRetentionMs: 5000, now: () => t });
    const [x, y] = [alertOf('x', 'firing', 0), alertOf('y', 'firing', 1)];
    await sink.deliver([x, y, { ...y, status: 'resolved', endsAt: y.window.end }]);
    t += 1000;
    expect(await sink.resendNow()).toBe(2);
    const sent = am.bodies.at(-1)!;
    expect(sent.find((p) => p.labels.service === 'y')!.endsAt).toBe(y.window.end);
    t += 5000;
    expect(await sink.resendNow()).toBe(1);
    expect(am.bodies.at(-1)!.map((p) => p.labels.service)).toEqual(['x']);
    expect([...active.entries.values()].map((e) => e.alert.labels.service)).toEqual(['x']);
  });

  it('keeps at most maxActive label sets: a new one past it is sent once, not kept, and counted', async () => {
    const am = await up();
    const active = new MemoryActiveSet();
    let dropped = 0;
    const sink = new AlertmanagerSink({ urls: [am.url], active, maxActive: 2, now: () => NOW, onDropped: () => dropped++ });
    const alerts = ['a', 'b', 'c'].map((s, i) => alertOf(s, 'firing', i));
    expect(await sink.deliver(alerts)).toEqual({ ok: true });
    expect(am.bodies).toHaveLength(3);
    expect(active.entries.size).toBe(2);
    expect(dropped).toBe(1);
    // The same label set again (its resolve) still fits: it replaces its entry.
    expect(await sink.deliver([{ ...alerts[0]!, status: 'resolved', endsAt: alerts[0]!.window.end }])).toEqual({ ok: true });
    expect(dropped).toBe(1);
  });
});
