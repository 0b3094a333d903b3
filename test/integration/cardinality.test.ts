/**
 * A cardinality explosion through the real broker and Redis: after a test mesh has warmed up,
 * 1,000,000 distinct random services are sprayed into the samples topic while the mesh goes on
 * with its incidents. meshwatch runs as its own process with its heap capped at 512 MiB
 * (`--max-old-space-size=512`: past the bound V8 aborts the process, and the test with it).
 * Redis gains no service states past the service cap, a `cardinality` alert fires, and the mesh's own
 * services are judged as in a run without the spray (their alerts unchanged).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { readFileSync, writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Redis } from 'ioredis';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { type Injection, SyntheticMesh } from '../../src/demo/mesh.js';
import { Collector, createTopics, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const WINDOW_MS = 10_000;
const WINDOWS = 40;
const WARM = 16;
const SPRAY = 1_000_000;
const MAX_SERVICES = 2000;
const HEAP_MIB = 512;
const root = fileURLToPath(new URL('../..', import.meta.url));

const INJECTIONS: Injection[] = [
  { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 20, to: 26 },
  { kind: 'latency_spike', service: 'payments', factor: 8, from: 24, to: 30 },
  { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 28, to: 34 },
];

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

/** Starts `meshwatch run` in its own process with a capped heap; resolves once it says it runs. */
async function startProcess(config: Readonly<Config>): Promise<{ child: ChildProcess; stderr: () => string; peakRssMiB: () => number }> {
  const dir = mkdtempSync(join(tmpdir(), 'mw-card-'));
  const file = join(dir, 'config.json');
  writeFileSync(file, JSON.stringify(config));
  const child = spawn(
    process.execPath,
    [`--max-old-space-size=${HEAP_MIB}`, '--import', 'tsx', 'src/cli/main.ts', 'run', '--config', file],
    {
      cwd: root,
      env: { ...process.env, KAFKAJS_NO_PARTITIONER_WARNING: '1' },
      stdio: ['ignore', 'ignore', 'pipe'],
    },
  );
  let err = '';
  child.stderr.on('data', (d: Buffer) => {
    err += d.toString();
    if (err.length > 200_000) err = err.slice(-100_000);
  });
  let peak = 0;
  const sampler = setInterval(() => {
    try {
      const m = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${child.pid}/status`, 'utf8'));
      if (m) peak = Math.max(peak, Number(m[1]) / 1024);
    } catch {
      // the process has exited
    }
  }, 250);
  cleanups.push(async () => {
    clearInterval(sampler);
    if (child.exitCode === null) {
      child.kill('SIGKILL');
      await new Promise((r) => child.once('exit', r));
    }
  });
  for (let t = 0; t < 600 && !/running/.test(err); t++) {
    if (child.exitCode !== null) throw new Error(`meshwatch exited ${child.exitCode}: ${err}`);
    await sleep(100);
  }
  expect(err).toMatch(/running/);
  return { child, stderr: () => err, peakRssMiB: () => peak };
}

interface RunResult {
  alerts: Alert[];
  keys: number;
  peakRssMiB: number;
  exitCode: number | null;
  stderr: string;
}

async function runMesh(spray: number, baseMs: number): Promise<RunResult> {
  const run = uniqueId(spray ? 'spray' : 'calm');
  const config = testConfig(run, { bounds: { maxServices: MAX_SERVICES } });
  await createTopics(config);
  const store = await redisStoreFor(config, cleanups);
  const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
  cleanups.push(() => alerts.stop());
  const proc = await startProcess(config);

  const mesh = new SyntheticMesh(WINDOW_MS, INJECTIONS, 9);
  const producer = testKafka(run).producer();
  await producer.connect();
  cleanups.push(() => producer.disconnect());
  const t = config.kafka.topics;
  const closed = async (): Promise<number> => (await store.load(['shop/frontend'])).get('shop/frontend')?.windows ?? 0;
  const produceWindow = async (i: number): Promise<void> => {
    const w = mesh.window(baseMs, i);
    await producer.sendBatch({
      topicMessages: [
        { topic: t.envoy[0]!, messages: w.envoy.map((value) => ({ value })) },
        { topic: t.cadvisor[0]!, messages: w.cadvisor.map((value) => ({ value })) },
      ],
    });
  };

  // The mesh's services become known (their state is held and in Redis) before the spray.
  for (let i = 0; i < WARM; i++) await produceWindow(i);
  for (let n = 0; n < 600 && (await closed()) < WARM - 2; n++) await sleep(100);
  expect(await closed()).toBeGreaterThanOrEqual(WARM - 2);

  // Then the spray, spread over the remaining windows' event time, beside the mesh.
  const perWindow = Math.ceil(spray / (WINDOWS - WARM));
  let sent = 0;
  const started = Date.now();
  for (let i = WARM; i < WINDOWS; i++) {
    await produceWindow(i);
    const start = baseMs + i * WINDOW_MS;
    for (let chunk = 0; chunk < perWindow && sent < spray; chunk += 5000) {
      const messages: { value: string }[] = [];
      for (let k = 0; k < 5000 && chunk + k < perWindow && sent < spray; k++, sent++) {
        const ts = start + ((sent * 7919) % WINDOW_MS);
        messages.push({
          value: `{"ts":${ts},"service":"spray-${sent % 97}/svc-${sent.toString(36)}-${(sent * 2654435761) % 1e9}","metric":"requests_per_s","value":1}`,
        });
      }
      await producer.sendBatch({ topicMessages: [{ topic: t.samples[0]!, messages }] });
    }
  }
  if (spray) process.stderr.write(`[cardinality] ${sent} spray records produced in ${((Date.now() - started) / 1000).toFixed(1)} s\n`);

  // Done when every window closed and both stages consumed everything (the whole spray included).
  const admin = testKafka(run).admin();
  await admin.connect();
  cleanups.push(() => admin.disconnect());
  // Stage 1 keeps reporting its sources' progress while idle, so the windows topic never stops
  // growing: stage 2 is done when it has committed past everything written before stage 1 was.
  const behind = async (groupId: string, topic: string, ends?: Map<number, bigint>): Promise<bigint> => {
    const high = ends ?? (await endsOf(topic));
    const [done] = await admin.fetchOffsets({ groupId, topics: [topic] });
    let n = 0n;
    for (const [partition, end] of high) {
      const c = BigInt(done?.partitions.find((p) => p.partition === partition)?.offset ?? '-1');
      if (end > c) n += end - (c < 0n ? 0n : c);
    }
    return n;
  };
  const endsOf = async (topic: string): Promise<Map<number, bigint>> =>
    new Map((await admin.fetchTopicOffsets(topic)).map((e) => [e.partition, BigInt(e.high)]));
  const ingested = async (): Promise<boolean> =>
    (await closed()) >= WINDOWS && (await behind(config.kafka.groups.ingest, t.samples[0]!)) === 0n;
  for (let n = 0; n < 1500 && !(await ingested()) && proc.child.exitCode === null; n++) await sleep(200);
  const windowsEnds = await endsOf(t.windows);
  for (let n = 0; n < 300 && (await behind(config.kafka.groups.detect, t.windows, windowsEnds)) > 0n; n++) await sleep(200);
  expect(proc.child.exitCode, proc.stderr().slice(-3000)).toBeNull();
  expect(await closed()).toBe(WINDOWS);
  expect(await behind(config.kafka.groups.ingest, t.samples[0]!)).toBe(0n);
  expect(await behind(config.kafka.groups.detect, t.windows, windowsEnds)).toBe(0n);
  await sleep(2000);

  const redis = new Redis(config.redis.url);
  let keys = 0;
  let cursor = '0';
  do {
    // Service state keys only (`<prefix>:{ns/name}:state`): the pod table and the storm guard keep a few keys of their own.
    const [next, batch] = await redis.scan(cursor, 'MATCH', `${config.redis.keyPrefix}:{*/*}:state`, 'COUNT', 1000);
    cursor = next;
    keys += batch.length;
  } while (cursor !== '0');
  redis.disconnect();

  const peakRssMiB = proc.peakRssMiB();
  proc.child.kill('SIGTERM');
  const exitCode = await new Promise<number | null>((r) => proc.child.once('exit', (code) => r(code)));
  return { alerts: alerts.values(), keys, peakRssMiB, exitCode, stderr: proc.stderr() };
}

const digest = (as: Alert[]): string[] =>
  as
    .filter((a) => a.service.namespace === 'shop')
    .map((a) => [a.id, a.status, a.kind, a.service.name, a.metric ?? '', a.peer?.name ?? '', a.window.start].join(' '))
    .sort();

describe('a cardinality explosion through the real broker', { timeout: 900_000 }, () => {
  it('1,000,000 random services: heap bounded, Redis capped, a cardinality alert, the known services judged as before', async () => {
    // Both runs see the same event times (so the same alert ids), just behind the clock.
    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - WINDOWS * WINDOW_MS;
    const calm = await runMesh(0, baseMs);
    expect(calm.exitCode).toBe(0);
    expect(calm.alerts.filter((a) => a.status === 'firing' && a.service.namespace === 'shop').length).toBeGreaterThanOrEqual(3);
    expect(calm.alerts.filter((a) => a.kind === 'cardinality')).toEqual([]);

    const sprayed = await runMesh(SPRAY, baseMs);
    process.stderr.write(
      `[cardinality] peak RSS ${sprayed.peakRssMiB.toFixed(0)} MiB (calm run ${calm.peakRssMiB.toFixed(0)} MiB); service states in Redis ${sprayed.keys} (calm ${calm.keys})\n`,
    );
    expect(sprayed.exitCode).toBe(0);
    expect(sprayed.keys).toBeLessThanOrEqual(MAX_SERVICES);
    expect(digest(sprayed.alerts)).toEqual(digest(calm.alerts));
    // Counted and said once, not once per refused name.
    const said = sprayed.stderr.match(/MW_LIMIT_EXCEEDED: bounds refused \d+ services/g) ?? [];
    expect(said.length).toBeGreaterThanOrEqual(1);
    expect(said.length).toBeLessThanOrEqual(10);
    const card = sprayed.alerts.filter((a) => a.kind === 'cardinality');
    expect(card.some((a) => a.status === 'firing')).toBe(true);
  });
});
