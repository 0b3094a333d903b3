/**
 * Data and scoring for the nezha-dev hindsight bound (`nezha-bound.ts`): the shared tools'
 * own loader (`nezha-data.mjs`) and per-entity scorer (`scoreEntity` of `nezha-score.mjs`),
 * so the bound counts faults, false-alarm episodes and days exactly as `nezha-score.mjs` does,
 * without writing a detections file per threshold. `crossCheck` runs the scorer's whole
 * `score()` on one threshold's detections to show the two agree.
 */
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { lowerBound } from './nezha-bound-scores.js';

export const SYSTEMS = ['ob', 'tt'] as const;
export type System = (typeof SYSTEMS)[number];
type Scope = System | 'all';
export const SCOPES: readonly Scope[] = ['ob', 'tt', 'all'];

interface Source {
  system: System;
  kind: string;
  service: string | null;
  metricCols: { j: number; name: string }[];
  rows: { t: number; cells: string[] }[];
}
export interface Fault {
  system: System;
  entity: string;
  type: string;
  start: number;
  end: number;
}
interface Entity {
  system: System;
  service: string;
  times: number[];
}
interface Loaded {
  sources: Source[];
  faults: Fault[];
  entities: Map<string, Entity>;
}
interface EntityScore {
  detected: number;
  missed: number;
  fpEpisodes: number;
  segmentDetails: { fault: Fault; detected: boolean }[];
}
interface ScorerOptions {
  toleranceS: number;
  probationMin: number;
  episodeGap: number;
  episodeMax: number;
}
type ScoreEntity = (
  grid: number[],
  segs: { start: number; end: number; fault: Fault }[],
  pred: Set<number>,
  opt: ScorerOptions,
) => EntityScore;
type ScoreAll = (
  opt: Record<string, unknown>,
  input: { detections: { service: string; t: number; metric: null }[]; unparseable: number },
) => {
  levels: Record<'service' | 'system', { overall: { detected: number; fpEpisodes: number; falseAlarmsPerDay: number } }>;
};

/** nezha-score.mjs's defaults: 60 s tolerance, episodes of detections ≤ 3 records apart, ≤ 30 records each. */
export const SCORER: ScorerOptions = { toleranceS: 60, probationMin: 0, episodeGap: 3, episodeMax: 30 };
const INTERVAL_MS = 60_000;

/** One service: its record grid (the scorer's), its metrics on that grid, its faults. */
export interface Service {
  id: string;
  system: System;
  times: number[];
  metrics: { name: string; values: Float64Array }[];
  faults: Fault[];
  /** 1 where the minute lies outside every fault window of its system ([start, end + 60 s], + `afterMin`). */
  faultFree: Uint8Array;
  /** The system-grid record of each minute. */
  sysIndex: Int32Array;
}

export interface Dataset {
  services: Service[];
  faults: Fault[];
  sysGrid: Record<System, number[]>;
  /** Days of wall-clock data per system (system grid records / 1440), the scorer's FA/day divisor. */
  days: Record<System, number>;
  scoreEntity: ScoreEntity;
  scoreAll: ScoreAll;
  dataDir: string;
}

/** The scorer's system grid: sample times within half a minute of a bucket's first form one record, timed at its latest. */
function mergeGrid(times: number[]): number[] {
  const s = [...times].sort((a, b) => a - b);
  const out: number[] = [];
  let first = -Infinity;
  for (const t of s) {
    if (t - first > INTERVAL_MS / 2) {
      out.push(t);
      first = t;
    } else out[out.length - 1] = t;
  }
  return out;
}

function nearest(arr: readonly number[], x: number): number {
  const lo = lowerBound(arr, x);
  if (lo === 0) return 0;
  if (lo === arr.length) return arr.length - 1;
  return x - arr[lo - 1]! < arr[lo]! - x ? lo - 1 : lo;
}

