/**
 * RecentWindows and RecentAlerts (runtime/recent.ts): each window's value with the band it was
 * judged against (the previous state's band for it), gaps without a band, re-closed windows
 * recorded once, the ring and the service bound; alerts newest first, per service, bounded.
 * And the state query's peers: new ones marked from open episodes and recent alerts.
 */
import { describe, expect, it } from 'vitest';
import { type Alert } from '../../../src/core/alert/schema.js';
import { serviceKey } from '../../../src/core/model.js';
import { closeServiceWindow } from '../../../src/core/pipeline/close-service-window.js';
import { type ServiceState, emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { serviceView } from '../../../src/core/pipeline/service-view.js';
import { RecentAlerts, RecentWindows } from '../../../src/runtime/recent.js';
import { EngineStateQuery } from '../../../src/runtime/state-query.js';
import { MemoryStateStore } from '../../../src/stores/memory/store.js';
import { DETECTION, PARAMS, SVC, WINDOW_MS, calm, quiet, spike, story, windowAt } from '../pipeline/story.js';

const VIEW = { detection: DETECTION, windowMs: WINDOW_MS };

/** Every state after each window of the story, and its alerts. */
function states(specs: Parameters<typeof story>[0]): { states: ServiceState[]; alerts: Alert[] } {
  let s = emptyServiceState(SVC);
  const out: ServiceState[] = [];
  const alerts: Alert[] = [];
  for (const p of story(specs)) {
    const r = closeServiceWindow(s, p, PARAMS);
    s = r.state;
    out.push(s);
    alerts.push(...r.alerts);
  }
  return { states: out, alerts };
}

const KEY = serviceKey(SVC);

describe('RecentWindows', () => {
  const run = states([...quiet(30), ...spike(3, 3), ...calm(4, 33)]);

  it('keeps each window value and the band the previous state gave for it', () => {
    const recent = new RecentWindows(100, 10, VIEW);
    recent.record(run.states);
    const cpu = recent.series(KEY)?.metrics.find((m) => m.metric === 'cpu_cores');
    expect(cpu?.points).toHaveLength(run.states.length);
    for (let i = 1; i < run.states.length; i++) {
      const point = cpu!.points[i]!;
      expect(point.start).toBe(windowAt(i));
      expect(point.value).toBeCloseTo(run.states[i]!.last!.cpu_cores!, 4);
      const band = serviceView(run.states[i - 1]!, VIEW).metrics.find((m) => m.metric === 'cpu_cores')?.expected ?? null;
      if (band === null) expect(point.expected).toBeNull();
      else expect(point.expected!.upper).toBeCloseTo(band.upper, 4);
    }
    // the spike's first window lies above the band it was judged against
    const first = cpu!.points[30]!;
    expect(first.value).toBeGreaterThan(first.expected!.upper);
  });

  it('records a re-closed window once, keeps the last `capacity` windows, and draws no band across a gap', () => {
    const recent = new RecentWindows(5, 10, VIEW);
    recent.record(run.states.slice(0, 32));
    recent.record(run.states.slice(28, 32)); // a re-read closes the same windows again
    let cpu = recent.series(KEY)!.metrics.find((m) => m.metric === 'cpu_cores')!;
    expect(cpu.points.map((p) => p.start)).toEqual([27, 28, 29, 30, 31].map(windowAt));
    expect(cpu.points.every((p) => p.expected !== null)).toBe(true);
    recent.record([run.states[35]!]); // windows 32..34 never recorded
    cpu = recent.series(KEY)!.metrics.find((m) => m.metric === 'cpu_cores')!;
    expect(cpu.points.at(-1)).toMatchObject({ start: windowAt(35), expected: null });
  });

  it('forgets the service updated longest ago past its bound, and keeps nothing at capacity 0', () => {
    const recent = new RecentWindows(3, 2, VIEW);
    const as = (name: string, s: ServiceState): ServiceState => ({ ...s, service: { ...SVC, name } });
    recent.record([as('a', run.states[0]!), as('b', run.states[0]!), as('a', run.states[1]!), as('c', run.states[0]!)]);
    expect(recent.series('shop/a')).toBeDefined();
    expect(recent.series('shop/b')).toBeUndefined();
    expect(recent.series('shop/c')).toBeDefined();
    const none = new RecentWindows(0, 2, VIEW);
    none.record(run.states);
    expect(none.series(KEY)).toBeUndefined();
  });
});

describe('RecentAlerts', () => {
  it('lists the newest first, per service, at most the capacity', () => {
    const { alerts } = states([...quiet(30), ...spike(3, 3), ...calm(4, 33)]);
    expect(alerts.map((a) => a.status)).toEqual(['firing', 'resolved']);
    const recent = new RecentAlerts(3);
    for (const a of [...alerts, ...alerts]) recent.add(a);
    const listed = recent.list({ limit: 10 });
    expect(listed.map((a) => a.status)).toEqual(['resolved', 'firing', 'resolved']);
    expect(listed[0]).toMatchObject({ service: KEY, kind: 'spike', metric: 'cpu_cores', windowStart: alerts[1]!.window.start });
    expect(recent.list({ limit: 1 })).toHaveLength(1);
    expect(recent.list({ service: 'shop/other', limit: 10 })).toEqual([]);
  });
});

describe('EngineStateQuery.peers', () => {
  it('marks a peer new while its new_peer episode is open or a recent alert fired for it', async () => {
    const peer = (name: string, firstSeen: number) => ({
      peer: { namespace: 'shop', name },
      direction: 'outbound' as const,
      firstSeen,
      lastSeen: firstSeen,
      requests: 1,
    });
    const state: ServiceState = {
      ...emptyServiceState(SVC),
      peers: { 'out:shop/db': peer('db', 0), 'out:shop/evil': peer('evil', 5), 'out:shop/late': peer('late', 6) },
    };
    const recent = { windows: new RecentWindows(10, 10, VIEW), alerts: new RecentAlerts(10) };
    recent.alerts.add({
      id: 'x',
      kind: 'new_peer',
      status: 'firing',
      severity: 'error',
      metric: 'edge',
      service: SVC,
      peer: { namespace: 'shop', name: 'evil' },
      window: { start: new Date(5).toISOString() },
      startsAt: new Date(5).toISOString(),
      summary: 'shop/checkout called shop/evil',
    } as unknown as Alert);
    const withEpisode: ServiceState = {
      ...state,
      episodes: { 'new_peer:shop/late': { kind: 'new_peer', peer: { namespace: 'shop', name: 'late' } } as never },
    };
    const q = new EngineStateQuery({ heldKeys: () => [KEY], heldState: () => withEpisode }, new MemoryStateStore(), VIEW, recent);
    expect((await q.peers(KEY))?.map((p) => [p.peer, p.new])).toEqual([
      ['shop/evil', true],
      ['shop/late', true],
      ['shop/db', false],
    ]);
    expect(
      await new EngineStateQuery({ heldKeys: () => [], heldState: () => undefined }, new MemoryStateStore(), VIEW).peers('shop/x'),
    ).toBe(undefined);
  });
});
