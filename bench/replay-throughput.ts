/**
 * Replay throughput: events/s of `meshwatch replay`'s pipeline (decode → windows → detect)
 * on a synthetic file, against a ceiling measured in the same run: bare JSON.parse of the
 * same lines (the least any pipeline must do). Reports the ratio, which is stable on a
 * shared, noisy machine where absolute numbers are not.
 *
 *   npm run bench -- [--lines N] [--services N]
 *   npm run bench -- --write FILE [--lines N]   write the synthetic lines to FILE and stop
 *   npm run bench -- --file FILE                 measure on FILE's lines (the same input for two trees)
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { parseArgs } from 'node:util';
import { Readable } from 'node:stream';
import { parseConfig } from '../src/config/load.js';
import { replay } from '../src/cli/replay.js';
import { SyntheticMesh } from '../src/demo/mesh.js';

const { values } = parseArgs({
  options: { lines: { type: 'string' }, samples: { type: 'string' }, file: { type: 'string' }, write: { type: 'string' } },
});
const target = Number(values.lines ?? 1_000_000);

function makeLines(): string[] {
  // Half canonical samples (many series), half real-format mesh records.
  const lines: string[] = [];
  const t0 = Date.UTC(2026, 0, 1);
  const series = 2000;
  for (let i = 0; lines.length < target / 2; i++) {
    const s = i % series;
    lines.push(
      JSON.stringify({
        ts: t0 + Math.floor(i / series) * 60_000,
        service: `bench/svc-${s}`,
        metric: 'value',
        value: 100 + Math.sin(i) * 5,
      }),
    );
  }
  const mesh = new SyntheticMesh(10_000, [], 3);
  for (let w = 0; lines.length < target; w++) {
    const m = mesh.window(t0, w);
    lines.push(...m.cadvisor, ...m.envoy);
  }
  return lines.slice(0, target);
}

function best(runs: number[]): number {
  return Math.min(...runs);
}

const lines = values.file
  ? readFileSync(values.file, 'utf8')
      .split('\n')
      .filter((l) => l.length > 0)
  : makeLines();
if (values.write) {
  writeFileSync(values.write, lines.join('\n') + '\n');
  console.log(`wrote ${lines.length} lines to ${values.write}`);
  process.exit(0);
}
const bytes = lines.reduce((n, l) => n + l.length + 1, 0);
// Above the default cap: the synthetic file names ~2,000 series plus the mesh's services.
const config = parseConfig({ bounds: { maxServices: 10_000 } });

const ceiling: number[] = [];
const pipeline: number[] = [];
/** The replay's CPU time (user + system, all threads of the process): steadier than wall time when other processes compete for the cores. */
const pipelineCpu: number[] = [];
for (let round = 0; round < 3; round++) {
  let t = process.hrtime.bigint();
  let sink = 0;
  for (const l of lines) sink += (JSON.parse(l) as object) ? 1 : 0;
  ceiling.push(Number(process.hrtime.bigint() - t) / 1e9);
  if (sink !== lines.length) throw new Error('unreachable');

  t = process.hrtime.bigint();
  const cpu = process.cpuUsage();
  const input = Readable.from(lines.map((l) => l + '\n'));
  let alerts = 0;
  await replay(config, input, () => alerts++);
  pipeline.push(Number(process.hrtime.bigint() - t) / 1e9);
  const used = process.cpuUsage(cpu);
  pipelineCpu.push((used.user + used.system) / 1e6);
}
const c = best(ceiling);
const p = best(pipeline);
const out = {
  date: new Date().toISOString(),
  node: process.version,
  lines: lines.length,
  megabytes: +(bytes / 1e6).toFixed(1),
  ceiling_json_parse_events_per_s: Math.round(lines.length / c),
  replay_events_per_s: Math.round(lines.length / p),
  ratio_to_ceiling: +(c / p).toFixed(3),
  replay_events_per_cpu_s: Math.round(lines.length / best(pipelineCpu)),
};
console.log(JSON.stringify(out, null, 2));
