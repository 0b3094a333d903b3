/**
 * The stored baseline record: today's (version 1) records load, migrate and go on exactly as the
 * code that wrote them would have; a malformed record is refused, never misread.
 *
 * test/fixtures/state/v1-service.json was written by the version 1 code (meshwatch before the
 * record was versioned 2): `stored` is the field map of one service after SNAPSHOT_AFTER windows
 * of the story in state-story.ts, `after` the baselines and alerts that code produced from that
 * stored state over the rest of the story.
 */
import { readFileSync } from 'node:fs';
import { describe, expect, test } from 'vitest';
import { type Baseline, NO_PEAKS, emptyBaseline, learn } from '../../../src/core/baseline/index.js';
import { closeServiceWindow } from '../../../src/core/pipeline/close-service-window.js';
import { type ServiceState, emptyServiceState } from '../../../src/core/pipeline/service-state.js';
import { type Alert } from '../../../src/core/alert/schema.js';
import { bandFor, roundFor } from '../../../src/core/alert/units.js';
import { MeshwatchError } from '../../../src/errors.js';
import { loadBaseline } from '../../../src/stores/baseline-record.js';
import { decodeState, encodeState } from '../../../src/stores/codec.js';
import { PARAMS } from '../pipeline/story.js';
import { SNAPSHOT_AFTER, STATE_SVC, STORY_WINDOWS, storyPartial } from './state-story.js';

interface Fixture {
  stored: Record<string, string>;
  after: { baselines: Record<string, Baseline>; alerts: unknown[] };
}
const fixture = JSON.parse(readFileSync(new URL('../../fixtures/state/v1-service.json', import.meta.url), 'utf8')) as Fixture;

type FixtureAlert = Alert & { expected: Alert['expected'] };
/** An old alert's numbers as buildAlert presents them today. */
const asToday = (a: FixtureAlert): Alert => ({
  ...a,
  observed: roundFor(a.metric, a.observed),
  expected: a.expected ? bandFor(a.metric, a.expected) : null,
  score: Math.round(a.score * 1000) / 1000,
});
/** Everything but the summary's wording and the unit (added later). */
const presented = (a: unknown): unknown => {
  const rest: Partial<Alert> = { ...(a as Alert) };
  delete rest.summary;
  delete rest.unit;
  return rest;
};

const run = (s: ServiceState, from: number, to: number): { state: ServiceState; alerts: unknown[] } => {
  const alerts: unknown[] = [];
  for (let i = from; i < to; i++) {
    const o = closeServiceWindow(s, storyPartial(i), PARAMS);
    s = o.state;
    alerts.push(...o.alerts);
  }
  return { state: s, alerts };
};
const storedBaselines = (s: ServiceState): Record<string, unknown> =>
  Object.fromEntries(
    Object.entries(encodeState(s))
      .filter(([k]) => k.startsWith('b:'))
      .map(([k, v]) => [k, JSON.parse(v) as unknown]),
  );
const baselineOf = (fields: Record<string, string>, metric: string): Record<string, unknown> =>
  JSON.parse(fields[`b:${metric}`] ?? 'null') as Record<string, unknown>;

