/**
 * What the fault suite shares: a long synthetic mesh in real formats on two raw topics of
 * different partition counts (so one fetch of the container-stats topic covers far more
 * event time than one of the access-log topic), its undisturbed alerts through `replay`,
 * and the comparison of two alert streams by (id, status, kind, service, window start).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { type Kafka } from 'kafkajs';
import { expect } from 'vitest';
import { replay } from '../../src/cli/replay.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { DEMO_SERVICES, type Injection, NAMESPACE, SyntheticMesh } from '../../src/demo/mesh.js';
import { type RedisStateStore } from '../../src/stores/redis/store.js';
import { DLQ_TOPIC_CONFIG, ensureTopics, kafkaOf } from '../../src/sources/kafka/client.js';
import { WINDOWS_TOPIC_CONFIG } from '../../src/sources/kafka/topics.js';
import { sleep } from '../helpers.js';

export const WINDOW_MS = 10_000;

/** A test client for the config's brokers (the shared broker, or a test's own). */
export const kafkaFor = (config: Readonly<Config>): Kafka =>
  kafkaOf({ kafka: { ...config.kafka, clientId: `mw-test-${config.kafka.clientId}` } });

/** Incidents spread over the run: a CPU spike, a latency spike, a new edge. */
export const INJECTIONS: Injection[] = [
  { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 120, to: 126 },
  { kind: 'latency_spike', service: 'payments', factor: 6, from: 260, to: 266 },
  { kind: 'new_edge', source: 'ads', destination: 'payments', from: 400, to: 410 },
];

export interface MeshInput {
  windows: number;
  records: number;
  /** Per window, in production order. */
  produced: { envoy: string[]; cadvisor: string[] }[];
}

/** The same incidents, earlier: for shorter runs (warm-up is 12 windows in the test config). */
export const EARLY_INJECTIONS: Injection[] = [
  { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 40, to: 46 },
  { kind: 'latency_spike', service: 'payments', factor: 6, from: 70, to: 76 },
  { kind: 'new_edge', source: 'ads', destination: 'payments', from: 100, to: 110 },
];

export function meshInput(baseMs: number, windows: number, seed = 7, injections: Injection[] = INJECTIONS): MeshInput {
  const mesh = new SyntheticMesh(WINDOW_MS, injections, seed);
  const produced = Array.from({ length: windows }, (_, i) => mesh.window(baseMs, i));
  const records = produced.reduce((n, w) => n + w.envoy.length + w.cadvisor.length, 0);
  return { windows, records, produced };
}

/** Raw topics with different partition counts (access logs: 2, container stats: 6), then the rest. */
export async function createFaultTopics(config: Readonly<Config>, partitions = { envoy: 2, cadvisor: 6 }): Promise<void> {
  // A busy broker may answer the creation before its leaders are known: try again.
  for (let attempt = 1; ; attempt++) {
    try {
      return await createTopicsOnce(config, partitions);
    } catch (e) {
      if (attempt >= 5) throw e;
      await new Promise((r) => setTimeout(r, 1000 * attempt));
    }
  }
}

async function createTopicsOnce(config: Readonly<Config>, partitions: { envoy: number; cadvisor: number }): Promise<void> {
  const admin = kafkaFor(config).admin();
  await admin.connect();
  const t = config.kafka.topics;
  await ensureTopics(admin, t.envoy, partitions.envoy, 1);
  await ensureTopics(admin, t.cadvisor, partitions.cadvisor, 1);
  await ensureTopics(admin, [...t.samples, t.windows, t.alerts, t.dlq], config.kafka.partitions, 1, {
    [t.dlq]: DLQ_TOPIC_CONFIG,
    [t.windows]: WINDOWS_TOPIC_CONFIG,
  });
  await admin.disconnect();
}

/** Produces windows [from, to) of the input to the config's raw topics. */
export async function produceInput(config: Readonly<Config>, input: MeshInput, from = 0, to = input.windows): Promise<void> {
  const producer = kafkaFor(config).producer();
  await producer.connect();
  try {
    for (let i = from; i < to; i++) {
      const w = input.produced[i]!;
      await producer.sendBatch({
        topicMessages: [
          { topic: config.kafka.topics.envoy[0]!, messages: w.envoy.map((value) => ({ value })) },
          { topic: config.kafka.topics.cadvisor[0]!, messages: w.cadvisor.map((value) => ({ value })) },
        ],
      });
    }
  } finally {
    await producer.disconnect();
  }
}

