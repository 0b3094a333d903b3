/**
 * Stories for incidents through the whole in-memory pipeline (canonical samples → windows →
 * detectors → incidents → storm guard): the metrics of one service that break together are one
 * incident; many services breaking in the same window are one storm.
 */
import { describe, expect, it } from 'vitest';
import { type Alert } from '../../../src/core/alert/schema.js';
import { type Incident, IncidentSchema } from '../../../src/core/incident/schema.js';
import { type StormParams } from '../../../src/core/incident/storm.js';
import { LocalPipeline } from '../../../src/core/pipeline/local.js';
import { PARAMS, WINDOW_MS, windowAt } from '../pipeline/story.js';

/** Deterministic noise of ±2 % around a level. */
const noisy = (level: number, i: number): number => level * (1 + 0.02 * ((((i * 7919) % 11) - 5) / 5));

const STORM: StormParams = { enabled: true, share: 0.5, minServices: 10, windowMs: 3 * WINDOW_MS };

function run(lines: string[], storm: StormParams = STORM): { alerts: Alert[]; incidents: Incident[] } {
  const p = new LocalPipeline({
    aggregator: { windowMs: WINDOW_MS, maxOpenPartials: 100_000, maxEdges: 64, maxContainers: 64, maxMetrics: 64 },
    engine: PARAMS,
    decode: { maxBytes: 1_000_000 },
    batchRecords: 200,
    storm,
  });
  const alerts: Alert[] = [];
  const incidents: Incident[] = [];
  for (const l of lines) {
    alerts.push(...p.push(l));
    incidents.push(...p.takeIncidents());
  }
  alerts.push(...p.end());
  incidents.push(...p.takeIncidents());
  for (const i of incidents) IncidentSchema.parse(i);
  return { alerts, incidents };
}

const sample = (i: number, service: string, metric: string, value: number): string =>
  JSON.stringify({ ts: windowAt(i) + 1000, service, metric, value });

const FOUR = [
  ['error_ratio', 0.01],
  ['latency_p50_ms', 20],
  ['latency_p99_ms', 120],
  ['bytes_out_per_s', 50_000],
] as const;

/** A broken value: ×8, and for the error ratio 30 % errors (its floor is 2 points). */
const broken = (metric: string, v: number): number => (metric === 'error_ratio' ? 0.3 : v * 8);

/** 60 quiet windows, then `from`..`to` with the metrics in `breaking` broken, then quiet until 90. */
function oneService(breaking: readonly string[], from = 60, to = 64): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 90; i++) {
    FOUR.forEach(([metric, level], j) => {
      const v = noisy(level, i + j);
      lines.push(sample(i, 'shop/checkout', metric, i >= from && i < to && breaking.includes(metric) ? broken(metric, v) : v));
    });
  }
  return lines;
}

describe('four metrics of one service break together', () => {
  const { alerts, incidents } = run(oneService(FOUR.map(([m]) => m)));

  it('fire four per-metric alerts, unchanged', () => {
    expect(
      alerts
        .filter((a) => a.status === 'firing')
        .map((a) => a.metric)
        .sort(),
    ).toStrictEqual(FOUR.map(([m]) => m).sort());
  });

  it('make one incident that lists all four, and resolves once', () => {
    expect(new Set(incidents.map((i) => i.id)).size).toBe(1);
    const opened = incidents.filter((i) => i.change === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.metrics.map((m) => m.metric).sort()).toStrictEqual(FOUR.map(([m]) => m).sort());
    const firing = alerts.filter((a) => a.status === 'firing');
    for (const m of opened[0]?.metrics ?? []) {
      const a = firing.find((x) => x.id === m.alertId);
      expect(a).toBeDefined();
      expect([m.observed, m.expected, m.score]).toStrictEqual([a?.observed, a?.expected, a?.score]);
    }
    const resolved = incidents.filter((i) => i.status === 'resolved');
    expect(resolved).toHaveLength(1);
    expect(resolved[0]?.metrics.every((m) => m.status === 'resolved')).toBe(true);
    expect(incidents.map((i) => i.revision)).toStrictEqual(incidents.map((_, k) => k + 1));
    expect(incidents.every((i) => i.scope === 'service' && i.storm === null)).toBe(true);
  });
});

