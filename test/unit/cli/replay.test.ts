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
