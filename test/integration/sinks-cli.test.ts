/**
 * `meshwatch sinks test` and `meshwatch sinks replay-parked` as a user runs them (child
 * process, configuration from the environment and --set), against a local webhook receiver
 * that verifies signatures, and for the replay the real broker.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Alert } from '../../src/core/alert/schema.js';
import { IncidentSchema } from '../../src/core/incident/schema.js';
import { type ParkedRecord } from '../../src/runtime/sink-worker.js';
import { ensureTopics } from '../../src/sources/kafka/client.js';
import { linesOf, runCli } from '../cli-process.js';
import { alertOf } from '../contract/alert-sink.js';
import { FakeWebhook } from '../fakes/webhook.js';
import { BROKERS, Collector, testKafka, uniqueId } from '../helpers.js';

const SECRET = 'cli-test-webhook-secret-0123';
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const webhookEnv = (url: string): Record<string, string> => ({
  KAFKA_PORT: BROKERS[0]!.split(':')[1]!,
  MESHWATCH_WEBHOOK_ENABLED: 'true',
  MESHWATCH_WEBHOOK_URL: url,
  MESHWATCH_WEBHOOK_SECRET: SECRET,
});

describe('meshwatch sinks', { timeout: 120_000 }, () => {
  it('sinks test sends a synthetic firing and resolved incident and prints the result', async () => {
    const hook = await new FakeWebhook(SECRET).start();
    cleanups.push(() => hook.stop());
    const r = await runCli(['sinks', 'test', '--sink', 'webhook'], webhookEnv(hook.url));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = linesOf(r.stdout);
    expect(lines).toHaveLength(2);
    expect(lines[0]).toMatch(/^webhook: firing mw-[0-9a-f]{16}: delivered in \d+ ms$/);
    expect(lines[1]).toMatch(/^webhook: resolved mw-[0-9a-f]{16}: delivered in \d+ ms$/);
    // The webhook's default input is incidents: the synthetic incident, opened then resolved, listing its metric.
    const got = hook.received.map((x) => IncidentSchema.parse(x.body));
    expect(got.map((i) => [i.status, i.service?.name, i.metrics.map((m) => m.metric)])).toEqual([
      ['firing', 'sinks-test', ['requests_per_s']],
      ['resolved', 'sinks-test', ['requests_per_s']],
    ]);
    expect(got[0]!.id).toBe(got[1]!.id);
    expect(hook.refused).toEqual([]);
  });

  it('sinks test prints a refusal with its code (exit 1), never the secret; an unknown or unconfigured sink is a usage error', async () => {
    const hook = await new FakeWebhook('another-secret-entirely-xyz').start();
    cleanups.push(() => hook.stop());
    const r = await runCli(['sinks', 'test', '--sink', 'webhook'], webhookEnv(hook.url));
    expect(r.code).toBe(1);
    expect(linesOf(r.stdout)[0]).toMatch(/^webhook: firing mw-[0-9a-f]{16}: MW_SINK_REJECTED: .*answered 401/);
    expect(r.stdout + r.stderr).not.toContain(SECRET);

    const unknown = await runCli(['sinks', 'test', '--sink', 'carrier-pigeon']);
    expect(unknown.code).toBe(2);
    expect(linesOf(unknown.stderr)[0]).toBe(
      "meshwatch: MW_USAGE: sinks: unknown sink 'carrier-pigeon' (pagerduty, alertmanager, webhook, splunk, ocsf, ecs, cef)",
    );
    const off = await runCli(['sinks', 'test', '--sink', 'alertmanager']);
    expect(off.code).toBe(2);
    expect(linesOf(off.stderr)).toEqual([
      'meshwatch: MW_CONFIG_INVALID: sinks.alertmanager.enabled: the alertmanager sink is not configured',
    ]);
  });

  it('sinks replay-parked re-delivers the parked alerts in order, parks a refused one again, and a second replay resumes after the first', async () => {
    const hook = await new FakeWebhook(SECRET).start();
    cleanups.push(() => hook.stop());
    hook.rejectWhen((b) => (b as Alert).service.name === 'refused');
    const run = uniqueId('replay');
    const alertsTopic = `${run}.alerts`;
    const parkingTopic = `${alertsTopic}.parked.webhook`;
    const kafka = testKafka(run);
    const admin = kafka.admin();
    await admin.connect();
    await ensureTopics(admin, [parkingTopic], 1, 1);
    await admin.disconnect();
    const parked = (alert: Alert | null, offset: number): ParkedRecord => ({
      schema: 'meshwatch.parked/v1',
      sink: 'webhook',
      code: alert ? 'MW_SINK_REJECTED' : 'MW_DECODE_INVALID_JSON',
      reason: 'webhook answered 503',
      topic: alertsTopic,
      partition: 0,
      offset: String(offset),
      alert,
      ...(alert ? {} : { value: 'not an alert' }),
    });
    const [a1, a2, bad] = [alertOf('checkout', 'firing', 0), alertOf('checkout', 'resolved', 1), alertOf('refused', 'firing', 2)];
    const producer = kafka.producer();
    await producer.connect();
    await producer.send({
      topic: parkingTopic,
      messages: [parked(a1, 0), parked(null, 1), parked(bad, 2), parked(a2, 3)].map((p) => ({ key: 'shop/x', value: JSON.stringify(p) })),
    });
    await producer.disconnect();

    const args = [
      'sinks',
      'replay-parked',
      '--sink',
      'webhook',
      '--set',
      `kafka.topics.alerts=${alertsTopic}`,
      '--set',
      `kafka.groups.sinks=${run}-sink`,
    ];
    const r = await runCli(args, webhookEnv(hook.url));
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const lines = linesOf(r.stdout);
    expect(lines).toEqual([
      `webhook: ${parkingTopic}/0@0: alert ${a1.id} firing: delivered`,
      `webhook: ${parkingTopic}/0@1: skipped (no alert or incident in the parked record)`,
      expect.stringMatching(
        new RegExp(
          `^webhook: ${parkingTopic.replace(/\./g, '\\.')}/0@2: alert ${bad.id}: refused again, parked again \\(MW_SINK_REJECTED: .*422`,
        ),
      ),
      `webhook: ${parkingTopic}/0@3: alert ${a2.id} resolved: delivered`,
      `webhook: replayed ${parkingTopic}: 2 delivered, 1 parked again, 1 skipped`,
    ]);
    expect(hook.received.map((x) => x.body)).toEqual([a1, a2]);

    const topic = await new Collector<ParkedRecord>(kafka, parkingTopic).start();
    cleanups.push(() => topic.stop());
    const all = await topic.waitFor((xs) => xs.length === 5, 30_000, 'the alert parked again');
    expect(all[4]).toMatchObject({ alert: bad, code: 'MW_SINK_REJECTED' });
    expect(all[4]!.reason).toContain('422');

    // The second replay starts after the first: only the alert parked again, refused again.
    const again = await runCli(args, webhookEnv(hook.url));
    expect(again.code).toBe(0);
    expect(linesOf(again.stdout).at(-1)).toBe(`webhook: replayed ${parkingTopic}: 0 delivered, 1 parked again, 0 skipped`);
    expect(hook.received).toHaveLength(2);
  });
});
