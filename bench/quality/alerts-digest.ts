/**
 * Alert digest: every alert document (firing and resolved, in emission order) that meshwatch's
 * `replay()` produces on a fixed set of inputs, one NDJSON line each, prefixed by the input it
 * came from. Two digests of two versions of the detector are equal exactly when the versions
 * alert identically on these inputs: the check that a refactoring changed no behaviour.
 *
 * Inputs (all deterministic):
 *  - `scenario:<name>`: every synthetic scenario of scenarios.ts (5 series each);
 *  - `mesh:<seed>` / `mesh+inject:<seed>`: the clean mesh of clean-mesh.ts (plain and with
 *    injected spikes), per mesh seed;
 *  - `demo`: the demo's synthetic mesh in the real wire formats (Envoy access logs through
 *    Fluent Bit, cAdvisor), with CPU and latency spikes and a new edge that comes back after
 *    it resolved (new_peer alerts and their episodes);
 *  - `nab`: the NAB dev corpus, converted by `<shared>/tools/nab/nab-to-samples.mjs`
 *    (skipped with a note on stderr when `--shared` has no such tool).
 *
 *   npx tsx bench/quality/alerts-digest.ts --out FILE [--shared DIR] [--mesh-seeds 0,1]
 *       [--services N] [--days N] [--only scenario,mesh,demo,nab] [--set path=value]…
 *   npx tsx bench/quality/alerts-digest.ts --diff A B      # exit 1 and the first differences when they differ (order-insensitive)
 *
 * Defaults: the reference clean mesh (200 services × 7 days) plain on the first seed and with
 * injected spikes on every seed of `--mesh-seeds` (default 0,1). `--set` overrides config fields
 * for every input (as with `meshwatch --set`), e.g. to show which setting explains a difference.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Readable } from 'node:stream';
import { parseArgs } from 'node:util';
import { replay } from '../../src/cli/replay.js';
import { type Config } from '../../src/config/schema.js';
import { type Alert } from '../../src/core/alert/schema.js';
import { type Injection, SyntheticMesh } from '../../src/demo/mesh.js';
import { buildMesh } from './clean-mesh.js';
import { buildConfig, chunks, fromRepoRoot, overridesOf } from './common.js';
import { SCENARIO_NAMES, buildScenario } from './scenarios.js';

type Source = 'scenario' | 'mesh' | 'demo' | 'nab';
const SOURCES: readonly Source[] = ['scenario', 'mesh', 'demo', 'nab'];

/** Replays `input` and returns its alerts as digest lines tagged with `tag`. */
async function digestOf(tag: string, config: Readonly<Config>, input: NodeJS.ReadableStream): Promise<string[]> {
  const out: string[] = [];
  const t = Date.now();
  await replay(config, input, (a: Alert) => out.push(JSON.stringify({ input: tag, ...a })));
  console.error(`${tag}: ${out.length} alerts in ${((Date.now() - t) / 1000).toFixed(1)} s`);
  return out;
}

const streamOf = (lines: Iterable<string>): NodeJS.ReadableStream => Readable.from(chunks(lines));

/** Demo mesh: 10 s windows, spikes and a new edge that returns after its episode resolved. */
const DEMO_WINDOWS = 700;
const DEMO_INJECTIONS: Injection[] = [
  { kind: 'cpu_spike', service: 'checkout', factor: 6, from: 250, to: 260 },
  { kind: 'latency_spike', service: 'catalog', factor: 8, from: 300, to: 306 },
  { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 350, to: 356 },
  { kind: 'new_edge', source: 'frontend', destination: 'payments', from: 380, to: 385 },
  { kind: 'new_edge', source: 'cart', destination: 'auth', from: 450, to: 453 },
  { kind: 'new_edge', source: 'cart', destination: 'auth', from: 520, to: 580 },
  { kind: 'cpu_spike', service: 'inventory', factor: 4, from: 600, to: 640 },
];

function* demoLines(windowMs: number): Generator<string> {
  const mesh = new SyntheticMesh(windowMs, DEMO_INJECTIONS, 7);
  const t0 = Date.UTC(2026, 0, 5);
  for (let i = 0; i < DEMO_WINDOWS; i++) {
    const w = mesh.window(t0, i);
    yield* w.cadvisor;
    yield* w.envoy;
  }
}