/** `afterMin`: minutes after each fault window that are not fault-free either (its after-effects). */
export async function loadDataset(shared: string, exclude: RegExp | undefined, afterMin = 0): Promise<Dataset> {
  const tools = join(shared, 'tools/nezha');
  const dataMod = (await import(pathToFileURL(join(tools, 'nezha-data.mjs')).href)) as {
    loadNezha: (dir: string, o: object) => Loaded;
    numberText: (c: string) => string | null;
  };
  const scoreMod = (await import(pathToFileURL(join(tools, 'nezha-score.mjs')).href)) as { scoreEntity: ScoreEntity; score: ScoreAll };
  const dataDir = join(shared, 'data/nezha-dev');
  // withFront as the scorer loads it: the entry SLI's times are part of each system's grid
  const ds = dataMod.loadNezha(dataDir, { systems: ['ob', 'tt'], withFront: true });
  const tolMs = SCORER.toleranceS * 1000;
  const sysGrid = {} as Record<System, number[]>;
  for (const sys of SYSTEMS) sysGrid[sys] = mergeGrid([...ds.entities.values()].filter((e) => e.system === sys).flatMap((e) => e.times));
  const services: Service[] = [];
  for (const [id, e] of ds.entities) {
    const pods = ds.sources.filter((s) => s.kind === 'pod' && `${s.system}/${s.service}` === id);
    if (pods.length === 0) continue;
    const at = new Map(e.times.map((t, i) => [t, i]));
    const metrics: Service['metrics'] = [];
    for (const pod of pods) {
      for (const c of pod.metricCols) {
        if (exclude?.test(c.name)) continue;
        const values = new Float64Array(e.times.length).fill(NaN);
        for (const r of pod.rows) {
          const txt = dataMod.numberText(r.cells[c.j] ?? '');
          if (txt !== null) values[at.get(r.t)!] = Number(txt);
        }
        metrics.push({ name: pods.length > 1 ? `${pod.service}:${c.name}` : c.name, values });
      }
    }
    const sysFaults = ds.faults.filter((f) => f.system === e.system);
    const faultFree = Uint8Array.from(e.times, (t) =>
      sysFaults.some((f) => t >= f.start && t <= f.end + tolMs + afterMin * 60_000) ? 0 : 1,
    );
    const grid = sysGrid[e.system];
    const sysIndex = Int32Array.from(e.times, (t) => nearest(grid, t));
    services.push({ id, system: e.system, times: e.times, metrics, faults: ds.faults.filter((f) => f.entity === id), faultFree, sysIndex });
  }
  const days = { ob: sysGrid.ob.length / 1440, tt: sysGrid.tt.length / 1440 };
  return { services, faults: ds.faults, sysGrid, days, scoreEntity: scoreMod.scoreEntity, scoreAll: scoreMod.score, dataDir };
}

/** Event counts of one level and scope, the scorer's way. */
export interface Tally {
  segments: number;
  detected: number;
  fp: number;
  days: number;
  byType: Record<string, { segments: number; detected: number }>;
}
export interface Outcome {
  service: Record<Scope, Tally>;
  system: Record<Scope, Tally>;
  /** Per service (service level): detected faults and false-alarm episodes. */
  perService: Map<string, { detected: number; fp: number }>;
}

const emptyTally = (days: number): Tally => ({ segments: 0, detected: 0, fp: 0, days, byType: {} });

function add(t: Tally, r: EntityScore): void {
  t.segments += r.segmentDetails.length;
  t.detected += r.detected;
  t.fp += r.fpEpisodes;
  for (const s of r.segmentDetails) {
    const k = (t.byType[s.fault.type] ??= { segments: 0, detected: 0 });
    k.segments++;
    if (s.detected) k.detected++;
  }
}

/** Scores "a detection at every minute whose service score is ≥ threshold" at both levels. */
export function evaluate(ds: Dataset, scores: ReadonlyMap<string, Float64Array>, threshold: number): Outcome {
  const mk = (): Record<Scope, Tally> => ({
    ob: emptyTally(ds.days.ob),
    tt: emptyTally(ds.days.tt),
    all: emptyTally(ds.days.ob + ds.days.tt),
  });
  const out: Outcome = { service: mk(), system: mk(), perService: new Map() };
  const sysPred: Record<System, Set<number>> = { ob: new Set(), tt: new Set() };
  for (const s of ds.services) {
    const sc = scores.get(s.id)!;
    const pred = new Set<number>();
    sc.forEach((v, i) => {
      if (v >= threshold) {
        pred.add(i);
        sysPred[s.system].add(s.sysIndex[i]!);
      }
    });
    const segs = s.faults.map((f) => ({ start: f.start, end: f.end, fault: f }));
    const r = ds.scoreEntity(s.times, segs, pred, SCORER);
    add(out.service[s.system], r);
    add(out.service.all, r);
    out.perService.set(s.id, { detected: r.detected, fp: r.fpEpisodes });
  }
  for (const sys of SYSTEMS) {
    const segs = ds.faults.filter((f) => f.system === sys).map((f) => ({ start: f.start, end: f.end, fault: f }));
    const r = ds.scoreEntity(ds.sysGrid[sys], segs, sysPred[sys], SCORER);
    add(out.system[sys], r);
    add(out.system.all, r);
  }
  return out;
}

export const f1Of = (t: Pick<Tally, 'segments' | 'detected' | 'fp'>): number =>
  t.segments + t.fp + t.detected > 0 ? (2 * t.detected) / (t.detected + t.segments + t.fp) : 0;
export const faPerDay = (t: Tally): number => t.fp / t.days;

/** The shared scorer's own `score()` on one threshold's detections: overall service and system figures. */
export function crossCheck(
  ds: Dataset,
  scores: ReadonlyMap<string, Float64Array>,
  threshold: number,
): { service: number[]; system: number[] } {
  const detections: { service: string; t: number; metric: null }[] = [];
  for (const s of ds.services)
    scores.get(s.id)!.forEach((v, i) => v >= threshold && detections.push({ service: s.id, t: s.times[i]!, metric: null }));
  const res = ds.scoreAll(
    { data: ds.dataDir, level: 'both', system: 'all', faultMinutes: 3, services: 'none', ...SCORER },
    { detections, unparseable: 0 },
  );
  const pick = (l: 'service' | 'system'): number[] => [res.levels[l].overall.detected, res.levels[l].overall.fpEpisodes];
  return { service: pick('service'), system: pick('system') };
}