describe('metrics that join and leave', () => {
  it('update the open incident, which resolves when the last one leaves', () => {
    // latency_p99 breaks at 60..64, error_ratio at 62..75: joins the open incident, outlives p99.
    const lines: string[] = [];
    for (let i = 0; i < 100; i++) {
      FOUR.forEach(([metric, level], j) => {
        const on = (metric === 'latency_p99_ms' && i >= 60 && i < 64) || (metric === 'error_ratio' && i >= 62 && i < 75);
        const v = noisy(level, i + j);
        lines.push(sample(i, 'shop/checkout', metric, on ? broken(metric, v) : v));
      });
    }
    const { incidents } = run(lines);
    expect(new Set(incidents.map((i) => i.id)).size).toBe(1);
    expect(incidents.map((i) => i.change)).toStrictEqual(['opened', 'updated', 'updated', 'resolved']);
    const [, joined, left, resolved] = incidents;
    expect(joined?.metrics.map((m) => [m.metric, m.status])).toStrictEqual([
      ['latency_p99_ms', 'firing'],
      ['error_ratio', 'firing'],
    ]);
    expect(left?.metrics.map((m) => [m.metric, m.status])).toStrictEqual([
      ['latency_p99_ms', 'resolved'],
      ['error_ratio', 'firing'],
    ]);
    expect(left?.status).toBe('firing');
    expect(resolved?.status).toBe('resolved');
    expect(resolved?.endsAt).not.toBeNull();
  });
});

/** `services` services at cpu 1; `firing` of them ×8 at windows 60..63. */
function mesh(services: number, firing: number): string[] {
  const lines: string[] = [];
  for (let i = 0; i < 80; i++) {
    for (let s = 0; s < services; s++) {
      const up = s < firing && i >= 60 && i < 64 ? 8 : 1;
      lines.push(sample(i, `mesh/svc-${String(s).padStart(2, '0')}`, 'cpu_cores', noisy(1, i + s) * up));
    }
  }
  return lines;
}

describe('storm guard', () => {
  it('60 % of 50 services firing in the same window make one storm incident listing them', () => {
    const { incidents } = run(mesh(50, 30));
    const storms = incidents.filter((i) => i.scope === 'storm');
    expect(new Set(storms.map((i) => i.id)).size).toBe(1);
    const opened = storms.filter((i) => i.change === 'opened');
    expect(opened).toHaveLength(1);
    expect(opened[0]?.services).toHaveLength(30);
    expect(opened[0]?.servicesSeen).toBe(50);
    expect(storms.at(-1)?.status).toBe('resolved');
    // Every service incident is part of it: paging sinks page the storm only.
    const services = incidents.filter((i) => i.scope === 'service');
    expect(new Set(services.map((i) => i.id)).size).toBe(30);
    expect(services.every((i) => i.storm === opened[0]?.id)).toBe(true);
  });

  it.each([
    ['a share below the bar', 50, 20],
    ['fewer services than minServices', 12, 8],
  ])('%s is no storm', (_, services, firing) => {
    const { incidents } = run(mesh(services, firing));
    expect(incidents.filter((i) => i.scope === 'storm')).toStrictEqual([]);
    expect(new Set(incidents.map((i) => i.id)).size).toBe(firing);
    expect(incidents.every((i) => i.storm === null)).toBe(true);
  });

  it('turned off, the same event is one incident per service', () => {
    const { incidents } = run(mesh(50, 30), { ...STORM, enabled: false });
    expect(incidents.filter((i) => i.scope === 'storm')).toStrictEqual([]);
    expect(new Set(incidents.map((i) => i.id)).size).toBe(30);
  });
});
