/**
 * Declared profiles in force: limit_breach, new_peer against the declared peers, and
 * profile_drift, as stories through closeServiceWindow (one service, 10 s windows, warm-up 20,
 * persist 2, resolve after 3 calm windows: see ../pipeline/story.ts).
 */
import { describe, expect, it } from 'vitest';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { type ServiceId } from '../../../src/core/model.js';
import { type CloseParams, closeServiceWindow } from '../../../src/core/pipeline/close-service-window.js';
import { type ServiceState, emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { DEFAULT_ENFORCEMENT, type EnforcedProfile, enforcedProfile } from '../../../src/core/profile/enforce.js';
import { ResourceProfileSchema } from '../../../src/core/profile/schema.js';
import { type WindowPartial } from '../../../src/core/window/partial.js';
import { PARAMS, SVC, T0, WINDOW_MS, type WindowSpec, calm, quiet, story, windowAt } from '../pipeline/story.js';

const MIB = 1024 * 1024;
const db: ServiceId = { namespace: 'shop', name: 'db' };
const ledger: ServiceId = { namespace: 'shop', name: 'ledger' };
const cache: ServiceId = { namespace: 'shop', name: 'cache' };

function profileOf(spec: Record<string, unknown>): EnforcedProfile {
  return enforcedProfile(
    ResourceProfileSchema.parse({
      apiVersion: 'meshwatch.io/v1',
      kind: 'ResourceProfile',
      metadata: { namespace: 'shop', name: 'checkout' },
      spec,
    }),
  );
}

const paramsWith = (profile: EnforcedProfile | undefined, driftPeriodMs = 20 * WINDOW_MS): CloseParams => ({
  ...PARAMS,
  profiles: { get: (k) => (k === 'shop/checkout' ? profile : undefined) },
  enforcement: { ...DEFAULT_ENFORCEMENT, driftPeriodMs },
});

interface Seen {
  window: number;
  alert: Alert;
}

/** Closes the partials in order; `profileAt(i)` is the profile in force at window i. */
function run(
  partials: WindowPartial[],
  profileAt: (i: number) => EnforcedProfile | undefined,
  driftPeriodMs?: number,
): { state: ServiceState; alerts: Seen[] } {
  let state = emptyServiceState(SVC);
  const alerts: Seen[] = [];
  for (const p of partials) {
    const window = (p.windowStart - T0) / WINDOW_MS;
    const out = closeServiceWindow(state, p, paramsWith(profileAt(window), driftPeriodMs));
    state = out.state;
    for (const alert of out.alerts) alerts.push({ window, alert: AlertSchema.parse(alert) });
  }
  return { state, alerts };
}

const of = (alerts: Seen[], kind: Alert['kind']) =>
  alerts.filter((a) => a.alert.kind === kind).map((a) => ({ window: a.window, status: a.alert.status, metric: a.alert.metric }));

const memory256 = (mode: string) => profileOf({ mode, containers: [{ name: 'app', resources: { limits: { memory: '256Mi', cpu: 2 } } }] });

/** Working set per window, MiB. */
const withMemory = (mibs: number[]): WindowSpec[] => mibs.map((m, i) => ({ ...calm(1, i)[0], memory: m * MIB }));

describe('limit_breach: memory working set against the declared limit', () => {
  const climb = [...Array<number>(10).fill(150), 200, 220, 235, 240, 245, 250, 252, 252, 252, ...Array<number>(6).fill(150)];

  it('a 256 MiB limit: the climb past 90 % fires once, holds while it stays, resolves after 3 windows below', () => {
    const { alerts } = run(story(withMemory(climb)), () => memory256('enforce'));
    expect(of(alerts, 'limit_breach')).toEqual([
      { window: 12, status: 'firing', metric: 'memory_working_set_bytes' },
      { window: 21, status: 'resolved', metric: 'memory_working_set_bytes' },
    ]);
    const firing = alerts.find((a) => a.alert.kind === 'limit_breach')!.alert;
    expect(firing).toMatchObject({
      severity: 'error',
      observed: 235 * MIB,
      // Bytes are whole in an alert (core/alert/units.ts).
      expected: { value: 256 * MIB, lower: 0, upper: Math.round(0.9 * 256 * MIB) },
    });
    expect(firing.details).toMatchObject({ container: 'checkout-7d9f/app', profile_container: 'app', mode: 'enforce' });
    expect(firing.summary).toBe(
      'shop/checkout memory_working_set_bytes at 235 MiB (92 % of the declared 256 MiB): over the bar of 230 MiB its declared profile sets',
    );
  });

  it.each([
    ['learn mode', 0, () => memory256('learn')],
    ['no profile', 0, () => undefined],
    ['a 512 MiB limit', 0, () => profileOf({ mode: 'enforce', containers: [{ name: 'app', resources: { limits: { memory: '512Mi' } } }] })],
    [
      'sensitivity off',
      0,
      () =>
        profileOf({
          mode: 'enforce',
          sensitivity: { memory_working_set_bytes: 'off' },
          containers: [{ name: 'app', resources: { limits: { memory: '256Mi' } } }],
        }),
    ],
    [
      'another container name (two declared)',
      0,
      () =>
        profileOf({
          mode: 'enforce',
          containers: [
            { name: 'web', resources: { limits: { memory: '256Mi' } } },
            { name: 'sidecar', resources: {} },
          ],
        }),
    ],
    [
      'a one-container profile of another name',
      1,
      () => profileOf({ mode: 'enforce', containers: [{ name: 'web', resources: { limits: { memory: '256Mi' } } }] }),
    ],
  ])('%s: fires %i time(s)', (_, n, profile) => {
    const { alerts } = run(story(withMemory(climb)), profile);
    expect(of(alerts, 'limit_breach').filter((a) => a.status === 'firing')).toHaveLength(n);
  });

  it('over the limit is critical', () => {
    const { alerts } = run(story(withMemory([100, 100, 300, 300])), () => memory256('enforce'));
    expect(alerts.filter((a) => a.alert.kind === 'limit_breach').map((a) => [a.window, a.alert.severity])).toEqual([[2, 'critical']]);
  });

  it('a profile removed resolves the open episode', () => {
    const { alerts } = run(story(withMemory([100, 250, 250, 250, 250, 250, 250, 250])), (i) => (i < 4 ? memory256('enforce') : undefined));
    expect(of(alerts, 'limit_breach')).toEqual([
      { window: 1, status: 'firing', metric: 'memory_working_set_bytes' },
      { window: 6, status: 'resolved', metric: 'memory_working_set_bytes' },
    ]);
  });
});

describe('limit_breach: traffic budgets and CPU throttling', () => {
  // every story window carries 50 inbound requests: 5 requests per second
  it.each([
    [4, [{ window: 2, status: 'firing', metric: 'requests_per_s' }]],
    [5, [{ window: 2, status: 'firing', metric: 'requests_per_s' }]],
    [6, []],
  ])('requestsPerS %d: fires after persistWindows windows over budget', (budget, expected) => {
    const { alerts } = run(story(quiet(8)), () => profileOf({ mode: 'enforce', traffic: { requestsPerS: budget } }), undefined);
    expect(of(alerts, 'limit_breach')).toEqual(expected.map((e) => ({ ...e, window: e.window - 1 })));
  });

  it.each([
    [0.5, true],
    [0.1, false],
  ])('throttled in %d of CFS periods under a declared CPU limit: fires %s', (ratio, fires) => {
    const partials = story(quiet(8));
    partials.forEach((p, i) => {
      const c = p.containers['checkout-7d9f/app']!;
      const at = (v: number) => ({ ts: windowAt(i) + WINDOW_MS / 2, v });
      c.counters.cpu_cfs_periods = { first: at(100 * i), last: at(100 * i) };
      c.counters.cpu_cfs_throttled_periods = { first: at(100 * ratio * i), last: at(100 * ratio * i) };
    });
    const { alerts } = run(partials, () =>
      profileOf({ mode: 'enforce', containers: [{ name: 'app', resources: { limits: { cpu: '500m' } } }] }),
    );
    expect(of(alerts, 'limit_breach')).toEqual(fires ? [{ window: 2, status: 'firing', metric: 'cpu_throttled_ratio' }] : []);
  });
});

describe('new_peer against the declared peer set', () => {
  const calls = (specs: WindowSpec[], at: Record<number, ServiceId[]>): WindowSpec[] => specs.map((s, i) => ({ ...s, calls: at[i] ?? [] }));
  const declared = (mode: string) => profileOf({ mode, peers: { outbound: [{ workload: db }] } });
  const partials = story(calls(quiet(12), { 1: [db], 3: [ledger], 4: [ledger, db] }));

  it('enforce: a call to an undeclared peer fires at once (no warm-up), a declared one never', () => {
    const { alerts } = run(partials, () => declared('enforce'));
    expect(of(alerts, 'new_peer')).toEqual([
      { window: 3, status: 'firing', metric: 'edge' },
      { window: 7, status: 'resolved', metric: 'edge' },
    ]);
    const firing = alerts[0]!.alert;
    expect(firing.peer).toEqual(ledger);
    expect(firing.summary).toBe('shop/checkout called shop/ledger, a peer its declared profile does not allow (possible lateral movement)');
    expect(firing.details).toMatchObject({ declared_peers: 1, profile: 'enforce' });
  });

  it('enforce: a peer learned before the profile still fires when the profile does not list it', () => {
    const early = story(calls(quiet(30), { 2: [ledger], 25: [ledger] }));
    const { alerts } = run(early, (i) => (i >= 20 ? declared('enforce') : undefined));
    expect(of(alerts, 'new_peer').filter((a) => a.status === 'firing')).toEqual([{ window: 25, status: 'firing', metric: 'edge' }]);
  });

  it('learn mode: the learned set, as without a profile (nothing fires during warm-up)', () => {
    const { alerts } = run(partials, () => declared('learn'));
    expect(of(alerts, 'new_peer')).toEqual([]);
  });
});

describe('profile_drift', () => {
  const cpu = (limit: number) => profileOf({ mode: 'learn', containers: [{ name: 'app', resources: { limits: { cpu: limit } } }] });

  it('a CPU limit 10× the learned 0.5 cores fires once the condition held for the drift period', () => {
    // the cpu baseline has learned 20 windows at window 20 (window 0 primes the counter): drift from there, 20 windows
    const { alerts } = run(story(quiet(60)), () => cpu(5));
    expect(of(alerts, 'profile_drift')).toEqual([{ window: 40, status: 'firing', metric: 'cpu_cores' }]);
    const firing = alerts.find((a) => a.alert.kind === 'profile_drift')!.alert;
    expect(firing.severity).toBe('warning');
    expect(firing.expected).toMatchObject({ value: 5, lower: 5 / DEFAULT_ENFORCEMENT.overProvisionedRatio });
    expect(firing.observed).toBeCloseTo(0.5, 1);
    expect(firing.details).toMatchObject({ drift: 'over-provisioned', pods: 1 });
    expect(firing.summary).toMatch(
      /^shop\/checkout cpu_cores over-provisioned: declares 5 cores per pod, (9\.9\d*|10(\.\d+)?)× the learned usage of 0\.5\d* cores$/,
    );
  });

  it.each([
    ['a limit 2× usage', 1, []],
    ['a limit at usage (under-provisioned)', 0.3, ['error']],
  ])('%s', (_, limit, severities) => {
    const { alerts } = run(story(quiet(60)), () => cpu(limit));
    expect(alerts.filter((a) => a.alert.kind === 'profile_drift').map((a) => a.alert.severity)).toEqual(severities);
  });

  it('a drift period longer than the story: nothing', () => {
    const { alerts } = run(story(quiet(60)), () => cpu(5), 100 * WINDOW_MS);
    expect(of(alerts, 'profile_drift')).toEqual([]);
  });

  it('declared outbound peers never called for the drift period', () => {
    const specs = quiet(40).map((s, i) => ({ ...s, calls: i % 5 === 0 ? [db] : [] }));
    const profile = profileOf({ mode: 'enforce', peers: { outbound: [{ workload: db }, { workload: cache }] } });
    const { alerts } = run(story(specs), () => profile);
    expect(of(alerts, 'profile_drift')).toEqual([{ window: 20, status: 'firing', metric: 'edge' }]);
    const firing = alerts.find((a) => a.alert.kind === 'profile_drift')!.alert;
    expect(firing).toMatchObject({ peer: cache, observed: 1, expected: null });
    expect(firing.details).toMatchObject({ unused_peers: 'shop/cache', declared_peers: 2 });
  });
});
