/**
 * Stories for DetectEngine: partials are offered as they would arrive from stage 1, the
 * watermark (newest window end − allowedLatenessMs = 2 windows) closes windows, late partials
 * are counted and dropped, and a restarted engine that adopts the saved state replays
 * without emitting anything new.
 */
import { describe, expect, it, test } from 'vitest';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { serviceKey } from '../../../src/core/model.js';
import { DetectEngine } from '../../../src/core/pipeline/engine.js';
import { type ServiceState } from '../../../src/core/pipeline/service-state.js';
import { type WindowPartial } from '../../../src/core/window/partial.js';
import { DETECTION, PARAMS, SVC, WINDOW_MS, calm, feed, iso, quiet, spike, story, windowAt } from './story.js';

/** 30 quiet windows, a 3-core spike in windows 30..32, then quiet until window 40. */
const SPIKE_STORY = story([...quiet(30), ...spike(3, 3), ...calm(8, 33)]);

interface Run {
  engine: DetectEngine;
  alerts: Alert[];
  /** The store: the last dirty state of each service, as JSON (what Redis would hold). */
  saved: Map<string, string>;
}

/** Offers the partials one by one, advancing after each; flushes at the end unless told not to. */
function run(partials: WindowPartial[], opts: { engine?: DetectEngine; flush?: boolean } = {}): Run {
  const engine = opts.engine ?? new DetectEngine(PARAMS);
  const r: Run = { engine, alerts: [], saved: new Map() };
  const keep = ({ alerts, dirty }: { alerts: Alert[]; dirty: ServiceState[] }) => {
    r.alerts.push(...alerts);
    for (const s of dirty) r.saved.set(serviceKey(s.service), JSON.stringify(s));
  };
  for (const p of partials) {
    feed(engine, p);
    keep(engine.advance());
  }
  if (opts.flush ?? true) keep(engine.flush());
  return r;
}

const restarted = (saved: Map<string, string>): DetectEngine => {
  const engine = new DetectEngine(PARAMS);
  for (const json of saved.values()) engine.adopt(JSON.parse(json) as ServiceState);
  return engine;
};

describe('quiet period, then a CPU spike, through the engine', () => {
  const { alerts, engine } = run(SPIKE_STORY);

  it('fires once for the first spiking window and resolves with the same id', () => {
    expect(alerts.map((a) => [a.status, a.kind, a.metric, a.window.start])).toEqual([
      ['firing', 'spike', 'cpu_cores', iso(windowAt(30))],
      ['resolved', 'spike', 'cpu_cores', iso(windowAt(35))],
    ]);
    expect(alerts[1]!.id).toBe(alerts[0]!.id);
    expect(alerts[0]!.id).toMatch(/^mw-[0-9a-f]{16}$/);
  });

  it('every alert validates against AlertSchema', () => {
    for (const a of alerts) expect(AlertSchema.parse(a)).toStrictEqual(a);
  });

  it('counts what it did', () => {
    expect(engine.stats).toMatchObject({ partials: 41, late_dropped: 0, windows_closed: 41, services_refused: 0, overflow: 0, alerts: 2 });
    // window 0 primes the cpu counter; cpu_cores is judged from its 21st learned window (window 21)
    expect(engine.stats.verdicts.anomalous).toBe(3);
  });

  it('gives the same alerts when each window arrives as two partials from two ingest instances', () => {
    const split = SPIKE_STORY.flatMap((p) => {
      const { containers, requests, ...rest } = p;
      const a: WindowPartial = { ...rest, containers, edges: {} };
      const b: WindowPartial = { ...rest, containers: {}, ...(requests ? { requests } : {}) };
      return [b, a];
    });
    expect(run(split).alerts).toStrictEqual(alerts);
  });
});

