/**
 * Stories for service-level corroboration (detection.corroboration = 'service'): one service
 * with CPU and steady inbound traffic (requests, latency, bytes), 10 s windows, warm-up 20,
 * persist 2, strong threshold 8.
 */
import { describe, expect, it } from 'vitest';
import { type CloseParams, closeServiceWindow } from '../../../src/core/pipeline/close-service-window.js';
import { emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { type WindowPartial } from '../../../src/core/window/partial.js';
import { PARAMS, SVC, T0, type WindowSpec, calm, quiet, spike, story } from './story.js';

const SERVICE: CloseParams = { ...PARAMS, detection: { ...PARAMS.detection, corroboration: 'service' } };

function firing(partials: WindowPartial[], params: CloseParams = SERVICE): { window: number; metric: string }[] {
  let state = emptyServiceState(SVC);
  const out: { window: number; metric: string }[] = [];
  for (const p of partials) {
    const r = closeServiceWindow(state, p, params);
    state = r.state;
    for (const a of r.alerts) if (a.status === 'firing') out.push({ window: (p.windowStart - T0) / p.windowMs, metric: a.metric });
  }
  return out;
}

const slow = (specs: WindowSpec[]): WindowSpec[] => specs.map((s) => ({ ...s, latencyMs: 400 }));

describe('a huge CPU window while the rest of the service is calm', () => {
  it('needs persistence: it fires on its second window, not its first', () => {
    expect(firing(story([...quiet(30), ...spike(3, 3), ...calm(8, 33)]))).toEqual([{ window: 31, metric: 'cpu_cores' }]);
  });

  it('one window alone never fires', () => {
    expect(firing(story([...quiet(30), ...spike(1, 3), ...calm(10, 31)]))).toEqual([]);
  });

  it('judged alone (corroboration off) it fires at once', () => {
    expect(firing(story([...quiet(30), ...spike(3, 3), ...calm(8, 33)]), PARAMS)).toEqual([{ window: 30, metric: 'cpu_cores' }]);
  });
});

describe('CPU and latency moving together', () => {
  it('corroborate each other: both fire at once', () => {
    const fired = firing(story([...quiet(30), ...slow(spike(3, 3)), ...calm(8, 33)]));
    expect(fired.filter((f) => f.window === 30).map((f) => f.metric)).toEqual(expect.arrayContaining(['cpu_cores', 'latency_p99_ms']));
  });
});

describe('a series that jumps far as a habit', () => {
  // Every 40 windows, CPU alone at 3 cores for 3 windows.
  const habit = (jumps: number): WindowSpec[] => Array.from({ length: jumps }, (_, k) => [...calm(37, 30 + 40 * k), ...spike(3, 3)]).flat();

  it('fires for its first excursion and then, alone, no more', () => {
    const fired = firing(story([...quiet(30), ...habit(4), ...calm(10, 190)]));
    expect(fired).toEqual([{ window: 68, metric: 'cpu_cores' }]);
  });

  it('still fires when another kind of signal moves with it', () => {
    const withLatency = [...quiet(30), ...habit(2), ...calm(37, 110), ...slow(spike(3, 3)), ...calm(10, 150)];
    const fired = firing(story(withLatency)).filter((f) => f.metric === 'cpu_cores');
    // The first excursion, and the corroborated one within its three windows (147..149).
    expect(fired).toHaveLength(2);
    expect(fired[0]?.window).toBe(68);
    expect(fired[1]?.window).toBeGreaterThanOrEqual(147);
    expect(fired[1]?.window).toBeLessThanOrEqual(149);
  });
});
