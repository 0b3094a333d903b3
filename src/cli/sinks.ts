/**
 * `meshwatch sinks test --sink NAME`: a synthetic incident (service `meshwatch/sinks-test`,
 * a spike of requests_per_s) sent firing, then resolved, through the configured sink, one
 * attempt each (as incident documents, as per-metric alerts, or both, as `sinks.<name>.input`
 * says); prints one line per state (`delivered` with the time taken, or the MW code
 * and the sink's reason) and exits 0 only when both were delivered. The Alertmanager sink
 * keeps the synthetic alert out of its Redis active set (it is not re-sent).
 *
 * `meshwatch sinks replay-parked --sink NAME`: re-delivers the alerts and incidents parked on
 * `<alerts topic>.parked.<name>` up to the topic's end at start, in order per partition,
 * through the sink, in the consumer group `<kafka.groups.sinks>-<name>-replay` (a second replay
 * starts after what the first one handled). A retriable failure is retried with the sink's
 * backoff (at most 5 attempts), then the replay stops there (exit 1, nothing committed past
 * it: run it again); an alert refused again is parked again with the new reason; a parked
 * record that holds neither is skipped. Prints one line per record and a summary.
 */
import { type Config } from '../config/schema.js';
import { episodeId } from '../core/alert/id.js';
import { type Alert, AlertSchema } from '../core/alert/schema.js';
import { INCIDENT_SCHEMA_ID, type Incident, IncidentSchema } from '../core/incident/schema.js';
import { contributorOf, incidentId } from '../core/incident/service.js';
import { MeshwatchError } from '../errors.js';
import { type Delivery } from '../runtime/ports.js';
import { type ParkedRecord, PARKED_SCHEMA_ID, parkingTopicOf, sinkGroupOf } from '../runtime/sink-worker.js';
import { type BuiltSink, SINK_NAMES, type SinkName, buildSink } from '../runtime/sinks.js';
import { kafkaOf } from '../sources/kafka/client.js';

const MAX_ATTEMPTS = 5;

export function sinkNameOf(config: Readonly<Config>, name: string | undefined): SinkName {
  if (name === undefined) throw new MeshwatchError('MW_USAGE', `sinks: give --sink ${SINK_NAMES.join('|')}`);
  const n = SINK_NAMES.find((s) => s === name);
  if (!n) throw new MeshwatchError('MW_USAGE', `sinks: unknown sink '${name}' (${SINK_NAMES.join(', ')})`);
  if (!config.sinks[n].enabled) throw new MeshwatchError('MW_CONFIG_INVALID', `sinks.${n}.enabled: the ${n} sink is not configured`);
  return n;
}

export async function sinksCommand(
  config: Readonly<Config>,
  sub: string | undefined,
  sink: string | undefined,
  out: (line: string) => void = (l) => void process.stdout.write(`${l}\n`),
): Promise<number> {
  if (sub !== 'test' && sub !== 'replay-parked')
    throw new MeshwatchError('MW_USAGE', `sinks: give test or replay-parked, got '${sub ?? ''}'`);
  const name = sinkNameOf(config, sink);
  return sub === 'test' ? testSink(config, name, out) : replayParked(config, name, out);
}

/** The synthetic incident `sinks test` sends, at `nowMs`. */
export function syntheticAlerts(nowMs: number): [Alert, Alert] {
  const startMs = Math.floor(nowMs / 1000) * 1000 - 60_000;
  const iso = (ms: number): string => new Date(ms).toISOString();
  const firing = AlertSchema.parse({
    schema: 'meshwatch.alert/v1',
    id: episodeId('meshwatch/sinks-test', 'spike', 'requests_per_s', startMs),
    status: 'firing',
    kind: 'spike',
    severity: 'info',
    service: { namespace: 'meshwatch', name: 'sinks-test' },
    metric: 'requests_per_s',
    observed: 120,
    expected: { value: 40, lower: 30, upper: 50 },
    score: 0.9,
    window: { start: iso(startMs), end: iso(startMs + 10_000) },
    startsAt: iso(startMs),
    endsAt: null,
    summary: 'meshwatch sinks test: a synthetic spike of requests_per_s on meshwatch/sinks-test (120 /s, expected 30–50 /s)',
    details: { synthetic: true },
  });
  const resolved: Alert = {
    ...firing,
    status: 'resolved',
    observed: 41,
    window: { start: iso(startMs + 50_000), end: iso(startMs + 60_000) },
    endsAt: iso(startMs + 60_000),
  };
  return [firing, resolved];
}