describe('watermark', () => {
  const partials = story(quiet(6));

  it('closes a window only once the newest window end is allowedLatenessMs past its end', () => {
    const engine = new DetectEngine(PARAMS);
    const closedAfterOffering = partials.map((p) => {
      feed(engine, p);
      engine.advance();
      return engine.stats.windows_closed;
    });
    // allowedLatenessMs = 2 windows: offering window i closes window i − 2
    expect(closedAfterOffering).toEqual([0, 0, 1, 2, 3, 4]);
    expect(engine.currentWatermark).toBe(windowAt(6) - 2 * WINDOW_MS);
    expect(engine.isPending(serviceKey(SVC), windowAt(3))).toBe(false);
    expect(engine.isPending(serviceKey(SVC), windowAt(4))).toBe(true);
    expect(engine.flush().dirty).toHaveLength(1);
    expect(engine.stats.windows_closed).toBe(6);
  });

  it('accepts a window that arrives out of order within the allowed lateness, and closes windows in order', () => {
    const engine = new DetectEngine(PARAMS);
    const [w0, w1, w2] = partials;
    expect(feed(engine, w0!)).toBe('accepted');
    expect(feed(engine, w2!)).toBe('accepted');
    // newest end = end of window 2; watermark = end of window 0: window 0 closes
    expect(engine.advance().dirty.map((s) => s.lastWindowStart)).toEqual([windowAt(0)]);
    expect(feed(engine, w1!)).toBe('accepted');
    expect(engine.advance().dirty).toEqual([]);
    const closed = engine.flush().dirty;
    expect(closed.map((s) => [s.lastWindowStart, s.windows])).toEqual([[windowAt(2), 3]]);
    expect(engine.stats).toMatchObject({ windows_closed: 3, late_dropped: 0 });
  });

  it('does not move on advance() without new data', () => {
    const engine = new DetectEngine(PARAMS);
    feed(engine, partials[0]!);
    for (let k = 0; k < 5; k++) expect(engine.advance()).toEqual({ alerts: [], incidents: [], closed: [], states: [], dirty: [] });
    expect(engine.isPending(serviceKey(SVC), windowAt(0))).toBe(true);
  });
});

describe('late partials', () => {
  it('a partial for a window already closed is counted in late_dropped and not merged', () => {
    const partials = story(quiet(25));
    const { engine, saved } = run(partials.slice(0, 10));
    expect(JSON.parse(saved.get(serviceKey(SVC))!)).toMatchObject({ windows: 10, lastWindowStart: windowAt(9) });
    // a second partial of window 4 (another ingest instance, very late) with 100× the traffic
    const lateCopy: WindowPartial = { ...partials[4]!, requests: { ...partials[4]!.requests!, n: 5000 } };

    expect(feed(engine, lateCopy)).toBe('late');
    expect(engine.stats.late_dropped).toBe(1);
    expect(engine.isPending(serviceKey(SVC), windowAt(4))).toBe(false);
    expect(engine.flush()).toEqual({ alerts: [], incidents: [], closed: [], states: [], dirty: [] });
    expect(engine.stats.windows_closed).toBe(10);
  });

  it('a partial whose window end the watermark has passed is late, even for a window this service never had', () => {
    const other = { namespace: 'shop', name: 'cart' };
    const engine = new DetectEngine(PARAMS);
    for (const p of story(quiet(6))) feed(engine, p);
    engine.advance(); // watermark = end of window 5 − 2 windows = start of window 4
    const [stale] = story([{ cores: 1, service: other }], 3);
    expect(feed(engine, stale!)).toBe('late');
    const [fresh] = story([{ cores: 1, service: other }], 4);
    expect(feed(engine, fresh!)).toBe('accepted');
    expect(engine.stats.late_dropped).toBe(1);
  });
});

describe('restart', () => {
  const full = run(SPIKE_STORY);
  const firingId = full.alerts[0]!.id;

  it('replaying every partial into an engine that adopted the saved state re-emits nothing', () => {
    const replay = run(SPIKE_STORY, { engine: restarted(full.saved) });
    expect(replay.alerts).toEqual([]);
    expect(replay.engine.stats.late_dropped).toBe(SPIKE_STORY.length);
  });

  it('a crash mid-episode: the restarted engine emits only what was still due, with the same id', () => {
    // crash after window 33 was offered: window 30 (firing) and 31 are closed and saved, 32 and 33 pending (lost)
    const crashAt = 33;
    const before = run(SPIKE_STORY.slice(0, crashAt + 1), { flush: false });
    expect(before.alerts.map((a) => [a.status, a.id])).toEqual([['firing', firingId]]);
    expect(JSON.parse(before.saved.get(serviceKey(SVC))!)).toMatchObject({ lastWindowStart: windowAt(31) });

    // stage 1 re-delivers from the beginning; the new engine adopts what the store held
    const after = run(SPIKE_STORY, { engine: restarted(before.saved) });
    expect(after.engine.stats.late_dropped).toBe(32);
    expect(after.alerts.map((a) => [a.status, a.id])).toEqual([['resolved', firingId]]);
    expect(after.alerts).toStrictEqual(full.alerts.slice(before.alerts.length));
  });

  it('whatever the crash point, alerts before and after the restart are exactly those of a run without crash', () => {
    for (let crashAt = 0; crashAt < SPIKE_STORY.length; crashAt++) {
      const before = run(SPIKE_STORY.slice(0, crashAt + 1), { flush: false });
      const after = run(SPIKE_STORY, { engine: restarted(before.saved) });
      expect([...before.alerts, ...after.alerts], `crash after window ${crashAt}`).toStrictEqual(full.alerts);
    }
  });
});

