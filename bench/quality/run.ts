/**
 * Detection quality on labelled synthetic scenarios: every scenario of scenarios.ts through
 * meshwatch's `replay()` in-process (one replay per scenario, its series interleaved by time),
 * scored against the labels.
 *
 *   npx tsx bench/quality/run.ts [--scenario NAME]… [--seeds N] [--set path=value]… [--config FILE] [--json] [--verbose]
 *   npx tsx bench/quality/run.ts --clean-mesh [--inject] [--services N] [--days N] [--spike-sigmas LO:HI] [--mesh-seed N] [--set …] [--json] [--verbose]
 *
 * Scoring, per series (times are each firing alert's `window.start`, W = window.ms):
 *  - TP: the first firing alert in [anomaly start, anomaly end + 3 W) of an interval that expects
 *    an alert; delay = (alert window.start − anomaly start) / W, in windows;
 *  - FN: an expected anomaly without such an alert;
 *  - FP: every other firing alert, except those in unscored intervals (learning, late), which
 *    are counted apart (`ign`).
 * precision = TP / (TP + FP), recall = TP / (TP + FN).
 */
import { parseArgs } from 'node:util';
import { type Config } from '../../src/config/schema.js';
import { type Mesh, type MeshReport, buildMesh, scoreMesh } from './clean-mesh.js';
import { type Cell, type Firing, buildConfig, fmt, formatTable, overridesOf, replayLines, replayNote } from './common.js';
import { type Interval, SCENARIO_NAMES, type Scenario, type ScenarioName, buildScenario, isScenarioName } from './scenarios.js';

/** Slack after an anomaly's end in which its first alert still counts as a detection. */
const SLACK_WINDOWS = 3;

interface ScoredAlert {
  ts: string;
  metric: string;
  kind: string;
  z: number | undefined;
  /** Which test found the triggering window anomalous, when the alert says. */
  test: string | undefined;
  verdict: 'TP' | 'FP' | 'ignored';
  /** The labelled interval the alert fell in, if any. */
  label: string | undefined;
}

interface SeriesResult {
  service: string;
  metric: string;
  expected: number;
  firing: number;
  tp: number;
  fp: number;
  fn: number;
  ignored: number;
  delays: number[];
  notes: Record<string, number | string>;
  alerts: ScoredAlert[];
}

interface Totals {
  series: number;
  expected: number;
  firing: number;
  tp: number;
  fp: number;
  fn: number;
  ignored: number;
  precision: number;
  recall: number;
  meanDelay: number;
  maxDelay: number;
}

interface ScenarioResult extends Totals {
  name: ScenarioName;
  claim: string;
  windowMs: number;
  replay: string;
  perSeries: SeriesResult[];
}

const inside = (iv: Interval, t: number, slackMs = 0): boolean => t >= iv.start && t < iv.end + slackMs;

function scoreSeries(s: Scenario['series'][number], alerts: Firing[], windowMs: number): SeriesResult {
  const sorted = [...alerts].sort((a, b) => a.windowStartMs - b.windowStartMs);
  const verdicts = new Map<Firing, ScoredAlert['verdict']>();
  const delays: number[] = [];
  let tp = 0;
  let fn = 0;
  const anomalies = s.intervals.filter((iv) => iv.alert && iv.scored).sort((a, b) => a.start - b.start);
  for (const iv of anomalies) {
    const hit = sorted.find((f) => !verdicts.has(f) && inside(iv, f.windowStartMs, SLACK_WINDOWS * windowMs));
    if (hit) {
      verdicts.set(hit, 'TP');
      tp++;
      delays.push((hit.windowStartMs - iv.start) / windowMs);
    } else fn++;
  }
  let fp = 0;
  let ignored = 0;
  for (const f of sorted) {
    if (verdicts.has(f)) continue;
    if (s.intervals.some((iv) => !iv.scored && inside(iv, f.windowStartMs))) {
      verdicts.set(f, 'ignored');
      ignored++;
    } else {
      verdicts.set(f, 'FP');
      fp++;
    }
  }
  return {
    service: s.service,
    metric: s.metric,
    expected: anomalies.length,
    firing: sorted.length,
    tp,
    fp,
    fn,
    ignored,
    delays,
    notes: s.notes,
    alerts: sorted.map((f) => ({
      ts: new Date(f.windowStartMs).toISOString(),
      metric: f.metric,
      kind: f.kind,
      z: f.z,
      test: f.test,
      verdict: verdicts.get(f) ?? 'FP',
      label: s.intervals.find((iv) => inside(iv, f.windowStartMs, iv.alert ? SLACK_WINDOWS * windowMs : 0))?.label,
    })),
  };
}

