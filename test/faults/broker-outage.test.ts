/**
 * Broker outage mid-stream: meshwatch (`meshwatch run`, one process, every role) reads a
 * broker of the test's own (scripts/stack.sh on free ports and a private state folder; the
 * shared broker is never touched). While the input is arriving, the broker is stopped for
 * 20 s and started again on the same data; the input's producer holds what it has not sent
 * meanwhile and goes on once the broker is back. meshwatch must recover by itself (no
 * restart), close every window exactly once, and raise the alerts `replay` raises on the
 * same records (ids, kinds, services, window starts): no window closed during the silence,
 * no false `drop`.
 */
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { ROOT, freePort, startCli } from '../cli-process.js';
import { Collector, redisStoreFor, sleep, testConfig, uniqueId } from '../helpers.js';
import {
  EARLY_INJECTIONS,
  WINDOW_MS,
  compareAlerts,
  comparisonFigures,
  configFileOf,
  createFaultTopics,
  expectSameAlerts,
  figures,
  kafkaFor,
  meshInput,
  undisturbed,
  until,
  windowsStored,
} from './mesh-run.js';

const run$ = promisify(execFile);
const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const WINDOWS = 140;
/** The input's pace: a window of event time every this many ms (~50× real time). */
const PACE_MS = 200;
const OUTAGE_MS = 20_000;

/** scripts/stack.sh for a broker of this test's own: its ports and state folder only. */
async function ownBroker(): Promise<{ port: number; stack: (cmd: 'up' | 'down' | 'resume') => Promise<void> }> {
  const [port, controller] = [await freePort(), await freePort()];
  const dir = mkdtempSync(join(tmpdir(), 'mw-outage-'));
  const env = { ...process.env, KAFKA_PORT: String(port), KAFKA_CONTROLLER_PORT: String(controller), MESHWATCH_STACK_DIR: dir };
  const stack = async (cmd: 'up' | 'down' | 'resume'): Promise<void> => {
    await run$('bash', [join(ROOT, 'scripts/stack.sh'), cmd], { env });
  };
  cleanups.push(async () => {
    await stack('down');
    rmSync(dir, { recursive: true, force: true });
  });
  await stack('up');
  return { port, stack };
}

describe('broker outage mid-stream', { timeout: 600_000 }, () => {
  it('stopped for 20 s and started again on the same data: meshwatch recovers by itself with the same alerts', async () => {
    const broker = await ownBroker();
    const run = uniqueId('outage');
    const config: Readonly<Config> = testConfig(run, { kafka: { brokers: [`127.0.0.1:${broker.port}`], partitions: 4 } });
    await createFaultTopics(config);
    const store = await redisStoreFor(config, cleanups);
    const configFile = configFileOf(config, cleanups);

    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 60) * WINDOW_MS;
    const input = meshInput(baseMs, WINDOWS, 7, EARLY_INJECTIONS);
    const expected = await undisturbed(config, input);

    const app = startCli(['run', '--config', configFile]);
    cleanups.push(async () => {
      if (app.child.exitCode === null) app.child.kill('SIGKILL');
      await app.exited;
    });
    await app.waitForStderr('meshwatch: running', 120_000);

    // The input arrives at a steady pace, and the broker goes down in the middle of a window
    // (half its records sent): the producer holds the rest until the broker is back.
    // Idempotent: a send retried across the outage is written once (the input must be replay's).
    const producer = kafkaFor(config).producer({ idempotent: true, maxInFlightRequests: 1 });
    await producer.connect();
    cleanups.push(() => producer.disconnect());
    const send = (envoy: string[], cadvisor: string[]) =>
      producer.sendBatch({
        topicMessages: [
          { topic: config.kafka.topics.envoy[0]!, messages: envoy.map((value) => ({ value })) },
          { topic: config.kafka.topics.cadvisor[0]!, messages: cadvisor.map((value) => ({ value })) },
        ],
      });
    let produced = 0;
    let stopAsked = false;
    let halfSent: () => void = () => undefined;
    const atHalf = new Promise<void>((r) => (halfSent = r));
    let brokerBack: () => void = () => undefined;
    const back = new Promise<void>((r) => (brokerBack = r));
    const producing = (async () => {
      for (; produced < WINDOWS; produced++) {
        const w = input.produced[produced]!;
        const [e, c] = [Math.floor(w.envoy.length / 2), Math.floor(w.cadvisor.length / 2)];
        await send(w.envoy.slice(0, e), w.cadvisor.slice(0, c));
        if (stopAsked) {
          stopAsked = false;
          halfSent();
          await back;
        }
        await send(w.envoy.slice(e), w.cadvisor.slice(c));
        await sleep(PACE_MS);
      }
    })();

    await until('windows closed before the outage', async () => (await windowsStored(store)) > 12 * 20 && produced >= 50, 300_000);
    const windowsAtStop = await windowsStored(store);
    const said = app.stderr().length;
    stopAsked = true;
    await atHalf;
    const stoppingAt = Date.now();
    await broker.stack('down');
    const stoppedAt = Date.now();
    await sleep(OUTAGE_MS);
    const windowsDuringOutage = (await windowsStored(store)) - windowsAtStop;
    await broker.stack('resume');
    const resumedAt = Date.now();
    brokerBack();
    await until(
      'meshwatch to say the broker answers again',
      () => Promise.resolve(app.stderr().slice(said).includes('answers again')),
      120_000,
    );
    const reconnectedMs = Date.now() - resumedAt;
    await producing;
    await until('every window closed', async () => (await windowsStored(store)) >= expected.windowsClosed, 300_000);
    const allClosedMs = Date.now() - resumedAt;
    await sleep(5000);
    expect(app.child.exitCode).toBeNull();

    const alerts = await new Collector<Alert>(kafkaFor(config), config.kafka.topics.alerts).start();
    cleanups.push(() => alerts.stop());
    await alerts.waitFor((a) => a.length >= expected.alerts.length, 60_000, 'the alerts').catch(() => undefined);
    await sleep(2000);

    const stored = await windowsStored(store);
    const warnings = app
      .stderr()
      .split('\n')
      .filter((l) => l.includes('warning'));
    for (const w of warnings) process.stdout.write(`[faults] broker outage: ${w}\n`);
    const c = compareAlerts(expected.alerts, alerts.values());
    figures('broker outage', {
      records: input.records,
      stop_s: ((stoppedAt - stoppingAt) / 1000).toFixed(1),
      unavailable_s: ((resumedAt - stoppingAt) / 1000).toFixed(1),
      windows_at_stop: windowsAtStop,
      windows_closed_in_outage: windowsDuringOutage,
      windows_expected: expected.windowsClosed,
      windows_stored: stored,
      ...comparisonFigures(c),
      reconnected_after_s: (reconnectedMs / 1000).toFixed(1),
      all_closed_after_s: (allClosedMs / 1000).toFixed(1),
    });
    if (c.extra.length || c.lost.length)
      process.stdout.write(`[faults] broker outage: lost ${c.lost.join(', ')}; extra ${c.extra.join(', ')}\n`);
    expect(warnings.filter((w) => w.includes('MW_WINDOW_LATE'))).toEqual([]);
    expect(stored).toBe(expected.windowsClosed);
    expectSameAlerts(c, true);
  });
});