async function write(
  values: Record<string, string | string[] | boolean | undefined> & {
    out?: string;
    only?: string;
    shared?: string;
    services?: string;
    days?: string;
    'mesh-seeds'?: string;
    set?: string[];
  },
): Promise<number> {
  const out = values.out;
  if (out === undefined) throw new Error('--out FILE is required');
  const only = new Set((values.only ?? SOURCES.join(',')).split(',') as Source[]);
  const seeds = (values['mesh-seeds'] ?? '0,1').split(',').map(Number);
  const services = Number(values.services ?? 200);
  const days = Number(values.days ?? 7);
  const extra = overridesOf(values.set ?? []);
  const lines: string[] = [];

  if (only.has('scenario')) {
    const config = buildConfig(extra);
    for (const name of SCENARIO_NAMES) {
      const sc = buildScenario(name, { windowMs: config.window.ms, seeds: 5 });
      const own = sc.windowMs === config.window.ms ? config : buildConfig({ ...extra, 'window.ms': sc.windowMs });
      lines.push(...(await digestOf(`scenario:${name}`, own, streamOf(sc.lines()))));
    }
  }
  if (only.has('mesh')) {
    const config = buildConfig({ 'window.ms': 60_000, ...extra });
    const runs = [...seeds.slice(0, 1).map((s) => [s, false] as const), ...seeds.map((s) => [s, true] as const)];
    for (const [meshSeed, inject] of runs) {
      const mesh = buildMesh({ services, days, windowMs: config.window.ms, inject, spikeSigmas: [4, 10], meshSeed });
      lines.push(...(await digestOf(`mesh${inject ? '+inject' : ''}:${meshSeed}`, config, streamOf(mesh.lines()))));
    }
  }
  if (only.has('demo')) {
    const config = buildConfig(extra);
    lines.push(...(await digestOf('demo', config, streamOf(demoLines(config.window.ms)))));
  }
  if (only.has('nab')) {
    const shared = values.shared === undefined ? fromRepoRoot('../shared') : resolve(values.shared);
    const tool = join(shared, 'tools/nab/nab-to-samples.mjs');
    if (!existsSync(tool)) console.error(`nab: skipped (${tool} not found; pass --shared DIR)`);
    else {
      const dir = mkdtempSync(join(tmpdir(), 'meshwatch-digest-'));
      try {
        const file = join(dir, 'nab.ndjson');
        const r = spawnSync(process.execPath, [tool, '--interleave', '--combined', file], { encoding: 'utf8' });
        if (r.status !== 0) throw new Error(`nab-to-samples failed: ${r.stderr}`);
        lines.push(...(await digestOf('nab', buildConfig(extra), createReadStream(file))));
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    }
  }
  writeFileSync(out, lines.map((l) => l + '\n').join(''));
  console.error(`${lines.length} alerts → ${out}`);
  return 0;
}

/**
 * Compares two digests as sets of lines (sorted first: the order in which one replay emits the
 * alerts of different services closing in the same batch depends on batch boundaries, not on
 * detection); prints counts per input and the first differences.
 */
function diff(a: string, b: string): number {
  const la = readFileSync(a, 'utf8').split('\n').filter(Boolean).sort();
  const lb = readFileSync(b, 'utf8').split('\n').filter(Boolean).sort();
  const differing: number[] = [];
  for (let i = 0; i < Math.max(la.length, lb.length); i++) if (la[i] !== lb[i]) differing.push(i);
  if (differing.length === 0) {
    console.log(`identical: ${la.length} alerts`);
    return 0;
  }
  const count = (ls: string[]): Map<string, number> => {
    const m = new Map<string, number>();
    for (const l of ls) {
      const tag = (JSON.parse(l) as { input: string }).input;
      m.set(tag, (m.get(tag) ?? 0) + 1);
    }
    return m;
  };
  const ca = count(la);
  const cb = count(lb);
  for (const tag of new Set([...ca.keys(), ...cb.keys()])) console.log(`${tag}: ${ca.get(tag) ?? 0} vs ${cb.get(tag) ?? 0} alerts`);
  console.log(`${differing.length} differing lines (${la.length} vs ${lb.length}); first:`);
  for (const i of differing.slice(0, 5)) console.log(`line ${i + 1}\n- ${la[i] ?? '(none)'}\n+ ${lb[i] ?? '(none)'}`);
  return 1;
}

const { values } = parseArgs({
  options: {
    out: { type: 'string' },
    shared: { type: 'string' },
    'mesh-seeds': { type: 'string' },
    services: { type: 'string' },
    days: { type: 'string' },
    only: { type: 'string' },
    set: { type: 'string', multiple: true },
    diff: { type: 'boolean' },
  },
  allowPositionals: true,
});
if (values.diff) {
  const [a, b] = process.argv.slice(2).filter((s) => !s.startsWith('--'));
  if (a === undefined || b === undefined) throw new Error('--diff A B');
  process.exitCode = diff(a, b);
} else process.exitCode = await write(values);
