/**
 * `meshwatch run`'s HTTP server, through the real command, broker and Redis: the probes, the
 * Prometheus exposition of the stage counters after a known input (N samples, one malformed
 * record), the read-only API (bearer token required, services listed once their windows close),
 * the progress lines, and a clean exit on SIGTERM.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { startCli } from '../cli-process.js';
import { createTopics, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const cleanups: (() => unknown)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c();
});

const TOKEN = 'a-test-token-of-some-length';

/** The value of one Prometheus sample whose name is `name` and whose labels include `labels`. */
function sampleOf(text: string, name: string, labels: Record<string, string>): number | undefined {
  for (const line of text.split('\n')) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([k, v]) => line.includes(`${k}="${v}"`))) continue;
    return Number(line.slice(line.lastIndexOf(' ') + 1));
  }
  return undefined;
}

async function until<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined>): Promise<T> {
  const end = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < end) {
    last = await probe();
    if (last !== undefined) return last;
    await sleep(250);
  }
  throw new Error(`timed out waiting for ${what}`);
}

describe('meshwatch run: HTTP server', { timeout: 120_000 }, () => {
  it('serves probes, the stage counters as Prometheus text, and the API behind its token', async () => {
    const run = uniqueId('http');
    const base = testConfig(run, { role: 'all' });
    await createTopics(base);
    const t = base.kafka.topics;
    const dir = mkdtempSync(join(tmpdir(), 'mw-http-'));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    cleanups.push(async () => {
      const admin = testKafka(run).admin();
      await admin.connect();
      await admin.deleteTopics({ topics: [...t.envoy, ...t.cadvisor, ...t.samples, t.windows, t.alerts, t.dlq] }).catch(() => undefined);
      await admin.disconnect();
    });
    const file = join(dir, 'config.json');
    writeFileSync(
      file,
      JSON.stringify({
        role: 'all',
        kafka: base.kafka,
        redis: base.redis,
        window: base.window,
        http: { port: 0, token: TOKEN },
        progressIntervalMs: 1000,
      }),
    );
    const cli = startCli(['run', '--config', file]);
    cleanups.push(() => {
      if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    });
    await cli.waitForStderr(' http=http://', 60_000);
    const url = /http=(http:\/\/[^\s]+)/.exec(cli.stderr())?.[1] ?? '';
    expect(url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);

    const health = await fetch(`${url}/healthz`);
    expect(health.status).toBe(200);
    expect(await health.json()).toEqual({ status: 'ok' });
    const ready = await fetch(`${url}/readyz`);
    expect(ready.status).toBe(200);
    expect(await ready.json()).toEqual({ status: 'ready', checks: { workers: 'ok', kafka: 'ok', redis: 'ok' } });

    // A known input: 12 windows of one service's samples, and one record that is not JSON.
    const N = 12;
    const t0 = Math.floor((Date.now() - 10 * 60_000) / 10_000) * 10_000;
    const producer = testKafka(run).producer();
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const lines = Array.from({ length: N }, (_, i) =>
      JSON.stringify({ ts: t0 + i * 10_000, service: 'shop/http-probe', metric: 'value', value: 10 + (i % 3) }),
    );
    await producer.send({ topic: t.samples[0] ?? '', messages: [...lines, 'not json at all'].map((value) => ({ value })) });

    const metrics = await until('the ingest counters on /metrics', 60_000, async () => {
      const text = await (await fetch(`${url}/metrics`)).text();
      const received = sampleOf(text, 'meshwatch_records_received_total', { stage: 'ingest' });
      return received === N + 1 ? text : undefined;
    });
    expect(sampleOf(metrics, 'meshwatch_records_dropped_total', { stage: 'ingest', reason: 'MW_DECODE_INVALID_JSON' })).toBe(1);
    expect(metrics).toContain('# TYPE meshwatch_records_received_total counter');

    // The API needs the token; the probes and /metrics do not.
    expect((await fetch(`${url}/api/v1/services`)).status).toBe(401);
    expect((await fetch(`${url}/api/v1/services`, { headers: { authorization: 'Bearer wrong-token-wrong-token' } })).status).toBe(401);
    expect((await fetch(`${url}/healthz`, { method: 'POST' })).status).toBe(405);
    const auth = { headers: { authorization: `Bearer ${TOKEN}` } };
    const listed = await until('the service in the API', 60_000, async () => {
      const body = (await (await fetch(`${url}/api/v1/services`, auth)).json()) as { services: { namespace: string; name: string }[] };
      return body.services.some((s) => s.name === 'http-probe') ? body.services : undefined;
    });
    expect(listed).toContainEqual({ namespace: 'shop', name: 'http-probe' });
    // Held from its first partial on; its metrics once a window has closed.
    const view = await until('the service view with its metric', 60_000, async () => {
      const one = await fetch(`${url}/api/v1/services/${encodeURIComponent('shop/http-probe')}`, auth);
      expect(one.status).toBe(200);
      const v = (await one.json()) as { service: { name: string }; windows: number; metrics: { metric: string }[] };
      return v.metrics.some((m) => m.metric === 'value') ? v : undefined;
    });
    expect(view.service.name).toBe('http-probe');
    expect(view.windows).toBeGreaterThan(0);
    expect((await fetch(`${url}/api/v1/services/${encodeURIComponent('shop/nobody')}`, auth)).status).toBe(404);
    expect((await fetch(`${url}/api/v1/services?limit=x`, auth)).status).toBe(400);

    // The progress lines account for every record ingest received.
    const ingested = (): number =>
      [...cli.stderr().matchAll(/meshwatch: progress \d+ s: ingest (\d+) records \([\d.]+\/s\)/g)].reduce((n, m) => n + Number(m[1]), 0);
    await until('progress lines adding up to the input', 30_000, () => Promise.resolve(ingested() === N + 1 ? true : undefined));

    cli.child.kill('SIGTERM');
    const { code } = await cli.exited;
    expect(code).toBe(0);
    expect(cli.stderr()).not.toContain(TOKEN);
  });
});
