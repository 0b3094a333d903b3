/**
 * NAB score of meshwatch's detector on the labelled dev corpus in ../shared (17 realAWSCloudwatch
 * series of the Numenta Anomaly Benchmark):
 *
 *   1. node <shared>/tools/nab/nab-to-samples.mjs --interleave --combined <tmp>/nab.ndjson
 *      (one stream ordered by time, as Kafka would deliver it);
 *   2. the file through meshwatch's `replay()` in-process (config defaults + `--set` overrides);
 *   3. one detection per firing alert, `{"service": "<namespace>/<name>", "ts": window.start}`,
 *      written as NDJSON;
 *   4. node <shared>/tools/nab/nab-score.mjs --detections <file> --json → the three profiles.
 *
 *   npx tsx bench/quality/nab.ts [--shared DIR] [--set path=value]… [--config FILE] [--json] [--verbose] [--keep DIR]
 *   npx tsx bench/quality/nab.ts --logo path=v1,v2,…   (leave-one-group-out cross-validation, logo.ts)
 *
 * `--shared` defaults to ../shared from the repository root. `--verbose` also prints the
 * scorer's own per-series breakdown. `--keep DIR` keeps the samples, alerts and detections there.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, createWriteStream, existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { type ReplaySummary, replay } from '../../src/cli/replay.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { leaveOneGroupOut } from './logo.js';
import { buildConfig, runMain, fmt, formatTable, fromRepoRoot, overridesOf, replayNote } from './common.js';

const PROFILES = ['standard', 'reward_low_FP_rate', 'reward_low_FN_rate'] as const;

interface ProfileScore {
  threshold: number;
  raw: number;
  normalized: number;
  baseline: number;
  perfect: number;
}

interface ScoreJson {
  series: number;
  windows: number;
  profiles: Record<(typeof PROFILES)[number], ProfileScore>;
  stats: { lines: number; used: number; probationary: number; unknownSeries: number; afterEnd: number; badTs: number };
  warnings: string[];
}

/** Runs `node <tool> args…`; throws with its stderr when it fails. */
function node(tool: string, args: string[]): { stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [tool, ...args], { encoding: 'utf8', maxBuffer: 256 * 1024 * 1024 });
  if (r.error) throw r.error;
  if (r.status !== 0) throw new Error(`${tool} ${args.join(' ')} exited ${r.status}:\n${r.stderr}`);
  return { stdout: r.stdout, stderr: r.stderr };
}

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      shared: { type: 'string' },
      set: { type: 'string', multiple: true },
      config: { type: 'string', short: 'c' },
      json: { type: 'boolean' },
      verbose: { type: 'boolean', short: 'v' },
      keep: { type: 'string' },
      logo: { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
  });
  if (values.help) {
    console.log(
      'usage: npx tsx bench/quality/nab.ts [--shared DIR] [--set path=value]… [--config FILE] [--json] [--verbose] [--keep DIR] [--logo path=v1,v2,…]',
    );
    return 0;
  }
  const shared = values.shared === undefined ? fromRepoRoot('../shared') : resolve(values.shared);
  const toSamples = join(shared, 'tools/nab/nab-to-samples.mjs');
  const scorer = join(shared, 'tools/nab/nab-score.mjs');
  for (const tool of [toSamples, scorer]) {
    if (!existsSync(tool)) throw new Error(`${tool} not found (the shared folder is ../shared from the repo root; pass --shared DIR)`);
  }
  if (values.logo !== undefined) {
    console.log(
      await leaveOneGroupOut(values.logo, { shared, toSamples, scorer, overrides: overridesOf(values.set ?? []), file: values.config }),
    );
    return 0;
  }
  const config = buildConfig(overridesOf(values.set ?? []), values.config);

  const dir = values.keep === undefined ? mkdtempSync(join(tmpdir(), 'meshwatch-nab-')) : resolve(values.keep);
  if (values.keep !== undefined) mkdirSync(dir, { recursive: true });
  const samplesFile = join(dir, 'nab-samples.ndjson');
  const alertsFile = join(dir, 'alerts.ndjson');
  const detectionsFile = join(dir, 'detections.ndjson');
  try {
    const conv = node(toSamples, ['--interleave', '--combined', samplesFile]);

    const alertsOut = createWriteStream(alertsFile);
    const detections: string[] = [];
    let firing = 0;
    const summary: ReplaySummary = await replay(config, createReadStream(samplesFile), (a: Alert) => {
      alertsOut.write(JSON.stringify(a) + '\n');
      if (a.status !== 'firing') return;
      firing++;
      detections.push(JSON.stringify({ service: `${a.service.namespace}/${a.service.name}`, ts: a.window.start }));
    });
    await new Promise<void>((r) => alertsOut.end(() => r()));
    writeFileSync(detectionsFile, detections.map((l) => l + '\n').join(''));

    const score = JSON.parse(node(scorer, ['--detections', detectionsFile, '--json']).stdout) as ScoreJson;
    const breakdown = values.verbose ? node(scorer, ['--detections', detectionsFile, '--verbose']).stdout : undefined;

    if (values.json) {
      console.log(
        JSON.stringify(
          {
            windowMs: config.window.ms,
            detection: config.detection,
            replay: replayNote(summary),
            alerts: summary.alerts,
            firing,
            detections: score.stats,
            profiles: Object.fromEntries(PROFILES.map((p) => [p, score.profiles[p]])),
            warnings: score.warnings,
          },
          null,
          2,
        ),
      );
    } else {
      const d = config.detection;
      console.log(
        `meshwatch on NAB dev (${score.series} series, ${score.windows} labelled windows): window ${config.window.ms} ms; threshold ${d.threshold}, ` +
          `strong ${d.strongThreshold}, persist ${d.persistWindows}, warm-up ${d.warmupWindows}, half-life ${d.halfLifeWindows}, level shift ${d.levelShiftWindows}`,
      );
      console.log(`samples: ${conv.stderr.trim()}`);
      console.log(`replay:  ${replayNote(summary)}\n`);
      console.log(
        formatTable(
          ['profile', 'NAB score', 'raw', 'null', 'perfect'],
          PROFILES.map((p) => {
            const s = score.profiles[p];
            return [p, fmt(s.normalized), fmt(s.raw, 4), fmt(s.baseline), fmt(s.perfect)];
          }),
        ),
      );
      const st = score.stats;
      console.log(
        `\nalerts: ${firing} firing (${summary.alerts} documents) → ${st.lines} detections, ${st.used} mapped to records, ` +
          `${st.probationary} in probationary periods (not scored)${st.unknownSeries ? `, ${st.unknownSeries} unknown series` : ''}`,
      );
      for (const w of score.warnings) console.log(`warning: ${w}`);
      if (breakdown !== undefined) console.log(`\n${breakdown.trimEnd()}`);
      if (values.keep !== undefined) console.log(`\nkept: ${samplesFile}, ${alertsFile}, ${detectionsFile}`);
    }
    return 0;
  } finally {
    if (values.keep === undefined) rmSync(dir, { recursive: true, force: true });
  }
}

runMain(main);
