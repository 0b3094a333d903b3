/**
 * ServiceAdmission: the cap on services held, the rate of new ones (event time), and the
 * lifecycle of the `cardinality` alert it raises about meshwatch itself.
 */
import fc from 'fast-check';
import { describe, expect, it, test } from 'vitest';
import { type Alert, AlertSchema } from '../../../src/core/alert/schema.js';
import { type AdmissionParams, MESHWATCH_SERVICE, ServiceAdmission, exampleOf } from '../../../src/core/pipeline/admission.js';

const T0 = 1_700_000_000_000;
const MINUTE = 60_000;
const ROOMY: AdmissionParams = { maxServices: 1000, newServicesPerMinute: Infinity, newServicesBurst: Infinity, intervalMs: MINUTE };

const admissionAt = (params: Partial<AdmissionParams>, t = T0): ServiceAdmission => {
  const a = new ServiceAdmission({ ...ROOMY, ...params });
  a.observe(t);
  return a;
};

describe('admitting new services', () => {
  test.each([
    { name: 'under the cap and the burst', params: { maxServices: 5, newServicesBurst: 5 }, tries: 3, admitted: 3, refusedBy: {} },
    { name: 'past the cap', params: { maxServices: 3 }, tries: 5, admitted: 3, refusedBy: { cap: 2 } },
    {
      name: 'past the burst',
      params: { newServicesPerMinute: 60, newServicesBurst: 2 },
      tries: 5,
      admitted: 2,
      refusedBy: { rate: 3 },
    },
    {
      name: 'the cap before the rate',
      params: { maxServices: 2, newServicesPerMinute: 60, newServicesBurst: 2 },
      tries: 4,
      admitted: 2,
      refusedBy: { cap: 2 },
    },
  ])('$name', ({ params, tries, admitted, refusedBy }) => {
    const a = admissionAt(params);
    const outcomes = Array.from({ length: tries }, (_, i) => a.admitNew(`spray/s-${i}`));
    expect(outcomes.filter((o) => o === 'admitted')).toHaveLength(admitted);
    const counted: Record<string, number> = {};
    for (const o of outcomes) if (o !== 'admitted') counted[o] = (counted[o] ?? 0) + 1;
    expect(counted).toEqual(refusedBy);
    expect(a.held).toBe(admitted);
    expect(a.refusedTotal.services).toBe(tries - admitted);
  });

  it('a known service is always held, even past the cap', () => {
    const a = admissionAt({ maxServices: 1 });
    expect(a.admitNew('shop/a')).toBe('admitted');
    a.holdKnown();
    a.holdKnown();
    expect(a.held).toBe(3);
    expect(a.admitNew('shop/b')).toBe('cap');
  });

  it('released services return their capacity', () => {
    const a = admissionAt({ maxServices: 2 });
    a.admitNew('shop/a');
    a.admitNew('shop/b');
    expect(a.admitNew('shop/c')).toBe('cap');
    a.release(1);
    expect(a.admitNew('shop/c')).toBe('admitted');
    a.release(10);
    expect(a.held).toBe(0);
  });

  it('the bucket refills with event time: 60 a minute is one a second', () => {
    const a = admissionAt({ newServicesPerMinute: 60, newServicesBurst: 2 });
    expect([a.admitNew('s/1'), a.admitNew('s/2'), a.admitNew('s/3')]).toEqual(['admitted', 'admitted', 'rate']);
    a.observe(T0 + 999);
    expect(a.admitNew('s/3')).toBe('rate');
    a.observe(T0 + 1000);
    expect(a.admitNew('s/3')).toBe('admitted');
    // an hour later the bucket holds its burst, not 3,600
    a.observe(T0 + 3_600_000);
    expect([a.admitNew('s/4'), a.admitNew('s/5'), a.admitNew('s/6')]).toEqual(['admitted', 'admitted', 'rate']);
  });

  it('event time that goes back does not move the clock', () => {
    const a = admissionAt({ newServicesPerMinute: 60, newServicesBurst: 1 });
    a.admitNew('s/1');
    a.observe(T0 - 3_600_000);
    expect(a.nowMs).toBe(T0);
    expect(a.admitNew('s/2')).toBe('rate');
  });

  it('property: whatever the order of attempts, releases and time, held ≤ cap and admissions ≤ burst + rate × minutes', () => {
    const step = fc.oneof(
      fc.record({ op: fc.constant('admit' as const) }),
      fc.record({ op: fc.constant('release' as const), n: fc.integer({ min: 0, max: 3 }) }),
      fc.record({ op: fc.constant('tick' as const), ms: fc.integer({ min: 0, max: 20_000 }) }),
    );
    fc.assert(
      fc.property(
        fc.integer({ min: 1, max: 20 }),
        fc.integer({ min: 1, max: 120 }),
        fc.integer({ min: 1, max: 10 }),
        fc.array(step, { maxLength: 300 }),
        (maxServices, perMinute, burst, steps) => {
          const a = admissionAt({ maxServices, newServicesPerMinute: perMinute, newServicesBurst: burst });
          let t = T0;
          let admitted = 0;
          for (const [i, s] of steps.entries()) {
            if (s.op === 'tick') a.observe((t += s.ms));
            else if (s.op === 'release') a.release(s.n);
            else if (a.admitNew(`spray/${i}`) === 'admitted') admitted++;
            expect(a.held).toBeLessThanOrEqual(maxServices);
            expect(admitted).toBeLessThanOrEqual(burst + (perMinute * (t - T0)) / MINUTE + 1e-9);
          }
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe('the cardinality alert', () => {
  /** Refuses `n` new services at event time `t`, then polls. */
  const sprayAt = (a: ServiceAdmission, t: number, n: number): Alert[] => {
    a.observe(t);
    for (let i = 0; i < n; i++) a.admitNew(`spray/${t}-${i}`);
    return a.poll();
  };

  it('fires once when refusals begin, updates at most once per interval, resolves after an interval without', () => {
    const a = admissionAt({ maxServices: 0 });
    const fired = sprayAt(a, T0 + 5_000, 12_345);
    expect(fired).toHaveLength(1);
    const f = fired[0]!;
    expect(AlertSchema.parse(f)).toStrictEqual(f);
    expect(f).toMatchObject({
      status: 'firing',
      kind: 'cardinality',
      severity: 'warning',
      service: MESHWATCH_SERVICE,
      metric: 'services',
      observed: 12_345,
      expected: { value: 0, lower: 0, upper: 0 },
      startsAt: new Date(T0 - (T0 % MINUTE)).toISOString(),
      endsAt: null,
    });
    expect(f.summary).toMatch(/^meshwatch refused 12,345 new services in \d+ s: the cap of 0 services is reached/);
    expect(f.details).toMatchObject({ bound: 'services', limit: 0, held: 0, refused: 12_345, refused_cap: 12_345, refused_rate: 0 });

    // more refusals within the interval: no update yet
    expect(sprayAt(a, T0 + 30_000, 10)).toEqual([]);
    // a full interval after the first emission: one update, same id, the refusals since
    const updated = sprayAt(a, T0 + 65_000, 5);
    expect(updated.map((x) => [x.status, x.id, x.observed])).toEqual([['firing', f.id, 15]]);
    // refusals stop: nothing until an interval has passed without any
    expect(sprayAt(a, T0 + 100_000, 0)).toEqual([]);
    const resolved = sprayAt(a, T0 + 125_000, 0);
    expect(resolved.map((x) => [x.status, x.id, x.observed])).toEqual([['resolved', f.id, 0]]);
    expect(AlertSchema.parse(resolved[0])).toStrictEqual(resolved[0]);
    expect(resolved[0]!.endsAt).toBe(new Date(T0 + 125_000).toISOString());
    expect(sprayAt(a, T0 + 500_000, 0)).toEqual([]);
    // a new spray is a new episode
    const again = sprayAt(a, T0 + 600_000, 1);
    expect(again.map((x) => x.status)).toEqual(['firing']);
    expect(again[0]!.id).not.toBe(f.id);
  });

  it('refusals of data older than a resolved episode (a partition behind the others) do not reopen it', () => {
    const a = admissionAt({ maxServices: 0 });
    expect(sprayAt(a, T0 + 10_000, 3).map((x) => x.status)).toEqual(['firing']);
    expect(sprayAt(a, T0 + 80_000, 0).map((x) => x.status)).toEqual(['resolved']);
    // a lagging partition now refuses services of the sprayed time
    for (let i = 0; i < 4; i++) a.admitNew(`late/${i}`, T0 + 10_000);
    expect(a.poll()).toEqual([]);
    expect(a.refusedTotal.services).toBe(7);
    // data of a later time is a new episode
    a.admitNew('new/0', T0 + 80_000);
    expect(a.poll().map((x) => [x.status, x.observed])).toEqual([['firing', 1]]);
  });

  it('names the rate when the rate refused most', () => {
    const a = admissionAt({ newServicesPerMinute: 600, newServicesBurst: 100 });
    const [f] = sprayAt(a, T0, 1000);
    expect(f!.summary).toContain('refused 900 new services');
    expect(f!.summary).toContain('more than 600 new services a minute');
    expect(f!.details).toMatchObject({ held: 100, refused_rate: 900, new_per_minute: 600 });
  });

  it('the same input gives the same alerts (a replay re-emits the same ids)', () => {
    const run = (): Alert[] => {
      const a = admissionAt({ maxServices: 2 });
      return [T0, T0 + 70_000, T0 + 200_000].flatMap((t, i) => sprayAt(a, t, i < 2 ? 50 : 0));
    };
    const first = run();
    expect(first.map((x) => x.status)).toEqual(['firing', 'firing', 'resolved']);
    expect(run()).toStrictEqual(first);
  });

  it('one episode per bound: peers and services apart', () => {
    const a = admissionAt({ maxServices: 0 });
    a.admitNew('spray/x');
    a.refuse('peers', 1024, 'shop/checkout out:spray/p-1');
    const alerts = a.poll();
    expect(alerts.map((x) => x.metric).sort()).toEqual(['peers', 'services']);
    expect(new Set(alerts.map((x) => x.id)).size).toBe(2);
    const peers = alerts.find((x) => x.metric === 'peers')!;
    expect(peers.summary).toBe(
      'meshwatch refused 1 new peers in 1 s: the cap of 1,024 peers per service is reached (a spray of random names?)',
    );
    expect(peers.details).toMatchObject({ held: null, examples: 'shop/checkout out:spray/p-1' });
  });

  it('keeps a few examples, escaped and cut', () => {
    const a = admissionAt({ maxServices: 0 });
    const long = `ns/${'x'.repeat(200)}`;
    for (const name of ['ns/"quoted"', 'ns/line\nbreak', long, 'ns/a', 'ns/b', 'ns/c', 'ns/d']) a.admitNew(name);
    const [f] = a.poll();
    const examples = String(f!.details.examples).split(', ');
    expect(examples).toHaveLength(5);
    expect(examples.slice(0, 2)).toEqual(['ns/\\"quoted\\"', 'ns/line\\nbreak']);
    expect(examples[2]).toBe(exampleOf(long));
    expect(examples[2]!.length).toBeLessThan(90);
    expect(String(f!.details.examples)).not.toContain('\n');
  });
});
