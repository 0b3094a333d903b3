/**
 * A Kafka topic of alerts rendered for a SIEM (OCSF, ECS, CEF) as an AlertSink: each alert one
 * record, keyed by service (`[cluster:]namespace/name`, so one service stays in order on one
 * partition), with headers `meshwatch-format` and `meshwatch-alert-id` (the idempotency key a
 * consumer deduplicates a re-delivery by), produced with acks=all through the BoundedProducer.
 * `deliver` answers `{ ok: true }` once Kafka acknowledged every record; a failure is a value
 * (MW_KAFKA_PRODUCE_FAILED retriable, MW_KAFKA_MESSAGE_TOO_LARGE not).
 */
import { type Alert } from '../../core/alert/schema.js';
import { serviceKey } from '../../core/model.js';
import { MeshwatchError } from '../../errors.js';
import { type AlertSink, type Delivery } from '../../runtime/ports.js';
import { type BoundedProducer } from './produce.js';

export class KafkaFormattedSink implements AlertSink {
  constructor(
    private readonly producer: BoundedProducer,
    private readonly topic: string,
    private readonly format: string,
    private readonly render: (a: Alert) => string,
  ) {}

  async deliver(alerts: readonly Alert[]): Promise<Delivery> {
    if (alerts.length === 0) return { ok: true };
    const messages = alerts.map((a) => ({
      key: serviceKey(a.service),
      value: this.render(a),
      headers: { 'meshwatch-format': this.format, 'meshwatch-alert-id': a.id },
    }));
    try {
      await this.producer.send(this.topic, messages);
      return { ok: true };
    } catch (e) {
      const error =
        e instanceof MeshwatchError
          ? e
          : new MeshwatchError('MW_SINK_DELIVERY', `${this.format} topic ${this.topic}: ${String(e)}`, { cause: e });
      return { ok: false, retriable: error.retriable, error };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