describe('bounds', () => {
  it('refuses services past maxServices, counted', () => {
    const engine = new DetectEngine({ ...PARAMS, maxServices: 1 });
    const [a] = story(quiet(1));
    const [b] = story([{ cores: 1, service: { namespace: 'shop', name: 'cart' } }]);
    expect(feed(engine, a!)).toBe('accepted');
    expect(feed(engine, b!)).toBe('refused');
    expect(engine.stats.services_refused).toBe(1);
    expect(engine.keys()).toEqual(['shop/checkout']);
  });

  it('closes the oldest windows early past maxPendingWindows', () => {
    const engine = new DetectEngine({ ...PARAMS, allowedLatenessMs: 100 * WINDOW_MS, maxPendingWindows: 3 });
    for (const p of story(quiet(5))) feed(engine, p);
    expect(engine.advance().dirty.map((s) => s.lastWindowStart)).toEqual([windowAt(1)]);
    expect(engine.stats.windows_closed).toBe(2);
  });

  it('windows closed early raise one data_loss alert about meshwatch itself, which resolves when nothing more is lost', () => {
    const engine = new DetectEngine({ ...PARAMS, allowedLatenessMs: 100 * WINDOW_MS, maxPendingWindows: 3, cardinalityIntervalMs: 60_000 });
    const alerts: Alert[] = [];
    for (const p of story(quiet(5))) feed(engine, p);
    alerts.push(...engine.advance().alerts);
    expect(alerts.map((a) => [a.kind, a.status, a.metric, a.observed, a.service.name])).toEqual([
      ['data_loss', 'firing', 'windows_closed_early', 2, 'meshwatch'],
    ]);
    expect(alerts[0]!.summary).toContain('closed 2 windows early');
    // the bound no longer bites: once a calm interval of event time passed, the episode resolves
    const calmEngine = engine;
    for (const p of story(quiet(20), 5).slice(0, 1)) feed(calmEngine, p);
    const later = story(quiet(1), 12)[0]!;
    feed(calmEngine, later);
    alerts.push(...calmEngine.flush().alerts);
    expect(alerts.filter((a) => a.kind === 'data_loss').map((a) => [a.status, a.id])).toEqual([
      ['firing', alerts[0]!.id],
      ['resolved', alerts[0]!.id],
    ]);
    for (const a of alerts) expect(AlertSchema.parse(a)).toStrictEqual(a);
  });

  it('a partial the watermark passed raises data_loss; one for a window its service already closed (a re-delivery) does not', () => {
    const other = { namespace: 'shop', name: 'cart' };
    const engine = new DetectEngine(PARAMS);
    for (const p of story(quiet(6))) feed(engine, p);
    expect(engine.advance().alerts).toEqual([]);
    const redelivered = story(quiet(1))[0]!;
    expect(feed(engine, redelivered)).toBe('late');
    expect(engine.advance().alerts).toEqual([]);
    const [stale] = story([{ cores: 1, service: other }], 3);
    expect(feed(engine, stale!)).toBe('late');
    expect(engine.advance().alerts.map((a) => [a.kind, a.status, a.metric, a.observed])).toEqual([
      ['data_loss', 'firing', 'late_partials', 1],
    ]);
  });

  it('missing() names the services whose state is not held yet; adopt() keeps the first state it is given', () => {
    const saved = JSON.parse(run(story(quiet(30))).saved.get('shop/checkout')!) as ServiceState;
    const engine = new DetectEngine(PARAMS);
    const partials = story(quiet(31));
    expect(engine.missing(partials)).toEqual(['shop/checkout']);
    engine.adopt(saved);
    engine.adopt({ ...saved, windows: 999 });
    expect(engine.missing(partials)).toEqual([]);
    expect(feed(engine, partials[29]!)).toBe('late');
    expect(feed(engine, partials[30]!)).toBe('accepted');
    expect(engine.flush().dirty.map((s) => s.windows)).toEqual([31]);
  });
});

