/**
 * Replay throughput of this tree against another checkout, in one process: the two `replay()`s
 * run the same lines in alternating rounds (ABBA order), so both meet the same machine load,
 * heap size and CPU frequency. On a shared, noisy machine this separates a real difference from
 * noise far better than two processes run one after the other.
 *
 *   npx tsx bench/replay-paired.ts --against DIR --file FILE [--rounds 6]
 *
 * DIR: another meshwatch checkout (e.g. `git worktree add ../base <commit>`) whose
 * `src/cli/replay.ts` and `src/config/load.ts` exist. FILE: lines written by
 * `bench/replay-throughput.ts --write FILE`. Prints each round's CPU seconds, then per tree the
 * median and the best, events per CPU second, and this tree's median as a ratio of the other's.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';

interface Tree {
  name: string;
  replay: (config: unknown, input: Readable, emit: (a: unknown) => void) => Promise<unknown>;
  config: unknown;
  cpu: number[];
  alerts: number;
}

const { values } = parseArgs({ options: { against: { type: 'string' }, file: { type: 'string' }, rounds: { type: 'string' } } });
if (!values.against || !values.file) {
  console.error('usage: npx tsx bench/replay-paired.ts --against DIR --file FILE [--rounds N]');
  process.exit(2);
}
const rounds = Number(values.rounds ?? 6);
const lines = readFileSync(values.file, 'utf8')
  .split('\n')
  .filter((l) => l.length > 0);

async function load(name: string, root: string): Promise<Tree> {
  const url = (p: string): string => pathToFileURL(resolve(root, p)).href;
  const { parseConfig } = (await import(url('src/config/load.ts'))) as { parseConfig: (c: unknown) => unknown };
  const { replay } = (await import(url('src/cli/replay.ts'))) as { replay: Tree['replay'] };
  // Above the default cap: the synthetic file names ~2,000 series plus the mesh's services.
  return { name, replay, config: parseConfig({ bounds: { maxServices: 10_000 } }), cpu: [], alerts: 0 };
}

const trees = [await load('this', '.'), await load('against', values.against)];
for (let r = 0; r < rounds; r++) {
  for (const t of r % 2 === 0 ? trees : [...trees].reverse()) {
    const before = process.cpuUsage();
    let alerts = 0;
    await t.replay(t.config, Readable.from(lines.map((l) => l + '\n')), () => alerts++);
    const used = process.cpuUsage(before);
    t.cpu.push((used.user + used.system) / 1e6);
    t.alerts = alerts;
    console.log(`round ${r} ${t.name.padEnd(7)} ${t.cpu.at(-1)!.toFixed(2)} s CPU, ${alerts} alerts`);
  }
}
const median = (xs: number[]): number => {
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
};
const out = Object.fromEntries(
  trees.map((t) => [
    t.name,
    {
      median_cpu_s: +median(t.cpu).toFixed(3),
      best_cpu_s: +Math.min(...t.cpu).toFixed(3),
      events_per_cpu_s: Math.round(lines.length / median(t.cpu)),
      alerts: t.alerts,
    },
  ]),
);
const [a, b] = trees as [Tree, Tree];
console.log(
  JSON.stringify(
    {
      date: new Date().toISOString(),
      node: process.version,
      lines: lines.length,
      rounds,
      ...out,
      this_over_against: +(median(b.cpu) / median(a.cpu)).toFixed(3),
    },
    null,
    2,
  ),
);
