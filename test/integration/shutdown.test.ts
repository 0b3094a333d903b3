/**
 * SIGTERM under steady load: `meshwatch run` (role all) consumes a synthetic mesh produced at
 * a steady pace on the real broker; SIGTERM mid-stream must drain it (finish the batch, save,
 * commit, close) and exit 0 within 10 s. The producer goes on while it is down; a second
 * instance then takes over from the commits. Against `replay` of the same records, and the
 * windows the input holds (every service, every window): no window closed twice or never (the
 * debug log names each window closed once its state is saved, per service and window start),
 * and the alerts on the topic the same, none missing, none twice.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { DEMO_SERVICES, NAMESPACE } from '../../src/demo/mesh.js';
import { type CliRun, linesOf, startCli } from '../cli-process.js';
import {
  EARLY_INJECTIONS,
  WINDOW_MS,
  compareAlerts,
  createFaultTopics,
  expectSameAlerts,
  figures,
  meshInput,
  produceInput,
  undisturbed,
} from '../faults/mesh-run.js';
import { Collector, redisStoreFor, sleep, testConfig, testKafka, uniqueId } from '../helpers.js';

const cleanups: (() => Promise<void>)[] = [];
afterEach(async () => {
  for (const c of cleanups.splice(0).reverse()) await c().catch(() => undefined);
});

const WINDOWS = 90;
/** The steady load: one window of the mesh (≈900 records) this often. */
const PACE_MS = 250;
const EXIT_BOUND_MS = 10_000;

function instance(configFile: string): CliRun {
  const cli = startCli(['run', '--config', configFile]);
  cleanups.push(async () => {
    if (cli.child.exitCode === null) cli.child.kill('SIGKILL');
    await cli.exited;
  });
  return cli;
}

/** `service|window start` of every window an instance's debug log says it closed (and saved). */
function closedWindows(stderr: string): string[] {
  const out: string[] = [];
  for (const line of linesOf(stderr)) {
    if (!line.startsWith('{')) continue;
    const e = JSON.parse(line) as { msg?: string; windows?: { service: string; start: string }[] };
    if (e.msg?.startsWith('windows closed') && e.windows) for (const w of e.windows) out.push(`${w.service}|${w.start}`);
  }
  return out;
}

async function until(what: string, pred: () => boolean, timeoutMs: number): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!pred()) {
    if (Date.now() > end) throw new Error(`timed out waiting for ${what}`);
    await sleep(250);
  }
}

describe('SIGTERM during steady load', { timeout: 900_000 }, () => {
  it('drains and exits 0 within 10 s; the next instance neither loses nor repeats a window or an alert', async () => {
    const run = uniqueId('sigterm');
    const config: Readonly<Config> = testConfig(run, { kafka: { partitions: 4 }, log: { level: 'debug', format: 'json' } });
    await createFaultTopics(config);
    await redisStoreFor(config, cleanups);
    const dir = mkdtempSync(join(tmpdir(), 'mw-sigterm-'));
    cleanups.push(() => Promise.resolve(rmSync(dir, { recursive: true, force: true })));
    const configFile = join(dir, 'meshwatch.json');
    writeFileSync(configFile, JSON.stringify(config));

    const baseMs = Math.floor(Date.now() / WINDOW_MS) * WINDOW_MS - (WINDOWS + 60) * WINDOW_MS;
    const input = meshInput(baseMs, WINDOWS, 11, EARLY_INJECTIONS);
    const expected = await undisturbed(config, input);
    const wanted = new Set(
      Array.from({ length: WINDOWS }, (_, i) => new Date(baseMs + i * WINDOW_MS).toISOString()).flatMap((start) =>
        DEMO_SERVICES.map((s) => `${NAMESPACE}/${s.name}|${start}`),
      ),
    );
    // Every service closes every window of the input, in replay too.
    expect(wanted.size).toBe(expected.windowsClosed);
    const alerts = await new Collector<Alert>(testKafka(run), config.kafka.topics.alerts).start();
    cleanups.push(() => alerts.stop());

    const first = instance(configFile);
    await first.waitForStderr('"msg":"running', 120_000);
    // The steady load, on its own: it goes on while the first instance stops and the second starts.
    let produced = 0;
    const load = (async () => {
      for (let i = 0; i < WINDOWS; i++) {
        const t = Date.now();
        await produceInput(config, input, i, i + 1);
        produced = i + 1;
        await sleep(Math.max(0, PACE_MS - (Date.now() - t)));
      }
    })();
    cleanups.push(() => load.catch(() => undefined));

    // Mid-stream: stage 2 has closed some windows and the input is still arriving.
    await until('windows closed before the signal', () => closedWindows(first.stderr()).length >= 15 * DEMO_SERVICES.length, 300_000);
    const producedAtSignal = produced;
    const closedAtSignal = closedWindows(first.stderr()).length;
    const signalledAt = Date.now();
    first.child.kill('SIGTERM');
    const { code } = await first.exited;
    const exitMs = Date.now() - signalledAt;
    expect(code, first.stderr().slice(-3000)).toBe(0);
    expect(exitMs).toBeLessThan(EXIT_BOUND_MS);
    const drained = closedWindows(first.stderr());
    const heldAtStop = /observations held/.test(first.stderr()) ? 1 : 0;

    const second = instance(configFile);
    await second.waitForStderr('"msg":"running', 120_000);
    await load;
    const all = (): string[] => [...drained, ...closedWindows(second.stderr())];
    await until('every window closed', () => new Set(all()).size >= wanted.size, 600_000);
    // Time for a repeated window or alert to show.
    await sleep(5000);
    second.child.kill('SIGTERM');
    const last = await second.exited;
    expect(last.code, second.stderr().slice(-3000)).toBe(0);

    const closed = all();
    const counts = new Map<string, number>();
    for (const k of closed) counts.set(k, (counts.get(k) ?? 0) + 1);
    const repeated = [...counts].filter(([, n]) => n > 1).map(([k]) => k);
    const lost = [...wanted].filter((k) => !counts.has(k));
    const extra = [...counts.keys()].filter((k) => !wanted.has(k));
    const c = compareAlerts(expected.alerts, alerts.values());
    figures('SIGTERM under load', {
      records: input.records,
      windows_produced_at_signal: producedAtSignal,
      windows_closed_at_signal: closedAtSignal,
      windows_closed_by_first: drained.length,
      exit_ms: exitMs,
      held_at_stop: heldAtStop,
      windows_expected: wanted.size,
      windows_closed: closed.length,
      repeated: repeated.length,
      lost: lost.length,
      alerts_expected: c.expected,
      alerts_got: c.got,
      alerts_lost: c.lost.length,
      alerts_duplicated: c.duplicated.length,
    });
    if (c.extra.length || c.lost.length)
      process.stdout.write(`[faults] alerts extra: ${c.extra.slice(0, 60).join('\n')}\nlost: ${c.lost.join('\n')}\n`);
    expect({ repeated, lost: lost.slice(0, 20), extra }).toEqual({ repeated: [], lost: [], extra: [] });
    expect(closed.length).toBe(wanted.size);
    expectSameAlerts(c);
  });
});