function totalsOf(rows: readonly Omit<SeriesResult, 'service' | 'metric' | 'notes' | 'alerts'>[], series: number): Totals {
  const sum = (k: 'expected' | 'firing' | 'tp' | 'fp' | 'fn' | 'ignored'): number => rows.reduce((a, r) => a + r[k], 0);
  const delays = rows.flatMap((r) => r.delays);
  const tp = sum('tp');
  const fp = sum('fp');
  const fn = sum('fn');
  return {
    series,
    expected: sum('expected'),
    firing: sum('firing'),
    tp,
    fp,
    fn,
    ignored: sum('ignored'),
    precision: tp + fp > 0 ? tp / (tp + fp) : NaN,
    recall: tp + fn > 0 ? tp / (tp + fn) : NaN,
    meanDelay: delays.length ? delays.reduce((a, b) => a + b, 0) / delays.length : NaN,
    maxDelay: delays.length ? Math.max(...delays) : NaN,
  };
}

async function runScenario(
  config: Readonly<Config>,
  name: ScenarioName,
  seeds: number,
  rebuild: (windowMs: number) => Readonly<Config>,
): Promise<ScenarioResult> {
  const sc = buildScenario(name, { windowMs: config.window.ms, seeds });
  // A scenario made for its own window length runs with it.
  const { firing, summary } = await replayLines(sc.windowMs === config.window.ms ? config : rebuild(sc.windowMs), sc.lines());
  const bySvc = new Map<string, Firing[]>();
  for (const f of firing) bySvc.set(f.service, [...(bySvc.get(f.service) ?? []), f]);
  const known = new Set(sc.series.map((s) => s.service));
  const stray = firing.filter((f) => !known.has(f.service)).length;
  if (stray > 0) throw new Error(`${name}: ${stray} firing alert(s) for services the scenario does not have`);
  const perSeries = sc.series.map((s) => {
    const all = bySvc.get(s.service) ?? [];
    const scored = s.only ? all.filter((f) => f.metric === s.metric) : all;
    const r = scoreSeries(s, scored, sc.windowMs);
    // Alerts on the series' other metrics, when only its own are scored: counted apart.
    if (scored.length < all.length) r.notes = { ...r.notes, other_alerts: otherAlerts(all.filter((f) => f.metric !== s.metric)) };
    return r;
  });
  return {
    name,
    claim: sc.claim,
    windowMs: sc.windowMs,
    ...totalsOf(perSeries, perSeries.length),
    replay: replayNote(summary),
    perSeries,
  };
}

/** `metric ×count` of alerts outside the scored metric. */
function otherAlerts(fs: readonly Firing[]): string {
  const by = new Map<string, number>();
  for (const f of fs) by.set(f.metric, (by.get(f.metric) ?? 0) + 1);
  return [...by].map(([m, n]) => `${m}×${n}`).join(',');
}

const HEAD = ['scenario', 'series', 'expected', 'firing', 'TP', 'FP', 'FN', 'ign', 'precision', 'recall', 'delay mean', 'delay max'];
const rowOf = (name: string, t: Totals): Cell[] => [
  name,
  t.series,
  t.expected,
  t.firing,
  t.tp,
  t.fp,
  t.fn,
  t.ignored,
  fmt(t.precision),
  fmt(t.recall),
  fmt(t.meanDelay, 1),
  fmt(t.maxDelay, 0),
];

