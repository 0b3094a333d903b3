/**
 * A Kafka topic of alerts and incidents rendered for a SIEM (OCSF, ECS, CEF) as an AlertSink
 * and an IncidentSink (`incidents`): each document one record, keyed by service
 * (`[cluster:]namespace/name`, so one service stays in order on one partition; a storm `mesh`),
 * with headers `meshwatch-format` and the idempotency key a consumer deduplicates a
 * re-delivery by (`meshwatch-alert-id`; `meshwatch-incident-id` with `meshwatch-incident-revision`),
 * produced with acks=all through the BoundedProducer. `deliver` answers `{ ok: true }` once
 * Kafka acknowledged every record; a failure is a value (MW_KAFKA_PRODUCE_FAILED retriable,
 * MW_KAFKA_MESSAGE_TOO_LARGE not).
 */
import { type Alert } from '../../core/alert/schema.js';
import { type Incident } from '../../core/incident/schema.js';
import { serviceKey } from '../../core/model.js';
import { MeshwatchError } from '../../errors.js';
import { type SiemRenderer, subjectOf } from '../../core/siem/index.js';
import { type AlertSink, type Delivery, type IncidentSink, type OutRecord } from '../../runtime/ports.js';
import { type BoundedProducer } from './produce.js';

export class KafkaFormattedSink implements AlertSink {
  constructor(
    private readonly producer: BoundedProducer,
    private readonly topic: string,
    private readonly format: string,
    private readonly render: SiemRenderer,
  ) {}

  deliver(alerts: readonly Alert[]): Promise<Delivery> {
    return this.send(
      alerts.map((a) => ({
        key: serviceKey(a.service),
        value: this.render.alert(a),
        headers: { 'meshwatch-format': this.format, 'meshwatch-alert-id': a.id },
      })),
    );
  }

  readonly incidents: IncidentSink = {
    deliver: (incidents: readonly Incident[]): Promise<Delivery> =>
      this.send(
        incidents.map((i) => ({
          key: subjectOf(i),
          value: this.render.incident(i),
          headers: { 'meshwatch-format': this.format, 'meshwatch-incident-id': i.id, 'meshwatch-incident-revision': String(i.revision) },
        })),
      ),
    close: () => Promise.resolve(),
  };

  close(): Promise<void> {
    return Promise.resolve();
  }

  private async send(messages: OutRecord[]): Promise<Delivery> {
    if (messages.length === 0) return { ok: true };
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
}