describe("today's stored record (version 1)", () => {
  test('the fixture is version 1, with profiles, burst and leak state learned', () => {
    const b = baselineOf(fixture.stored, 'requests_per_s');
    expect(b.v).toBe(1);
    expect((b.hodDays as number[]).some((d) => d > 0)).toBe(true);
    expect(b.burstVar).toBeTypeOf('number');
    expect(baselineOf(fixture.stored, 'memory_working_set_bytes').leakRun).toBeTypeOf('number');
    expect(fixture.after.alerts.length).toBeGreaterThan(0);
  });

  test('loads as version 2 and goes on with the same alerts and the same baselines as the code that wrote it', () => {
    const loaded = decodeState('mw:{shop/cart}', fixture.stored);
    expect(loaded).toBeDefined();
    for (const b of Object.values(loaded?.baselines ?? {})) expect(b.v).toBe(2);
    const { state, alerts } = run(loaded as ServiceState, SNAPSHOT_AFTER, STORY_WINDOWS);
    // The fixture's alerts carry the unrounded numbers of the code that wrote them; today's alerts
    // present the same numbers rounded to what they mean (core/alert/units.ts).
    expect(alerts.map(presented)).toEqual(fixture.after.alerts.map((a) => presented(asToday(a as FixtureAlert))));
    const expected = Object.fromEntries(Object.entries(fixture.after.baselines).map(([k, b]) => [k, { ...b, v: 2 }]));
    // Fields added since the fixture was written (optional, read as their default when absent)
    // are the new code's own; every field the writing code knew must come out the same.
    const known = Object.fromEntries(
      Object.entries(storedBaselines(state)).map(([k, b]) => [
        k,
        Object.fromEntries(Object.entries(b as object).filter(([f]) => !ADDED_SINCE.has(f))),
      ]),
    );
    expect(known).toEqual(expected);
  });

  test('a record from before the hour sum (accSum, no accX) gets accX = accSum + accN · slow and learns as if it had it', () => {
    const b = baselineOf(fixture.stored, 'latency_p99_ms');
    const accX = b.accX as number;
    const accSum = accX - (b.accN as number) * (b.slow as number);
    const legacy: Record<string, unknown> = { ...b, accSum };
    delete legacy.accX;
    const migrated = loadBaseline(legacy);
    const current = loadBaseline(b);
    expect(migrated.ok && current.ok).toBe(true);
    if (!migrated.ok || !current.ok) return;
    expect(migrated.baseline.accX).toBeCloseTo(accX, 9);
    expect('accSum' in migrated.baseline).toBe(false);
    const at = (b.lastWindowStart as number) + 60_000;
    const next = (x: Baseline): Baseline => learn(x, Math.log(45), at, 0, 0.5, PARAMS.detection);
    expect(next(migrated.baseline).level).toBeCloseTo(next(current.baseline).level, 12);
  });
});

/** Record fields added after the fixture was written: the drift's hold (detect/drift.ts), the tail's body (detect/tail.ts). */
const ADDED_SINCE = new Set(['driftHeld', 'tailBody']);

describe('version 2 records', () => {
  test('round-trip through the codec unchanged', () => {
    const { state } = run(emptyServiceState(STATE_SVC), 0, 1600);
    const again = decodeState('k', encodeState(state));
    expect(again && storedBaselines(again)).toEqual(storedBaselines(state));
  });

  test('all-zero peak arrays load as the shared empty array (a quiet series allocates nothing per day)', () => {
    const r = loadBaseline(JSON.parse(JSON.stringify(learn(emptyBaseline(), 1, 0, 0, 0, PARAMS.detection))) as unknown);
    expect(r.ok && r.baseline.peakUp).toBe(NO_PEAKS);
  });

  const good = (): Record<string, unknown> => JSON.parse(JSON.stringify(emptyBaseline())) as Record<string, unknown>;
  test.each<[string, (r: Record<string, unknown>) => void, RegExp]>([
    ['an unknown version', (r) => (r.v = 3), /version/],
    ['a missing required field', (r) => delete r.level, /level is missing/],
    ['a non-finite number (JSON null)', (r) => (r.variance = null), /variance/],
    ['a profile of the wrong length', (r) => (r.hod = [1, 2, 3]), /hod/],
    ['a week profile of the wrong length', (r) => (r.how = new Array<number>(24).fill(0)), /how/],
    ['a string for a number', (r) => (r.n = '12'), /n must/],
    ['an unknown field', (r) => (r.levle = 1), /unknown field levle/],
  ])('refuses %s', (_, spoil, message) => {
    const r = good();
    spoil(r);
    const loaded = loadBaseline(r);
    expect(loaded.ok).toBe(false);
    if (!loaded.ok) expect(loaded.error).toMatch(message);
    const fields = encodeState(emptyServiceState(STATE_SVC));
    fields['b:cpu_cores'] = JSON.stringify(r);
    expect(() => decodeState('k', fields)).toThrow(MeshwatchError);
  });
});
