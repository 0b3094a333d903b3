/**
 * `meshwatch replay` on canonical samples: a flat series that spikes gives one firing alert
 * whose window starts at the spike; a series of small noise gives none.
 */
import { Readable } from 'node:stream';
import { describe, expect, it } from 'vitest';
import { replay } from '../../../src/cli/replay.js';
import { parseConfig } from '../../../src/config/load.js';
import { type Alert } from '../../../src/core/alert/schema.js';

const T0 = Date.UTC(2026, 0, 1);
const STEP_MS = 60_000;

function lines(service: string, values: number[]): string[] {
  return values.map((value, i) => JSON.stringify({ ts: new Date(T0 + i * STEP_MS).toISOString(), service, metric: 'value', value }));
}

/** Deterministic noise in [-1, 1]. */
const noise = (i: number): number => Math.sin(i * 12.9898) * 0.5 + Math.sin(i * 78.233) * 0.5;

async function run(input: string[]): Promise<Alert[]> {
  const alerts: Alert[] = [];
  await replay(parseConfig({}), Readable.from(input.map((l) => l + '\n')), (a) => alerts.push(a));
  return alerts;
}

describe('replay', () => {
  it('emits one firing alert at the spike of a flat-then-spiking series', async () => {
    const values = Array.from({ length: 300 }, (_, i) => (i === 200 ? 100 : 20));
    const alerts = await run(lines('demo/flat', values));
    const firing = alerts.filter((a) => a.status === 'firing');
    expect(firing).toHaveLength(1);
    expect(firing[0]!.window.start).toBe(new Date(T0 + 200 * STEP_MS).toISOString());
    expect(firing[0]!.service).toEqual({ namespace: 'demo', name: 'flat' });
    expect(firing[0]!.kind).toBe('spike');
  });

  it('a flat zero series that moves: its band is 0..0 and its z null (no finite number of σ)', async () => {
    // `value` has the default policy: no absolute floor, and 1 % of 0 is 0
    const values = Array.from({ length: 300 }, (_, i) => (i >= 200 && i < 203 ? 2_423_190 : 0));
    const firing = (await run(lines('demo/disk', values))).filter((a) => a.status === 'firing');
    expect(firing).toHaveLength(1);
    const [a] = firing;
    expect(a!.window.start).toBe(new Date(T0 + 200 * STEP_MS).toISOString());
    expect(a!.expected).toEqual({ value: 0, lower: 0, upper: 0 });
    expect(a!.details.z).toBeNull();
    expect(a!.summary).toContain('band 0..0');
    expect(a!.score).toBeGreaterThan(0.999);
  });

  it('emits nothing on a series of small noise', async () => {
    const values = Array.from({ length: 2000 }, (_, i) => 50 + noise(i));
    expect(await run(lines('demo/noise', values))).toEqual([]);
  });

  it('counts rejected lines by reason and keeps going', async () => {
    const alerts: Alert[] = [];
    const input = [...lines('demo/x', [1, 2, 3]), 'not json', '{"ts":1,"service":"a/b","metric":"m","value":"NaN"}'];
    const summary = await replay(parseConfig({}), Readable.from(input.map((l) => l + '\n')), (a) => alerts.push(a));
    expect(summary.stats.records).toBe(5);
    expect(summary.stats.observations).toBe(3);
    expect(summary.stats.rejected).toEqual({ MW_DECODE_INVALID_JSON: 1, MW_DECODE_BAD_VALUE: 1 });
  });
});

