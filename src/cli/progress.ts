/**
 * The progress line `meshwatch run` logs every `progressIntervalMs`: what each stage did since
 * the last line, from the process's counters (nothing else is read, nothing is reset).
 *
 *   meshwatch: progress 60 s: ingest 12000 records (200.0/s), 3 dead letters; detect 410 records,
 *   402 windows closed, 2 late; 5 alerts; 0 errors
 */
import { type Counters } from '../telemetry/counters.js';

export interface ProgressTotals {
  ingest: number;
  detect: number;
  sink: number;
  dropped: number;
  windows: number;
  late: number;
  alerts: number;
  errors: number;
}

export function totalsOf(c: Counters): ProgressTotals {
  return {
    ingest: c.get('received', { stage: 'ingest' }),
    detect: c.get('received', { stage: 'detect' }),
    sink: c.get('sent', { stage: 'sink' }),
    dropped: c.total('dropped') - c.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_LATE' }),
    windows: c.total('windows'),
    late: c.get('dropped', { stage: 'detect', reason: 'MW_WINDOW_LATE' }),
    alerts: c.total('alerts'),
    errors: c.total('errors'),
  };
}

export function progressLine(prev: ProgressTotals, now: ProgressTotals, elapsedMs: number): string {
  const d = (k: keyof ProgressTotals): number => now[k] - prev[k];
  const secs = Math.max(elapsedMs / 1000, 1e-3);
  return (
    `progress ${Math.round(secs)} s: ingest ${d('ingest')} records (${(d('ingest') / secs).toFixed(1)}/s), ${d('dropped')} dropped; ` +
    `detect ${d('detect')} records, ${d('windows')} windows closed, ${d('late')} late; ${d('alerts')} alerts` +
    (d('sink') > 0 ? `; ${d('sink')} delivered by sinks` : '') +
    `; ${d('errors')} errors`
  );
}