/** The synthetic alerts as the incident they make: one service incident, opened and resolved. */
export function syntheticIncidents(nowMs: number): [Incident, Incident] {
  const [firing, resolved] = syntheticAlerts(nowMs);
  const startMs = Date.parse(firing.startsAt);
  const opened = IncidentSchema.parse({
    schema: INCIDENT_SCHEMA_ID,
    id: incidentId('meshwatch/sinks-test', startMs),
    revision: 1,
    scope: 'service',
    status: 'firing',
    change: 'opened',
    severity: firing.severity,
    service: firing.service,
    summary: `meshwatch sinks test: a synthetic incident on meshwatch/sinks-test: ${firing.summary}`,
    startsAt: firing.startsAt,
    endsAt: null,
    window: firing.window,
    metrics: [contributorOf(firing)],
    metricsOmitted: 0,
    storm: null,
    services: [],
    servicesOmitted: 0,
    servicesSeen: 0,
  });
  const closed: Incident = {
    ...opened,
    revision: 2,
    status: 'resolved',
    change: 'resolved',
    summary: 'meshwatch sinks test: the synthetic incident on meshwatch/sinks-test is over',
    endsAt: resolved.endsAt,
    window: resolved.window,
    metrics: [contributorOf(resolved)],
  };
  return [opened, closed];
}

async function testSink(config: Readonly<Config>, name: SinkName, out: (line: string) => void): Promise<number> {
  const built = await buildSink(name, config, { ephemeral: true });
  let ok = true;
  const now = Date.now();
  const docs: { status: string; id: string; send: () => Promise<Delivery> }[] = [
    ...(built.input === 'incidents' ? [] : syntheticAlerts(now).map((a) => ({ ...a, send: () => built.sink.deliver([a]) }))),
    ...(built.input === 'alerts' ? [] : syntheticIncidents(now).map((i) => ({ ...i, send: () => built.incidents.deliver([i]) }))),
  ];
  try {
    for (const doc of docs) {
      const t0 = Date.now();
      const d = await doc.send();
      const ms = Date.now() - t0;
      if (d.ok) out(`${name}: ${doc.status} ${doc.id}: delivered in ${ms} ms`);
      else {
        ok = false;
        out(`${name}: ${doc.status} ${doc.id}: ${d.error.code}: ${d.error.message}${d.retriable ? ' (retriable)' : ''}`);
      }
    }
  } finally {
    await built.close();
  }
  return ok ? 0 : 1;
}