describe('replay of hostile records', () => {
  const deep = (depth: number): string =>
    `{"ts":"2026-01-01T00:00:00Z","metric":"value","value":1,"service":${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}}`;

  it('a 20,000-deep service object is one rejection, and the stream goes on', async () => {
    const input = [deep(20_000), ...lines('demo/x', [1, 2, 3])];
    expect(input[0]!.length).toBeGreaterThan(100_000);
    const summary = await replay(parseConfig({}), Readable.from(input.map((l) => l + '\n')), () => undefined);
    expect(summary.stats.rejected).toEqual({ MW_DECODE_TOO_DEEP: 1 });
    expect(summary.stats.observations).toBe(3);
  });

  it('replayCommand exits 0 on it', async () => {
    const { mkdtempSync, writeFileSync, rmSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const { replayCommand } = await import('../../../src/cli/replay.js');
    const dir = mkdtempSync(join(tmpdir(), 'mw-replay-'));
    const file = join(dir, 'deep.ndjson');
    writeFileSync(file, `${deep(20_000)}\n${lines('demo/x', [1]).join('\n')}\n`);
    const write = process.stderr.write.bind(process.stderr);
    let stderr = '';
    process.stderr.write = (chunk: string | Uint8Array): boolean => {
      stderr += String(chunk);
      return true;
    };
    try {
      expect(await replayCommand(parseConfig({}), file)).toBe(0);
    } finally {
      process.stderr.write = write;
      rmSync(dir, { recursive: true, force: true });
    }
    expect(stderr).toContain('MW_DECODE_TOO_DEEP=1');
  });

  it('a record stamped 2099 in the middle is rejected and does not blind detection', async () => {
    const values = Array.from({ length: 300 }, (_, i) => (i === 200 ? 100 : 20));
    const input = lines('demo/flat', values);
    input.splice(100, 0, JSON.stringify({ ts: '2099-01-01T00:00:00Z', service: 'demo/flat', metric: 'value', value: 20 }));
    const alerts: Alert[] = [];
    const summary = await replay(parseConfig({}), Readable.from(input.map((l) => l + '\n')), (a) => alerts.push(a));
    expect(summary.stats.rejected).toEqual({ MW_EVENT_TIME_SKEW: 1 });
    const firing = alerts.filter((a) => a.status === 'firing');
    expect(firing).toHaveLength(1);
    expect(firing[0]!.window.start).toBe(new Date(T0 + 200 * STEP_MS).toISOString());
  });

  it('a record stamped 2099 FIRST does not blind detection either', async () => {
    const values = Array.from({ length: 300 }, (_, i) => (i === 200 ? 100 : 20));
    const input = [
      JSON.stringify({ ts: '2099-01-01T00:00:00Z', service: 'demo/flat', metric: 'value', value: 20 }),
      ...lines('demo/flat', values),
    ];
    const alerts: Alert[] = [];
    const summary = await replay(parseConfig({}), Readable.from(input.map((l) => l + '\n')), (a) => alerts.push(a));
    // The tentative 2099 anchor costs the first reanchorRecords - 1 real records.
    expect(summary.stats.rejected).toEqual({ MW_EVENT_TIME_SKEW: 15 });
    const firing = alerts.filter((a) => a.status === 'firing');
    expect(firing.map((a) => a.window.start)).toEqual([new Date(T0 + 200 * STEP_MS).toISOString()]);
  });

  it('a record stamped 2099 FIRST in an input of many batches neither closes the windows that follow nor drops them as late', async () => {
    const values = Array.from({ length: 3000 }, (_, i) => (i === 2500 ? 100 : 20));
    const input = [
      JSON.stringify({ ts: '2099-01-01T00:00:00Z', service: 'demo/flat', metric: 'value', value: 20 }),
      ...lines('demo/flat', values),
    ];
    const alerts: Alert[] = [];
    const summary = await replay(parseConfig({}), Readable.from(input.map((l) => l + '\n')), (a) => alerts.push(a));
    expect(summary.stats.rejected).toEqual({ MW_EVENT_TIME_SKEW: 15 });
    expect(summary.stats.engine.late_dropped).toBe(0);
    const firing = alerts.filter((a) => a.status === 'firing');
    expect(firing.map((a) => [a.kind, a.window.start])).toEqual([['spike', new Date(T0 + 2500 * STEP_MS).toISOString()]]);
  });

  it('records stamped 1970 are rejected with a reason, not dropped as late', async () => {
    const input = [...lines('demo/x', [1, 2, 3]), JSON.stringify({ ts: 0, service: 'demo/x', metric: 'value', value: 1 })];
    const summary = await replay(parseConfig({}), Readable.from(input.map((l) => l + '\n')), () => undefined);
    expect(summary.stats.rejected).toEqual({ MW_EVENT_TIME_SKEW: 1 });
    expect(summary.stats.engine.late_dropped).toBe(0);
  });
});
