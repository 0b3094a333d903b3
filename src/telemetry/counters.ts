/**
 * Every metric meshwatch reports, named once. Each stage reports the same events:
 * received, sent, dropped {reason}, error {code}. Values are kept in-process (for the
 * health endpoint, the replay summary and tests) and mirrored to OpenTelemetry
 * instruments, which are no-ops unless the SDK was started (src/telemetry/sdk.ts, started before the first Counters).
 * Label values are bounded: stages and error codes are closed sets.
 */
import { type Counter, type Histogram, type Meter, metrics } from '@opentelemetry/api';

export type Stage = 'ingest' | 'detect' | 'sink';

/** One instrument: its OpenTelemetry name, what it counts, its unit, and the only labels it carries (bounded sets). */
export interface MetricSpec {
  name: string;
  description: string;
  labels: readonly string[];
  unit?: string;
}

/**
 * Every counter, by the name the code adds to. The README's metric table is generated from
 * this catalogue and HISTOGRAMS (`npm run schemas`; the check fails on drift).
 */
export const COUNTERS = {
  received: { name: 'meshwatch.records.received', description: 'Records received by a stage', labels: ['stage'] },
  sent: { name: 'meshwatch.records.sent', description: 'Records a stage produced downstream', labels: ['stage', 'sink'] },
  dropped: {
    name: 'meshwatch.records.dropped',
    description: 'Records dropped, by reason (an MW code, `ignored`) and, for a bound, which one',
    labels: ['stage', 'reason', 'bound'],
  },
  errors: {
    name: 'meshwatch.errors',
    description: 'Errors by code and stage (`runtime`), or by the dependency that was lost',
    labels: ['stage', 'code', 'dependency'],
  },
  alerts: { name: 'meshwatch.alerts.published', description: 'Alert state changes published', labels: ['kind', 'status'] },
  incidents: {
    name: 'meshwatch.incidents.published',
    description: 'Incident changes published, by scope and change',
    labels: ['scope', 'change'],
  },
  windows: { name: 'meshwatch.windows.closed', description: 'Windows closed by stage 2', labels: ['stage'] },
  verdicts: { name: 'meshwatch.verdicts', description: 'Detector verdicts by status', labels: ['status'] },
  produce_requests: {
    name: 'meshwatch.kafka.produce.requests',
    description: 'Produce requests sent, by topic role (windows, alerts, incidents, dlq)',
    labels: ['stage', 'topic'],
  },
  sink_retries: {
    name: 'meshwatch.sink.retries',
    description: 'Alert deliveries a sink worker retried, by sink and code',
    labels: ['sink', 'code'],
  },
  sink_parked: {
    name: 'meshwatch.sink.parked',
    description: 'Alerts a sink refused for good, parked, by sink and code',
    labels: ['sink', 'code'],
  },
  resets: {
    name: 'meshwatch.partition.resets',
    description: 'Partition states dropped and re-read from the last commit',
    labels: ['stage'],
  },
  sink_latency_ms: {
    name: 'meshwatch.sink.latency_ms',
    description: 'Sum over delivered alerts of the time from the alert on the topic to its delivery (ms), by sink; ÷ sent is the mean',
    labels: ['sink'],
    unit: 'ms',
  },
  paused: {
    name: 'meshwatch.partition.paused',
    description: 'Partitions paused, by stage and reason (alignment, backpressure)',
    labels: ['stage', 'reason'],
  },
} as const satisfies Record<string, MetricSpec>;

/** Every histogram, by the name the code records to. */
export const HISTOGRAMS = {
  sink_latency: {
    name: 'meshwatch.sink.latency',
    description: 'Time from an alert on the alerts topic to its delivery by a sink',
    labels: ['sink'],
    unit: 'ms',
  },
} as const satisfies Record<string, MetricSpec>;

export type CounterName = keyof typeof COUNTERS;
export type HistogramName = keyof typeof HISTOGRAMS;

/**
 * The instruments, made from the meter provider in force when a Counters is constructed: the
 * metrics API has no proxy, so an instrument made before the SDK started stays a no-op forever.
 */
function instrumentsOf(meter: Meter): { counters: Record<CounterName, Counter>; histograms: Record<HistogramName, Histogram> } {
  const opts = (s: MetricSpec) => ({ description: s.description, ...(s.unit ? { unit: s.unit } : {}) });
  const counters = Object.fromEntries(Object.entries(COUNTERS).map(([k, s]) => [k, meter.createCounter(s.name, opts(s))]));
  const histograms = Object.fromEntries(Object.entries(HISTOGRAMS).map(([k, s]) => [k, meter.createHistogram(s.name, opts(s))]));
  return { counters: counters as Record<CounterName, Counter>, histograms: histograms as Record<HistogramName, Histogram> };
}

export class Counters {
  private readonly values = new Map<string, number>();
  private readonly instruments = instrumentsOf(metrics.getMeter('meshwatch'));

  add(name: CounterName, n: number, attrs: Record<string, string> = {}): void {
    if (n === 0) return;
    this.instruments.counters[name].add(n, attrs);
    const key = name + labelSuffix(attrs);
    this.values.set(key, (this.values.get(key) ?? 0) + n);
  }

  /** One observation of a histogram (exported only; not kept in-process). */
  record(name: HistogramName, value: number, attrs: Record<string, string> = {}): void {
    this.instruments.histograms[name].record(value, attrs);
  }

  get(name: CounterName, attrs: Record<string, string> = {}): number {
    return this.values.get(name + labelSuffix(attrs)) ?? 0;
  }

  /** Sum over all label sets of one counter. */
  total(name: CounterName): number {
    let t = 0;
    for (const [k, v] of this.values) if (k === name || k.startsWith(`${name}{`)) t += v;
    return t;
  }

  snapshot(): Record<string, number> {
    return Object.fromEntries([...this.values.entries()].sort(([a], [b]) => a.localeCompare(b)));
  }
}

function labelSuffix(attrs: Record<string, string>): string {
  const keys = Object.keys(attrs).sort();
  return keys.length ? `{${keys.map((k) => `${k}=${attrs[k] ?? ''}`).join(',')}}` : '';
}