export interface Undisturbed {
  alerts: Alert[];
  windowsClosed: number;
}

/** The same records, in production order, through `replay` (the pure pipeline, one process). */
export async function undisturbed(config: Readonly<Config>, input: MeshInput): Promise<Undisturbed> {
  const alerts: Alert[] = [];
  function* lines(): Generator<string> {
    for (const w of input.produced) {
      for (const l of w.envoy) yield l + '\n';
      for (const l of w.cadvisor) yield l + '\n';
    }
  }
  const summary = await replay(config, Readable.from(lines()), (a) => alerts.push(a));
  return { alerts, windowsClosed: summary.stats.engine.windows_closed };
}

export const alertKey = (a: Alert): string => `${a.id}|${a.status}|${a.kind}|${a.service.namespace}/${a.service.name}|${a.window.start}`;

export interface Comparison {
  expected: number;
  got: number;
  lost: string[];
  extra: string[];
  duplicated: string[];
  /** Episodes (service, kind, metric/peer, status firing) that carried more than one id. */
  splitEpisodes: string[];
}

export function compareAlerts(expected: readonly Alert[], got: readonly Alert[]): Comparison {
  const want = new Set(expected.map(alertKey));
  const seen = new Map<string, number>();
  for (const a of got) seen.set(alertKey(a), (seen.get(alertKey(a)) ?? 0) + 1);
  const ids = new Map<string, Set<string>>();
  for (const a of got.filter((x) => x.status === 'firing')) {
    const k = `${a.service.name}|${a.kind}|${a.metric}|${a.peer?.name ?? ''}|${a.startsAt}`;
    if (!ids.has(k)) ids.set(k, new Set());
    ids.get(k)!.add(a.id);
  }
  return {
    expected: want.size,
    got: seen.size,
    lost: [...want].filter((k) => !seen.has(k)),
    extra: [...seen.keys()].filter((k) => !want.has(k)),
    duplicated: [...seen].filter(([, n]) => n > 1).map(([k]) => k),
    splitEpisodes: [...ids].filter(([, s]) => s.size > 1).map(([k]) => k),
  };
}

/** Same alerts as the undisturbed run: none lost, none extra, no episode split. Duplicates (same id) are allowed only when `allowDuplicates`. */
export function expectSameAlerts(c: Comparison, allowDuplicates = false): void {
  expect({ lost: c.lost, extra: c.extra, splitEpisodes: c.splitEpisodes }).toEqual({ lost: [], extra: [], splitEpisodes: [] });
  if (!allowDuplicates) expect(c.duplicated).toEqual([]);
  expect(c.got).toBe(c.expected);
}

/** A comparison's counts, for `figures`. */
export const comparisonFigures = (c: Comparison): Record<string, number> => ({
  alerts_expected: c.expected,
  alerts_got: c.got,
  lost: c.lost.length,
  extra: c.extra.length,
  duplicated: c.duplicated.length,
  split_episodes: c.splitEpisodes.length,
});

/** One line of figures for the suite's log. */
export function figures(name: string, f: Record<string, number | string>): void {
  process.stdout.write(
    `[faults] ${name}: ${Object.entries(f)
      .map(([k, v]) => `${k}=${v}`)
      .join(' ')}\n`,
  );
}

const SERVICE_KEYS = DEMO_SERVICES.map((s) => `${NAMESPACE}/${s.name}`);

/** Windows closed so far, over every service of the mesh, as the store says. */
export async function windowsStored(store: RedisStateStore): Promise<number> {
  const states = await store.load(SERVICE_KEYS);
  return [...states.values()].reduce((n, s) => n + s.windows, 0);
}

export async function until(what: string, pred: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await pred())) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(500);
  }
}

/** The config as a file for `meshwatch run --config` (removed by `cleanups`). */
export function configFileOf(config: Readonly<Config>, cleanups: (() => Promise<void>)[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'mw-faults-'));
  cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
  const file = join(dir, 'meshwatch.json');
  writeFileSync(file, JSON.stringify(config));
  return file;
}
