/**
 * In-memory AlertSink: the test double and the replay sink. Keeps delivered alerts in
 * order. `maxAlertBytes` bounds one alert's JSON, like a topic's record limit: an alert
 * above it is a permanent failure value (MW_SINK_DELIVERY, not retriable), and nothing of
 * that call is kept.
 */
import { type Alert } from '../../core/alert/schema.js';
import { MeshwatchError } from '../../errors.js';
import { type AlertSink, type Delivery } from '../../runtime/ports.js';

export class MemoryAlertSink implements AlertSink {
  readonly delivered: Alert[] = [];

  constructor(private readonly opts: { maxAlertBytes?: number } = {}) {}

  deliver(alerts: readonly Alert[]): Promise<Delivery> {
    const max = this.opts.maxAlertBytes;
    if (max !== undefined) {
      const big = alerts.find((a) => Buffer.byteLength(JSON.stringify(a), 'utf8') > max);
      if (big) {
        const error = new MeshwatchError('MW_SINK_DELIVERY', `alert ${big.id}: larger than ${max} bytes`, { retriable: false });
        return Promise.resolve({ ok: false, retriable: false, error });
      }
    }
    this.delivered.push(...alerts.map((a) => structuredClone(a)));
    return Promise.resolve({ ok: true });
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