function printScenarios(results: ScenarioResult[], config: Readonly<Config>, verbose: boolean): void {
  const d = config.detection;
  console.log(
    `meshwatch detection quality — synthetic scenarios (window ${config.window.ms} ms; threshold ${d.threshold}, strong ${d.strongThreshold}, ` +
      `persist ${d.persistWindows}, warm-up ${d.warmupWindows}, half-life ${d.halfLifeWindows}, level shift ${d.levelShiftWindows} windows)\n`,
  );
  const rows = results.map((r) => rowOf(r.name, r));
  const all = totalsOf(
    results.flatMap((r) => r.perSeries),
    results.reduce((a, r) => a + r.series, 0),
  );
  console.log(formatTable(HEAD, [...rows, rowOf('TOTAL', all)]));
  console.log(
    `\nTP: first firing alert in [anomaly start, end + ${SLACK_WINDOWS} windows); FP: any other firing alert; ign: alerts in unscored ` +
      `intervals (learning, late); delay in windows from the anomaly's start.`,
  );
  for (const r of results) {
    if (!verbose) continue;
    console.log(`\n== ${r.name}: ${r.claim}\n   replay: ${r.replay}`);
    console.log(
      formatTable(
        ['series', 'metric', 'expected', 'firing', 'TP', 'FP', 'FN', 'ign', 'delay', 'generated'],
        r.perSeries.map((s) => [
          s.service,
          s.metric,
          s.expected,
          s.firing,
          s.tp,
          s.fp,
          s.fn,
          s.ignored,
          s.delays.length ? s.delays.join(',') : '-',
          Object.entries(s.notes)
            .map(([k, v]) => `${k}=${v}`)
            .join(' '),
        ]),
      ),
    );
    for (const s of r.perSeries) {
      for (const a of s.alerts) {
        console.log(
          `   ${a.verdict.padEnd(7)} ${s.service} ${a.ts} ${a.kind} ${a.metric} z=${a.z ?? 'n/a'} test=${a.test ?? 'n/a'}${a.label === undefined ? '' : `  [${a.label}]`}`,
        );
      }
    }
  }
}

// ---------------------------------------------------------------------------------------------

function printMesh(mesh: Mesh, r: MeshReport, note: string, verbose: boolean): void {
  const o = mesh.options;
  console.log(
    `meshwatch detection quality — clean mesh${o.inject ? ' + injected spikes' : ''}: ${r.services} services × ${r.days} days, ` +
      `window ${r.windowMs} ms, ${mesh.windows} windows, metrics requests_per_s, latency_p99_ms, cpu_cores`,
  );
  console.log(`replay: ${note}\n`);
  const w = r.perServiceWeek;
  const a = r.perServiceWeekAfterDay2;
  console.log(
    formatTable(
      ['false alerts per service per week', 'mean', 'max', 'p95', 'services with > 0', 'services with > 1'],
      [
        [
          'all days',
          fmt(w.mean, 3),
          fmt(w.max, 1),
          fmt(w.p95, 1),
          `${w.servicesWithAlerts} / ${r.services}`,
          `${w.servicesOverOne} / ${r.services}`,
        ],
        ['after day 2 (scaled to 7 days)', fmt(a.mean, 3), fmt(a.max, 1), '', '', ''],
      ],
    ),
  );
  const metrics = Object.entries(r.byMetric);
  console.log(
    `false alerts by metric: ${metrics.length ? metrics.map(([m, n]) => `${m} ${n}`).join(', ') : 'none'}` +
      (o.inject ? ' (the catch of each injected spike excluded)' : ''),
  );
  if (verbose) {
    for (const f of r.falseAlerts) {
      console.log(
        `false: ${f.service} ${f.metric} ${f.kind} at ${new Date(f.windowStartMs).toISOString()} z=${f.z ?? 'n/a'} test=${f.test ?? 'n/a'}`,
      );
    }
  }
  const inj = r.injected;
  if (!inj) return;
  const dm = inj.delays.length ? inj.delays.reduce((x, y) => x + y, 0) / inj.delays.length : NaN;
  console.log(
    `\ninjected spikes: ${inj.total} (one per service, ${o.spikeSigmas[0]}σ–${o.spikeSigmas[1]}σ of the local noise, 3 windows, after day 2)\n` +
      `caught within 3 windows (same metric): ${inj.caught} / ${inj.total} (${fmt((100 * inj.caught) / inj.total, 1)} %), ` +
      `mean delay ${fmt(dm, 2)} windows; any metric: ${inj.caughtAnyMetric}; caught only later (next 3 windows): ${inj.late}`,
  );
  console.log(
    formatTable(
      ['metric', 'injected', 'caught'],
      Object.entries(inj.byMetric).map(([m, x]) => [m, x.injected, x.caught]),
    ),
  );
  console.log(
    formatTable(
      ['magnitude', 'injected', 'caught', 'median size (% of level)'],
      inj.bySigmas.map((b) => [b.range, b.injected, b.caught, fmt(b.medianPctOfLevel, 1)]),
    ),
  );
  for (const x of inj.missed) {
    console.log(`missed: ${x.service} ${x.metric} ${fmt(x.sigmas, 2)}σ at ${new Date(x.startMs).toISOString()}`);
  }
}

