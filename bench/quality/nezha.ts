/**
 * meshwatch on real mesh telemetry: the nezha-dev data in ../shared (Online Boutique and Train
 * Ticket, per-pod metrics once a minute, 52 labelled faults):
 *
 *   1. node <shared>/tools/nezha/nezha-to-samples.mjs --out <samples> --labels <labels>
 *      (once: the file is cached under the OS temp dir, or in `--keep DIR`);
 *   2. the file through meshwatch's `replay()` in-process (config defaults + `--set` overrides);
 *   3. one detection per firing alert, `{"service", "ts": window.start, "metric"}`, as NDJSON;
 *   4. node <shared>/tools/nezha/nezha-score.mjs --detections <file> --json [--system S] →
 *      service-level and system-level event F1, false alarms per day, recall by fault type.
 *
 *   npx tsx bench/quality/nezha.ts [--shared DIR] [--system ob|tt|all] [--set path=value]… [--config FILE]
 *                                  [--diagnose] [--cv path=v1,v2,…] [--json] [--keep DIR]
 *
 * `--diagnose` counts the firing alerts outside every fault window of their service by alert
 * kind, test and metric. `--cv path=v1,v2,…` is leave-one-system-out cross-validation of one
 * parameter: each value is replayed once, the value with the best service-level F1 on one
 * system is scored on the other, fold by fold, beside the dev (both systems) choice.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { replay } from '../../src/cli/replay.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { buildConfig, runMain, formatTable, fromRepoRoot, overridesOf, replayNote } from './common.js';

const SYSTEMS = ['ob', 'tt'] as const;
type System = (typeof SYSTEMS)[number];

interface EventScore {
  segments: number;
  detected: number;
  missed: number;
  fpEpisodes: number;
  falseAlarmsPerDay: number | null;
  event: { precision: number | null; recall: number | null; f1: number | null };
  delayRecords: { mean: number | null; median: number | null };
}
interface Level {
  systems?: Record<string, EventScore>;
  entities: Record<string, EventScore>;
  overall: EventScore;
  faultTypeRecall: Record<string, { segments: number; detected: number; recall: number | null }>;
}
interface ScoreJson {
  levels: { service: Level; system: Level };
}

interface Segment {
  service: string;
  start: string;
  end: string;
  type: string;
}

/** Runs `node <tool> args…`; throws with its stderr when it fails. */
function node(tool: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [tool, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

interface Detection {
  service: string;
  ts: string;
  metric: string;
  kind: string;
  test: string;
}

/** Every firing alert of one replay of the samples, as a detection. */
async function detect(config: Readonly<Config>, samples: string): Promise<{ detections: Detection[]; note: string }> {
  const detections: Detection[] = [];
  const summary = await replay(config, createReadStream(samples), (a: Alert) => {
    if (a.status !== 'firing') return;
    const test = a.details['test'];
    detections.push({
      service: `${a.service.namespace}/${a.service.name}`,
      ts: a.window.start,
      metric: a.metric,
      kind: a.kind,
      test: typeof test === 'string' ? test : '-',
    });
  });
  return { detections, note: replayNote(summary) };
}

function score(scorer: string, dir: string, detections: readonly Detection[], system: System | 'all'): ScoreJson {
  const file = join(dir, `detections-${process.pid}.ndjson`);
  writeFileSync(file, detections.map((d) => JSON.stringify({ service: d.service, ts: d.ts, metric: d.metric }) + '\n').join(''));
  return JSON.parse(node(scorer, ['--detections', file, '--json', '--system', system]).stdout) as ScoreJson;
}

const f3 = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(3));
const f1 = (x: number | null | undefined): string => (x === null || x === undefined ? 'n/a' : x.toFixed(1));

const eventRow = (name: string, s: EventScore): (string | number)[] => [
  name,
  s.segments,
  s.detected,
  s.fpEpisodes,
  f3(s.event.precision),
  f3(s.event.recall),
  f3(s.event.f1),
  f1(s.falseAlarmsPerDay),
  f1(s.delayRecords.mean),
];
const EVENT_HEAD = ['', 'faults', 'found', 'FA ep', 'precision', 'recall', 'F1', 'FA/day', 'delay'];

function report(res: ScoreJson): string {
  const out: string[] = [];
  for (const level of ['service', 'system'] as const) {
    const lv = res.levels[level];
    const rows = level === 'service' ? Object.entries(lv.systems ?? {}) : Object.entries(lv.entities);
    out.push(`${level} level (event F1; FA ep = false-alarm episodes; delay in 1-minute records)`);
    out.push(formatTable(EVENT_HEAD, [...rows.map(([s, e]) => eventRow(s, e)), eventRow('overall', lv.overall)]));
    out.push(
      'recall by fault type: ' +
        Object.entries(lv.faultTypeRecall)
          .map(([k, v]) => `${k} ${v.detected}/${v.segments}`)
          .join(', ') +
        '\n',
    );
  }
  return out.join('\n');
}

/** False detections (outside every fault window of their service, +60 s) by kind/test and by metric. */
function diagnose(detections: readonly Detection[], segments: readonly Segment[]): string {
  const windows = new Map<string, [number, number][]>();
  for (const s of segments) {
    const w = windows.get(s.service) ?? [];
    w.push([Date.parse(s.start), Date.parse(s.end) + 60_000]);
    windows.set(s.service, w);
  }
  const byTest = new Map<string, number>();
  const byMetric = new Map<string, number>();
  const bySystem = new Map<string, number>();
  let falseCount = 0;
  for (const d of detections) {
    const t = Date.parse(d.ts);
    if ((windows.get(d.service) ?? []).some(([a, b]) => t >= a && t <= b)) continue;
    falseCount++;
    const k = `${d.kind}/${d.test}`;
    byTest.set(k, (byTest.get(k) ?? 0) + 1);
    byMetric.set(d.metric, (byMetric.get(d.metric) ?? 0) + 1);
    const sys = d.service.split('/')[0] ?? '?';
    bySystem.set(sys, (bySystem.get(sys) ?? 0) + 1);
  }
  const top = (m: Map<string, number>): string =>
    [...m.entries()]
      .sort((a, b) => b[1] - a[1])
      .map(([k, v]) => `${k} ${v}`)
      .join(', ');
  return [
    `false detections: ${falseCount} of ${detections.length} firing alerts (${top(bySystem)})`,
    `  by kind/test: ${top(byTest)}`,
    `  by metric:    ${top(byMetric)}`,
  ].join('\n');
}

const F1_OF = (s: ScoreJson): number => s.levels.service.overall.event.f1 ?? 0;

async function crossValidate(
  path: string,
  values: readonly string[],
  base: Record<string, unknown>,
  file: string | undefined,
  run: (c: Readonly<Config>) => Promise<Detection[]>,
  scoreOf: (d: readonly Detection[], s: System | 'all') => ScoreJson,
): Promise<string> {
  const per = new Map<string, Record<System | 'all', ScoreJson>>();
  for (const v of values) {
    const dets = await run(buildConfig({ ...base, ...overridesOf([`${path}=${v}`]) }, file));
    per.set(v, { ob: scoreOf(dets, 'ob'), tt: scoreOf(dets, 'tt'), all: scoreOf(dets, 'all') });
  }
  const best = (sys: System | 'all'): string => values.reduce((a, b) => (F1_OF(per.get(b)![sys]) > F1_OF(per.get(a)![sys]) ? b : a));
  const rows: (string | number)[][] = values.map((v) => {
    const s = per.get(v)!;
    return [v, ...(['ob', 'tt', 'all'] as const).flatMap((k) => [f3(F1_OF(s[k])), f1(s[k].levels.service.overall.falseAlarmsPerDay)])];
  });
  const folds = SYSTEMS.map((held) => {
    const fit = held === 'ob' ? 'tt' : 'ob';
    const v = best(fit);
    const s = per.get(v)!;
    return [
      held,
      `${path}=${v} (chosen on ${fit})`,
      f3(F1_OF(s[held])),
      f1(s[held].levels.service.overall.falseAlarmsPerDay),
      f3(F1_OF(per.get(best(held))![held])),
    ];
  });
  const dev = best('all');
  return [
    `cross-validation of ${path} over ${values.join(', ')} (service-level event F1, FA/day)`,
    formatTable(['value', 'ob F1', 'ob FA/d', 'tt F1', 'tt FA/d', 'all F1', 'all FA/d'], rows),
    '',
    formatTable(['held out', 'parameter', 'CV F1', 'CV FA/d', 'dev F1 (chosen on it)'], folds),
    `dev choice (both systems): ${path}=${dev}, F1 ${f3(F1_OF(per.get(dev)!.all))}`,
  ].join('\n');
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      shared: { type: 'string' },
      system: { type: 'string', default: 'all' },
      set: { type: 'string', multiple: true },
      config: { type: 'string', short: 'c' },
      diagnose: { type: 'boolean' },
      cv: { type: 'string' },
      json: { type: 'boolean' },
      keep: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npx tsx bench/quality/nezha.ts [--shared DIR] [--system ob|tt|all] [--set path=value]… [--config FILE] [--diagnose] [--cv path=v1,v2,…] [--json] [--keep DIR]',
    );
    return 0;
  }
  const system = values.system as System | 'all';
  if (![...SYSTEMS, 'all'].includes(system)) throw new Error('--system must be ob, tt or all');
  const shared = values.shared === undefined ? fromRepoRoot('../shared') : resolve(values.shared);
  const toSamples = join(shared, 'tools/nezha/nezha-to-samples.mjs');
  const scorer = join(shared, 'tools/nezha/nezha-score.mjs');
  for (const tool of [toSamples, scorer]) {
    if (!existsSync(tool)) throw new Error(`${tool} not found (the shared folder is ../shared from the repo root; pass --shared DIR)`);
  }
  const dir = values.keep === undefined ? join(tmpdir(), 'meshwatch-nezha') : resolve(values.keep);
  mkdirSync(dir, { recursive: true });
  // Samples of both systems: services are disjoint, so one replay serves every --system filter.
  const samples = join(dir, 'nezha-samples.ndjson');
  const labels = join(dir, 'nezha-labels.json');
  if (!existsSync(samples) || !existsSync(labels)) node(toSamples, ['--out', samples, '--labels', labels]);
  const segments = (JSON.parse(readFileSync(labels, 'utf8')) as { segments: Segment[] }).segments;

  const overrides = overridesOf(values.set ?? []);
  const run = async (c: Readonly<Config>): Promise<Detection[]> => (await detect(c, samples)).detections;
  const scoreOf = (d: readonly Detection[], s: System | 'all'): ScoreJson => score(scorer, dir, d, s);

  if (values.cv !== undefined) {
    const i = values.cv.indexOf('=');
    if (i <= 0) throw new Error('--cv expects path=v1,v2,…');
    console.log(await crossValidate(values.cv.slice(0, i), values.cv.slice(i + 1).split(','), overrides, values.config, run, scoreOf));
    return 0;
  }

  const config = buildConfig(overrides, values.config);
  const { detections, note } = await detect(config, samples);
  const res = scoreOf(detections, system);
  if (values.json) {
    console.log(JSON.stringify({ detection: config.detection, replay: note, firing: detections.length, levels: res.levels }, null, 2));
    return 0;
  }
  console.log(
    `meshwatch on nezha-dev (${system === 'all' ? 'ob + tt' : system}): window ${config.window.ms} ms, ${detections.length} firing alerts`,
  );
  console.log(`replay: ${note}\n`);
  console.log(report(res));
  if (values.diagnose)
    console.log(diagnose(system === 'all' ? detections : detections.filter((d) => d.service.startsWith(`${system}/`)), segments));
  return 0;
}

runMain(main);