describe('per-source watermarks', () => {
  const partials = story(quiet(8));

  it('a source with a backlog holds windows open until it has passed them', () => {
    const engine = new DetectEngine(PARAMS);
    for (const p of partials) engine.offer(p);
    engine.observeSource('envoy/0', windowAt(8), true); // caught up at the end
    engine.observeSource('stats/0', windowAt(3), false); // still working through its backlog
    engine.advance();
    // lateness 2 windows: only windows ending by windowAt(1) may close
    expect(engine.stats.windows_closed).toBe(1);
    engine.observeSource('stats/0', windowAt(8), false);
    engine.advance();
    expect(engine.stats.windows_closed).toBe(6);
  });

  it('an assigned source that has reported no data yet holds every window open', () => {
    const engine = new DetectEngine(PARAMS);
    for (const p of partials) engine.offer(p);
    engine.observeSource('envoy/0', windowAt(8), true);
    engine.observeSource('stats/1', null, false);
    expect(engine.advance().dirty).toEqual([]);
    engine.observeSource('stats/1', null, true); // nothing to read there: it is caught up
    expect(engine.advance().dirty).toHaveLength(1);
    expect(engine.stats.windows_closed).toBe(6);
  });

  it('a stalled source more than maxSourceLagMs behind stops holding windows open', () => {
    const engine = new DetectEngine({ ...PARAMS, maxSourceLagMs: 3 * WINDOW_MS });
    for (const p of partials) engine.offer(p);
    engine.observeSource('envoy/0', windowAt(8), false);
    engine.observeSource('stats/0', windowAt(4), false); // 4 windows behind > 3
    engine.advance();
    expect(engine.stats.windows_closed).toBe(6);
  });
});

describe('input quiet (processing time): when a timer may close the last windows', () => {
  // PARAMS: sourceIdleMs 5 s, sourceSilenceMs 30 s; processing time in ms from 0. envoy/0 caught
  // up at window 8 at time 0 (idle from 5 s on); the table says what the other source reported.
  type Report = [source: string, eventTime: number | null, caughtUp: boolean, at: number];
  test.each<{ case: string; other: Report; now: number; quiet: boolean }>([
    { case: 'caught up too, neither advanced for 5 s', other: ['stats/0', windowAt(8), true, 0], now: 5001, quiet: true },
    { case: 'caught up moments ago: more may be on its way', other: ['stats/0', windowAt(8), true, 4000], now: 5001, quiet: false },
    { case: 'working through a backlog, reporting', other: ['stats/0', windowAt(3), false, 9000], now: 10_000, quiet: false },
    { case: 'a backlog, no report for 10 s (slow, not gone)', other: ['stats/0', windowAt(3), false, 0], now: 10_000, quiet: false },
    {
      case: 'a backlog, silent past 30 s (its instance gone: the next owner of the partition sends that data)',
      other: ['stats/0', windowAt(3), false, 0],
      now: 30_001,
      quiet: false,
    },
    { case: 'caught up, silent past 30 s', other: ['stats/0', windowAt(8), true, 0], now: 30_001, quiet: true },
    { case: 'an empty partition, caught up', other: ['samples/0', null, true, 0], now: 5001, quiet: true },
  ])('$case → $quiet', ({ other, now, quiet }) => {
    const engine = new DetectEngine(PARAMS);
    engine.observeSource('envoy/0', windowAt(8), true, 0);
    engine.observeSource(...other);
    expect(engine.inputQuiet(now)).toBe(quiet);
  });
});

describe('leak, through the engine', () => {
  const MIB = 1024 * 1024;
  const memoryStory = (growthPerHour: number): WindowPartial[] =>
    story(Array.from({ length: 24 * 360 }, (_, i) => ({ memory: 200 * MIB * Math.pow(1 + growthPerHour, i / 360) })));

  it('a working set growing 1 % per hour fires one leak alert; a flat one none', () => {
    const growing = run(memoryStory(0.01));
    expect(growing.alerts.map((a) => [a.status, a.kind, a.metric])).toEqual([['firing', 'leak', 'memory_working_set_bytes']]);
    expect(AlertSchema.parse(growing.alerts[0])).toStrictEqual(growing.alerts[0]);
    expect(run(memoryStory(0)).alerts).toEqual([]);
  });

  it('with cooldownWindows, a restarted engine keeps the cooldown it saved', () => {
    // spike at 30 resolves at 33; cooldown 10 windows: the spike at 36 must not fire, before or after a restart
    const params = { ...PARAMS, detection: { ...DETECTION, persistWindows: 1, cooldownWindows: 10 } };
    const partials = story([...quiet(30), ...spike(1, 3), ...calm(5, 31), ...spike(1, 3), ...calm(5, 37)]);
    const whole = run(partials, { engine: new DetectEngine(params) });
    expect(whole.alerts.map((a) => [a.status, a.window.start])).toEqual([
      ['firing', iso(windowAt(30))],
      ['resolved', iso(windowAt(33))],
    ]);
    const before = run(partials.slice(0, 36), { engine: new DetectEngine(params) });
    const engine = new DetectEngine(params);
    for (const json of before.saved.values()) engine.adopt(JSON.parse(json) as ServiceState);
    const after = run(partials, { engine });
    expect([...before.alerts, ...after.alerts]).toStrictEqual(whole.alerts);
  });
});
