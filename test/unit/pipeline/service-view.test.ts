/**
 * serviceView: the band it shows for a metric is the band the detector judges the next window
 * against. Stories run window by window through closeServiceWindow until an episode fires; the
 * view of the state before the firing window must give the alert's `expected` exactly.
 */
import { describe, expect, it, test } from 'vitest';
import { bandFor } from '../../../src/core/alert/units.js';
import { type Alert } from '../../../src/core/alert/schema.js';
import { serviceKey } from '../../../src/core/model.js';
import { closeServiceWindow } from '../../../src/core/pipeline/close-service-window.js';
import { type ServiceState, emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { serviceView } from '../../../src/core/pipeline/service-view.js';
import { DETECTION, PARAMS, SVC, WINDOW_MS, type WindowSpec, calm, quiet, quietCores, spike, story, windowAt } from './story.js';

const VIEW = { detection: DETECTION, windowMs: WINDOW_MS };

/** Closes the story's windows in order; returns the first firing alert and the state before its window. */
function untilFiring(specs: WindowSpec[], params = PARAMS): { before: ServiceState; alert: Alert; after: ServiceState } {
  let state = emptyServiceState(SVC);
  for (const p of story(specs)) {
    const out = closeServiceWindow(state, p, params);
    const alert = out.alerts.find((a) => a.status === 'firing');
    if (alert) return { before: state, alert, after: out.state };
    state = out.state;
  }
  throw new Error('the story never fired');
}

const closeAll = (specs: WindowSpec[]): ServiceState =>
  story(specs).reduce((s, p) => closeServiceWindow(s, p, PARAMS).state, emptyServiceState(SVC));

describe('the band of a metric is the band the next window is judged against', () => {
  test.each<[string, WindowSpec[], string]>([
    ['a CPU spike (linear scale)', [...quiet(30), ...spike(3, 3)], 'cpu_cores'],
    ['a CPU spike after a long quiet run', [...quiet(80), ...spike(3, 2)], 'cpu_cores'],
    [
      'a latency spike (log scale)',
      // 50 requests: all of them far above the expected p99 fire at once; the median of 50 can
      // show at most 8σ (detect/sampling.ts) and waits for a second window.
      [...quiet(30), ...Array.from({ length: 3 }, (_, i) => ({ cores: quietCores(30 + i), latencyMs: 400 }))],
      'latency_p99_ms',
    ],
  ])('%s', (_, specs, metric) => {
    const { before, alert } = untilFiring(specs);
    expect(alert.metric).toBe(metric);
    expect(alert.expected).not.toBeNull();
    const view = serviceView(before, VIEW);
    const band = view.metrics.find((m) => m.metric === metric)?.expected;
    // The alert presents the same band, rounded to what it means (core/alert/units.ts).
    expect(band ? bandFor(metric, band) : band).toEqual(alert.expected);
  });

  it('uses the service’s own sensitivity, as the detector does', () => {
    const detection = { ...DETECTION, services: { [serviceKey(SVC)]: { threshold: 6 } } };
    const { before, alert } = untilFiring([...quiet(30), ...spike(3, 3)], { ...PARAMS, detection });
    const mine = serviceView(before, { detection, windowMs: WINDOW_MS }).metrics.find((m) => m.metric === 'cpu_cores');
    const global = serviceView(before, VIEW).metrics.find((m) => m.metric === 'cpu_cores');
    expect(mine?.expected ? bandFor('cpu_cores', mine.expected) : null).toEqual(alert.expected);
    expect(mine?.expected?.upper).toBeGreaterThan(global?.expected?.upper ?? Infinity);
  });
});

describe('what the view holds', () => {
  it('the last closed window’s values, the window count and the open episodes', () => {
    const { after, alert } = untilFiring([...quiet(30), ...spike(3, 3)]);
    const view = serviceView(after, VIEW);
    expect(view.service).toEqual(SVC);
    expect(view.windows).toBe(31);
    expect(view.lastWindowStartMs).toBe(windowAt(30));
    expect(view.metrics.find((m) => m.metric === 'cpu_cores')?.value).toBeCloseTo(3, 9);
    expect(view.metrics.find((m) => m.metric === 'requests_per_s')?.value).toBe(5);
    expect(view.openEpisodes).toEqual([{ key: 'spike:cpu_cores', kind: 'spike', since: Date.parse(alert.startsAt) }]);
    expect(view.metrics.map((m) => m.metric)).toEqual([...view.metrics.map((m) => m.metric)].sort());
  });

  it('no band before warm-up, and none for a metric the last window did not carry a value for', () => {
    const early = serviceView(closeAll(quiet(10)), VIEW);
    expect(early.metrics.length).toBeGreaterThan(0);
    for (const m of early.metrics) expect(m.expected).toBeNull();
    const noCpu = serviceView(closeAll([...quiet(30), { load: true }]), VIEW);
    const cpu = noCpu.metrics.find((m) => m.metric === 'cpu_cores');
    expect(cpu?.value).toBeNull();
    expect(cpu?.expected).not.toBeNull();
  });

  it('no band for a metric that would come back stale', () => {
    const state = closeAll(quiet(30));
    const later = { ...state, lastWindowStart: state.lastWindowStart + (DETECTION.staleAfterWindows + 1) * WINDOW_MS };
    expect(serviceView(later, VIEW).metrics.every((m) => m.expected === null)).toBe(true);
  });

  it('a state without recorded values (an older record) has null values and still its bands', () => {
    const older = closeAll([...quiet(30), ...calm(2, 30)]);
    delete older.last;
    const view = serviceView(older, VIEW);
    expect(view.metrics.every((m) => m.value === null)).toBe(true);
    expect(view.metrics.find((m) => m.metric === 'cpu_cores')?.expected).not.toBeNull();
  });
});