async function replayParked(config: Readonly<Config>, name: SinkName, out: (line: string) => void): Promise<number> {
  const topic = parkingTopicOf(name, config.kafka.topics.alerts);
  const groupId = `${sinkGroupOf(name, config.kafka.groups.sinks)}-replay`;
  const kafka = kafkaOf(config, '-replay');
  const admin = kafka.admin();
  await admin.connect();
  let ends: Map<number, bigint>;
  let starts: Map<number, bigint>;
  try {
    if (!(await admin.listTopics()).includes(topic)) {
      out(`${name}: no parking topic ${topic}: nothing to replay`);
      return 0;
    }
    ends = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.high)]));
    const lows = new Map((await admin.fetchTopicOffsets(topic)).map((p) => [p.partition, BigInt(p.low)]));
    const committed = (await admin.fetchOffsets({ groupId, topics: [topic] }))[0]?.partitions ?? [];
    starts = new Map(
      [...ends.keys()].map((p) => {
        const c = committed.find((x) => x.partition === p)?.offset;
        const low = lows.get(p) ?? 0n;
        return [p, c !== undefined && c !== '-1' && BigInt(c) > low ? BigInt(c) : low];
      }),
    );
  } finally {
    await admin.disconnect();
  }
  const pending = [...ends].filter(([p, end]) => (starts.get(p) ?? 0n) < end);
  if (pending.length === 0) {
    out(`${name}: ${topic} holds nothing new to replay`);
    return 0;
  }

  const built = await buildSink(name, config, {});
  const producer = kafka.producer({ idempotent: true, maxInFlightRequests: 1 });
  await producer.connect();
  const consumer = kafka.consumer({ groupId });
  const tally = { delivered: 0, parked: 0, skipped: 0 };
  let failed: MeshwatchError | undefined;
  try {
    await consumer.connect();
    await consumer.subscribe({ topic, fromBeginning: true });
    const done = new Set<number>();
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((r) => (finish = r));
    const settle = (p: number): void => {
      done.add(p);
      if (pending.every(([q]) => done.has(q))) finish();
    };
    await consumer.run({
      autoCommit: false,
      eachMessage: async ({ partition, message }) => {
        const end = ends.get(partition) ?? 0n;
        const offset = BigInt(message.offset);
        if (failed || offset >= end) return settle(partition);
        const parked = parkedOf(message.value?.toString('utf8') ?? '');
        const doc = parked?.alert
          ? { what: `alert ${parked.alert.id}`, status: parked.alert.status, send: send(built.sink, parked.alert) }
          : parked?.incident
            ? { what: `incident ${parked.incident.id}`, status: parked.incident.status, send: send(built.incidents, parked.incident) }
            : undefined;
        if (!parked || !doc) {
          tally.skipped++;
          out(`${name}: ${topic}/${partition}@${offset}: skipped (no alert or incident in the parked record)`);
        } else {
          const r = await deliverWithRetries(built, doc.send);
          if (r === 'ok') {
            tally.delivered++;
            out(`${name}: ${topic}/${partition}@${offset}: ${doc.what} ${doc.status}: delivered`);
          } else if (!r.retriable) {
            tally.parked++;
            const again: ParkedRecord = { ...parked, code: r.code, reason: r.message };
            await producer.send({
              topic,
              acks: -1,
              messages: [{ key: message.key, value: JSON.stringify(again), headers: { 'meshwatch-error': r.code } }],
            });
            out(`${name}: ${topic}/${partition}@${offset}: ${doc.what}: refused again, parked again (${r.code}: ${r.message})`);
          } else {
            failed = r;
            out(`${name}: ${topic}/${partition}@${offset}: ${doc.what}: not delivered (${r.code}: ${r.message}); run the replay again`);
            return finish();
          }
        }
        await consumer.commitOffsets([{ topic, partition, offset: String(offset + 1n) }]);
        if (offset + 1n >= end) settle(partition);
      },
    });
    await finished;
  } finally {
    await consumer.disconnect().catch(() => undefined);
    await producer.disconnect().catch(() => undefined);
    await built.close().catch(() => undefined);
  }
  out(`${name}: replayed ${topic}: ${tally.delivered} delivered, ${tally.parked} parked again, ${tally.skipped} skipped`);
  return failed ? 1 : 0;
}

function parkedOf(text: string): ParkedRecord | undefined {
  try {
    const j = JSON.parse(text) as Partial<ParkedRecord>;
    if (j.schema !== PARKED_SCHEMA_ID) return undefined;
    const a = AlertSchema.safeParse(j.alert);
    const i = IncidentSchema.safeParse(j.incident);
    const rest = { ...(j as ParkedRecord) };
    delete rest.incident;
    return { ...rest, alert: a.success ? a.data : null, ...(i.success ? { incident: i.data } : {}) };
  } catch {
    return undefined;
  }
}

const send =
  <T>(sink: { deliver(docs: readonly T[]): Promise<Delivery> }, doc: T) =>
  (): Promise<Delivery> =>
    sink.deliver([doc]);

async function deliverWithRetries(built: BuiltSink, send: () => Promise<Delivery>): Promise<'ok' | MeshwatchError> {
  for (let attempt = 0; ; attempt++) {
    const d = await send();
    if (d.ok) return 'ok';
    if (!d.retriable || attempt + 1 >= MAX_ATTEMPTS) return d.error;
    const backoff = Math.min(built.retryMaxMs, built.retryInitialMs * 2 ** attempt);
    await new Promise((r) => setTimeout(r, Math.max(backoff, d.retryAfterMs ?? 0)));
  }
}
