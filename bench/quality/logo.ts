/**
 * Leave-one-group-out cross-validation on the NAB dev corpus (`nab.ts --logo path=v1,v2,…`).
 *
 * The 17 series fall into five groups by what they measure: EC2 CPU (with the autoscaling
 * group's CPU), EC2 disk writes, EC2 network in, ELB request counts, RDS CPU. Each value of the
 * parameter is replayed once; for each group held out, the value with the best standard score
 * on the other four groups is chosen and the held-out group is scored with it. The CV score is
 * the whole corpus scored on those held-out detections (each group's from its own fold), beside
 * the dev score (the value chosen on all 17 series) and each group's own dev score.
 */
import { spawnSync } from 'node:child_process';
import { createReadStream, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { replay } from '../../src/cli/replay.js';
import { buildConfig, fmt, formatTable, overridesOf } from './common.js';

interface Corpus {
  series: { name: string }[];
}
interface Scored {
  profiles: Record<'standard' | 'reward_low_FP_rate', { normalized: number }>;
}
interface NabModule {
  loadCorpus(dataRoot: string): Corpus;
  scoreDetections(corpus: Corpus, detections: readonly { service: string; ts: string }[]): Scored;
}
interface Detection {
  service: string;
  ts: string;
}

/** The group a NAB series belongs to (what it measures). */
export function groupOf(series: string): string {
  const n = series.replace(/^.*\//, '');
  if (/^ec2_cpu|^grok_asg/.test(n)) return 'EC2 CPU';
  if (/^ec2_disk/.test(n)) return 'disk';
  if (/^ec2_network|NetworkIn/.test(n)) return 'network';
  if (/^elb_/.test(n)) return 'ELB';
  if (/^rds_/.test(n)) return 'RDS';
  return 'other';
}

export interface LogoInputs {
  shared: string;
  toSamples: string;
  scorer: string;
  overrides: Record<string, unknown>;
  file: string | undefined;
}

export async function leaveOneGroupOut(spec: string, io: LogoInputs): Promise<string> {
  const i = spec.indexOf('=');
  if (i <= 0) throw new Error('--logo expects path=v1,v2,…');
  const path = spec.slice(0, i);
  const values = spec.slice(i + 1).split(',');
  const nab = (await import(pathToFileURL(io.scorer).href)) as NabModule;
  const corpus = nab.loadCorpus(join(dirname(dirname(io.scorer)), '../data/nab-dev'));
  const groups = [...new Set(corpus.series.map((s) => groupOf(s.name)))].sort();
  const only = (keep: (g: string) => boolean): Corpus => ({ ...corpus, series: corpus.series.filter((s) => keep(groupOf(s.name))) });

  const dir = mkdtempSync(join(tmpdir(), 'meshwatch-nab-logo-'));
  try {
    const samples = join(dir, 'nab-samples.ndjson');
    const r = spawnSync(process.execPath, [io.toSamples, '--interleave', '--combined', samples], { encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`nab-to-samples exited ${r.status}: ${r.stderr}`);
    const runs = new Map<string, Detection[]>();
    for (const v of values) {
      const dets: Detection[] = [];
      await replay(buildConfig({ ...io.overrides, ...overridesOf([`${path}=${v}`]) }, io.file), createReadStream(samples), (a) => {
        if (a.status === 'firing') dets.push({ service: `${a.service.namespace}/${a.service.name}`, ts: a.window.start });
      });
      runs.set(v, dets);
    }
    const std = (c: Corpus, d: readonly Detection[]): number => nab.scoreDetections(c, d).profiles.standard.normalized;
    const best = (c: Corpus): string => values.reduce((a, b) => (std(c, runs.get(b)!) > std(c, runs.get(a)!) ? b : a));
    const inGroup = (d: Detection, g: string): boolean => groupOf(d.service) === g;

    const dev = best(corpus);
    const held: Detection[] = [];
    const rows = groups.map((g) => {
      const chosen = best(only((h) => h !== g));
      const mine = runs.get(chosen)!.filter((d) => inGroup(d, g));
      held.push(...mine);
      const gc = only((h) => h === g);
      return [g, gc.series.length, chosen, fmt(std(gc, runs.get(chosen)!)), dev, fmt(std(gc, runs.get(dev)!))];
    });
    const cv = nab.scoreDetections(corpus, held).profiles;
    const dv = nab.scoreDetections(corpus, runs.get(dev)!).profiles;
    const grid = values.map((v) => {
      const p = nab.scoreDetections(corpus, runs.get(v)!).profiles;
      return [v, fmt(p.standard.normalized), fmt(p.reward_low_FP_rate.normalized)];
    });
    return [
      `leave-one-group-out cross-validation of ${path} over ${values.join(', ')} on NAB dev (${corpus.series.length} series, ${groups.length} groups)`,
      formatTable([path, 'standard', 'low-FP'], grid),
      '',
      formatTable(['held-out group', 'series', 'chosen on the others', 'CV standard', 'dev choice', 'dev standard'], rows),
      '',
      formatTable(
        ['corpus', 'standard', 'low-FP'],
        [
          [`dev (${path}=${dev})`, fmt(dv.standard.normalized), fmt(dv.reward_low_FP_rate.normalized)],
          ['CV (each group from its own fold)', fmt(cv.standard.normalized), fmt(cv.reward_low_FP_rate.normalized)],
        ],
      ),
    ].join('\n');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
