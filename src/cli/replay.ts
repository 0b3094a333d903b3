/**
 * `meshwatch replay FILE|-`: runs NDJSON records (canonical samples, cAdvisor messages,
 * Istio access logs raw or in their shippers' envelopes, one per line) through the same
 * pure pipeline with in-memory state. Alerts go to stdout as NDJSON; a summary of
 * records, alerts and rejects by reason goes to stderr. No Kafka, no Redis.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Config } from '../config/schema.js';
import { SeriesState } from '../core/decode/series-state.js';
import { aggregatorOptionsOf, alertEnrichmentOf, decodeOptionsOf, engineParamsOf, timeGuardParamsOf } from '../config/derive.js';
import { enrichAlert } from '../core/alert/links.js';
import { type Alert } from '../core/alert/schema.js';
import { LocalPipeline, type LocalStats } from '../core/pipeline/local.js';

export interface ReplaySummary {
  stats: LocalStats;
  alerts: number;
  firing: number;
  seconds: number;
}

export async function replay(config: Readonly<Config>, input: NodeJS.ReadableStream, emit: (a: Alert) => void): Promise<ReplaySummary> {
  const started = process.hrtime.bigint();
  const pipeline = new LocalPipeline({
    aggregator: aggregatorOptionsOf(config),
    engine: engineParamsOf(config),
    decode: { ...decodeOptionsOf(config, 'auto'), series: new SeriesState(config.ingest.maxSeries) },
    eventTime: timeGuardParamsOf(config),
    // Batches small enough that a batch's decoded records die young (not promoted to the old
    // generation), large enough that the per-batch work (watermark, closing, storm guard) stays
    // small: 1,024 measured fastest of 256, 1,024 and 4,096 (bench/replay-throughput.ts).
    batchRecords: 1024,
  });
  let alerts = 0;
  let firing = 0;
  const enrichment = alertEnrichmentOf(config);
  const out = (list: Alert[]): void => {
    for (const a of list) {
      alerts++;
      if (a.status === 'firing') firing++;
      emit(enrichAlert(a, enrichment));
    }
  };
  const rl = createInterface({ input, crlfDelay: Infinity });
  for await (const line of rl) {
    if (line.length === 0) continue;
    out(pipeline.push(line));
  }
  out(pipeline.end());
  const seconds = Number(process.hrtime.bigint() - started) / 1e9;
  return { stats: pipeline.stats, alerts, firing, seconds };
}

export async function replayCommand(config: Readonly<Config>, file: string): Promise<number> {
  const input = file === '-' ? process.stdin : createReadStream(file);
  let buf = '';
  const flush = (): void => {
    if (buf) process.stdout.write(buf);
    buf = '';
  };
  const summary = await replay(config, input, (a) => {
    buf += JSON.stringify(a) + '\n';
    if (buf.length > 65536) flush();
  });
  flush();
  const s = summary.stats;
  const rejected = Object.entries(s.rejected)
    .map(([k, v]) => `${k}=${v}`)
    .join(' ');
  process.stderr.write(
    `replay: ${s.records} records (${Math.round(s.records / Math.max(summary.seconds, 1e-9))}/s), ` +
      `${s.observations} observations, ${s.ignored} ignored, ${Object.values(s.rejected).reduce((a, b) => a + b, 0)} rejected${rejected ? ` (${rejected})` : ''}; ` +
      `${s.engine.windows_closed} windows, ${s.engine.late_dropped} late; verdicts ${Object.entries(s.engine.verdicts)
        .map(([k, v]) => `${k}=${v}`)
        .join(' ')}; ` +
      `${summary.alerts} alerts (${summary.firing} firing) in ${summary.seconds.toFixed(2)} s\n`,
  );
  return 0;
}
