/**
 * Stories for closeServiceWindow: one service, 10 s windows, warm-up 20, persist 2,
 * strong threshold 8, resolve after 3 calm windows (unless a story says otherwise).
 * Windows are closed one by one in order.
 */
import { describe, expect, it, test } from 'vitest';
import { roundFor } from '../../../src/core/alert/units.js';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { episodeId } from '../../../src/core/alert/id.js';
import { type ServiceId } from '../../../src/core/model.js';
import { type CloseParams, closeServiceWindow } from '../../../src/core/pipeline/close-service-window.js';
import { type ServiceState, emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { type WindowPartial } from '../../../src/core/window/partial.js';
import {
  DETECTION,
  PARAMS,
  QUIET_LEVEL,
  SIGMA_EFF,
  SVC,
  T0,
  type WindowSpec,
  calm,
  iso,
  quiet,
  quietCores,
  spike,
  story,
  windowAt,
} from './story.js';

interface Closed {
  state: ServiceState;
  /** Alerts with the index of the window that emitted them. */
  alerts: { window: number; alert: Alert }[];
}

/** Closes the partials in order from an empty (or given) state. */
function closeAll(partials: WindowPartial[], state: ServiceState = emptyServiceState(SVC), params: CloseParams = PARAMS): Closed {
  const alerts: Closed['alerts'] = [];
  for (const p of partials) {
    const out = closeServiceWindow(state, p, params);
    state = out.state;
    for (const alert of out.alerts) alerts.push({ window: (p.windowStart - T0) / p.windowMs, alert });
  }
  return { state, alerts };
}

/** The windows whose close fired an alert. */
const firingAt = (specs: WindowSpec[]): number[] =>
  closeAll(story(specs))
    .alerts.filter((a) => a.alert.status === 'firing')
    .map((a) => a.window);

const brief = ({ window, alert }: Closed['alerts'][number]) => ({ window, status: alert.status, kind: alert.kind, metric: alert.metric });

describe('quiet period, then a CPU spike', () => {
  // windows 0..29 quiet (0 primes the counter; 1..20 warm the baseline), 30..32 at 3 cores, 33.. quiet
  const { alerts } = closeAll(story([...quiet(30), ...spike(3, 3), ...calm(8, 33)]));

  it('fires exactly once on the first spiking window, and resolves after 3 calm windows', () => {
    expect(alerts.map(brief)).toEqual([
      { window: 30, status: 'firing', kind: 'spike', metric: 'cpu_cores' },
      { window: 35, status: 'resolved', kind: 'spike', metric: 'cpu_cores' },
    ]);
  });

  it('the firing alert names the triggering window, the episode start, the value and the band', () => {
    const firing = alerts[0]!.alert;
    expect(firing).toMatchObject({
      id: episodeId('shop/checkout', 'spike', 'cpu_cores', windowAt(30)),
      severity: 'critical',
      window: { start: iso(windowAt(30)), end: iso(windowAt(31)) },
      startsAt: iso(windowAt(30)),
      endsAt: null,
      service: { namespace: 'shop', name: 'checkout' },
    });
    expect(firing.observed).toBeCloseTo(3, 9);
    expect(firing.expected!.value).toBeCloseTo(QUIET_LEVEL, 1);
    expect(firing.expected!.upper).toBeLessThan(1);
    expect(firing.score).toBeGreaterThan(0.85);
    expect(firing.details.z).toBeGreaterThanOrEqual(PARAMS.detection.strongThreshold);
    expect(firing.details.test).toBe('point');
  });

  it('the resolved alert carries the same id, the same start, and an end', () => {
    const [firing, resolved] = alerts.map((a) => a.alert);
    expect(resolved).toMatchObject({
      id: firing!.id,
      status: 'resolved',
      startsAt: firing!.startsAt,
      window: { start: iso(windowAt(35)) },
      endsAt: iso(windowAt(36)),
    });
    expect(resolved!.observed).toBeCloseTo(quietCores(35), 9);
  });

  it('every alert is a valid meshwatch.alert/v1 document', () => {
    for (const { alert } of alerts) expect(AlertSchema.parse(alert)).toStrictEqual(alert);
  });
});

describe('how long an anomaly must last', () => {
  // σ_eff = 0.015 around 0.5 cores: z = (x − 0.5) / 0.015
  const moderate = QUIET_LEVEL + 6 * SIGMA_EFF; // z ≈ 6: between threshold 4 and strongThreshold 8

  test.each([
    { case: 'a moderate spike for one window', specs: spike(1, moderate), persist: 2, fired: undefined },
    { case: 'a moderate spike for two windows', specs: spike(2, moderate), persist: 2, fired: 31 },
    { case: 'a huge spike for one window', specs: spike(1, 3), persist: 2, fired: 30 },
    { case: 'a moderate then a huge window', specs: [{ cores: moderate }, { cores: 3 }], persist: 2, fired: 31 },
    { case: 'a moderate spike for two windows, persist 3', specs: spike(2, moderate), persist: 3, fired: undefined },
    { case: 'a moderate spike for three windows, persist 3', specs: spike(3, moderate), persist: 3, fired: 32 },
    // persist 1: one anomalous window is enough, whatever its size
    { case: 'a moderate spike for one window, persist 1', specs: spike(1, moderate), persist: 1, fired: 30 },
  ])('$case → fires at window $fired', ({ specs, persist, fired }) => {
    const params = { ...PARAMS, detection: { ...DETECTION, persistWindows: persist } };
    const { alerts } = closeAll(story([...quiet(30), ...specs, ...calm(6, 30 + specs.length)]), undefined, params);
    const firing = alerts.filter((a) => a.alert.status === 'firing');
    expect(firing.map((a) => a.window)).toEqual(fired === undefined ? [] : [fired]);
    // the episode starts at the first anomalous window, whichever window made it fire
    if (fired !== undefined) expect(firing[0]!.alert.startsAt).toBe(iso(windowAt(30)));
  });

  it('a moderate spike episode resolves with its own id', () => {
    const { alerts } = closeAll(story([...quiet(30), ...spike(2, moderate), ...calm(6, 32)]));
    expect(alerts.map(brief)).toEqual([
      { window: 31, status: 'firing', kind: 'spike', metric: 'cpu_cores' },
      { window: 34, status: 'resolved', kind: 'spike', metric: 'cpu_cores' },
    ]);
    expect(alerts[1]!.alert.id).toBe(alerts[0]!.alert.id);
    expect(alerts[0]!.alert.id).toBe(episodeId('shop/checkout', 'spike', 'cpu_cores', windowAt(30)));
  });

  test.each([2, 1])(
    'no alert on small noise (±40 mcores around 0.5, under 3 σ_eff), nor on a CPU drop (cpu_cores is up-only); persist %d',
    (persist) => {
      const noisy = Array.from({ length: 60 }, (_, i) => ({ cores: 0.5 + 0.04 * Math.sin(i * 1.7) }));
      const drop = spike(5, 0.01);
      const params = { ...PARAMS, detection: { ...DETECTION, persistWindows: persist } };
      const { alerts, state } = closeAll(story([...quiet(30), ...noisy, ...drop]), undefined, params);
      expect(alerts).toEqual([]);
      expect(state.windows).toBe(95);
    },
  );

  it('noise that grows slowly widens the band instead of alerting (±0.1 cores reached over 60 windows)', () => {
    const noisy = Array.from({ length: 60 }, (_, i) => ({ cores: 0.5 + 0.1 * (i / 60) * Math.sin(i * 1.7) }));
    const { alerts, state } = closeAll(story([...quiet(30), ...noisy]));
    expect(alerts).toEqual([]);
    expect(Math.sqrt(state.baselines.cpu_cores!.variance)).toBeGreaterThan(SIGMA_EFF);
  });

  it('nothing is judged before warm-up, however wild', () => {
    const wild = Array.from({ length: 20 }, (_, i) => ({ cores: i % 2 ? 8 : 0.1 }));
    expect(closeAll(story(wild)).alerts).toEqual([]);
  });

  // Regression (see test/unit/detect/baseline.test.ts): clipped anomalous values once still
  // inflated the variance, so a sustained incident became "normal" after ~10 windows and its
  // episode resolved while the incident was still going on (long before levelShiftWindows = 60).
  it('a sustained CPU incident (30 windows at 2 cores) keeps its episode open until it ends', () => {
    const { alerts } = closeAll(story([...quiet(30), ...spike(30, 2), ...calm(6, 60)]));
    expect(alerts.map(brief)).toEqual([
      { window: 30, status: 'firing', kind: 'spike', metric: 'cpu_cores' },
      { window: 62, status: 'resolved', kind: 'spike', metric: 'cpu_cores' },
    ]);
  });
});

describe('a series that blips', () => {
  // one-window huge spikes (z ≈ 170) 20 windows apart: each is a blip (a run of one window)
  const blips = (k: number): WindowSpec[] => Array.from({ length: k }, (_, j) => [...spike(1, 3), ...calm(19, 31 + 20 * j)]).flat();

  it('the first three fire at once; from the fourth on, one window is not enough', () => {
    const { alerts } = closeAll(story([...quiet(30), ...blips(5)]));
    const firing = alerts.filter((a) => a.alert.status === 'firing').map((a) => a.window);
    expect(firing).toEqual([30, 50, 70]);
  });

  it('after three blips, a spike that lasts still fires (once the surprise gate, used to the blips, opens)', () => {
    const { alerts } = closeAll(story([...quiet(30), ...blips(3), ...spike(3, 3), ...calm(6, 93)]));
    const firing = alerts.filter((a) => a.alert.status === 'firing').map((a) => a.window);
    expect(firing).toEqual([30, 50, 70, 92]);
  });
});

describe('a record: one window far beyond anything the series did', () => {
  // z ≈ 6: past the bar, short of strongThreshold 8; the quiet noise never strays more than
  // 20 mcores from 0.5, and the spike is 90 mcores above it
  const moderate = QUIET_LEVEL + 6 * SIGMA_EFF;
  const HISTORY = DETECTION.slowHalfLifeWindows / 8; // records count after 1,080 judged windows

  it('fires at once after a long quiet history', () => {
    const n = HISTORY + 100;
    expect(firingAt([...quiet(n), ...spike(1, moderate), ...calm(6, n + 1)])).toEqual([n]);
  });

  it('does not fire while the history is short: the first windows of any series are records', () => {
    const n = HISTORY / 2;
    expect(firingAt([...quiet(n), ...spike(1, moderate), ...calm(6, n + 1)])).toEqual([]);
  });

  it('once the series has done it, the same size is no record: it must last to fire', () => {
    const n = HISTORY + 100;
    const again = n + 31;
    const twice = [...quiet(n), ...spike(1, moderate), ...calm(30, n + 1), ...spike(1, moderate), ...calm(30, again + 1)];
    expect(firingAt(twice)).toEqual([n]);
    expect(firingAt([...twice, ...spike(2, moderate), ...calm(6, again + 33)])).toEqual([n, again + 32]);
  });
});

describe('a burst: three windows well out, none past the bar', () => {
  // z ≈ 3.7 each (52 mcores over 0.5 cores; σ ≈ 14 mcores): under the bar of 4, so persistence never starts;
  // the three-window sum is the evidence (that a young series' bursts do not count is a test of
  // detect/burst.test.ts: here the drift test would fire instead)
  const burst = QUIET_LEVEL + 3.5 * SIGMA_EFF;
  const HISTORY = DETECTION.slowHalfLifeWindows / 4;

  it('fires at once on its third window after a long history (persistWindows is 2)', () => {
    const n = HISTORY + 100;
    expect(firingAt([...quiet(n), ...spike(3, burst), ...calm(6, n + 3)])).toEqual([n + 2]);
  });

  it("the alert's details name the test and the learned history", () => {
    const n = HISTORY + 100;
    const { alerts } = closeAll(story([...quiet(n), ...spike(3, burst), ...calm(6, n + 3)]));
    const firing = alerts.find((a) => a.alert.status === 'firing')!.alert;
    // windows 1..n+1 learned (window 0 only primes the CPU counter)
    expect(firing.details).toMatchObject({ test: 'burst', windows_learned: n + 1 });
    expect(firing.details.z).toBeGreaterThan(3);
    expect(firing.details.z).toBeLessThan(4);
  });

  it('two such windows are not enough', () => {
    const n = HISTORY + 100;
    expect(firingAt([...quiet(n), ...spike(2, burst), ...calm(6, n + 2)])).toEqual([]);
  });
});

describe('a drift: a small shift that lasts', () => {
  // +2.5σ (37.5 mcores over 0.5 cores, the quiet noise kept): no window near the bar; the drift
  // average (half-life 8 windows) gets there in 4 windows
  const shifted = (n: number, from: number): WindowSpec[] =>
    Array.from({ length: n }, (_, i) => ({ cores: quietCores(from + i) + 2.5 * SIGMA_EFF }));

  it('fires on its first drift-anomalous window after a calm history (the average already spans many windows)', () => {
    expect(firingAt([...quiet(300), ...shifted(40, 300)])).toEqual([303]);
  });

  it('right after an anomaly it must persist: the drift average still holds that anomaly', () => {
    // a 2-window spike at 300 (resolved at 304), the shift from 308: first drift window 311
    const specs = [...quiet(300), ...spike(2, 3), ...calm(6, 302), ...shifted(40, 308)];
    expect(firingAt(specs)).toEqual([300, 312]);
  });
});

describe('new_peer', () => {
  const db: ServiceId = { namespace: 'shop', name: 'db' };
  const attacker: ServiceId = { namespace: 'external', name: '203.0.113.7' };
  const withCalls = (specs: WindowSpec[], calls: Record<number, ServiceId[]>): WindowSpec[] =>
    specs.map((s, i) => ({ ...s, calls: [...(s.calls ?? []), ...(calls[i] ?? [])] }));

  it('learns peers silently during warm-up, then fires once for a new one, and resolves after 3 windows without calls', () => {
    const calls: Record<number, ServiceId[]> = {};
    for (let i = 0; i < 40; i++) calls[i] = [db];
    calls[10] = [db, attacker]; // during warm-up: learned, no alert
    const late: ServiceId = { namespace: 'shop', name: 'ledger' };
    calls[25] = [db, late];
    calls[26] = [db, late];
    const { alerts, state } = closeAll(story(withCalls(quiet(40), calls)));

    expect(alerts.map(brief)).toEqual([
      { window: 25, status: 'firing', kind: 'new_peer', metric: 'edge' },
      { window: 29, status: 'resolved', kind: 'new_peer', metric: 'edge' },
    ]);
    const [firing, resolved] = alerts.map((a) => a.alert);
    expect(firing).toMatchObject({
      id: episodeId('shop/checkout', 'new_peer', 'shop/ledger', windowAt(25)),
      severity: 'error',
      peer: late,
      expected: null,
      window: { start: iso(windowAt(25)) },
      startsAt: iso(windowAt(25)),
      details: { requests: 1, known_peers: 2 },
    });
    expect(resolved).toMatchObject({ id: firing!.id, peer: late, observed: 0, startsAt: firing!.startsAt });
    expect(Object.keys(state.peers).sort()).toEqual(['out:external/203.0.113.7', 'out:shop/db', 'out:shop/ledger']);
    for (const a of [firing, resolved]) AlertSchema.parse(a);
  });

  test.each([
    { firstCall: 19, fires: false },
    { firstCall: 20, fires: true },
  ])('warm-up is counted in windows closed (warmupWindows 20): first call in window $firstCall → fires $fires', ({ firstCall, fires }) => {
    const { alerts } = closeAll(story(withCalls(quiet(25), { [firstCall]: [db] })));
    expect(alerts.filter((a) => a.alert.kind === 'new_peer' && a.alert.status === 'firing').map((a) => a.window)).toEqual(
      fires ? [firstCall] : [],
    );
  });

  it('a peer that comes back after its episode resolved does not fire again', () => {
    const { alerts } = closeAll(story(withCalls(quiet(45), { 25: [db], 35: [db], 40: [db] })));
    expect(alerts.map((a) => [a.window, a.alert.status])).toEqual([
      [25, 'firing'],
      [28, 'resolved'],
    ]);
  });

  it('resolves through the same episode state machine as every kind: the resolve starts a cooldown', () => {
    const params = { ...PARAMS, detection: { ...DETECTION, cooldownWindows: 5 } };
    const { alerts, state } = closeAll(story(withCalls(quiet(30), { 25: [db] })), emptyServiceState(SVC), params);
    expect(alerts.map((a) => [a.window, a.alert.status])).toEqual([
      [25, 'firing'],
      [28, 'resolved'],
    ]);
    expect(state.cooldowns).toEqual({ 'new_peer:shop/db': windowAt(33) });
  });

  it('an inbound caller is not a new_peer alert', () => {
    const partials = story(quiet(30));
    partials[25]!.edges['in:shop/web'] = {
      direction: 'inbound',
      peer: { namespace: 'shop', name: 'web' },
      requests: 3,
      errors: 0,
      bytes: 10,
    };
    expect(closeAll(partials).alerts).toEqual([]);
  });

  it('peers past maxPeersPerService are refused and counted', () => {
    const partials = story(quiet(2));
    const many = Array.from({ length: 5 }, (_, k) => ({ namespace: 'ext', name: `h${k}` }));
    for (const peer of many) partials[0]!.edges[`out:ext/${peer.name}`] = { direction: 'outbound', peer, requests: 1, errors: 0, bytes: 1 };
    const out = closeServiceWindow(emptyServiceState(SVC), partials[0]!, { ...PARAMS, maxPeersPerService: 3 });
    expect(out.overflow).toBe(2);
    expect(Object.keys(out.state.peers)).toHaveLength(3);
  });
});

describe('state', () => {
  it('is not mutated: closing returns a new state', () => {
    const partials = story([...quiet(30), ...spike(2, 3)]);
    const before = closeAll(partials.slice(0, 31)).state;
    const snapshot = structuredClone(before);
    closeServiceWindow(before, partials[31]!, PARAMS);
    expect(before).toStrictEqual(snapshot);
  });

  it('a window at or before the last one closed is not learned again', () => {
    const partials = story(quiet(25));
    const { state } = closeAll(partials);
    const again = closeServiceWindow(state, partials[24]!, PARAMS);
    expect(again.state.baselines).toStrictEqual(state.baselines);
    expect(again.alerts).toEqual([]);
  });

  it('an established traffic baseline with a window without requests judges 0 req/s (a drop)', () => {
    const specs = [...quiet(30), { cores: quietCores(30), load: false }, { cores: quietCores(31), load: false }, ...calm(5, 32)];
    const { alerts } = closeAll(story(specs));
    // 5 req/s flat, σ_eff = the absFloor 0.5: 0 req/s is z = −10, past strongThreshold: it fires at once
    expect(alerts.map(brief)).toEqual([
      { window: 30, status: 'firing', kind: 'drop', metric: 'requests_per_s' },
      { window: 34, status: 'resolved', kind: 'drop', metric: 'requests_per_s' },
    ]);
    expect(alerts[0]!.alert.observed).toBe(0);
    expect(alerts[0]!.alert.details.z).toBe(-10);
  });
});

describe('latency is judged on the log scale, alerts speak ms', () => {
  // ~20 ms × e^(±0.1), multiplicative like real latency; the cores stay quiet throughout
  const quietMs = (i: number): number => 20 * Math.exp(0.1 * ((((i * 7919) % 11) - 5) / 5));
  const lat = (from: number, n: number, ms?: number): WindowSpec[] =>
    Array.from({ length: n }, (_, k) => ({ cores: quietCores(from + k), latencyMs: ms ?? quietMs(from + k) }));
  const p99 = (a: Closed['alerts'][number]): boolean => a.alert.metric === 'latency_p99_ms';

  it('a quiet latency series never alerts; three windows at 3× fire once, with the band in ms', () => {
    const { alerts } = closeAll(story([...lat(0, 60), ...lat(60, 3, 60), ...lat(63, 8)]));
    const firing = alerts.filter((a) => p99(a) && a.alert.status === 'firing');
    expect(firing.map((a) => a.window)).toEqual([60]);
    const a = firing[0]!.alert;
    expect(a.observed).toBeCloseTo(60, -0.5);
    const { value, lower, upper } = a.expected!;
    expect(value).toBeGreaterThan(18);
    expect(value).toBeLessThan(22);
    // a ratio band: wider above the expectation than below, in ms
    expect(upper - value).toBeGreaterThan(value - lower);
    expect(lower).toBeGreaterThan(0);
    expect(upper).toBeLessThan(60);
  });

  it('a record learned on the linear scale starts again on the log scale', () => {
    const linear = {
      ...DETECTION,
      metrics: { ...DETECTION.metrics, latency_p99_ms: { direction: 'up' as const, absFloor: 1, relFloor: 0.05 } },
    };
    const before = closeAll(story(lat(0, 40)), emptyServiceState(SVC), { ...PARAMS, detection: linear }).state;
    expect(before.baselines.latency_p99_ms).toMatchObject({ n: 40 });
    expect(before.baselines.latency_p99_ms!.scale).toBeUndefined();
    const after = closeAll(story(lat(40, 1), 40), before).state;
    expect(after.baselines.latency_p99_ms).toMatchObject({ n: 1, scale: 'log' });
    expect(after.baselines.latency_p99_ms!.level).toBeCloseTo(Math.log(quietMs(40) + 1), 1);
    // the other metrics keep their history
    expect(after.baselines.cpu_cores!.n).toBe(before.baselines.cpu_cores!.n + 1);
  });
});

describe('leak: the fast level stays drift above the slow one', () => {
  const MIB = 1024 * 1024;
  const PER_HOUR = 360;
  const HOURS = 24;
  /** The working set: 200 MiB, ±0.1 % of deterministic noise, times a trend. */
  const memoryStory = (trend: (hours: number) => number): WindowPartial[] =>
    story(
      Array.from({ length: HOURS * PER_HOUR }, (_, i) => ({ memory: 200 * MIB * trend(i / PER_HOUR) * (1 + 0.001 * Math.sin(i * 1.7)) })),
    );

  // memory_working_set_bytes: drift 0.05, floors (1 MiB, 2 %)
  const growing = closeAll(memoryStory((h) => Math.pow(1.01, h)));
  const flat = closeAll(memoryStory(() => 1));

  it('a working set growing 1 % per hour fires one leak alert, and nothing else', () => {
    expect(growing.alerts.map(brief).map(({ window: _, ...rest }) => rest)).toEqual([
      { status: 'firing', kind: 'leak', metric: 'memory_working_set_bytes' },
    ]);
    const { window, alert } = growing.alerts[0]!;
    // the slow level (warm start: the running mean) trails the fast one by ~ half the growth so far:
    // 5 % after ~10 hours
    expect(window / PER_HOUR).toBeGreaterThan(6);
    expect(window / PER_HOUR).toBeLessThan(16);
    expect(alert.details.climb_ratio).toBeGreaterThanOrEqual(0.05);
    // The band's centre is the slow level, presented as a whole number of bytes (core/alert/units.ts).
    expect(alert.expected!.value).toBe(roundFor('memory_working_set_bytes', alert.details.slow_level as number));
    expect(alert.observed).toBeGreaterThan(alert.expected!.upper);
    expect(alert.score).toBeGreaterThanOrEqual(0.5);
    expect(AlertSchema.parse(alert)).toStrictEqual(alert);
    // still leaking at the end: the episode is open
    expect(Object.keys(growing.state.episodes)).toEqual(['leak:memory_working_set_bytes']);
  });

  it('a flat working set never does', () => {
    expect(flat.alerts).toEqual([]);
    expect(flat.state.episodes).toEqual({});
    expect(flat.state.baselines.memory_working_set_bytes!.leakRun ?? 0).toBe(0);
  });

  it('a metric without drift in its policy never fires a leak, however it grows', () => {
    const params = {
      ...PARAMS,
      detection: {
        ...DETECTION,
        metrics: { ...DETECTION.metrics, memory_working_set_bytes: { direction: 'up' as const, absFloor: MIB, relFloor: 0.02 } },
      },
    };
    const { alerts } = closeAll(
      memoryStory((h) => Math.pow(1.01, h)),
      undefined,
      params,
    );
    expect(alerts.filter((a) => a.alert.kind === 'leak')).toEqual([]);
  });
});

describe('cooldown', () => {
  const N = 10;
  // (surprise gate off: a second spike soon after the first is less surprising, which is not what this tests)
  const params = { ...PARAMS, detection: { ...DETECTION, persistWindows: 1, cooldownWindows: N, surpriseThreshold: 0 } };
  // a 3-core spike at window 30 fires at 30 and resolves at 33 (3 calm windows): cooling down until window 33 + N
  const RESOLVED = 33;
  const withSecondSpike = (at: number): WindowSpec[] => [
    ...quiet(30),
    ...spike(1, 3),
    ...calm(at - 31, 31),
    ...spike(1, 3),
    ...calm(4, at + 1),
  ];

  test.each([
    { case: 'right after the resolve', at: RESOLVED + 1, fires: false },
    { case: 'on the last window of the cooldown', at: RESOLVED + N - 1, fires: false },
    { case: 'once the cooldown is over', at: RESOLVED + N, fires: true },
    { case: 'long after', at: RESOLVED + 3 * N, fires: true },
  ])('a spike $case (window $at) fires again: $fires', ({ at, fires }) => {
    const { alerts } = closeAll(story(withSecondSpike(at)), undefined, params);
    expect(alerts.slice(0, 2).map(brief)).toEqual([
      { window: 30, status: 'firing', kind: 'spike', metric: 'cpu_cores' },
      { window: RESOLVED, status: 'resolved', kind: 'spike', metric: 'cpu_cores' },
    ]);
    expect(alerts.slice(2).map((a) => [a.window, a.alert.status])).toEqual(
      fires
        ? [
            [at, 'firing'],
            [at + 3, 'resolved'],
          ]
        : [],
    );
  });

  it('without a cooldown the spike right after the resolve fires', () => {
    const { alerts } = closeAll(story(withSecondSpike(RESOLVED + 1)), undefined, {
      ...params,
      detection: { ...params.detection, cooldownWindows: 0 },
    });
    expect(alerts.filter((a) => a.alert.status === 'firing').map((a) => a.window)).toEqual([30, RESOLVED + 1]);
  });

  it('an anomaly that outlasts the cooldown fires when the cooldown ends', () => {
    const specs = [...quiet(30), ...spike(1, 3), ...calm(3, 31), ...spike(N + 2, 3), ...calm(4, 34 + N + 2)];
    const { alerts } = closeAll(story(specs), undefined, params);
    expect(alerts.filter((a) => a.alert.status === 'firing').map((a) => a.window)).toEqual([30, RESOLVED + N]);
  });

  it('the state keeps the cooldown until it is over, then forgets it', () => {
    const partials = story(withSecondSpike(RESOLVED + 3 * N));
    const at = (w: number) => closeAll(partials.slice(0, w + 1), undefined, params).state.cooldowns;
    expect(at(RESOLVED - 1)).toEqual({});
    expect(at(RESOLVED)).toEqual({ 'spike:cpu_cores': windowAt(RESOLVED + N) });
    expect(at(RESOLVED + N - 1)).toEqual({ 'spike:cpu_cores': windowAt(RESOLVED + N) });
    expect(at(RESOLVED + N)).toEqual({});
  });

  it('is per (kind, metric): another metric fires during the cooldown', () => {
    const specs: WindowSpec[] = [...quiet(30), ...spike(1, 3), ...calm(3, 31), { cores: quietCores(34), load: false }, ...calm(4, 35)];
    const { alerts } = closeAll(story(specs), undefined, params);
    expect(alerts.filter((a) => a.alert.status === 'firing').map(brief)).toEqual([
      { window: 30, status: 'firing', kind: 'spike', metric: 'cpu_cores' },
      { window: 34, status: 'firing', kind: 'drop', metric: 'requests_per_s' },
    ]);
  });
});