// ---------------------------------------------------------------------------------------------

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string', multiple: true },
      seeds: { type: 'string' },
      set: { type: 'string', multiple: true },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      'clean-mesh': { type: 'boolean' },
      inject: { type: 'boolean' },
      services: { type: 'string' },
      days: { type: 'string' },
      'spike-sigmas': { type: 'string' },
      'mesh-seed': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npx tsx bench/quality/run.ts [--scenario NAME]… [--seeds N] [--set path=value]… [--config FILE] [--json] [--verbose]\n' +
        '       npx tsx bench/quality/run.ts --clean-mesh [--inject] [--services N] [--days N] [--spike-sigmas LO:HI] [--mesh-seed N] [--set …] [--json] [--verbose]\n' +
        `scenarios: ${SCENARIO_NAMES.join(', ')}`,
    );
    return 0;
  }
  const overrides = overridesOf(values.set ?? []);
  const meshSeedOf = (s: string | undefined): number => {
    const n = s === undefined ? 0 : Number(s);
    if (!Number.isInteger(n) || n < 0) throw new Error(`--mesh-seed: expected a whole number ≥ 0, got '${s}'`);
    return n;
  };
  const positive = (s: string | undefined, dflt: number, flag: string): number => {
    const n = s === undefined ? dflt : Number(s);
    if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag}: expected a positive number, got '${s}'`);
    return n;
  };

  if (values['clean-mesh']) {
    // One sample per minute unless the user sets another window.
    const config = buildConfig({ 'window.ms': 60_000, ...overrides }, values.config);
    const [lo, hi] = (values['spike-sigmas'] ?? '4:10').split(':').map(Number);
    if (lo === undefined || hi === undefined || !(lo > 0) || !(hi >= lo))
      throw new Error(`--spike-sigmas: expected LO:HI, got '${values['spike-sigmas']}'`);
    const mesh = buildMesh({
      services: Math.round(positive(values.services, 200, '--services')),
      days: positive(values.days, 7, '--days'),
      windowMs: config.window.ms,
      inject: values.inject ?? false,
      spikeSigmas: [lo, hi],
      meshSeed: meshSeedOf(values['mesh-seed']),
    });
    const { firing, summary } = await replayLines(config, mesh.lines());
    const report = scoreMesh(mesh, firing);
    if (values.json) {
      console.log(
        JSON.stringify(
          { mode: 'clean-mesh', inject: mesh.options.inject, spikeSigmas: [lo, hi], replay: replayNote(summary), ...report },
          null,
          2,
        ),
      );
    } else printMesh(mesh, report, replayNote(summary), values.verbose ?? false);
    return 0;
  }

  const config = buildConfig(overrides, values.config);
  const names = values.scenario ?? [...SCENARIO_NAMES];
  for (const n of names) if (!isScenarioName(n)) throw new Error(`unknown scenario '${n}' (one of ${SCENARIO_NAMES.join(', ')})`);
  const seeds = Math.round(positive(values.seeds, 5, '--seeds'));
  const results: ScenarioResult[] = [];
  const rebuild = (windowMs: number): Readonly<Config> => buildConfig({ ...overrides, 'window.ms': windowMs }, values.config);
  for (const n of names as ScenarioName[]) results.push(await runScenario(config, n, seeds, rebuild));
  if (values.json) {
    const all = totalsOf(
      results.flatMap((r) => r.perSeries),
      results.reduce((a, r) => a + r.series, 0),
    );
    console.log(
      JSON.stringify(
        { windowMs: config.window.ms, detection: config.detection, slackWindows: SLACK_WINDOWS, total: all, scenarios: results },
        null,
        2,
      ),
    );
  } else printScenarios(results, config, values.verbose ?? false);
  return 0;
}

main().then(
  (code) => process.exit(code),
  (e: unknown) => {
    console.error(`error: ${e instanceof Error ? e.message : String(e)}`);
    process.exit(2);
  },
);
