/**
 * Every metric meshwatch reports, named once. Each stage reports the same events:
 * received, sent, dropped {reason}, error {code}. Values are kept in-process (for the
 * health endpoint, the replay summary and tests) and mirrored to OpenTelemetry
 * instruments, which are no-ops unless the SDK was started (src/telemetry/sdk.ts, started before the first Counters).
 * Label values are bounded: stages and error codes are closed sets.
 */
import { type Counter, type Meter, metrics } from '@opentelemetry/api';

export type Stage = 'ingest' | 'detect' | 'sink';

/**
 * The instruments, made from the meter provider in force when a Counters is constructed: the
 * metrics API has no proxy, so an instrument made before the SDK started stays a no-op forever.
 */
const instrumentsOf = (meter: Meter) =>
  ({
    received: meter.createCounter('meshwatch.records.received', { description: 'Records received by a stage' }),
    sent: meter.createCounter('meshwatch.records.sent', { description: 'Records a stage produced downstream' }),
    dropped: meter.createCounter('meshwatch.records.dropped', { description: 'Records dropped, by reason' }),
    errors: meter.createCounter('meshwatch.errors', { description: 'Errors by code and stage' }),
    alerts: meter.createCounter('meshwatch.alerts.published', { description: 'Alert state changes published' }),
    incidents: meter.createCounter('meshwatch.incidents.published', { description: 'Incident changes published, by scope and change' }),
    windows: meter.createCounter('meshwatch.windows.closed', { description: 'Windows closed by stage 2' }),
    verdicts: meter.createCounter('meshwatch.verdicts', { description: 'Detector verdicts by status' }),
    produce_requests: meter.createCounter('meshwatch.kafka.produce.requests', { description: 'Produce requests sent, by topic role' }),
    sink_retries: meter.createCounter('meshwatch.sink.retries', {
      description: 'Alert deliveries a sink worker retried, by sink and code',
    }),
    sink_parked: meter.createCounter('meshwatch.sink.parked', { description: 'Alerts a sink refused for good, parked, by sink and code' }),
    resets: meter.createCounter('meshwatch.partition.resets', { description: 'Partition states dropped and re-read from the last commit' }),
    sink_latency_ms: meter.createCounter('meshwatch.sink.latency_ms', {
      description: 'Sum over delivered alerts of the time from the alert on the topic to its delivery (ms), by sink; ÷ sent is the mean',
      unit: 'ms',
    }),
    paused: meter.createCounter('meshwatch.partition.paused', {
      description: 'Partitions paused, by stage and reason (alignment, backpressure)',
    }),
  }) satisfies Record<string, Counter>;

type Instruments = ReturnType<typeof instrumentsOf>;

export type CounterName = keyof Instruments;

export class Counters {
  private readonly values = new Map<string, number>();
  private readonly instruments: Instruments = instrumentsOf(metrics.getMeter('meshwatch'));

  add(name: CounterName, n: number, attrs: Record<string, string> = {}): void {
    if (n === 0) return;
    this.instruments[name].add(n, attrs);
    const key = name + labelSuffix(attrs);
    this.values.set(key, (this.values.get(key) ?? 0) + n);
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
