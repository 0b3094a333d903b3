/**
 * The stored baseline record: its schema, checked when a record is loaded (never on the
 * per-window path), and the migration from earlier versions.
 *
 *  - version 2 (current): the flat record of core/baseline/record.ts; every field is listed in
 *    FIELDS with its type (a compile-time check keeps the table and the type in step), a record
 *    with a missing required field, a field of the wrong type or length, a non-finite number
 *    or an unknown field is refused;
 *  - version 1: the same record, except that the running sum of the hour, `accX`, may be missing
 *    (records written before it existed kept `accSum`, the sum of value − slow level): it is
 *    rebuilt as accSum + accN · slow, as version 1 code computed it on every use.
 *
 * All-zero peak arrays are loaded as the one shared empty array (core/baseline/record.ts
 * NO_PEAKS), so a quiet series loaded from a store allocates nothing per day, as a new one does.
 * Failures are values: the caller turns them into MW_STORE_CODEC.
 */
import { type Baseline, NO_PEAKS } from '../core/baseline/index.js';

type Kind = 'number' | 'boolean' | 'hours' | 'week' | 'scale' | 'version';
interface FieldSpec {
  kind: Kind;
  required: boolean;
}
const req = (kind: Kind): FieldSpec => ({ kind, required: true });
const opt = (kind: Kind): FieldSpec => ({ kind, required: false });

/** Every field of the current record. `satisfies` fails to compile when a field is added to the type and not here. */
const FIELDS = {
  v: req('version'),
  n: req('number'),
  lastWindowStart: req('number'),
  scale: opt('scale'),
  level: req('number'),
  variance: req('number'),
  slow: req('number'),
  run: req('number'),
  runSum: req('number'),
  runStart: req('number'),
  shiftAt: opt('number'),
  leakRef: opt('number'),
  hod: req('hours'),
  hodDays: req('hours'),
  hodVar: req('hours'),
  how: req('week'),
  howWeeks: req('week'),
  seasonOn: opt('boolean'),
  hourMean: opt('number'),
  hourAt: opt('number'),
  dayIdx: opt('number'),
  dayHours: opt('hours'),
  dayMask: opt('number'),
  dayStep: opt('number'),
  accHour: req('number'),
  accX: req('number'),
  accN: req('number'),
  accIn: opt('number'),
  accInN: opt('number'),
  accInXX: opt('number'),
  accInT: opt('number'),
  accInTT: opt('number'),
  accInTX: opt('number'),
  hourVar: opt('number'),
  noiseProf: opt('hours'),
  noiseDays: opt('number'),
  dayNoise: opt('hours'),
  accPrev: opt('number'),
  accD2: opt('number'),
  accDN: opt('number'),
  peakUp: opt('hours'),
  peakDown: opt('hours'),
  lastUp: opt('hours'),
  lastDown: opt('hours'),
  dayUp: opt('hours'),
  dayDown: opt('hours'),
  accUp: opt('number'),
  accDown: opt('number'),
  tail: req('number'),
  surprise: req('number'),
  surpriseMean: req('number'),
  surpriseVar: req('number'),
  judged: opt('number'),
  drift: opt('number'),
  driftVar: opt('number'),
  calm: opt('number'),
  tailBody: opt('number'),
  driftHeld: opt('number'),
  blips: opt('number'),
  maxUp: opt('number'),
  maxDown: opt('number'),
  z1: opt('number'),
  z2: opt('number'),
  burstVar: opt('number'),
  burstPend1: opt('number'),
  burstPend2: opt('number'),
  burstN: opt('number'),
  sampleK: opt('number'),
  sampleN: opt('number'),
  poolK: opt('number'),
  poolN: opt('number'),
  leakRun: opt('number'),
  jumps: opt('number'),
  jumpsAt: opt('number'),
} satisfies Record<keyof Baseline, FieldSpec>;

const SPECS: ReadonlyMap<string, FieldSpec> = new Map(Object.entries(FIELDS));
const REQUIRED = [...SPECS].filter(([, s]) => s.required).map(([k]) => k);
/** Arrays that are usually all zero and then share NO_PEAKS. */
const SHARED_ZERO = new Set(['peakUp', 'peakDown', 'lastUp', 'lastDown', 'dayUp', 'dayDown', 'dayNoise']);

export const BASELINE_VERSION = 2;

export type Loaded = { ok: true; baseline: Baseline } | { ok: false; error: string };

const isFiniteArray = (v: unknown, length: number): v is number[] =>
  Array.isArray(v) && v.length === length && v.every((x) => typeof x === 'number' && Number.isFinite(x));

function fieldError(key: string, spec: FieldSpec, v: unknown): string | undefined {
  switch (spec.kind) {
    case 'version':
      return v === BASELINE_VERSION ? undefined : `v must be ${BASELINE_VERSION}`;
    case 'number':
      return typeof v === 'number' && Number.isFinite(v) ? undefined : `${key} must be a finite number`;
    case 'boolean':
      return typeof v === 'boolean' ? undefined : `${key} must be a boolean`;
    case 'scale':
      return v === 'log' ? undefined : `${key} must be "log"`;
    case 'hours':
      return isFiniteArray(v, 24) ? undefined : `${key} must be 24 finite numbers`;
    case 'week':
      return isFiniteArray(v, 168) ? undefined : `${key} must be 168 finite numbers`;
  }
}

/** Version 1 → 2: `accX` from the legacy `accSum` (see the header). */
function fromV1(r: Record<string, unknown>): Record<string, unknown> {
  const { accSum, ...rest } = r;
  const out: Record<string, unknown> = { ...rest, v: 2 };
  if (out.accX === undefined) {
    const sum = typeof accSum === 'number' ? accSum : 0;
    out.accX = sum + (out.accN as number) * (out.slow as number);
  }
  return out;
}

/** A parsed JSON value → the current record, migrated and checked; or why it cannot be one. */
export function loadBaseline(raw: unknown): Loaded {
  if (typeof raw !== 'object' || raw === null || Array.isArray(raw)) return { ok: false, error: 'not an object' };
  let r = raw as Record<string, unknown>;
  if (r.v === 1) {
    if (typeof r.accN !== 'number' || typeof r.slow !== 'number') return { ok: false, error: 'version 1 record without accN or slow' };
    r = fromV1(r);
  } else if (r.v !== BASELINE_VERSION) return { ok: false, error: `unknown baseline version ${JSON.stringify(r.v)}` };
  for (const key of REQUIRED) if (r[key] === undefined) return { ok: false, error: `${key} is missing` };
  for (const [key, v] of Object.entries(r)) {
    const spec = SPECS.get(key);
    if (spec === undefined) return { ok: false, error: `unknown field ${key}` };
    if (v === undefined) continue;
    const error = fieldError(key, spec, v);
    if (error !== undefined) return { ok: false, error };
    if (SHARED_ZERO.has(key) && (v as number[]).every((x) => x === 0)) r[key] = NO_PEAKS;
  }
  return { ok: true, baseline: r as unknown as Baseline };
}
