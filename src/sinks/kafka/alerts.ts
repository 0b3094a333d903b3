/**
 * The alerts topic as an AlertSink: each alert one JSON document keyed by service
 * (`namespace/name`) with a `meshwatch-schema` header, produced with acks=all through the
 * BoundedProducer (requests split to the topic's record limit). `deliver` answers
 * `{ ok: true }` once Kafka acknowledged every alert; a failure is a value carrying the
 * MeshwatchError (MW_KAFKA_PRODUCE_FAILED retriable, MW_KAFKA_MESSAGE_TOO_LARGE not).
 */
import { type Alert } from '../../core/alert/schema.js';
import { type Incident } from '../../core/incident/schema.js';
import { serviceKey } from '../../core/model.js';
import { MeshwatchError } from '../../errors.js';
import { type AlertSink, type Delivery, type IncidentSink } from '../../runtime/ports.js';
import { type BoundedProducer } from './produce.js';

export class KafkaAlertSink implements AlertSink {
  constructor(
    private readonly producer: BoundedProducer,
    private readonly topic: string,
  ) {}

  async deliver(alerts: readonly Alert[]): Promise<Delivery> {
    if (alerts.length === 0) return { ok: true };
    const messages = alerts.map((a) => ({
      key: serviceKey(a.service),
      value: JSON.stringify(a),
      headers: { 'meshwatch-schema': a.schema },
    }));
    try {
      await this.producer.send(this.topic, messages);
      return { ok: true };
    } catch (e) {
      const error =
        e instanceof MeshwatchError ? e : new MeshwatchError('MW_SINK_DELIVERY', `alerts topic ${this.topic}: ${String(e)}`, { cause: e });
      return { ok: false, retriable: error.retriable, error };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}

/** Storm incidents' message key (they are about no one service). */
export const STORM_KEY = 'mesh';

/**
 * The incidents topic as an IncidentSink: each incident one JSON document keyed by its service
 * (`namespace/name`; storms `mesh`) with a `meshwatch-schema` header, acks=all, as KafkaAlertSink.
 */
export class KafkaIncidentSink implements IncidentSink {
  constructor(
    private readonly producer: BoundedProducer,
    private readonly topic: string,
  ) {}

  async deliver(incidents: readonly Incident[]): Promise<Delivery> {
    if (incidents.length === 0) return { ok: true };
    const messages = incidents.map((i) => ({
      key: i.service ? serviceKey(i.service) : STORM_KEY,
      value: JSON.stringify(i),
      headers: { 'meshwatch-schema': i.schema },
    }));
    try {
      await this.producer.send(this.topic, messages);
      return { ok: true };
    } catch (e) {
      const error =
        e instanceof MeshwatchError
          ? e
          : new MeshwatchError('MW_SINK_DELIVERY', `incidents topic ${this.topic}: ${String(e)}`, { cause: e });
      return { ok: false, retriable: error.retriable, error };
    }
  }

  close(): Promise<void> {
    return Promise.resolve();
  }
}
