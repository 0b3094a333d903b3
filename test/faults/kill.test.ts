/**
 * kill -9 mid-stream, with meshwatch as separate processes (`meshwatch run --role ingest`,
 * two `--role detect`): once the ingest instance, once one of the two detect instances is
 * killed while the input is still arriving, then started again. The alerts on the topic must
 * be those of `replay` on the same records (ids, kinds, services, window starts; a re-delivery
 * of an alert with the same id is allowed, an episode with two ids is not), and the windows
 * the store says each service closed must add up to replay's count: no window lost or doubled.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { type CliRun, startCli } from '../cli-process.js';
import { Collector, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';
import {
  EARLY_INJECTIONS,
  WINDOW_MS,
  compareAlerts,
  comparisonFigures,
  configFileOf,
  createFaultTopics,
  expectSameAlerts,
  figures,
  meshInput,
  produceInput,
  undisturbed,
  until,
  windowsStored,
} from './mesh-run.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const WINDOWS = 140;

function role(configFile: string, r: 'ingest' | 'detect'): CliRun {
  const child = startCli(['run', '--role', r, '--config', configFile]);
  cleanups.push(async () => {
    if (child.child.exitCode === null) child.child.kill('SIGKILL');
    await child.exited;
  });
  return child;
}

/** `victim`: the instance killed mid-stream and started again; `join`: none, a second detect instance joins mid-stream instead. */
async function scenario(label: string, victim: 'ingest' | 'detect' | 'join'): Promise<void> {
  const run = uniqueId(label);
  const config: Readonly<Config> = testConfig(run, { kafka: { partitions: 4 } });
  await createFaultTopics(config);
  const store = await redisStoreFor(config, cleanups);
  const configFile = configFileOf(config, cleanups);

  const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 60) * WINDOW_MS;
  const input = meshInput(baseMs, WINDOWS, 7, EARLY_INJECTIONS);
  const expected = await undisturbed(config, input);
  const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
  cleanups.push(() => alerts.stop());

  let ingest = role(configFile, 'ingest');
  let detectA = role(configFile, 'detect');
  const detectB = victim === 'join' ? undefined : role(configFile, 'detect');
  for (const p of [ingest, detectA, detectB]) await p?.waitForStderr('meshwatch: running', 120_000);

  // The first part of the input, then kill -9 once stage 2 has closed some of its windows.
  const half = Math.floor(WINDOWS / 2);
  await produceInput(config, input, 0, half);
  await until('windows closed before the kill', async () => (await windowsStored(store)) > 12 * 20, 300_000);
  const windowsAtKill = await windowsStored(store);
  if (victim === 'ingest') ingest.child.kill('SIGKILL');
  else if (victim === 'detect') detectA.child.kill('SIGKILL');
  const joined = victim === 'join' ? role(configFile, 'detect') : undefined;
  const killedAt = Date.now();
  await produceInput(config, input, half, WINDOWS);
  if (victim === 'ingest') ingest = role(configFile, 'ingest');
  else if (victim === 'detect') detectA = role(configFile, 'detect');
  await until('every window closed', async () => (await windowsStored(store)) >= expected.windowsClosed, 600_000);
  const recoveryMs = Date.now() - killedAt;
  // The instance that joined took part: it started, and is still in the group.
  if (joined) await joined.waitForStderr('meshwatch: running', 60_000);
  await sleep(5000);

  const stored = await windowsStored(store);
  const c = compareAlerts(expected.alerts, alerts.values());
  figures(victim === 'join' ? 'detect joins' : `kill -9 ${victim}`, {
    records: input.records,
    windows_at_kill: windowsAtKill,
    windows_expected: expected.windowsClosed,
    windows_stored: stored,
    ...comparisonFigures(c),
    all_closed_after_s: (recoveryMs / 1000).toFixed(1),
  });
  expect(stored).toBe(expected.windowsClosed);
  expectSameAlerts(c, true);
}

describe('kill -9 mid-stream, then restart', { timeout: 1_200_000 }, () => {
  it('of one of two detect instances: the same alerts, no episode with two ids, no window lost', async () => {
    await scenario('kill-detect', 'detect');
  });

  it('of the ingest instance: the same alerts, no episode with two ids, no window lost', async () => {
    await scenario('kill-ingest', 'ingest');
  });

  it('a second detect instance joining mid-stream: the same alerts, no episode with two ids, no window lost or doubled', async () => {
    await scenario('join-detect', 'join');
  });
});
